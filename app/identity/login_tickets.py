"""Login tickets: the single-use link between the password step and the code step.

A ticket is a 256-bit random value handed to the client; only its SHA-256 is stored, bound to
the user, valid ``TTL`` seconds and for at most ``MAX_ATTEMPTS`` codes. Each attempt is taken
with a conditional UPDATE before the code is checked, so racing requests cannot exceed the
budget, and redemption is another conditional UPDATE, so a ticket yields tokens once.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, select, update
from sqlalchemy.orm import Session

from app.identity.models import LoginTicket

TTL = 300
MAX_ATTEMPTS = 5
MAX_LENGTH = 128


def ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def issue(session: Session, user_id: str, now: int) -> str:
    # Expired tickets are garbage; clearing them here keeps the table small without a job.
    session.execute(delete(LoginTicket).where(LoginTicket.expires_at < now - TTL))
    ticket = secrets.token_urlsafe(32)
    session.add(LoginTicket(ticket_hash=ticket_hash(ticket), user_id=user_id,
                            expires_at=now + TTL, attempts=0))
    return ticket


def changed_rows(session: Session, statement: Any) -> int:
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def _live(ticket: str, now: int) -> tuple[ColumnElement[bool], ...]:
    return (LoginTicket.ticket_hash == ticket_hash(ticket), LoginTicket.used_at.is_(None),
            LoginTicket.expires_at > now)


def take_attempt(session: Session, ticket: str, now: int) -> str | None:
    """Spend one attempt of a live ticket; returns its user id, or None (dead or unknown)."""
    if not ticket or len(ticket) > MAX_LENGTH:
        return None
    taken = changed_rows(session, update(LoginTicket)
                     .where(*_live(ticket, now), LoginTicket.attempts < MAX_ATTEMPTS)
                     .values(attempts=LoginTicket.attempts + 1))
    if taken != 1:
        return None
    return session.scalar(select(LoginTicket.user_id)
                          .where(LoginTicket.ticket_hash == ticket_hash(ticket)))


def redeem(session: Session, ticket: str, now: int) -> bool:
    """Mark the ticket used; True for exactly one caller."""
    return changed_rows(session, update(LoginTicket).where(*_live(ticket, now))
                    .values(used_at=now)) == 1


def owner(session: Session, ticket: str, now: int) -> str | None:
    """The user id of a live ticket (no attempt spent), or None."""
    if not ticket or len(ticket) > MAX_LENGTH:
        return None
    return session.scalar(select(LoginTicket.user_id).where(*_live(ticket, now)))


def discard_for(session: Session, user_id: str) -> None:
    session.execute(delete(LoginTicket).where(LoginTicket.user_id == user_id))
