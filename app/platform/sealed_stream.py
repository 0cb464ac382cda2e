"""Streaming authenticated encryption: AES-256-GCM over fixed-size chunks (the STREAM
construction of Hoang, Reyhanitabar, Rogaway and Vizár, as used by age and Tink).

Layout: ``MAGIC``, a 4-byte header length, the JSON header (format, cipher, key id, nonce
prefix, chunk size), then chunks of ``4-byte length || ciphertext+tag``. Chunk ``i`` is sealed
with nonce ``prefix(7) || i (4 bytes) || last flag (1 byte)`` and the magic plus header as
associated data, so a chunk that is changed, moved, dropped, duplicated or taken from another
file fails its tag; a file cut short lacks the chunk flagged last; bytes after it are refused.
Only one chunk is in memory at a time. ``cryptography`` has no streaming AEAD of its own.
"""

from __future__ import annotations

import json
import secrets
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.platform.crypto import KeyRing

MAGIC = b"SHOPBAK1"
CHUNK = 64 * 1024
TAG = 16
MAX_HEADER = 4096
_LEN = struct.Struct(">I")


class SealedStreamError(Exception):
    """The stream cannot be opened: not ours, tampered, truncated, or the key is wrong."""


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


class SealingWriter:
    """A write-only file object that seals everything written into ``out``; ``close()``
    writes the final chunk (an empty stream still has one)."""

    def __init__(self, out: BinaryIO, ring: KeyRing, **meta: str) -> None:
        kid, key = ring.keys[0]
        self._out, self._aead, self._prefix = out, AESGCM(key), secrets.token_bytes(7)
        header = json.dumps({"format": 1, "cipher": "AES-256-GCM", "kid": kid,
                             "nonce_prefix": self._prefix.hex(), "chunk_size": CHUNK, **meta},
                            sort_keys=True).encode()
        self._aad = MAGIC + header
        out.write(MAGIC + _LEN.pack(len(header)) + header)
        self._buffer = bytearray()
        self._index = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:  # keep at least one byte back for the last chunk
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self.closed = True

    def _seal(self, plain: bytes, *, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._index, last), plain, self._aad)
        self._out.write(_LEN.pack(len(sealed)) + sealed)
        self._index += 1


def read_header(source: BinaryIO) -> tuple[dict[str, str], bytes]:
    """The header and the associated data; raises SealedStreamError for a foreign file."""
    if source.read(len(MAGIC)) != MAGIC:
        raise SealedStreamError("This is not a shop backup file (unknown format).")
    raw_length = source.read(_LEN.size)
    length = _LEN.unpack(raw_length)[0] if len(raw_length) == _LEN.size else 0
    header = source.read(length) if 0 < length <= MAX_HEADER else b""
    try:
        meta = json.loads(header)
        if meta["format"] != 1 or meta["cipher"] != "AES-256-GCM":
            raise ValueError("unsupported")
        bytes.fromhex(meta["nonce_prefix"])
    except (ValueError, KeyError, TypeError):
        raise SealedStreamError("The backup header is damaged or of an unknown version.") \
            from None
    return meta, MAGIC + header


def open_chunks(source: BinaryIO, ring: KeyRing) -> Iterator[bytes]:
    """Yield the plaintext chunk by chunk; the last yield happens only after the final chunk
    verified and nothing follows it. Raises SealedStreamError on any fault."""
    meta, aad = read_header(source)
    key = dict(ring.keys).get(meta["kid"])
    if key is None:
        raise SealedStreamError(
            f"The backup was encrypted with key {meta['kid']!r}, which the backup key ring "
            "does not hold (wrong key).")
    aead, prefix = AESGCM(key), bytes.fromhex(meta["nonce_prefix"])
    index = 0
    while True:
        raw_length = source.read(_LEN.size)
        if len(raw_length) < _LEN.size:
            raise SealedStreamError("The backup file is truncated (its final part is missing).")
        length = _LEN.unpack(raw_length)[0]
        sealed = source.read(length) if TAG <= length <= CHUNK + TAG else b""
        if len(sealed) != length or not sealed:
            raise SealedStreamError("The backup file is truncated or damaged.")
        plain, last = _open_one(aead, prefix, index, sealed, aad)
        if last and source.read(1):
            raise SealedStreamError("The backup file has data after its end (tampered).")
        yield plain
        if last:
            return
        index += 1


def _open_one(aead: AESGCM, prefix: bytes, index: int, sealed: bytes,
              aad: bytes) -> tuple[bytes, bool]:
    for last in (False, True):
        try:
            return aead.decrypt(_nonce(prefix, index, last), sealed, aad), last
        except InvalidTag:
            continue
    if index == 0:
        raise SealedStreamError("The backup cannot be decrypted: wrong key, or the file was "
                                "tampered with.")
    raise SealedStreamError(f"The backup file was tampered with (part {index} fails "
                            "its authentication).")


class OpeningReader:
    """A read-only file object over ``open_chunks`` (for ``tarfile`` in stream mode)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._done = False

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                self._done = True
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def drain(self) -> None:
        """Read (and so authenticate) to the very end."""
        while self.read(CHUNK):
            pass
