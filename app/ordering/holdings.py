"""The per-user cap on units held in pending orders (``ORDER_MAX_PENDING_UNITS``).

The shop takes no payment, so a pending order holds stock until an administrator confirms it
or it expires; without a cap one account could reserve the whole store. The cap is checked
twice: before stock is reserved (a refused order costs the catalog nothing), and again in the
transaction that stores the order, serialized per user, so concurrent orders of one user
cannot both slip under it.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.ordering.contract import PendingUnitsExceeded
from app.ordering.models import Order, OrderLine
from app.platform.db import unit_of_work
from app.platform.locks import serialize_in

BIND = "ordering"


def held_units(session: Session, user_index: str) -> int:
    query = (select(func.coalesce(func.sum(OrderLine.quantity), 0))
             .join(Order, Order.id == OrderLine.order_id)
             .where(Order.user_index == user_index, Order.status == "pending"))
    return int(session.scalar(query) or 0)


class PendingCap:
    def __init__(self, limit: int) -> None:
        self.limit = limit

    def precheck(self, user_index: str, requested: int) -> None:
        """Refuse early, outside any write transaction. Raises PendingUnitsExceeded."""
        with unit_of_work(BIND, readonly=True) as session:
            self._check(held_units(session, user_index), requested)

    def enforce(self, session: Session, user_index: str, requested: int) -> None:
        """In the storing transaction, before the new order's rows are added."""
        serialize_in(session, f"ordering-pending:{user_index}")
        self._check(held_units(session, user_index), requested)

    def _check(self, held: int, requested: int) -> None:
        if held + requested > self.limit:
            raise PendingUnitsExceeded(held=held, requested=requested, limit=self.limit)
