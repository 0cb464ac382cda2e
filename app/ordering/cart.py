"""The server-side cart: lines per user (by blind index), priced from the catalog when read.

Checkout reuses the order saga: the cart's lines become ``place_order`` items with the
caller's idempotency key; the ordered lines leave the cart only after the order exists, so a
failed checkout (for instance a product out of stock) leaves the cart untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.catalog.contract import CatalogService, ProductNotFound, ProductView
from app.kernel import InvalidInput, Principal
from app.ordering.contract import (
    MAX_LINES,
    MAX_QUANTITY,
    CartLineView,
    CartView,
    OrderItem,
    OrderView,
)
from app.ordering.idempotency import IdempotencyKeys
from app.ordering.models import CartLine
from app.platform.clock import Clock, utc
from app.platform.db import unit_of_work

BIND = "ordering"
CENT = Decimal("0.01")
GONE = "No longer available"


def _check_quantity(quantity: int, low: int) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) \
            or not low <= quantity <= MAX_QUANTITY:
        raise InvalidInput(f"Quantities are {low} to {MAX_QUANTITY}.",
                           field_errors={"quantity": f"{low} to {MAX_QUANTITY}"})


def _check_product_id(product_id: str) -> None:
    if not isinstance(product_id, str) or not 1 <= len(product_id) <= 36:
        raise InvalidInput("Unknown product id.", field_errors={"product_id": "invalid"})


class Carts:
    def __init__(self, *, catalog: CatalogService, index: Callable[[str], str],
                 keys: IdempotencyKeys, clock: Clock) -> None:
        self.catalog = catalog
        self.index = index
        self.keys = keys
        self.clock = clock

    def view(self, principal: Principal) -> CartView:
        with unit_of_work(BIND, readonly=True) as session:
            stored = [(line.product_id, line.quantity) for line in session.scalars(
                select(CartLine).where(CartLine.user_index == self.index(principal.user_id))
                .order_by(CartLine.added_at, CartLine.product_id))]
        lines = tuple(self._priced(principal, pid, qty) for pid, qty in stored)
        total = sum((line.subtotal for line in lines if line.available), Decimal("0"))
        return CartView(lines=lines, total=total.quantize(CENT),
                        item_count=sum(line.quantity for line in lines))

    def _priced(self, principal: Principal, product_id: str, quantity: int) -> CartLineView:
        try:
            product: ProductView | None = self.catalog.get_product(principal, product_id)
        except ProductNotFound:
            product = None
        if product is None:
            return CartLineView(product_id, GONE, Decimal("0.00"), quantity, Decimal("0.00"),
                                0, False)
        price = product.price.quantize(CENT)
        return CartLineView(product_id, product.name, price, quantity,
                            (price * quantity).quantize(CENT), product.stock,
                            product.is_active and product.stock >= quantity)

    def add(self, principal: Principal, product_id: str, quantity: int) -> None:
        _check_quantity(quantity, 1)
        _check_product_id(product_id)
        self.catalog.get_product(principal, product_id)  # ProductNotFound: unknown, inactive
        self._write(principal, product_id, lambda current: current + quantity)

    def set(self, principal: Principal, product_id: str, quantity: int) -> None:
        _check_quantity(quantity, 0)
        _check_product_id(product_id)
        if quantity == 0:
            with unit_of_work(BIND) as session:
                session.execute(delete(CartLine).where(
                    CartLine.user_index == self.index(principal.user_id),
                    CartLine.product_id == product_id))
            return
        self.catalog.get_product(principal, product_id)
        self._write(principal, product_id, lambda _current: quantity)

    def _write(self, principal: Principal, product_id: str,
               new_quantity: Callable[[int], int]) -> None:
        owner = self.index(principal.user_id)
        for attempt in range(2):
            try:
                with unit_of_work(BIND) as session:
                    row = session.get(CartLine, (owner, product_id), with_for_update=True)
                    quantity = new_quantity(row.quantity if row else 0)
                    if quantity > MAX_QUANTITY:
                        raise InvalidInput(f"At most {MAX_QUANTITY} of one product.",
                                           field_errors={"quantity": f"1 to {MAX_QUANTITY}"})
                    if row is None:
                        self._check_room(session, owner)
                        session.add(CartLine(user_index=owner, product_id=product_id,
                                             quantity=quantity, added_at=utc(self.clock)))
                    else:
                        row.quantity = quantity
                return
            except IntegrityError:  # a concurrent request added the same product first
                if attempt:
                    raise

    @staticmethod
    def _check_room(session: object, owner: str) -> None:
        from sqlalchemy import func

        count = session.scalar(  # type: ignore[attr-defined]
            select(func.count()).select_from(CartLine).where(CartLine.user_index == owner))
        if (count or 0) >= MAX_LINES:
            raise InvalidInput(f"A cart holds at most {MAX_LINES} products.",
                               field_errors={"product_id": "cart full"})

    def checkout(self, principal: Principal, idempotency_key: str | None,
                 place: Callable[[Principal, tuple[OrderItem, ...], str | None], OrderView],
                 load: Callable[[str], OrderView]) -> OrderView:
        owner = self.index(principal.user_id)
        with unit_of_work(BIND, readonly=True) as session:
            items = tuple(OrderItem(line.product_id, line.quantity) for line in session.scalars(
                select(CartLine).where(CartLine.user_index == owner)
                .order_by(CartLine.product_id)))
        if not items:
            done = self.keys.order_for(owner, idempotency_key) if idempotency_key else None
            if done is not None:
                return load(done)  # a resubmitted checkout: its order, not a second one
            raise InvalidInput("Your cart is empty.", field_errors={"cart": "empty"})
        order = place(principal, items, idempotency_key)
        with unit_of_work(BIND) as session:
            for item in items:
                session.execute(delete(CartLine).where(
                    CartLine.user_index == owner, CartLine.product_id == item.product_id,
                    CartLine.quantity <= item.quantity))
        return order
