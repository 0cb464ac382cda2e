"""Field encryption: round trip, rotation, and tampering fails closed."""

from __future__ import annotations

import pytest

from app.platform.crypto import (
    BlindIndex,
    DecryptionError,
    KeyConfigError,
    KeyRing,
    KeyRingLoader,
    new_key,
    parse_keys,
)


def ring(*keys: tuple[str, bytes], purpose: str = "totp") -> KeyRing:
    return KeyRing(purpose, tuple(keys))


def test_round_trip_with_random_nonces() -> None:
    r = ring(new_key())
    a, b = r.encrypt("secret"), r.encrypt("secret")
    assert a != b, "a fixed nonce would make equal plaintexts equal ciphertexts"
    assert r.decrypt(a) == r.decrypt(b) == "secret"
    assert a.startswith(f"v1.{r.primary_kid}.")


def test_rotation_new_primary_encrypts_old_still_decrypts() -> None:
    old, new = new_key(), new_key()
    before = ring(old).encrypt("value")
    rotated = ring(new, old)
    assert rotated.decrypt(before) == "value"
    assert rotated.needs_reencryption(before)
    assert not rotated.needs_reencryption(rotated.encrypt("value"))


@pytest.mark.parametrize("position", [5, 20, -3])
def test_attack_flipped_byte_fails_closed(position: int) -> None:
    r = ring(new_key())
    token = r.encrypt("4111-1111")
    raw = list(token)
    raw[position] = "A" if raw[position] != "A" else "B"
    with pytest.raises(DecryptionError):
        r.decrypt("".join(raw))


def test_attack_value_moved_to_another_purpose_or_row_fails() -> None:
    key = new_key()
    token = ring(key, purpose="order_user").encrypt("user-1", context="order-1")
    with pytest.raises(DecryptionError):
        ring(key, purpose="totp").decrypt(token, context="order-1")
    with pytest.raises(DecryptionError):
        ring(key, purpose="order_user").decrypt(token, context="order-2")


def test_removed_key_fails_closed() -> None:
    token = ring(new_key()).encrypt("x")
    with pytest.raises(DecryptionError):
        ring(new_key()).decrypt(token)


def test_blind_index_is_deterministic_and_keyed() -> None:
    a = BlindIndex("order_user_index", b"k" * 32)
    b = BlindIndex("order_user_index", b"j" * 32)
    assert a.digest("u1") == a.digest("u1") != a.digest("u2")
    assert a.digest("u1") != b.digest("u1")


def test_loader_dev_files_and_production_refusal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    loader = KeyRingLoader({}, tmp_path / "field-keys")
    first = loader.ring("totp")
    assert loader.ring("totp") == first
    assert oct((tmp_path / "field-keys" / "totp").stat().st_mode & 0o777) == "0o600"
    kid = loader.add_dev_primary("totp")
    assert loader.ring("totp").primary_kid == kid
    with pytest.raises(KeyConfigError):
        KeyRingLoader({}, None).ring("totp")
    with pytest.raises(KeyConfigError):
        parse_keys("k1:c2hvcnQ")
