"""Authorization rows of the catalog contract (see matrix.py)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from app.catalog.contract import (
    ProductChanges,
    ProductDraft,
    ProductNotFound,
    ProductQuery,
    ReservationLine,
)
from app.ordering.compensations import SAGA
from tests.contract.authz.matrix import Ctx, Row, admin_only, expect, new_product, public


def _reserve_fresh(ctx: Ctx) -> None:
    """A reservation of one unit, made by the ordering saga, for the row to confirm/release."""
    ctx.scratch["reservation"] = reservation = uuid.uuid4().hex
    ctx.local.catalog.reserve(SAGA, reservation,  # type: ignore[union-attr]
                              (ReservationLine(ctx.product_id, 1),))


def _fresh_product(ctx: Ctx) -> None:
    ctx.scratch["product"] = new_product(ctx.local)


def _new_sku() -> str:
    return f"N-{uuid.uuid4().hex[:10]}"


ROWS: dict[str, Row] = {
    "CatalogService.list_products": Row(
        lambda ctx, p: ctx.services.catalog.list_products(p, ProductQuery(),
                                                          include_inactive=True),
        public()),
    "CatalogService.get_product": Row(
        # Inactive products are shown to administrators only; to anyone else they do not exist.
        lambda ctx, p: ctx.services.catalog.get_product(p, ctx.inactive_product_id,
                                                        include_inactive=True),
        {**public(ProductNotFound), "admin": None}),
    "CatalogService.list_categories": Row(
        lambda ctx, p: ctx.services.catalog.list_categories(), public()),
    "CatalogService.create_product": Row(
        lambda ctx, p: ctx.services.catalog.create_product(p, ProductDraft(
            sku=_new_sku(), name="New", category="misc", price=Decimal("1.00"), stock=1)),
        admin_only()),
    "CatalogService.update_product": Row(
        lambda ctx, p: ctx.services.catalog.update_product(
            p, ctx.product_id, ProductChanges(name="Renamed")),
        admin_only()),
    "CatalogService.deactivate_product": Row(
        lambda ctx, p: ctx.services.catalog.deactivate_product(p, ctx.scratch["product"]),
        admin_only(), setup=_fresh_product),
    # Saga steps: the ordering module, for the user whose order it is or as the system.
    "CatalogService.reserve": Row(
        lambda ctx, p: ctx.services.catalog.reserve(p, uuid.uuid4().hex,
                                                    (ReservationLine(ctx.product_id, 1),)),
        expect()),
    "CatalogService.confirm": Row(
        lambda ctx, p: ctx.services.catalog.confirm(p, ctx.scratch["reservation"]),
        expect(), setup=_reserve_fresh),
    "CatalogService.release": Row(
        lambda ctx, p: ctx.services.catalog.release(p, ctx.scratch["reservation"]),
        expect(), setup=_reserve_fresh),
    "CatalogService.release_stale": Row(
        lambda ctx, p: ctx.services.catalog.release_stale(p, 900),
        admin_only(system=None)),
}
