"""Access tokens (RS256 JWT, RFC 9068 profile), refresh-token families and the revocation feed.

Refresh tokens are 256-bit random values stored only as SHA-256 hashes. Each is single use:
redeeming one is a conditional UPDATE (``used_at IS NULL``) so that of two concurrent
redemptions exactly one wins. Presenting a spent token again is reuse: the whole family
(the login session) is revoked. A family lives at most ``family_ttl`` seconds from login.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from app.identity import recent_auth
from app.identity.contract import TokenPair
from app.identity.models import RefreshToken, RevocationEntry, User
from app.identity.signing import SigningKeyStore
from app.kernel import Revocation
from app.platform.clock import Clock


def token_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class TokenSettings:
    issuer: str
    audience: str
    client_id: str
    access_ttl: int
    family_ttl: int
    leeway: int


@dataclass(frozen=True)
class Redeemed:
    """Outcome of presenting a refresh token: a winner, or a detected reuse."""

    row: RefreshToken | None
    reused_family: str | None = None
    user_id: str | None = None


class TokenIssuer:
    def __init__(self, keys: SigningKeyStore, settings: TokenSettings, clock: Clock) -> None:
        self.keys = keys
        self.settings = settings
        self.clock = clock

    def _now(self) -> int:
        return int(self.clock.time())

    def access_token(self, user: User, session_id: str, amr: list[str]) -> str:
        now = self._now()
        claims = {
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
            "sub": user.id,
            "client_id": self.settings.client_id,
            "iat": now,
            "nbf": now,
            "exp": now + self.settings.access_ttl,
            "jti": uuid.uuid4().hex,
            "sid": session_id,
            "role": user.role,
            "amr": amr,
        }
        return self.keys.sign(claims)

    def start_family(self, session: Session, user: User, amr: list[str]) -> TokenPair:
        """A new login session; the login is its first authentication (recent_auth.py)."""
        family = uuid.uuid4().hex
        recent_auth.record(session, family, user.id, self._now())
        return self._issue(session, user, family, amr, self._now() + self.settings.family_ttl)

    def _issue(self, session: Session, user: User, family: str, amr: list[str],
               family_expires_at: int) -> TokenPair:
        refresh = secrets.token_urlsafe(32)
        session.add(RefreshToken(token_hash=token_hash(refresh), family_id=family,
                                 user_id=user.id, amr=" ".join(amr), issued_at=self._now(),
                                 family_expires_at=family_expires_at))
        return TokenPair(access=self.access_token(user, family, amr), refresh=refresh,
                         expires_in=self.settings.access_ttl)

    def redeem(self, session: Session, refresh: str) -> Redeemed:
        """Spend a refresh token. Exactly one of concurrent callers gets the row back."""
        hashed, now = token_hash(refresh), self._now()
        won: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(RefreshToken)
            .where(RefreshToken.token_hash == hashed, RefreshToken.used_at.is_(None),
                   RefreshToken.revoked_at.is_(None), RefreshToken.family_expires_at > now)
            .values(used_at=now)
        )
        row = session.get(RefreshToken, hashed)
        if won.rowcount == 1 and row is not None:
            return Redeemed(row)
        if row is not None and (row.used_at is not None or row.revoked_at is not None):
            return Redeemed(None, reused_family=row.family_id, user_id=row.user_id)
        return Redeemed(None)

    def successor(self, session: Session, spent: RefreshToken) -> tuple[TokenPair, str] | None:
        """The next pair of a family whose token was just spent; None for an inactive user."""
        user = session.get(User, spent.user_id)
        if user is None or not user.is_active:
            return None
        pair = self._issue(session, user, spent.family_id, spent.amr.split(),
                           spent.family_expires_at)
        return pair, user.id

    def revoke_family(self, session: Session, family: str, note: str) -> None:
        now = self._now()
        changed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(RefreshToken).where(RefreshToken.family_id == family,
                                       RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now))
        if changed.rowcount:
            self.feed(session, "sid", family, note=note)

    def revoke_user(self, session: Session, user_id: str, note: str,
                    keep_family: str | None = None) -> None:
        """Every token of the user dies now (optionally sparing one session: the caller's).

        Every access token carries its session id (``sid``), so revoking each live session
        reaches every access token too, without the one-second granularity of ``iat``.
        """
        families = select(RefreshToken.family_id).where(
            RefreshToken.user_id == user_id,
            RefreshToken.family_expires_at > self._now() - self.settings.access_ttl,
        ).distinct()
        for family in session.scalars(families).all():
            if family != keep_family:
                self.revoke_family(session, family, note)

    def feed(self, session: Session, kind: str, value: str, *, not_before: int = 0,
             note: str = "", expires_at: int | None = None) -> None:
        horizon = self._now() + self.settings.access_ttl + self.settings.leeway + 1
        session.add(RevocationEntry(kind=kind, value=value, not_before=not_before,
                                    expires_at=expires_at or horizon, note=note))

    def revocations_since(self, session: Session, cursor: int) -> list[Revocation]:
        query = select(RevocationEntry).where(RevocationEntry.seq > cursor)
        if cursor == 0:
            query = query.where(RevocationEntry.expires_at >= self._now())
        rows = session.scalars(query.order_by(RevocationEntry.seq).limit(10_000))
        return [Revocation(seq=r.seq, kind=r.kind, value=r.value, not_before=r.not_before,
                           expires_at=r.expires_at) for r in rows]
