"""TOTP through the project's code path: RFC 6238 vectors, the ±1 window, code hygiene."""

from __future__ import annotations

import base64

import pytest

from app.identity.totp import Totp, new_secret

# RFC 6238 Appendix B: the seeds are ASCII "1234567890" repeated to the digest's length.
SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
VECTORS = [  # (time, sha1, sha256, sha512), 8 digits, 30 s steps
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


def b32(seed: bytes) -> str:
    return base64.b32encode(seed).decode()


@pytest.mark.parametrize(("when", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc6238_appendix_b_vectors(when: int, sha1: str, sha256: str, sha512: str) -> None:
    for digest, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        totp = Totp(b32(SEEDS[digest]), digits=8, digest=digest)
        assert totp.code_at_step(totp.step_at(when)) == expected, digest
        assert totp.match_step(expected, when) == totp.step_at(when)


def test_window_accepts_one_step_each_side_and_nothing_further() -> None:
    totp, now = Totp(new_secret()), 1_800_000_015.0
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        assert totp.match_step(totp.code_at_step(step + offset), now) == step + offset
    for offset in (-2, 2):
        code = totp.code_at_step(step + offset)
        if code not in {totp.code_at_step(step + o) for o in (-1, 0, 1)}:
            assert totp.match_step(code, now) is None


@pytest.mark.parametrize("code", ["12345", "1234567", "12345a", " 123456", "123456\n",
                                  "١٢٣٤٥٦", "", 123456, None])
def test_anything_but_six_ascii_digits_is_rejected(code: object) -> None:
    totp = Totp(new_secret())
    assert totp.is_well_formed(code) is False
    assert totp.match_step(code, 1_800_000_000.0) is None  # type: ignore[arg-type]


def test_leading_zeros_are_kept() -> None:
    totp = Totp(b32(SEEDS["sha1"]), digits=8)
    assert totp.code_at_step(totp.step_at(1111111109)) == "07081804"


def test_secret_has_160_bits_in_base32() -> None:
    secret = new_secret()
    assert len(base64.b32decode(secret)) == 20
