"""One runner at a time across workers, processes and containers, for background sweeps.

``exclusive(name)`` yields True to exactly one holder at a time, False to everyone else (it
never waits). On PostgreSQL it is a session advisory lock (``pg_try_advisory_lock``) on a
connection held for the duration: the server drops it if the holder dies. SQLite has no such
lock, so a lease row in ``platform_leases`` is claimed in a ``BEGIN IMMEDIATE`` transaction (one
writer at a time decides) and expires after ``lease_seconds`` if its holder dies mid-run.

The lock only saves work: every sweep is idempotent (conditional updates), so two runs that
overlapped anyway could not do anything twice.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Integer, String, delete, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.platform.clock import Clock
from app.platform.db import current, db, engine_for, unit_of_work

# Who holds a lease: host, process and a per-process random part (threads share it safely,
# because ``exclusive`` is also guarded by a lock per name and database in this process).
_HOLDER = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease(db.Model):  # type: ignore[name-defined]
    __tablename__ = "platform_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(96))
    expires_at: Mapped[int] = mapped_column(Integer)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock`` from a lock name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def exclusive(name: str, clock: Clock, *, lease_seconds: int = 600) -> Iterator[bool]:
    """Yield True when this caller holds ``name`` now (and until the block ends), else False."""
    database = current()
    local = database.local_lock(name)
    if not local.acquire(blocking=False):
        yield False
        return
    try:
        engine = database.engine(None)
        if engine.dialect.name == "postgresql":
            with _advisory(name) as held:
                yield held
        else:
            with _lease(name, clock, lease_seconds) as held:
                yield held
    finally:
        local.release()


@contextmanager
def _advisory(name: str) -> Iterator[bool]:
    key = advisory_key(name)
    with engine_for(None).connect() as connection:
        held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                       {"k": key}).scalar())
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()


@contextmanager
def _lease(name: str, clock: Clock, lease_seconds: int) -> Iterator[bool]:
    now = int(clock.time())
    with unit_of_work(None) as session:  # BEGIN IMMEDIATE: claims are decided one at a time
        lease = session.get(Lease, name)
        held = lease is None or lease.expires_at <= now or lease.holder == _HOLDER
        if held and lease is None:
            session.add(Lease(name=name, holder=_HOLDER, expires_at=now + lease_seconds))
        elif held and lease is not None:
            lease.holder, lease.expires_at = _HOLDER, now + lease_seconds
    try:
        yield held
    finally:
        if held:
            with unit_of_work(None) as session:
                session.execute(delete(Lease).where(Lease.name == name,
                                                    Lease.holder == _HOLDER))


def holder_of(name: str) -> str | None:
    """The current lease holder (SQLite only; for tests and diagnostics)."""
    with unit_of_work(None, readonly=True) as session:
        return session.scalar(select(Lease.holder).where(Lease.name == name))


def serialize_in(transaction: Session | Connection, name: str) -> None:
    """Within the transaction (an ORM session's or a Core connection's), wait for every other
    transaction serialized on ``name`` (PostgreSQL: ``pg_advisory_xact_lock``). SQLite
    transactions already run one writer at a time (``BEGIN IMMEDIATE``), so nothing is needed
    there."""
    bind = transaction.get_bind() if isinstance(transaction, Session) else transaction
    if bind.dialect.name == "postgresql":
        transaction.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                            {"k": advisory_key(name)})
