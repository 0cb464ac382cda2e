"""Stock reservations: all lines of an order in one transaction, never below zero.

Each line takes stock with one conditional UPDATE (``stock = stock - q WHERE id = :id AND
stock >= q``): the database checks and decrements atomically, so two buyers of the last item
cannot both succeed. PostgreSQL row-locks the updated rows (lines are updated in product-id
order so two orders never wait on each other in a cycle); SQLite transactions start with
``BEGIN IMMEDIATE`` (app/platform/db.py) and so run one writer at a time. If any line fails the
transaction rolls back and nothing is taken.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Connection, CursorResult, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.catalog.contract import (
    InsufficientStock,
    ProductInactive,
    ProductNotFound,
    Reservation,
    ReservationConflict,
    ReservationLine,
    ReservedLine,
)
from app.catalog.models import Product, ReservationLineRow, StockReservation
from app.kernel import InvalidInput, NotFound
from app.platform.clock import Clock, utc
from app.platform.db import reading, unit_of_work, writing

BIND = "catalog"
RESERVED, CONFIRMED, RELEASED = "reserved", "confirmed", "released"
MAX_LINES = 100
MAX_QUANTITY = 1_000_000


def merge_lines(reservation_id: str, lines: tuple[ReservationLine, ...]) -> dict[str, int]:
    """``{product_id: quantity}`` with duplicates summed; raises InvalidInput on bad shapes."""
    if not reservation_id or len(reservation_id) > 64:
        raise InvalidInput("reservation_id: 1 to 64 characters",
                           field_errors={"reservation_id": "invalid"})
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidInput(f"lines: 1 to {MAX_LINES}", field_errors={"lines": "invalid"})
    wanted: dict[str, int] = {}
    for line in lines:
        quantity = line.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise InvalidInput("quantity: a positive integer", field_errors={"quantity": "invalid"})
        wanted[line.product_id] = wanted.get(line.product_id, 0) + quantity
        if wanted[line.product_id] > MAX_QUANTITY or len(line.product_id) > 36:
            raise InvalidInput("line out of range", field_errors={"quantity": "too large"})
    return wanted


def _view(reservation_id: str, status: str, lines: Sequence[Any]) -> Reservation:
    return Reservation(id=reservation_id, status=status, lines=tuple(
        ReservedLine(product_id=line.product_id, sku=line.sku, name=line.name,
                     unit_price=Decimal(line.unit_price).quantize(Decimal("0.01")),
                     quantity=line.quantity)
        for line in sorted(lines, key=lambda item: item.product_id)))


_RESERVATION = StockReservation.__table__
_LINES = ReservationLineRow.__table__
_LINES_OF = select(*_LINES.c).where(_LINES.c.reservation_id == bindparam("id"))
_STATUS_OF = select(_RESERVATION.c.status).where(_RESERVATION.c.id == bindparam("id"))
# Statements built once: SQLAlchemy then computes each one's cache key once, not per call.
_ADD_RESERVATION = insert(_RESERVATION)
_ADD_LINES = insert(_LINES)
# Confirms only a reservation still reserved: the one statement of a confirm that succeeds.
_CONFIRM = (update(_RESERVATION).where(_RESERVATION.c.id == bindparam("reservation_id"),
                                       _RESERVATION.c.status == RESERVED)
            .values(status=CONFIRMED, updated_at=bindparam("now")))
# Takes the stock only while the product is sold and has enough: atomic check and decrement.
_TAKE = (update(Product)
         .where(Product.id == bindparam("product_id"), Product.is_active.is_(True),
                Product.stock >= bindparam("quantity"))
         .values(stock=Product.stock - bindparam("quantity"), updated_at=bindparam("now"))
         .returning(Product.sku, Product.name, Product.price))


def _lines(db: Session | Connection, reservation_id: str) -> list[Any]:
    """The reservation's lines as rows (Core: no ORM objects to build)."""
    return list(db.execute(_LINES_OF, {"id": reservation_id}))


class Inventory:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def reserve(self, reservation_id: str, lines: tuple[ReservationLine, ...]) -> Reservation:
        wanted = merge_lines(reservation_id, lines)
        try:
            with writing(BIND) as connection:
                return self._take(connection, reservation_id, wanted)
        except IntegrityError:
            # The id is taken: a retry of this reservation, a concurrent call with the same id
            # that inserted first, or a release that came first (its tombstone). The insert of
            # the reservation row comes before any stock moves, and the failed transaction
            # rolled back whatever it did; answer as a replay of the one that exists.
            with reading(BIND) as connection:
                existing = connection.scalar(_STATUS_OF, {"id": reservation_id})
                if existing is None:
                    raise
                return self._replay(connection, reservation_id, existing, wanted)

    @staticmethod
    def _replay(connection: Connection, reservation_id: str, status: str,
                wanted: dict[str, int]) -> Reservation:
        lines = _lines(connection, reservation_id)
        if status == RELEASED:
            raise ReservationConflict("This reservation was released.")
        if {line.product_id: line.quantity for line in lines} != wanted:
            raise ReservationConflict("This reservation id was used with other lines.")
        return _view(reservation_id, status, lines)

    def _take(self, connection: Connection, reservation_id: str, wanted: dict[str, int]
              ) -> Reservation:
        now = utc(self.clock)
        connection.execute(_ADD_RESERVATION, {
            "id": reservation_id, "status": RESERVED, "created_at": now, "updated_at": now})
        taken = []
        for product_id in sorted(wanted):  # a fixed lock order: no deadlock between orders
            quantity = wanted[product_id]
            snapshot = connection.execute(_TAKE, {"product_id": product_id,
                                                  "quantity": quantity, "now": now}).first()
            if snapshot is None:
                raise self._why_not(connection, product_id)
            taken.append({"reservation_id": reservation_id, "product_id": product_id,
                          "sku": snapshot.sku, "name": snapshot.name,
                          "unit_price": snapshot.price, "quantity": quantity})
        connection.execute(_ADD_LINES, taken)
        return _view(reservation_id, RESERVED, [SimpleNamespace(**line) for line in taken])

    @staticmethod
    def _why_not(connection: Connection, product_id: str) -> Exception:
        product = connection.execute(select(Product.name, Product.is_active)
                                     .where(Product.id == product_id)).first()
        if product is None:
            return ProductNotFound(f"No product {product_id}.",
                                   field_errors={"product_id": product_id})
        if not product.is_active:
            return ProductInactive(f"Product {product_id} is no longer sold.",
                                   field_errors={"product_id": product_id})
        return InsufficientStock(product_id, product.name)

    def confirm(self, reservation_id: str) -> Reservation:
        with writing(BIND) as connection:
            confirmed = cast(CursorResult[Any], connection.execute(_CONFIRM, {
                "reservation_id": reservation_id, "now": utc(self.clock)})).rowcount
            # Not reserved (any more): confirmed before (idempotent), released, or unknown.
            status = CONFIRMED if confirmed else connection.scalar(
                _STATUS_OF, {"id": reservation_id})
            if status is None:
                raise NotFound("No such reservation.")
            if status == RELEASED:
                raise ReservationConflict("This reservation was released.")
            return _view(reservation_id, status, _lines(connection, reservation_id))

    def release_stale(self, older_than_seconds: int) -> int:
        cutoff = utc(self.clock) - timedelta(seconds=older_than_seconds)
        with unit_of_work(BIND, readonly=True) as session:
            stale = list(session.scalars(
                select(StockReservation.id).where(StockReservation.status == RESERVED,
                                                  StockReservation.created_at < cutoff)))
        # One short transaction each, conditional on the status still being "reserved": one
        # confirmed in the meantime is left alone.
        return sum(self._release(reservation_id, (RESERVED,))[1] for reservation_id in stale)

    def release(self, reservation_id: str) -> Reservation:
        try:
            return self._release(reservation_id)[0]
        except IntegrityError:
            # A tombstone raced with a reserve of the same id: the reserve won; release it.
            return self._release(reservation_id)[0]

    def _release(self, reservation_id: str, from_states: tuple[str, ...] = (RESERVED, CONFIRMED)
                 ) -> tuple[Reservation, bool]:
        now = utc(self.clock)
        with unit_of_work(BIND) as session:
            changed = cast(CursorResult[Any], session.execute(
                update(StockReservation)
                .where(StockReservation.id == reservation_id,
                       StockReservation.status.in_(from_states))
                .values(status=RELEASED, updated_at=now)
                .execution_options(synchronize_session=False))).rowcount
            lines = _lines(session, reservation_id)
            if changed:
                for line in sorted(lines, key=lambda item: item.product_id):
                    session.execute(update(Product).where(Product.id == line.product_id)
                                    .values(stock=Product.stock + line.quantity, updated_at=now)
                                    .execution_options(synchronize_session=False))
            row = session.get(StockReservation, reservation_id)
            if row is None:  # never reserved (or not yet): remember it so a late reserve fails
                row = StockReservation(id=reservation_id, status=RELEASED, created_at=now,
                                       updated_at=now)
                session.add(row)
                session.flush()
            return _view(row.id, row.status, lines), bool(changed)
