"""Authorization rows of the ordering contract (see matrix.py)."""

from __future__ import annotations

import uuid

from app.kernel import PermissionDenied, Principal
from app.ordering.contract import OrderItem, OrderNotFound
from tests.contract.authz.matrix import (
    Ctx,
    Row,
    admin_only,
    new_order,
    people_only,
    system_only,
)

# Someone else's order does not exist for a user (its existence is not revealed).
OWNER_OR_ADMIN = people_only(other=OrderNotFound)


def _fresh_order(ctx: Ctx) -> None:
    ctx.scratch["order"] = new_order(ctx.local, ctx.user, ctx.product_id)


def _checkout(ctx: Ctx, p: Principal | None) -> object:
    """Checkout of a cart holding one item (filled in-process, so only checkout decides)."""
    if p is not None and not p.is_system:
        ctx.local.ordering.add_to_cart(p, ctx.product_id, 1)  # type: ignore[union-attr]
    return ctx.services.ordering.checkout(p)


ROWS: dict[str, Row] = {
    "OrderingService.place_order": Row(
        lambda ctx, p: ctx.services.ordering.place_order(p, (OrderItem(ctx.product_id, 1),)),
        people_only()),
    "OrderingService.get_order": Row(
        lambda ctx, p: ctx.services.ordering.get_order(p, ctx.order_id), OWNER_OR_ADMIN),
    "OrderingService.list_orders": Row(
        # Naming a user: only that user or an administrator.
        lambda ctx, p: ctx.services.ordering.list_orders(p, 1, 10, ctx.user.user_id),
        people_only(other=PermissionDenied)),
    "OrderingService.cancel_order": Row(
        lambda ctx, p: ctx.services.ordering.cancel_order(p, ctx.scratch["order"]),
        OWNER_OR_ADMIN, setup=_fresh_order),
    "OrderingService.change_status": Row(
        lambda ctx, p: ctx.services.ordering.change_status(p, ctx.scratch["order"],
                                                           "confirmed"),
        admin_only(), setup=_fresh_order),
    "OrderingService.get_cart": Row(
        lambda ctx, p: ctx.services.ordering.get_cart(p), people_only()),
    "OrderingService.add_to_cart": Row(
        lambda ctx, p: ctx.services.ordering.add_to_cart(p, ctx.product_id, 1), people_only()),
    "OrderingService.set_cart_item": Row(
        lambda ctx, p: ctx.services.ordering.set_cart_item(p, ctx.product_id, 0),
        people_only()),
    "OrderingService.checkout": Row(_checkout, people_only()),
    # Only the erasure of an account (identity's saga, the operator) unlinks its orders.
    "OrderingService.forget_user": Row(
        lambda ctx, p: ctx.services.ordering.forget_user(p, str(uuid.uuid4())), system_only()),
    "OrderingService.sweep": Row(lambda ctx, p: ctx.services.ordering.sweep(p), system_only()),
    "OrderingService.reencrypt_user_references": Row(
        lambda ctx, p: ctx.services.ordering.reencrypt_user_references(p),
        admin_only(system=None)),
}
