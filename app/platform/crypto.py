"""Field-level encryption: AES-256-GCM key rings, one per purpose, and HMAC blind indexes.

A ciphertext is ``v1.<kid>.<base64url(nonce || ciphertext+tag)>``: the key id travels with the
value, so a ring's newest (primary) key encrypts while older keys still decrypt, and an operator
command re-encrypts old rows. The purpose is bound into the GCM associated data, so a value
copied from one purpose (or one row, via ``context``) to another fails to decrypt. A tampered
value raises ``DecryptionError``; callers audit it and fail closed.

Keys come from configuration: ``FIELD_KEYS_<PURPOSE>`` (or ``..._FILE``) holding
``kid:base64key[,kid:base64key...]``, primary first. In development they are generated under
``instance/field-keys/<purpose>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.config import ConfigError

VERSION = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32
# 32 random bytes almost always hold about 30 distinct values; fewer than 16 means a key typed
# by hand or padded (such as 32 zero bytes), not drawn from a random source.
MIN_DISTINCT_KEY_BYTES = 16


class DecryptionError(Exception):
    """The value was tampered with, belongs elsewhere, or its key is gone."""


class KeyConfigError(ConfigError):
    """A key ring is missing or malformed (a configuration problem: no start)."""


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_keys(spec: str) -> list[tuple[str, bytes]]:
    """``kid:base64key,...`` -> [(kid, key)], primary first; every key 32 bytes."""
    keys = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        kid, _, encoded = item.partition(":")
        try:
            key = _b64d(encoded)
        except ValueError as exc:
            raise KeyConfigError(f"key {kid!r} is not base64") from exc
        if not kid.isalnum() or len(key) != KEY_BYTES:
            raise KeyConfigError(f"key {kid!r} must have an alphanumeric id and 32 bytes")
        if len(set(key)) < MIN_DISTINCT_KEY_BYTES:
            raise KeyConfigError(f"key {kid!r} is not random (make one with secrets.token_bytes)")
        keys.append((kid, key))
    if not keys:
        raise KeyConfigError("no keys configured")
    return keys


def format_keys(keys: list[tuple[str, bytes]]) -> str:
    return ",".join(f"{kid}:{_b64e(key)}" for kid, key in keys)


def new_key() -> tuple[str, bytes]:
    return secrets.token_hex(4), secrets.token_bytes(KEY_BYTES)


@dataclass(frozen=True)
class KeyRing:
    """AES-256-GCM with the first key as primary."""

    purpose: str
    keys: tuple[tuple[str, bytes], ...]

    @property
    def primary_kid(self) -> str:
        return self.keys[0][0]

    def encrypt(self, plaintext: str, context: str = "") -> str:
        kid, key = self.keys[0]
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), self._aad(kid, context))
        return f"{VERSION}.{kid}.{_b64e(nonce + sealed)}"

    def decrypt(self, token: str, context: str = "") -> str:
        try:
            version, kid, payload = token.split(".")
            key = dict(self.keys)[kid]
            raw = _b64d(payload)
            if version != VERSION or len(raw) < NONCE_BYTES + 16:
                raise ValueError("malformed")
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                        self._aad(kid, context))
            return plain.decode()
        except (ValueError, KeyError, InvalidTag, UnicodeDecodeError) as exc:
            raise DecryptionError(f"cannot decrypt a {self.purpose} value") from exc

    def needs_reencryption(self, token: str) -> bool:
        return token.split(".", 2)[1] != self.primary_kid if token.count(".") == 2 else True

    def _aad(self, kid: str, context: str) -> bytes:
        return f"{VERSION}|{self.purpose}|{kid}|{context}".encode()


@dataclass(frozen=True)
class BlindIndex:
    """HMAC-SHA256 of a value under its own key: equality search without decryption."""

    purpose: str
    key: bytes

    def digest(self, value: str) -> str:
        return hmac.new(self.key, f"{self.purpose}|{value}".encode(), hashlib.sha256).hexdigest()


class KeyRingLoader:
    """Reads key rings from the environment, or development files under ``instance/``."""

    def __init__(self, env: Mapping[str, str], dev_dir: Path | None) -> None:
        self.env = env
        self.dev_dir = dev_dir  # None in production: keys must be configured

    def _spec(self, purpose: str) -> str:
        name = f"FIELD_KEYS_{purpose.upper()}"
        if self.env.get(name):
            return self.env[name]
        if self.env.get(f"{name}_FILE"):
            return Path(self.env[f"{name}_FILE"]).read_text().strip()
        if self.dev_dir is None:
            raise KeyConfigError(f"{name} is not configured")
        return self._dev_file(purpose).read_text().strip()

    def _dev_file(self, purpose: str) -> Path:
        assert self.dev_dir is not None
        path = self.dev_dir / purpose
        if not path.exists():
            self.dev_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return path
            with os.fdopen(fd, "w") as handle:
                handle.write(format_keys([new_key()]))
        return path

    def ring(self, purpose: str) -> KeyRing:
        return KeyRing(purpose, tuple(parse_keys(self._spec(purpose))))

    def blind_index(self, purpose: str) -> BlindIndex:
        return BlindIndex(purpose, parse_keys(self._spec(purpose))[0][1])

    def add_dev_primary(self, purpose: str) -> str:
        """Development only: put a new primary key in front of the ring file; returns its id."""
        if self.dev_dir is None or f"FIELD_KEYS_{purpose.upper()}" in self.env:
            raise KeyConfigError("in production, configure the new primary key first "
                                 f"(FIELD_KEYS_{purpose.upper()}), then re-encrypt")
        path = self._dev_file(purpose)
        keys = parse_keys(path.read_text())
        kid, key = new_key()
        path.write_text(format_keys([(kid, key), *keys]))
        return kid
