"""Durable compensation: stock the catalog must give back is recorded before it is asked for.

Whatever makes a release necessary (an order cancelled or expired, a half-placed order undone)
writes a ``PendingRelease`` row in its own transaction, then asks the catalog; the row goes
once the catalog answered. When the catalog cannot be reached the row stays, and the sweep
(``retry``) asks again until it succeeds, so stock taken and units in live orders agree again
shortly after the catalog comes back, with no operator. ``release`` is idempotent on the
catalog's side, so asking twice is harmless.
"""

from __future__ import annotations

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.catalog.contract import CatalogService
from app.kernel import ContractError, Principal
from app.ordering.models import PendingRelease
from app.platform.clock import Clock
from app.platform.db import unit_of_work

BIND = "ordering"
BATCH = 200
log = structlog.get_logger("shop.ordering")
# Who gives stock back when an order is undone, cancelled or expired: the ordering module's
# own saga work, not any user's (it outlives the request that caused it; the sweep retries it).
SAGA = Principal.system("order-saga")


def record(session: Session, reservation_id: str, reason: str, now: int) -> None:
    """Add the outbox row inside the caller's transaction (a second record is a no-op)."""
    if session.get(PendingRelease, reservation_id) is None:
        session.add(PendingRelease(reservation_id=reservation_id, reason=reason,
                                   created_at=now, attempts=0))


class Compensations:
    def __init__(self, catalog: CatalogService, clock: Clock) -> None:
        self.catalog = catalog
        self.clock = clock

    def record_alone(self, reservation_id: str, reason: str) -> bool:
        """Record in a transaction of its own; False (logged) when the database refused."""
        try:
            with unit_of_work(BIND) as session:
                record(session, reservation_id, reason, int(self.clock.time()))
            return True
        except Exception:
            log.exception("order_release_not_recorded", reservation_id=reservation_id)
            return False

    def settle(self, reservation_id: str) -> bool:
        """Ask the catalog to release; on success forget the row. True when released."""
        try:
            self.catalog.release(SAGA, reservation_id)
        except ContractError as error:
            log.warning("order_release_deferred", reservation_id=reservation_id,
                        error=error.code)
            self._count_attempt(reservation_id)
            return False
        with unit_of_work(BIND) as session:
            session.execute(delete(PendingRelease)
                            .where(PendingRelease.reservation_id == reservation_id))
        return True

    def _count_attempt(self, reservation_id: str) -> None:
        try:
            with unit_of_work(BIND) as session:
                session.execute(update(PendingRelease)
                                .where(PendingRelease.reservation_id == reservation_id)
                                .values(attempts=PendingRelease.attempts + 1))
        except Exception:
            log.exception("order_release_attempt_not_counted", reservation_id=reservation_id)

    def retry(self) -> tuple[int, int]:
        """Retry every recorded release, oldest first: ``(released, still pending)``.

        Stops at the first failure: the catalog is most likely still away, and each further
        call would only wait for its deadline (or be refused by the open breaker).
        """
        with unit_of_work(BIND, readonly=True) as session:
            waiting = list(session.scalars(select(PendingRelease.reservation_id)
                                           .order_by(PendingRelease.created_at)
                                           .limit(BATCH)))
        released = 0
        for reservation_id in waiting:
            if not self.settle(reservation_id):
                break
            released += 1
        return released, len(waiting) - released
