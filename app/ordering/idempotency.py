"""``Idempotency-Key`` handling: one order per (user, key), also for concurrent retries.

The first request claims the key in its own short transaction; the order insert later marks
the claim with the order id in the same transaction as the order, so a key never points at an
order that does not exist. A retry with the same key and request gets that order; a retry
while the first is still running waits for it (up to ``wait`` seconds); a retry with another
request is refused. A claim left by a crashed request is taken over after ``stale`` seconds;
a claim whose request failed is dropped so the client may retry.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from enum import Enum
from typing import TypeVar

import structlog
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from app.kernel import InvalidInput
from app.ordering.contract import IdempotencyInProgress, IdempotencyKeyReused
from app.ordering.models import IdempotencyRecord
from app.platform.clock import Clock
from app.platform.db import unit_of_work

BIND = "ordering"
T = TypeVar("T")
log = structlog.get_logger("shop.ordering")


class Claim(Enum):
    CLAIMED = "claimed"
    DONE = "done"
    BUSY = "busy"


def key_hash(key: str) -> str:
    if not 1 <= len(key) <= 255 or not key.isprintable() or not key.isascii():
        raise InvalidInput("Idempotency-Key: 1 to 255 printable ASCII characters.",
                           field_errors={"Idempotency-Key": "invalid"})
    return hashlib.sha256(key.encode()).hexdigest()


class IdempotencyKeys:
    def __init__(self, clock: Clock, *, wait: float = 10.0, stale: int = 60) -> None:
        self.clock = clock
        self.wait = wait
        self.stale = stale

    def run(self, owner: str, key: str, fingerprint: str,
            create: Callable[[tuple[str, str]], T], load: Callable[[str], T]) -> T:
        """``create((owner, key_hash))`` once per key; later calls ``load(order_id)``."""
        hashed = key_hash(key)
        deadline = time.monotonic() + self.wait
        while True:
            state, order_id = self._claim(owner, hashed, fingerprint)
            if state is Claim.DONE and order_id is not None:
                return load(order_id)
            if state is Claim.CLAIMED:
                try:
                    return create((owner, hashed))
                except BaseException:
                    self._forget(owner, hashed)
                    raise
            if time.monotonic() > deadline:
                raise IdempotencyInProgress("A request with this Idempotency-Key is running.")
            time.sleep(0.02)

    def _claim(self, owner: str, hashed: str, fingerprint: str) -> tuple[Claim, str | None]:
        now = int(self.clock.time())
        try:
            with unit_of_work(BIND) as session:
                row = session.get(IdempotencyRecord, (owner, hashed), with_for_update=True)
                if row is None:
                    session.add(IdempotencyRecord(user_index=owner, key_hash=hashed,
                                                  request_hash=fingerprint, claimed_at=now))
                    session.flush()
                    return Claim.CLAIMED, None
                if row.request_hash != fingerprint:
                    raise IdempotencyKeyReused(
                        "This Idempotency-Key was used with a different request.")
                if row.order_id is not None:
                    return Claim.DONE, row.order_id
                if now - row.claimed_at > self.stale:  # its request died without an answer
                    row.claimed_at = now
                    return Claim.CLAIMED, None
                return Claim.BUSY, None
        except IntegrityError:  # a concurrent first request inserted the claim (PostgreSQL)
            return Claim.BUSY, None

    @staticmethod
    def order_for(owner: str, key: str) -> str | None:
        """The order a finished request with this key made, or None."""
        with unit_of_work(BIND, readonly=True) as session:
            row = session.get(IdempotencyRecord, (owner, key_hash(key)))
            return row.order_id if row is not None else None

    @staticmethod
    def _forget(owner: str, hashed: str) -> None:
        """Drop an unfinished claim; if that fails too, it goes stale and is taken over."""
        try:
            with unit_of_work(BIND) as session:
                session.execute(delete(IdempotencyRecord).where(
                    IdempotencyRecord.user_index == owner, IdempotencyRecord.key_hash == hashed,
                    IdempotencyRecord.order_id.is_(None)))
        except Exception:
            log.exception("idempotency_claim_not_dropped")
