"""Identity tables (bind ``identity``). Nothing outside this module touches them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.db import db


class User(db.Model):  # type: ignore[name-defined]
    __bind_key__ = "identity"
    __tablename__ = "identity_users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(40))
    username_key: Mapped[str] = mapped_column(String(40), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="user")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # True once a TOTP secret (identity_two_factor) has been confirmed.
    two_factor_enabled: Mapped[bool] = mapped_column(Boolean, default=False,
                                                     server_default="0")
    # Progressive lockout (see lockout.py); epoch seconds, 0 = never.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failure_window_start: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failures_in_window: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Where the failure count's leak is measured from (lockout.py: failures age out).
    failure_clock: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Until when a password-change check of this account is in flight (one at a time).
    password_check_until: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Locked by an operator (incident response): no login until ``unlock``, never on its own.
    operator_locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class RefreshToken(db.Model):  # type: ignore[name-defined]
    """One refresh token; tokens of one login share a ``family_id`` (the session id)."""

    __bind_key__ = "identity"
    __tablename__ = "identity_refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("identity_users.id", ondelete="CASCADE"), index=True
    )
    amr: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[int] = mapped_column(Integer)
    family_expires_at: Mapped[int] = mapped_column(Integer)
    used_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    revoked_at: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RevocationEntry(db.Model):  # type: ignore[name-defined]
    """The revocation feed that every verifier follows (see ``revocations_since``)."""

    __bind_key__ = "identity"
    __tablename__ = "identity_revocations"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(64))
    not_before: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[int] = mapped_column(Integer, index=True)
    note: Mapped[str] = mapped_column(Text, default="")


class TwoFactor(db.Model):  # type: ignore[name-defined]
    """A user's TOTP secret (AES-256-GCM ciphertext, never plaintext) and replay guard.

    The row exists from setup on; 2FA is active only when ``User.two_factor_enabled``.
    """

    __bind_key__ = "identity"
    __tablename__ = "identity_two_factor"

    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("identity_users.id", ondelete="CASCADE"), primary_key=True
    )
    secret_encrypted: Mapped[str] = mapped_column(String(255))
    # The last accepted RFC 6238 time step: only a later one is accepted (replay guard).
    last_step: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[int] = mapped_column(Integer)


class BackupCode(db.Model):  # type: ignore[name-defined]
    """One backup code: a non-secret lookup prefix and a salted hash of the secret rest."""

    __bind_key__ = "identity"
    __tablename__ = "identity_backup_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("identity_users.id", ondelete="CASCADE"), index=True
    )
    prefix: Mapped[str] = mapped_column(String(8))
    salt: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[int | None] = mapped_column(Integer, nullable=True)


class LoginTicket(db.Model):  # type: ignore[name-defined]
    """The single-use ticket between the password step and the code step (stored hashed)."""

    __bind_key__ = "identity"
    __tablename__ = "identity_login_tickets"

    ticket_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("identity_users.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[int] = mapped_column(Integer, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[int | None] = mapped_column(Integer, nullable=True)


class DeviceProof(db.Model):  # type: ignore[name-defined]
    """A device that logged in successfully before (OWASP device cookie), stored hashed.

    The client holds ``dv1.<nonce>.<HMAC(user id, nonce)>``; only the nonce's SHA-256 is kept
    here, so a dump of the table proves nothing. Deleting the row revokes the device.
    """

    __bind_key__ = "identity"
    __tablename__ = "identity_device_proofs"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("identity_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[int] = mapped_column(Integer)
    last_used_at: Mapped[int] = mapped_column(Integer)
    # Wrong passwords sent with this proof since its last success; at the limit it is revoked.
    failures: Mapped[int] = mapped_column(Integer, default=0)


class RecentAuthentication(db.Model):  # type: ignore[name-defined]
    """When the person behind a login session (refresh family) last proved who they are: at
    login, or by step-up re-authentication. One row per session; rows older than the step-up
    window say nothing and are pruned as new ones are written (recent_auth.py)."""

    __bind_key__ = "identity"
    __tablename__ = "identity_recent_authentications"

    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("identity_users.id", ondelete="CASCADE"), index=True
    )
    verified_at: Mapped[int] = mapped_column(Integer, index=True)
