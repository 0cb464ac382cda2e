"""The signing key set: RSA-4096 private keys under a directory only the identity module reads.

Layout: ``<dir>/<kid>.pem`` (mode 0600) and ``<dir>/keyset.json`` naming the active key and the
retired ones with the instant they retired. The JWKS publishes the active key and every retired
key whose tokens may still be unexpired. The files are re-read when ``keyset.json`` changes, so
an operator's rotation or removal reaches running workers without a restart.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.config import ConfigError
from app.platform.clock import Clock

KEY_BITS = 4096
ALGORITHM = "RS256"


class KeyStoreError(ConfigError):
    """The key set cannot be read or changed (a configuration problem: no start)."""


@dataclass(frozen=True)
class _State:
    active: str
    retired: dict[str, float]
    keys: dict[str, RSAKey]
    stamp: float


def generate_private_pem(bits: int = KEY_BITS) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@functools.lru_cache(maxsize=16)
def _load_pem(pem: bytes) -> Any:
    # Loading an RSA-4096 private key validates it, which costs about 0.3 s: do it once per
    # key and process, not on every re-read of the key set.
    return serialization.load_pem_private_key(pem, password=None)


def _parse_private_key(pem: bytes, kid: str) -> RSAKey:
    return RSAKey.import_key(_load_pem(pem), {"kid": kid, "alg": ALGORITHM, "use": "sig"})


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


class SigningKeyStore:
    def __init__(self, directory: Path, clock: Clock, retire_grace: int) -> None:
        self.directory = directory
        self._clock = clock
        self._grace = retire_grace  # access-token lifetime plus leeway
        self._lock = threading.Lock()
        self._state: _State | None = None

    @property
    def _manifest(self) -> Path:
        return self.directory / "keyset.json"

    def ensure(self, create: bool) -> None:
        """Load the key set; with ``create``, make a first key when there is none (development).

        Raises KeyStoreError when the keys cannot be read (production refuses to start then).
        """
        if self._manifest.exists() or not create:
            self._load()
            return
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.rotate()

    def _load(self) -> _State:
        try:
            stamp = self._manifest.stat().st_mtime_ns
            state = self._state
            if state is not None and state.stamp == stamp:
                return state
            manifest = json.loads(self._manifest.read_text())
            kids = [manifest["active"], *manifest.get("retired", {})]
            keys = {kid: self._read_key(kid) for kid in kids}
        except (OSError, ValueError, KeyError) as exc:
            raise KeyStoreError(f"the JWT key set in {self.directory} cannot be read") from exc
        state = _State(manifest["active"], dict(manifest.get("retired", {})), keys, stamp)
        self._state = state
        return state

    def _read_key(self, kid: str) -> RSAKey:
        key = _parse_private_key((self.directory / f"{kid}.pem").read_bytes(), kid)
        if not key.is_private:
            raise KeyStoreError(f"key {kid} is not a private key")
        return key

    def _save(self, active: str, retired: dict[str, float]) -> None:
        tmp = self._manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps({"active": active, "retired": retired}, indent=2))
        os.replace(tmp, self._manifest)
        self._state = None

    def rotate(self, pem: bytes | None = None) -> str:
        """Make a new active key; the previous one retires (still verifies until it expires)."""
        with self._lock:
            kid = f"{int(self._clock.time())}-{secrets.token_hex(4)}"
            _write_private(self.directory / f"{kid}.pem", pem or generate_private_pem())
            retired: dict[str, float] = {}
            if self._manifest.exists():
                state = self._load()
                retired = {k: v for k, v in state.retired.items() if self._published(v)}
                retired[state.active] = self._clock.time()
            self._save(kid, retired)
            return kid

    def remove(self, kid: str) -> None:
        """Drop a key at once (compromise). Removing the active key rotates first."""
        if kid == self._load().active:
            self.rotate()
        with self._lock:
            state = self._load()
            if kid not in state.retired:
                raise KeyStoreError(f"no key {kid}")
            retired = {k: v for k, v in state.retired.items() if k != kid}
            self._save(state.active, retired)
            (self.directory / f"{kid}.pem").unlink(missing_ok=True)

    def _published(self, retired_at: float) -> bool:
        return self._clock.time() - retired_at < self._grace

    def sign(self, claims: dict[str, Any]) -> str:
        state = self._load()
        header = {"alg": ALGORITHM, "kid": state.active, "typ": "at+jwt"}
        return jwt.encode(header, claims, state.keys[state.active], algorithms=[ALGORITHM])

    def jwks(self) -> dict[str, Any]:
        state = self._load()
        kids = [state.active] + [k for k, at in state.retired.items() if self._published(at)]
        return {"keys": [state.keys[k].as_dict(private=False) for k in kids]}

    def active_public(self) -> tuple[str, str]:
        state = self._load()
        pem = state.keys[state.active].as_pem(private=False)
        return state.active, pem.decode() if isinstance(pem, bytes) else pem

    def describe(self) -> list[dict[str, Any]]:
        state = self._load()
        rows: list[dict[str, Any]] = [{"kid": state.active, "status": "active"}]
        rows += [{"kid": k, "status": "retired", "retired_at": at,
                  "published": self._published(at)} for k, at in state.retired.items()]
        return rows
