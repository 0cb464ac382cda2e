"""The backup file format: chunked AES-256-GCM that refuses tampering, truncation, reordering,
appended data and a wrong key (each an attack on a stolen or damaged backup file)."""

from __future__ import annotations

import io
import struct

import pytest

from app.platform.crypto import KeyRing, new_key
from app.platform.sealed_stream import (
    CHUNK,
    MAGIC,
    OpeningReader,
    SealedStreamError,
    SealingWriter,
    open_chunks,
)

RING = KeyRing("backup", (new_key(),))
PLAIN = bytes(range(256)) * (3 * CHUNK // 256) + b"tail"  # three full chunks and a bit


def seal(plain: bytes = PLAIN, ring: KeyRing = RING) -> bytes:
    out = io.BytesIO()
    writer = SealingWriter(out, ring)
    for start in range(0, len(plain), 10_000):  # written in pieces, as tarfile does
        writer.write(plain[start:start + 10_000])
    writer.close()
    return out.getvalue()


def unseal(data: bytes, ring: KeyRing = RING) -> bytes:
    reader = OpeningReader(open_chunks(io.BytesIO(data), ring))
    return reader.read()


def chunk_offsets(data: bytes) -> list[int]:
    header_len = struct.unpack(">I", data[len(MAGIC):len(MAGIC) + 4])[0]
    offset, offsets = len(MAGIC) + 4 + header_len, []
    while offset < len(data):
        offsets.append(offset)
        offset += 4 + struct.unpack(">I", data[offset:offset + 4])[0]
    return offsets


def test_round_trip_in_chunks_with_the_key_id_in_the_header() -> None:
    data = seal()
    assert unseal(data) == PLAIN
    assert len(chunk_offsets(data)) == 4
    assert RING.primary_kid.encode() in data[:200]
    assert PLAIN[:64] not in data


def test_an_empty_stream_still_has_an_authenticated_end() -> None:
    assert unseal(seal(b"")) == b""
    with pytest.raises(SealedStreamError, match="truncated"):
        unseal(seal(b"")[:-20])


def test_attack_flipped_bit_is_refused() -> None:
    data = bytearray(seal())
    data[chunk_offsets(bytes(data))[1] + 100] ^= 1
    with pytest.raises(SealedStreamError, match="tampered"):
        unseal(bytes(data))


def test_attack_truncated_at_a_chunk_boundary_is_refused() -> None:
    data = seal()
    with pytest.raises(SealedStreamError, match="truncated"):
        unseal(data[:chunk_offsets(data)[-1]])
    with pytest.raises(SealedStreamError, match="truncated"):
        unseal(data[:-1])


def test_attack_reordered_or_dropped_chunks_are_refused() -> None:
    data = seal()
    a, b, c, _last = chunk_offsets(data)
    swapped = data[:a] + data[b:c] + data[a:b] + data[c:]
    dropped = data[:b] + data[c:]
    for forged in (swapped, dropped):
        with pytest.raises(SealedStreamError, match="tampered"):
            unseal(forged)


def test_attack_appended_data_is_refused() -> None:
    with pytest.raises(SealedStreamError, match="after its end"):
        unseal(seal() + b"\x00")


def test_attack_header_edited_to_another_nonce_is_refused() -> None:
    data = seal()
    forged = data.replace(b'"nonce_prefix": "', b'"nonce_prefix": "00', 1)
    forged = forged[:len(MAGIC)] + struct.pack(">I", struct.unpack(
        ">I", data[len(MAGIC):len(MAGIC) + 4])[0]) + forged[len(MAGIC) + 4:]
    with pytest.raises(SealedStreamError):
        unseal(forged)


def test_wrong_key_is_named() -> None:
    other = KeyRing("backup", (new_key(),))
    with pytest.raises(SealedStreamError, match="does not hold"):
        unseal(seal(), other)
    impostor = KeyRing("backup", ((RING.primary_kid, new_key()[1]),))  # same id, other key
    with pytest.raises(SealedStreamError, match="wrong key"):
        unseal(seal(), impostor)


def test_an_older_key_of_the_ring_still_opens_its_backups() -> None:
    rotated = KeyRing("backup", (new_key(), *RING.keys))
    assert unseal(seal(), rotated) == PLAIN


def test_a_foreign_file_is_refused() -> None:
    with pytest.raises(SealedStreamError, match="not a shop backup"):
        unseal(b"SQLite format 3\x00" + b"\x00" * 100)
