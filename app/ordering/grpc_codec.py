"""Ordering contract objects <-> protobuf messages (money as decimal strings)."""

from __future__ import annotations

from decimal import Decimal

from app.kernel import Page
from app.ordering.contract import (
    CartLineView,
    CartView,
    OrderItem,
    OrderLineView,
    OrderView,
    SweepReport,
)
from protos.generated import ordering_pb2 as pb


def order_to_pb(o: OrderView) -> pb.Order:
    return pb.Order(id=o.id, user_id=o.user_id, status=o.status, total=str(o.total),
                    created_at=o.created_at, updated_at=o.updated_at, lines=[
                        pb.OrderLine(product_id=x.product_id, product_name=x.product_name,
                                     unit_price=str(x.unit_price), quantity=x.quantity,
                                     subtotal=str(x.subtotal)) for x in o.lines])


def order_from_pb(m: pb.Order) -> OrderView:
    return OrderView(id=m.id, user_id=m.user_id, status=m.status, total=Decimal(m.total),
                     created_at=m.created_at, updated_at=m.updated_at, lines=tuple(
                         OrderLineView(product_id=x.product_id, product_name=x.product_name,
                                       unit_price=Decimal(x.unit_price), quantity=x.quantity,
                                       subtotal=Decimal(x.subtotal)) for x in m.lines))


def page_to_pb(page: Page[OrderView]) -> pb.OrderPage:
    return pb.OrderPage(items=[order_to_pb(o) for o in page.items], total=page.total,
                        page=page.page, page_size=page.page_size)


def page_from_pb(m: pb.OrderPage) -> Page[OrderView]:
    return Page(items=tuple(order_from_pb(o) for o in m.items), total=m.total, page=m.page,
                page_size=m.page_size)


def items_to_pb(items: tuple[OrderItem, ...]) -> list[pb.OrderItem]:
    return [pb.OrderItem(product_id=i.product_id, quantity=i.quantity) for i in items]


def items_from_pb(items: object) -> tuple[OrderItem, ...]:
    return tuple(OrderItem(product_id=i.product_id, quantity=i.quantity)
                 for i in items)  # type: ignore[attr-defined]


_SWEEP_FIELDS = ("expired_orders", "releases_done", "releases_waiting",
                 "idempotency_keys_pruned", "stale_reservations_released")


def sweep_to_pb(report: SweepReport) -> pb.SweepReport:
    return pb.SweepReport(ran=report.ran, **{f: getattr(report, f) for f in _SWEEP_FIELDS})


def sweep_from_pb(m: pb.SweepReport) -> SweepReport:
    return SweepReport(ran=m.ran, **{f: int(getattr(m, f)) for f in _SWEEP_FIELDS})


def cart_to_pb(c: CartView) -> pb.Cart:
    return pb.Cart(total=str(c.total), item_count=c.item_count, lines=[
        pb.CartLine(product_id=x.product_id, product_name=x.product_name,
                    unit_price=str(x.unit_price), quantity=x.quantity, subtotal=str(x.subtotal),
                    stock=x.stock, available=x.available) for x in c.lines])


def cart_from_pb(m: pb.Cart) -> CartView:
    return CartView(total=Decimal(m.total), item_count=m.item_count, lines=tuple(
        CartLineView(product_id=x.product_id, product_name=x.product_name,
                     unit_price=Decimal(x.unit_price), quantity=x.quantity,
                     subtotal=Decimal(x.subtotal), stock=x.stock, available=x.available)
        for x in m.lines))
