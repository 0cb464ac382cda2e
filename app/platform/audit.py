"""The audit trail: an append-only, hash-chained table of security events, and a log line each.

Each row's ``hash`` is SHA-256 over the previous row's hash and this row's canonical content,
so editing, deleting or reordering rows breaks the chain, which ``verify_chain`` detects.
Appends serialise on a one-row head table (a row lock on PostgreSQL, the write lock on SQLite),
so concurrent writers never fork the chain.

People are named by pseudonym, never by user id: a ``Subject(user_id)`` given as actor or
target (or bound to the request as its ``subject``) is recorded as a random pseudonym kept in
``platform_audit_subjects``. Erasure deletes that mapping (``forget_subject``), after which the
rows and log lines of that person can no longer be linked to them, while the chain stays
intact.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy import DateTime, Integer, String, Text, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.clock import Clock, SystemClock, utc
from app.platform.db import Database, current, db

log = structlog.get_logger("shop.audit")

GENESIS = "0" * 64


class SecurityEvent(StrEnum):
    """Event names in the style of the OWASP logging vocabulary."""

    LOGIN_SUCCESS = "authn_login_success"
    LOGIN_FAIL = "authn_login_fail"
    LOGIN_LOCKED = "authn_login_lock"
    ACCOUNT_UNLOCKED = "authn_login_unlock"
    TOKEN_CREATED = "authn_token_created"
    TOKEN_REFRESHED = "authn_token_refreshed"
    TOKEN_REUSE = "authn_token_reuse"
    TOKEN_REVOKED = "authn_token_revoked"
    TOKEN_INVALID = "authn_token_invalid"
    PASSWORD_CHANGED = "authn_password_change"
    STEP_UP = "authn_step_up"
    MFA_SETUP = "authn_mfa_setup"
    MFA_ENABLED = "authn_mfa_enabled"
    MFA_DISABLED = "authn_mfa_disabled"
    MFA_SUCCESS = "authn_mfa_success"
    MFA_FAIL = "authn_mfa_fail"
    MFA_REPLAY = "authn_mfa_replay"
    BACKUP_CODE_USED = "authn_mfa_backup_code_used"
    BACKUP_CODES_REGENERATED = "authn_mfa_backup_codes_regenerated"
    AUTHZ_FAIL = "authz_fail"
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    USER_DELETED = "user_deleted"
    USER_EXPORTED = "user_exported"
    ADMIN_ACTION = "authz_admin"
    ADDRESS_BLOCKED = "authz_address_blocked"
    ADDRESS_UNBLOCKED = "authz_address_unblocked"
    BLOCKED_REQUEST = "authz_blocked_request"
    KEY_ROTATED = "crypt_key_rotated"
    KEY_REMOVED = "crypt_key_removed"
    DECRYPT_FAIL = "crypt_decrypt_fail"
    RATE_LIMITED = "excess_rate_limit_exceeded"
    BREAKER_CHANGED = "sys_circuit_breaker_change"
    ALERT = "sys_alert"
    AUDIT_VERIFIED = "sys_audit_verified"
    ACCOUNT_LOCKED = "authn_account_lock"
    # Business changes that an investigation needs to see beside the security events.
    ORDER_CANCELLED = "order_cancelled"
    ORDER_EXPIRED = "order_expired"
    SWEEP_DONE = "sys_sweep"
    BACKUP_CREATED = "sys_backup_created"
    BACKUP_RESTORED = "sys_backup_restored"


@dataclass(frozen=True, slots=True)
class Subject:
    """A person (a user id) as actor or target: recorded as their pseudonym, never the id."""

    user_id: str


PSEUDONYM_PREFIX = "p-"


class AuditSubject(db.Model):  # type: ignore[name-defined]
    """The only link between a user id and their audit pseudonym; erasure deletes it."""

    __tablename__ = "platform_audit_subjects"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditRecord(db.Model):  # type: ignore[name-defined]
    __tablename__ = "platform_audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64), default="")
    target: Mapped[str] = mapped_column(String(128), default="", index=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(256), default="")
    request_id: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(db.Model):  # type: ignore[name-defined]
    __tablename__ = "platform_audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)


@dataclass
class AuditContext:
    request_id: str = ""
    ip: str = ""
    user_agent: str = ""
    actor: str = ""
    subject: str = ""
    extra: dict[str, str] = field(default_factory=dict)


_context: ContextVar[AuditContext | None] = ContextVar("audit_context", default=None)


def bind_context(**values: str) -> None:
    """Set who/where for events recorded in this request or call (merged into any set before)."""
    current = _context.get() or AuditContext()
    _context.set(AuditContext(**{**current.__dict__, **values}))


def clear_context() -> None:
    _context.set(None)


def _row_digest(prev_hash: str, row: dict[str, Any]) -> str:
    canonical = json.dumps(row, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _micros(when: datetime) -> int:
    # SQLite hands datetimes back without a zone; every value we store is UTC.
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1_000_000)


def _hashed_fields(record: AuditRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "occurred_at": _micros(record.occurred_at),
        "event": record.event,
        "outcome": record.outcome,
        "actor": record.actor,
        "target": record.target,
        "ip": record.ip,
        "user_agent": record.user_agent,
        "request_id": record.request_id,
        "details": record.details,
    }


class AuditTrail:
    """Records security events; every module gets this one instance from the composition root."""

    def __init__(self, clock: Clock | None = None, database: Database | None = None) -> None:
        self._clock = clock or SystemClock()
        self._database = database
        self._listeners: list[Any] = []

    @property
    def database(self) -> Database:
        """The app's database the trail is kept in (the composition root gives it; a trail
        made without one uses the current app's)."""
        return self._database or current()

    def subscribe(self, listener: Any) -> None:
        """``listener(event, outcome, details)`` runs after each record (alerts, metrics)."""
        self._listeners.append(listener)

    def record(
        self,
        event: SecurityEvent | str,
        *,
        outcome: str = "success",
        actor: str | Subject | None = None,
        target: str | Subject = "",
        **details: Any,
    ) -> None:
        """Append one event. ``actor`` defaults to the bound request's subject (by pseudonym)
        or actor; a ``Subject`` is recorded as that person's pseudonym."""
        ctx = _context.get() or AuditContext()
        if actor is None:
            actor = Subject(ctx.subject) if ctx.subject else ctx.actor
        record = AuditRecord(
            occurred_at=utc(self._clock),
            event=str(event),
            outcome=outcome,
            actor=self._named(actor)[:64],
            target=self._named(target)[:128],
            ip=ctx.ip[:64],
            user_agent=ctx.user_agent[:256],
            request_id=ctx.request_id[:64],
            details=json.dumps(details, sort_keys=True, default=str),
        )
        self._append(record)
        (log.warning if outcome == "failure" else log.info)(
            "audit", audit_event=record.event, outcome=outcome, actor=record.actor,
            target=record.target, ip=record.ip, user_agent=record.user_agent, details=details,
        )
        for listener in self._listeners:
            try:
                listener(record.event, outcome, {"actor": record.actor,
                                                 "target": record.target, **details})
            except Exception:  # a metric or an alert must never fail the audited action
                log.exception("audit_listener_failed", audit_event=record.event)

    def _named(self, who: str | Subject) -> str:
        if not isinstance(who, Subject):
            return str(who)
        if not who.user_id or who.user_id.startswith("system:"):
            return who.user_id  # nobody, or an operator or sweep: not a person
        return self.pseudonym(who.user_id)

    def pseudonym(self, user_id: str) -> str:
        """The person's audit pseudonym, made on first use (concurrent first uses agree)."""
        for _attempt in range(2):
            known = self.known_pseudonym(user_id)
            if known is not None:
                return known
            try:
                with self.database.unit_of_work(None) as session:
                    session.add(AuditSubject(
                        user_id=user_id, created_at=utc(self._clock),
                        pseudonym=PSEUDONYM_PREFIX + secrets.token_hex(12)))
            except IntegrityError:
                continue  # another writer made it first: read theirs
        known = self.known_pseudonym(user_id)
        if known is None:
            raise RuntimeError("the audit pseudonym cannot be stored")
        return known

    def known_pseudonym(self, user_id: str) -> str | None:
        with self.database.unit_of_work(None, readonly=True) as session:
            return session.scalar(select(AuditSubject.pseudonym)
                                  .where(AuditSubject.user_id == user_id))

    def forget_subject(self, user_id: str) -> bool:
        """Erasure: delete the link between ``user_id`` and its pseudonym, so the person's
        past events can no longer be tied to them. True when a link existed. Idempotent."""
        with self.database.unit_of_work(None) as session:
            gone = session.execute(delete(AuditSubject).where(AuditSubject.user_id == user_id))
            return bool(gone.rowcount)  # type: ignore[attr-defined]

    def count_since(self, event: str, seconds: float, target: str | None = None) -> int:
        """How many ``event`` rows (for ``target``) the last ``seconds`` hold, all processes."""
        since = datetime.fromtimestamp(self._clock.time() - seconds, UTC)
        query = (select(func.count()).select_from(AuditRecord)
                 .where(AuditRecord.event == event, AuditRecord.occurred_at >= since))
        if target is not None:
            query = query.where(AuditRecord.target == target)
        with self.database.unit_of_work(None, readonly=True) as session:
            return int(session.scalar(query) or 0)

    def _append(self, record: AuditRecord) -> None:
        for _attempt in range(2):
            with self.database.unit_of_work(None) as session:
                # Taking the head row's lock first serialises appenders on every database.
                locked = session.execute(update(AuditHead).where(AuditHead.id == 1)
                                         .values(seq=AuditHead.seq + 1))
                head = session.get(AuditHead, 1) if locked.rowcount else None  # type: ignore[attr-defined]
                if head is not None:
                    record.seq, record.prev_hash = head.seq, head.hash
                    record.hash = _row_digest(head.hash, _hashed_fields(record))
                    head.hash = record.hash
                    session.add(record)
                    return
            self._create_head()
        raise RuntimeError("the audit chain head cannot be created")

    def _create_head(self) -> None:
        """The very first event creates the head row; concurrent first events race safely."""
        try:
            with self.database.unit_of_work(None) as session:
                session.add(AuditHead(id=1, seq=0, hash=GENESIS))
        except IntegrityError:
            pass  # another writer created it first

    def recent(self, limit: int = 50, event_prefix: str = "") -> list[dict[str, Any]]:
        with self.database.unit_of_work(None, readonly=True) as session:
            query = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit)
            if event_prefix:
                query = query.where(AuditRecord.event.startswith(event_prefix))
            return [_as_dict(r) for r in session.scalars(query)]

    def for_subject(self, user_id: str, limit: int = 1000) -> list[dict[str, Any]]:
        """The newest events whose actor or target is this person (by their pseudonym)."""
        pseudonym = self.known_pseudonym(user_id)
        if pseudonym is None:
            return []
        with self.database.unit_of_work(None, readonly=True) as session:
            query = (select(AuditRecord)
                     .where((AuditRecord.actor == pseudonym) | (AuditRecord.target == pseudonym))
                     .order_by(AuditRecord.seq.desc()).limit(limit))
            return [_as_dict(r) for r in session.scalars(query)]


def _as_dict(record: AuditRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "occurred_at": record.occurred_at.isoformat(),
        "event": record.event,
        "outcome": record.outcome,
        "actor": record.actor,
        "target": record.target,
        "ip": record.ip,
        "user_agent": record.user_agent,
        "request_id": record.request_id,
        "details": json.loads(record.details),
    }


def iter_chain(database: Database | None = None, batch: int = 1000) -> Iterator[AuditRecord]:
    last = 0
    while True:
        with (database or current()).unit_of_work(None, readonly=True) as session:
            rows = list(session.scalars(select(AuditRecord).where(AuditRecord.seq > last)
                                        .order_by(AuditRecord.seq).limit(batch)))
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_chain(database: Database | None = None) -> tuple[int, int | None]:
    """``(rows checked, first broken seq or None)`` (of the current app's trail by default)."""
    prev, expected_seq, count = GENESIS, 1, 0
    for record in iter_chain(database):
        count += 1
        ok = (record.seq == expected_seq and record.prev_hash == prev
              and record.hash == _row_digest(prev, _hashed_fields(record)))
        if not ok:
            return count, record.seq
        prev, expected_seq = record.hash, record.seq + 1
    return count, None
