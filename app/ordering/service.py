"""``DatabaseOrderingService``: the ordering contract over the ordering tables.

Placing an order is a small saga across modules, through their contracts only: identity says
the user is active, the catalog reserves every line in one call (the reservation id is the
order id), the order is stored, the reservation is confirmed. Any failure after the
reservation deletes what was stored and releases the reservation (compensation).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

import structlog
from sqlalchemy import CursorResult, delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.catalog.contract import CatalogService, Reservation, ReservationLine
from app.identity.contract import AccountService
from app.kernel import InternalError, InvalidInput, Page, PermissionDenied, Principal, Unavailable
from app.ordering import compensations
from app.ordering.cart import Carts
from app.ordering.compensations import SAGA, Compensations
from app.ordering.contract import (
    MAX_LINES,
    MAX_QUANTITY,
    STATUSES,
    TRANSITIONS,
    CartView,
    InvalidTransition,
    OrderFilter,
    OrderItem,
    OrderLineView,
    OrderNotFound,
    OrderView,
    SweepReport,
)
from app.ordering.holdings import PendingCap
from app.ordering.idempotency import IdempotencyKeys
from app.ordering.models import CartLine, IdempotencyRecord, Order, OrderLine
from app.ordering.references import UserReferences
from app.ordering.sweep import OrderSweep, SweepSettings
from app.platform.audit import AuditTrail, SecurityEvent, Subject
from app.platform.authz import require_admin, require_admin_or_system, require_system, require_user
from app.platform.clock import Clock, utc
from app.platform.db import unit_of_work, writing

log = structlog.get_logger("shop.ordering")
BIND = "ordering"
CENT = Decimal("0.01")
CANCELLABLE = ("pending", "confirmed")
# Built once, so SQLAlchemy computes their cache keys once.
ADD_ORDER = insert(Order.__table__)
ADD_LINES = insert(OrderLine.__table__)


def iso(when: datetime) -> str:
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()


def merge_items(items: Sequence[OrderItem]) -> dict[str, int]:
    """``{product_id: quantity}``, duplicates merged; raises InvalidInput naming the field."""
    if not 1 <= len(items) <= MAX_LINES:
        raise InvalidInput(f"An order has 1 to {MAX_LINES} lines.",
                           field_errors={"items": f"1 to {MAX_LINES} lines"})
    merged: dict[str, int] = {}
    for item in items:
        quantity = item.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) \
                or not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidInput(f"Quantities are 1 to {MAX_QUANTITY}.",
                               field_errors={"quantity": f"1 to {MAX_QUANTITY}"})
        if not isinstance(item.product_id, str) or not 1 <= len(item.product_id) <= 36:
            raise InvalidInput("Unknown product id.", field_errors={"product_id": "invalid"})
        merged[item.product_id] = merged.get(item.product_id, 0) + quantity
        if merged[item.product_id] > MAX_QUANTITY:
            raise InvalidInput(f"At most {MAX_QUANTITY} of one product per order.",
                               field_errors={"quantity": f"1 to {MAX_QUANTITY} per product"})
    return merged


def fingerprint(merged: dict[str, int]) -> str:
    return hashlib.sha256(json.dumps(sorted(merged.items())).encode()).hexdigest()


class DatabaseOrderingService:
    def __init__(self, *, identity: AccountService, catalog: CatalogService,
                 references: UserReferences, audit: AuditTrail, clock: Clock,
                 cap: PendingCap | None = None, sweep: SweepSettings | None = None) -> None:
        self.identity = identity
        self.catalog = catalog
        self.refs = references
        self.audit = audit
        self.clock = clock
        self.keys = IdempotencyKeys(clock)
        self.cap = cap or PendingCap(200)
        self.compensations = Compensations(catalog, clock)
        self.sweeper = OrderSweep(catalog=catalog, compensations=self.compensations,
                                  audit=audit, clock=clock, settings=sweep or SweepSettings())
        self.carts = Carts(catalog=catalog, index=references.index, keys=self.keys, clock=clock)

    # -- placing ------------------------------------------------------------------------

    def place_order(self, principal: Principal | None, items: tuple[OrderItem, ...],
                    idempotency_key: str | None = None) -> OrderView:
        principal = require_user(principal)
        merged = merge_items(items)
        user_index = self.refs.index(principal.user_id)
        if idempotency_key is None:
            return self._place(principal, user_index, merged, None)
        return self.keys.run(
            user_index, idempotency_key, fingerprint(merged),
            create=lambda claim: self._place(principal, user_index, merged, claim),
            load=lambda order_id: self._view(self._load(order_id)))

    def _place(self, principal: Principal, user_index: str, merged: dict[str, int],
               claim: tuple[str, str] | None) -> OrderView:
        """The saga (docs/ordering.md says why each step is its own transaction): reserve and
        confirm stock for the user (their token travels to the catalog); undoing a half-placed
        order is the ordering module's own work (``SAGA``)."""
        user_id = principal.user_id
        self.identity.ensure_active(principal)  # the caller's own account
        self.cap.precheck(user_index, sum(merged.values()))
        order_id = str(uuid.uuid4())
        lines = tuple(ReservationLine(pid, qty) for pid, qty in sorted(merged.items()))
        try:
            reservation = self.catalog.reserve(principal, order_id, lines)
        except (Unavailable, InternalError):
            # The outcome is unknown: the catalog may have reserved and the reply been lost.
            # Release is idempotent, and it also refuses a late delivery of this reserve.
            self._release_durably(order_id, "reserve_unanswered")
            raise
        try:
            order = self._store(user_id, user_index, order_id, reservation, claim)
            self.catalog.confirm(principal, order_id)
        except BaseException:
            self._compensate(order_id)
            raise
        return self._view(order, user_id=user_id)  # sealed a moment ago: no need to open it

    def _store(self, user_id: str, user_index: str, order_id: str, reservation: Reservation,
               claim: tuple[str, str] | None) -> tuple[Any, list[Any]]:
        """The order and its lines in one transaction (the pending-units cap checked in it):
        Core statements on a connection, no ORM session."""
        now = utc(self.clock)
        lines: list[dict[str, Any]] = [{"order_id": order_id, "product_id": line.product_id,
                                        "product_name": line.name,
                                        "unit_price": line.unit_price,
                                        "quantity": line.quantity,
                                        "subtotal": line.unit_price * line.quantity}
                                       for line in reservation.lines]
        order = {"id": order_id, "user_ref": self.refs.seal(user_id, order_id),
                 "user_index": user_index, "status": "pending",
                 "total": sum((line["subtotal"] for line in lines), Decimal("0")),
                 "created_at": now, "updated_at": now}
        with writing(BIND) as connection:
            self.cap.enforce(connection, user_index, sum(line["quantity"] for line in lines))
            connection.execute(ADD_ORDER, order)  # first: the lines reference it
            connection.execute(ADD_LINES, lines)
            if claim is not None:
                connection.execute(update(IdempotencyRecord).where(
                    IdempotencyRecord.user_index == claim[0],
                    IdempotencyRecord.key_hash == claim[1]).values(order_id=order_id))
        return SimpleNamespace(**order), [SimpleNamespace(**line) for line in lines]

    def _compensate(self, order_id: str) -> None:
        """Undo a half-placed order; errors here are logged, the original error is raised.

        The release is recorded in the transaction that deletes the order, so it survives a
        catalog that cannot be reached now (the sweep retries it)."""
        try:
            with unit_of_work(BIND) as session:
                session.execute(delete(OrderLine).where(OrderLine.order_id == order_id))
                session.execute(delete(Order).where(Order.id == order_id))
                # A key marked with this order must not answer retries with a missing order.
                session.execute(delete(IdempotencyRecord)
                                .where(IdempotencyRecord.order_id == order_id))
                compensations.record(session, order_id, "compensation", int(self.clock.time()))
        except Exception:
            log.exception("order_compensation_delete_failed", order_id=order_id)
            self._release_durably(order_id, "compensation")
            return
        self._settle(order_id)

    def _release_durably(self, order_id: str, reason: str) -> None:
        """Record the release, then ask for it; if even the record fails, ask anyway (the
        sweep's stale-reservation pass is then the last resort)."""
        if self.compensations.record_alone(order_id, reason):
            self._settle(order_id)
            return
        try:
            self.catalog.release(SAGA, order_id)
        except Exception:
            log.exception("order_compensation_release_failed", order_id=order_id)

    def _settle(self, order_id: str) -> None:
        try:
            self.compensations.settle(order_id)
        except Exception:  # the recorded row stays and the sweep asks again
            log.exception("order_release_not_settled", order_id=order_id)

    # -- reading ------------------------------------------------------------------------

    def get_order(self, principal: Principal | None, order_id: str) -> OrderView:
        principal = require_user(principal)
        order, lines = self._load(order_id)
        if not principal.is_admin and order.user_index != self.refs.index(principal.user_id):
            self._deny(principal, order_id, "order_read")
            raise OrderNotFound("No such order.")
        return self._view((order, lines))

    def _load(self, order_id: str) -> tuple[Order, list[OrderLine]]:
        with unit_of_work(BIND, readonly=True) as session:
            order = session.get(Order, order_id) if len(order_id) <= 36 else None
            if order is None:
                raise OrderNotFound("No such order.")
            return order, self._lines(session, [order_id]).get(order_id, [])

    @staticmethod
    def _lines(session: Session, order_ids: list[str]) -> dict[str, list[OrderLine]]:
        found: dict[str, list[OrderLine]] = {}
        if order_ids:
            query = select(OrderLine).where(OrderLine.order_id.in_(order_ids))
            for line in session.scalars(query.order_by(OrderLine.product_id)):
                found.setdefault(line.order_id, []).append(line)
        return found

    def list_orders(self, principal: Principal | None, page: int, page_size: int,
                    user_id: str | None = None, filters: OrderFilter | None = None
                    ) -> Page[OrderView]:
        """A user lists their own orders (``user_id`` may only name themselves); an
        administrator any user's, or everyone's."""
        principal = require_user(principal)
        if not (1 <= page <= 100_000 and 1 <= page_size <= 100):
            raise InvalidInput("page or page_size out of range",
                               field_errors={"page_size": "1 to 100"})
        if user_id is not None and user_id != principal.user_id and not principal.is_admin:
            self._deny(principal, user_id, "order_list")
            raise PermissionDenied("You may only see your own orders.")
        if not principal.is_admin:
            user_id = principal.user_id
        conditions = _order_conditions(filters or OrderFilter())
        if user_id is not None:
            conditions.append(Order.user_index == self.refs.index(user_id))
        with unit_of_work(BIND, readonly=True) as session:
            total = session.scalar(select(func.count()).select_from(Order).where(*conditions))
            orders = list(session.scalars(
                select(Order).where(*conditions)
                .order_by(Order.created_at.desc(), Order.id.desc())
                .offset((page - 1) * page_size).limit(page_size)))
            lines = self._lines(session, [order.id for order in orders])
        items = tuple(self._view((order, lines.get(order.id, []))) for order in orders)
        return Page(items=items, total=total or 0, page=page, page_size=page_size)

    def _view(self, stored: tuple[Any, Sequence[Any]], user_id: str | None = None
              ) -> OrderView:
        """The view of an order and its lines (ORM objects or anything with their fields);
        the owner is decrypted from the row unless the caller knows it (it just sealed it)."""
        order, lines = stored
        if user_id is None:
            user_id = self.refs.open(order.user_ref, order.id, order.user_index)
        return OrderView(
            id=order.id, user_id=user_id,
            status=order.status, total=Decimal(order.total).quantize(CENT),
            created_at=iso(order.created_at), updated_at=iso(order.updated_at),
            lines=tuple(OrderLineView(
                product_id=line.product_id, product_name=line.product_name,
                unit_price=Decimal(line.unit_price).quantize(CENT), quantity=line.quantity,
                subtotal=Decimal(line.subtotal).quantize(CENT)) for line in lines))

    def _decide(self, check: Callable[[Principal | None], Principal],
                 principal: Principal | None, target: str, action: str) -> Principal:
        """``check(principal)``; a refusal of an authenticated caller is audited."""
        try:
            return check(principal)
        except PermissionDenied:
            self._deny(cast(Principal, principal), target, action)
            raise

    def _deny(self, principal: Principal, target: str, action: str) -> None:
        self.audit.record(SecurityEvent.AUTHZ_FAIL, outcome="failure",
                          actor=Subject(principal.user_id), target=target, action=action)

    # -- lifecycle ----------------------------------------------------------------------

    def cancel_order(self, principal: Principal | None, order_id: str) -> OrderView:
        principal = require_user(principal)
        current = self.get_order(principal, order_id)  # owner or admin, else OrderNotFound
        if current.status != "cancelled":
            self._move(order_id, CANCELLABLE, "cancelled")
            self.audit.record(SecurityEvent.ADMIN_ACTION if principal.is_admin
                              else SecurityEvent.ORDER_CANCELLED, actor=Subject(principal.user_id),
                              target=order_id, action="order_cancel", previous=current.status)
        # Also on a repeated cancel: release is idempotent and heals a release that failed.
        self._settle(order_id)
        return self._view(self._load(order_id))

    def change_status(self, admin: Principal | None, order_id: str, status: str) -> OrderView:
        admin = self._decide(require_admin, admin, order_id, "order_status")
        if status not in STATUSES:
            raise InvalidInput(f"status: one of {', '.join(STATUSES)}",
                               field_errors={"status": "unknown status"})
        current = self._load(order_id)[0].status
        if current != status:
            allowed = tuple(s for s, targets in TRANSITIONS.items() if status in targets)
            if current not in allowed:
                raise InvalidTransition(f"An order cannot go from {current} to {status}.")
            self._move(order_id, (current,), status)
            self.audit.record(SecurityEvent.ADMIN_ACTION, actor=Subject(admin.user_id),
                              target=order_id,
                              action="order_status", previous=current, status=status)
        if status == "cancelled":
            self._settle(order_id)
        return self._view(self._load(order_id))

    def _move(self, order_id: str, allowed_from: tuple[str, ...], status: str) -> None:
        """Conditional update: two admins racing cannot both move the same order."""
        with unit_of_work(BIND) as session:
            result = cast(CursorResult[Any], session.execute(
                update(Order).where(Order.id == order_id, Order.status.in_(allowed_from))
                .values(status=status, updated_at=utc(self.clock))
                .execution_options(synchronize_session=False)))
            if result.rowcount != 1:
                raise InvalidTransition(f"This order cannot be changed to {status} now.")
            if status == "cancelled":  # its stock must return, even if the catalog is away
                compensations.record(session, order_id, "cancelled", int(self.clock.time()))

    # -- cart (app/ordering/cart.py) ------------------------------------------------------

    def get_cart(self, principal: Principal | None) -> CartView:
        return self.carts.view(require_user(principal))

    def add_to_cart(self, principal: Principal | None, product_id: str,
                    quantity: int) -> CartView:
        principal = require_user(principal)
        self.carts.add(principal, product_id, quantity)
        return self.carts.view(principal)

    def set_cart_item(self, principal: Principal | None, product_id: str,
                      quantity: int) -> CartView:
        principal = require_user(principal)
        self.carts.set(principal, product_id, quantity)
        return self.carts.view(principal)

    def checkout(self, principal: Principal | None,
                 idempotency_key: str | None = None) -> OrderView:
        principal = require_user(principal)
        return self.carts.checkout(principal, idempotency_key, self.place_order,
                                   lambda order_id: self._view(self._load(order_id)))

    # -- operations ---------------------------------------------------------------------

    def sweep(self, principal: Principal | None) -> SweepReport:
        self._decide(require_system, principal, "ordering", "order_sweep")
        return self.sweeper.run()

    def forget_user(self, principal: Principal | None, user_id: str) -> int:
        """Only the erasure of an account (a system principal) unlinks its orders."""
        principal = self._decide(require_system, principal, "orders", "forget_user")
        index = self.refs.index(user_id)
        with unit_of_work(BIND) as session:
            orders = list(session.scalars(select(Order).where(Order.user_index == index)
                                          .with_for_update()))
            for stored in orders:
                pseudonym = f"erased:{stored.id}"
                stored.user_ref = self.refs.seal(pseudonym, stored.id)
                stored.user_index = self.refs.index(pseudonym)
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_index == index))
            session.execute(delete(CartLine).where(CartLine.user_index == index))
        self.audit.record(SecurityEvent.USER_DELETED, actor=principal.user_id,
                          target=Subject(user_id),
                          module="ordering", orders_unlinked=len(orders))
        return len(orders)

    def reencrypt_user_references(self, principal: Principal | None) -> int:
        require_admin_or_system(principal)
        ring = self.refs.reload()
        prefix = f"v1.{ring.primary_kid}."
        changed, last = 0, ""
        while True:
            with unit_of_work(BIND) as session:
                batch = list(session.scalars(
                    select(Order).where(Order.id > last, ~Order.user_ref.startswith(prefix))
                    .order_by(Order.id).limit(500).with_for_update()))
                failed = self._reencrypt_batch(batch)
            for order_id in failed:  # audited after the batch committed
                self.audit.record(SecurityEvent.DECRYPT_FAIL, outcome="failure",
                                  target=order_id, purpose="order_user")
            if not batch:
                return changed
            changed += len(batch) - len(failed)
            last = batch[-1].id

    def _reencrypt_batch(self, batch: list[Order]) -> list[str]:
        failed = []
        for order in batch:
            try:
                user_id = self.refs.ring.decrypt(order.user_ref, context=order.id)
            except Exception:
                failed.append(order.id)
                continue
            order.user_ref = self.refs.seal(user_id, order.id)
        return failed


def _day(value: str, name: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{name} is not a day.", field_errors={
            name: "Use a date like 2026-12-31."}) from None


def _order_conditions(filters: OrderFilter) -> list[Any]:
    """SQL conditions of an order filter; InvalidInput names the field that is wrong."""
    conditions: list[Any] = []
    if filters.status is not None:
        if filters.status not in STATUSES:
            raise InvalidInput("Unknown status.", field_errors={
                "status": "One of " + ", ".join(STATUSES)})
        conditions.append(Order.status == filters.status)
    start = _day(filters.created_from, "created_from") if filters.created_from else None
    end = _day(filters.created_to, "created_to") + timedelta(days=1) if filters.created_to \
        else None
    if start is not None and end is not None and end <= start:
        raise InvalidInput("The last day is before the first.", field_errors={
            "created_to": "Choose a day on or after the first day."})
    if start is not None:
        conditions.append(Order.created_at >= start)
    if end is not None:
        conditions.append(Order.created_at < end)
    return conditions
