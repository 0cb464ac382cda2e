"""The per-user cap on units held in pending orders (``ORDER_MAX_PENDING_UNITS``).

The shop takes no payment, so a pending order holds stock until an administrator confirms it
or it expires; without a cap one account could reserve the whole store. The cap is checked
twice: before stock is reserved (a refused order costs the catalog nothing), and again in the
transaction that stores the order, serialized per user, so concurrent orders of one user
cannot both slip under it.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session

from app.ordering.contract import PendingUnitsExceeded
from app.ordering.models import Order, OrderLine
from app.platform.db import reading
from app.platform.locks import serialize_in

BIND = "ordering"


# Built once (SQLAlchemy computes its cache key once); ix_ordering_orders_user_status finds
# the user's pending orders.
HELD = (select(func.coalesce(func.sum(OrderLine.quantity), 0))
         .join(Order, Order.id == OrderLine.order_id)
         .where(Order.user_index == bindparam("user_index"), Order.status == "pending"))


def held_units(transaction: Session | Connection, user_index: str) -> int:
    return int(transaction.scalar(HELD, {"user_index": user_index}) or 0)


class PendingCap:
    def __init__(self, limit: int) -> None:
        self.limit = limit

    def precheck(self, user_index: str, requested: int) -> None:
        """Refuse early, outside any write transaction. Raises PendingUnitsExceeded."""
        with reading(BIND) as connection:
            self._check(held_units(connection, user_index), requested)

    def enforce(self, transaction: Session | Connection, user_index: str,
                requested: int) -> None:
        """In the storing transaction, before the new order's rows are added."""
        serialize_in(transaction, f"ordering-pending:{user_index}")
        self._check(held_units(transaction, user_index), requested)

    def _check(self, held: int, requested: int) -> None:
        if held + requested > self.limit:
            raise PendingUnitsExceeded(held=held, requested=requested, limit=self.limit)
