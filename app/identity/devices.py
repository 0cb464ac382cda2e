"""Device proofs (OWASP "device cookies"): the owner still gets in while their account is
locked, from a device or client that has logged in successfully before.

A successful login hands the client ``dv1.<nonce>.<signature>``: a 256-bit random nonce and an
HMAC-SHA256 over the user id and the nonce (key: the ``device_proof`` field key, never the
JWT key), so a proof is bound to one user and cannot be forged or moved to another account.
The server keeps only the nonce's hash, which makes every proof revocable (one row each):
password change, "log out everywhere" and deactivation delete them all.

A password attempt that carries a valid proof for that username is exempt from the
per-username lockout and rate limit (never from the per-IP ones). Its wrong passwords are
counted on the proof instead: after ``MAX_FAILURES`` the proof is revoked, so a stolen proof
buys an attacker at most a handful of guesses. Proofs unused for ``TTL`` seconds lapse, and a
user keeps at most ``PER_USER`` of them (the oldest go first).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.identity.models import DeviceProof
from app.platform.crypto import BlindIndex

PREFIX = "dv1"
PURPOSE = "device_proof"
MAX_FAILURES = 5
TTL = 90 * 86_400
PER_USER = 10
MAX_LENGTH = 200


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


class DeviceProofs:
    def __init__(self, key: BlindIndex) -> None:
        self._key = key

    def _sign(self, user_id: str, nonce: str) -> str:
        return self._key.digest(f"{user_id}:{nonce}")

    def issue(self, session: Session, user_id: str, now: int) -> str:
        nonce = secrets.token_urlsafe(32)
        session.add(DeviceProof(nonce_hash=_nonce_hash(nonce), user_id=user_id,
                                created_at=now, last_used_at=now, failures=0))
        session.flush()
        keep = select(DeviceProof.nonce_hash).where(DeviceProof.user_id == user_id) \
            .order_by(DeviceProof.last_used_at.desc()).limit(PER_USER)
        session.execute(delete(DeviceProof).where(DeviceProof.user_id == user_id,
                                                  DeviceProof.nonce_hash.not_in(keep.scalar_subquery())))
        return f"{PREFIX}.{nonce}.{self._sign(user_id, nonce)}"

    def find(self, session: Session, user_id: str, proof: str | None,
             now: int) -> DeviceProof | None:
        """The live proof row when ``proof`` is a valid, unrevoked proof for ``user_id``."""
        if not proof or len(proof) > MAX_LENGTH or proof.count(".") != 2:
            return None
        prefix, nonce, signature = proof.split(".")
        if prefix != PREFIX or not hmac.compare_digest(signature, self._sign(user_id, nonce)):
            return None
        row = session.get(DeviceProof, _nonce_hash(nonce))
        if row is None or row.user_id != user_id or now - row.last_used_at > TTL:
            return None
        return row

    @staticmethod
    def succeeded(row: DeviceProof, now: int) -> None:
        row.last_used_at, row.failures = now, 0

    @staticmethod
    def failed(session: Session, row: DeviceProof) -> None:
        row.failures += 1
        if row.failures >= MAX_FAILURES:
            session.delete(row)

    @staticmethod
    def revoke_all(session: Session, user_id: str) -> None:
        session.execute(delete(DeviceProof).where(DeviceProof.user_id == user_id))
