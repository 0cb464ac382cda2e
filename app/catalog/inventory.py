"""Stock reservations: all lines of an order in one transaction, never below zero.

Each line takes stock with one conditional UPDATE (``stock = stock - q WHERE id = :id AND
stock >= q``): the database checks and decrements atomically, so two buyers of the last item
cannot both succeed. PostgreSQL row-locks the updated rows (lines are updated in product-id
order so two orders never wait on each other in a cycle); SQLite transactions start with
``BEGIN IMMEDIATE`` (app/platform/db.py) and so run one writer at a time. If any line fails the
transaction rolls back and nothing is taken.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
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
from app.platform.db import unit_of_work

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


def _view(row: StockReservation, lines: list[ReservationLineRow]) -> Reservation:
    return Reservation(id=row.id, status=row.status, lines=tuple(
        ReservedLine(product_id=line.product_id, sku=line.sku, name=line.name,
                     unit_price=Decimal(line.unit_price).quantize(Decimal("0.01")),
                     quantity=line.quantity)
        for line in sorted(lines, key=lambda item: item.product_id)))


def _lines(session: Session, reservation_id: str) -> list[ReservationLineRow]:
    return list(session.scalars(select(ReservationLineRow)
                                .where(ReservationLineRow.reservation_id == reservation_id)))


class Inventory:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def reserve(self, reservation_id: str, lines: tuple[ReservationLine, ...]) -> Reservation:
        wanted = merge_lines(reservation_id, lines)
        try:
            with unit_of_work(BIND) as session:
                existing = session.get(StockReservation, reservation_id)
                if existing is not None:
                    return self._replay(session, existing, wanted)
                return self._take(session, reservation_id, wanted)
        except IntegrityError:
            # A concurrent call with the same id inserted first (PostgreSQL): answer as a
            # replay of that one; our own decrements were rolled back with the failure.
            with unit_of_work(BIND, readonly=True) as session:
                existing = session.get(StockReservation, reservation_id)
                if existing is None:
                    raise
                return self._replay(session, existing, wanted)

    @staticmethod
    def _replay(session: Session, row: StockReservation, wanted: dict[str, int]) -> Reservation:
        lines = _lines(session, row.id)
        if row.status == RELEASED:
            raise ReservationConflict("This reservation was released.")
        if {line.product_id: line.quantity for line in lines} != wanted:
            raise ReservationConflict("This reservation id was used with other lines.")
        return _view(row, lines)

    def _take(self, session: Session, reservation_id: str, wanted: dict[str, int]
              ) -> Reservation:
        now = utc(self.clock)
        row = StockReservation(id=reservation_id, status=RESERVED, created_at=now,
                               updated_at=now)
        session.add(row)
        taken = []
        for product_id in sorted(wanted):  # a fixed lock order: no deadlock between orders
            quantity = wanted[product_id]
            snapshot = session.execute(
                update(Product)
                .where(Product.id == product_id, Product.is_active.is_(True),
                       Product.stock >= quantity)
                .values(stock=Product.stock - quantity, updated_at=now)
                .returning(Product.sku, Product.name, Product.price)
                .execution_options(synchronize_session=False)).first()
            if snapshot is None:
                raise self._why_not(session, product_id)
            taken.append(ReservationLineRow(
                reservation_id=reservation_id, product_id=product_id, sku=snapshot.sku,
                name=snapshot.name, unit_price=snapshot.price, quantity=quantity))
        session.add_all(taken)
        session.flush()
        return _view(row, taken)

    @staticmethod
    def _why_not(session: Session, product_id: str) -> Exception:
        product = session.get(Product, product_id)
        if product is None:
            return ProductNotFound(f"No product {product_id}.",
                                   field_errors={"product_id": product_id})
        if not product.is_active:
            return ProductInactive(f"Product {product_id} is no longer sold.",
                                   field_errors={"product_id": product_id})
        return InsufficientStock(product_id, product.name)

    def confirm(self, reservation_id: str) -> Reservation:
        with unit_of_work(BIND) as session:
            row = session.get(StockReservation, reservation_id, with_for_update=True)
            if row is None:
                raise NotFound("No such reservation.")
            if row.status == RELEASED:
                raise ReservationConflict("This reservation was released.")
            if row.status == RESERVED:
                row.status = CONFIRMED
                row.updated_at = utc(self.clock)
            return _view(row, _lines(session, reservation_id))

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
            return _view(row, lines), bool(changed)
