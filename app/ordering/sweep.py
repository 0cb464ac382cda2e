"""The ordering sweep: runs inside the shop (a background thread of every process that hosts
the ordering module), one runner at a time across workers and containers.

Each run: pending orders older than the TTL expire as cancelled (their stock returns, each
expiry audited as ``order_expired``); recorded releases the catalog could not take are retried;
idempotency records older than a day are pruned; reservations the catalog still holds
unconfirmed after 15 minutes (an order that never completed) are released. Every step is a
conditional update, so a second, overlapping run could not cancel or release anything twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import structlog
from sqlalchemy import CursorResult, delete, select, update

from app.catalog.contract import CatalogService
from app.kernel import ContractError
from app.ordering import compensations
from app.ordering.compensations import SAGA, Compensations
from app.ordering.contract import SweepReport
from app.ordering.models import IdempotencyRecord, Order
from app.platform.audit import AuditTrail, SecurityEvent
from app.platform.clock import Clock, utc
from app.platform.db import unit_of_work
from app.platform.locks import exclusive

BIND = "ordering"
LOCK = "ordering-sweep"
ACTOR = "system:order-sweep"
BATCH = 500
log = structlog.get_logger("shop.ordering")


@dataclass(frozen=True)
class SweepSettings:
    pending_ttl: int = 86_400
    idempotency_ttl: int = 86_400
    stale_reservation_seconds: int = 900


class OrderSweep:
    def __init__(self, *, catalog: CatalogService, compensations: Compensations,
                 audit: AuditTrail, clock: Clock, settings: SweepSettings) -> None:
        self.catalog = catalog
        self.compensations = compensations
        self.audit = audit
        self.clock = clock
        self.settings = settings

    def run(self) -> SweepReport:
        with exclusive(LOCK, self.clock) as held:
            if not held:
                return SweepReport(ran=False)
            expired = self._expire()
            done, waiting = self.compensations.retry()
            report = SweepReport(ran=True, expired_orders=expired, releases_done=done,
                                 releases_waiting=waiting,
                                 idempotency_keys_pruned=self._prune_keys(),
                                 stale_reservations_released=self._release_stale())
        if expired or done or report.stale_reservations_released:
            self.audit.record(SecurityEvent.SWEEP_DONE, actor=ACTOR, target="ordering",
                              expired=expired, released=done, waiting=waiting,
                              stale=report.stale_reservations_released)
        return report

    def _expire(self) -> int:
        cutoff = utc(self.clock) - timedelta(seconds=self.settings.pending_ttl)
        with unit_of_work(BIND, readonly=True) as session:
            candidates = list(session.scalars(
                select(Order.id).where(Order.status == "pending", Order.created_at < cutoff)
                .order_by(Order.created_at).limit(BATCH)))
        expired = [order_id for order_id in candidates if self._expire_one(order_id, cutoff)]
        for order_id in expired:
            self.audit.record(SecurityEvent.ORDER_EXPIRED, actor=ACTOR, target=order_id,
                              ttl_seconds=self.settings.pending_ttl)
        return len(expired)

    def _expire_one(self, order_id: str, cutoff: Any) -> bool:
        """Cancel one order if it is still pending (an admin may have confirmed it since),
        and record its release in the same transaction."""
        now = utc(self.clock)
        with unit_of_work(BIND) as session:
            changed = cast(CursorResult[Any], session.execute(
                update(Order).where(Order.id == order_id, Order.status == "pending",
                                    Order.created_at < cutoff)
                .values(status="cancelled", updated_at=now)
                .execution_options(synchronize_session=False))).rowcount
            if changed:
                compensations.record(session, order_id, "expired", int(now.timestamp()))
        return bool(changed)

    def _prune_keys(self) -> int:
        cutoff = int(self.clock.time()) - self.settings.idempotency_ttl
        with unit_of_work(BIND) as session:
            return cast(CursorResult[Any], session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.claimed_at < cutoff))).rowcount

    def _release_stale(self) -> int:
        try:
            return self.catalog.release_stale(SAGA, self.settings.stale_reservation_seconds)
        except ContractError as error:
            log.warning("stale_reservations_not_released", error=error.code)
            return 0
