"""Inventory through the catalog contract: all-or-nothing reserve, idempotent by id."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from flask import Flask

from app.bootstrap import Services
from app.catalog.contract import (
    CatalogService,
    InsufficientStock,
    ProductChanges,
    ProductDraft,
    ProductInactive,
    ProductNotFound,
    ReservationConflict,
    ReservationLine,
)
from app.kernel import InvalidInput, NotFound, PermissionDenied, Principal
from app.platform.clock import FrozenClock

ADMIN = Principal(user_id="admin-1", role="admin", jti="j", session_id="s", issued_at=0,
                  expires_at=0)
USER = Principal(user_id="user-1", role="user", jti="j", session_id="s", issued_at=0,
                 expires_at=0)


@pytest.fixture
def catalog(app: Flask, services: Services) -> Iterator[CatalogService]:
    assert services.catalog is not None
    with app.app_context():
        yield services.catalog


def product(catalog: CatalogService, sku: str, stock: int, price: str = "2.50") -> str:
    return catalog.create_product(ADMIN, ProductDraft(
        sku=sku, name=f"Product {sku}", category="misc", price=Decimal(price), stock=stock)).id


def stock(catalog: CatalogService, product_id: str) -> int:
    return catalog.get_product(ADMIN, product_id, include_inactive=True).stock


def test_reserve_takes_every_line_and_snapshots_price(catalog: CatalogService) -> None:
    a, b = product(catalog, "A", 5, "1.25"), product(catalog, "B", 5)
    reservation = catalog.reserve(USER, "r1", (ReservationLine(a, 2), ReservationLine(b, 1),
                                         ReservationLine(a, 1)))
    assert reservation.status == "reserved"
    by_id = {line.product_id: line for line in reservation.lines}
    assert by_id[a].quantity == 3 and by_id[a].unit_price == Decimal("1.25")
    assert by_id[a].name == "Product A"
    assert (stock(catalog, a), stock(catalog, b)) == (2, 4)


def test_one_short_line_takes_nothing_and_names_the_product(catalog: CatalogService) -> None:
    a, b = product(catalog, "A", 5), product(catalog, "B", 1)
    with pytest.raises(InsufficientStock) as caught:
        catalog.reserve(USER, "r1", (ReservationLine(a, 2), ReservationLine(b, 2)))
    assert caught.value.product_id == b and b in caught.value.detail
    assert (stock(catalog, a), stock(catalog, b)) == (5, 1)
    # The failed id was not recorded: the same id may be tried again.
    assert catalog.reserve(USER, "r1", (ReservationLine(a, 1),)).status == "reserved"


def test_reserve_is_idempotent_by_id(catalog: CatalogService) -> None:
    a = product(catalog, "A", 5)
    first = catalog.reserve(USER, "r1", (ReservationLine(a, 2),))
    for _ in range(3):
        assert catalog.reserve(USER, "r1", (ReservationLine(a, 2),)) == first
    assert stock(catalog, a) == 3
    with pytest.raises(ReservationConflict):
        catalog.reserve(USER, "r1", (ReservationLine(a, 3),))


def test_confirm_and_release_are_idempotent(catalog: CatalogService) -> None:
    a = product(catalog, "A", 5)
    catalog.reserve(USER, "r1", (ReservationLine(a, 2),))
    assert catalog.confirm(USER, "r1").status == catalog.confirm(USER, "r1").status == "confirmed"
    assert catalog.release(USER, "r1").status == "released"
    assert catalog.release(USER, "r1").status == "released"
    assert stock(catalog, a) == 5, "a second release must not return the stock twice"
    with pytest.raises(ReservationConflict):
        catalog.confirm(USER, "r1")
    with pytest.raises(ReservationConflict):
        catalog.reserve(USER, "r1", (ReservationLine(a, 2),))


def test_release_before_reserve_refuses_the_late_reserve(catalog: CatalogService) -> None:
    """A retried reserve that arrives after its compensation must not take stock."""
    a = product(catalog, "A", 5)
    assert catalog.release(USER, "late").lines == ()
    with pytest.raises(ReservationConflict):
        catalog.reserve(USER, "late", (ReservationLine(a, 1),))
    assert stock(catalog, a) == 5


def test_unknown_inactive_and_bad_lines(catalog: CatalogService) -> None:
    a = product(catalog, "A", 5)
    with pytest.raises(ProductNotFound):
        catalog.reserve(USER, "r1", (ReservationLine(a, 1), ReservationLine("nope", 1)))
    with pytest.raises(InvalidInput):
        catalog.reserve(USER, "r2", (ReservationLine(a, 0),))
    with pytest.raises(InvalidInput):
        catalog.reserve(USER, "r3", ())
    with pytest.raises(NotFound):
        catalog.confirm(USER, "never")
    catalog.deactivate_product(ADMIN, a)
    with pytest.raises(ProductInactive):
        catalog.reserve(USER, "r4", (ReservationLine(a, 1),))
    assert stock(catalog, a) == 5


def test_attack_non_admin_principal_cannot_manage(catalog: CatalogService) -> None:
    a = product(catalog, "A", 5)
    with pytest.raises(PermissionDenied):
        catalog.update_product(USER, a, ProductChanges(stock=1000))
    with pytest.raises(PermissionDenied):
        catalog.deactivate_product(USER, a)
    assert stock(catalog, a) == 5


def test_stale_unconfirmed_reservations_are_released(app: Flask, catalog: CatalogService,
                                                     clock: FrozenClock) -> None:
    """A reservation whose compensation never reached the catalog must not hold stock."""
    a = product(catalog, "A", 5)
    catalog.reserve(USER, "abandoned", (ReservationLine(a, 2),))
    catalog.reserve(USER, "kept", (ReservationLine(a, 1),))
    catalog.confirm(USER, "kept")
    clock.advance(60)
    catalog.reserve(USER, "fresh", (ReservationLine(a, 1),))
    assert catalog.release_stale(ADMIN, 900) == 0
    clock.advance(900)
    result = app.test_cli_runner().invoke(args=["inventory", "release-stale",
                                                "--older-than", "900"])
    assert result.exit_code == 0 and "released 1 reservations" in result.output
    assert stock(catalog, a) == 3, "only the abandoned reservation's 2 come back"
    with pytest.raises(InvalidInput):
        catalog.release_stale(ADMIN, 1)
