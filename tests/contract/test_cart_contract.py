"""The cart contract, in-process and over gRPC: lines, prices from the catalog now, limits,
ownership, and a checkout that makes exactly one order per idempotency key."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from app.bootstrap import Services
from app.catalog.contract import InsufficientStock, ProductChanges, ProductNotFound
from app.kernel import InvalidInput
from app.ordering.contract import OrderingService
from tests.shop_helpers import OPERATOR, add_product, principal, stock_of


@pytest.fixture
def ordering(services: Services) -> OrderingService:
    assert services.ordering is not None
    return services.ordering


@pytest.fixture
def shop(app: Flask, services: Services) -> dict[str, Any]:
    alice = services.accounts.register("alice", "alice@example.com", "correct horse battery")
    bob = services.accounts.register("bob", "bob@example.com", "correct horse battery")
    return {"alice": principal(alice.id), "bob": principal(bob.id),
            "p1": add_product(app, services, "P1", stock=10, price="2.50"),
            "p2": add_product(app, services, "P2", stock=3, price="4.00")}


def test_add_set_remove_and_totals(app: Flask, ordering: OrderingService, shop: dict) -> None:
    with app.app_context():
        ordering.add_to_cart(shop["alice"], shop["p1"], 2)
        cart = ordering.add_to_cart(shop["alice"], shop["p1"], 1)
        assert [(line.product_id, line.quantity) for line in cart.lines] == [(shop["p1"], 3)]
        cart = ordering.add_to_cart(shop["alice"], shop["p2"], 1)
        assert cart.total == Decimal("11.50") and cart.item_count == 4
        cart = ordering.set_cart_item(shop["alice"], shop["p1"], 1)
        assert cart.total == Decimal("6.50")
        cart = ordering.set_cart_item(shop["alice"], shop["p1"], 0)
        assert [line.product_id for line in cart.lines] == [shop["p2"]]
        # Another user's cart is their own.
        assert ordering.get_cart(shop["bob"]).lines == ()


def test_prices_and_stock_come_from_the_catalog_now(app: Flask, services: Services,
                                                    ordering: OrderingService,
                                                    shop: dict) -> None:
    with app.app_context():
        ordering.add_to_cart(shop["alice"], shop["p2"], 3)
        services.catalog.update_product(OPERATOR, shop["p2"],  # type: ignore[union-attr]
                                        ProductChanges(price=Decimal("5.00"), stock=2))
        line = ordering.get_cart(shop["alice"]).lines[0]
        assert line.unit_price == Decimal("5.00") and line.stock == 2
        assert line.available is False  # 3 wanted, 2 left


@pytest.mark.parametrize("quantity", [0, -1, 101])
def test_bad_quantities_are_refused(app: Flask, ordering: OrderingService, shop: dict,
                                    quantity: int) -> None:
    with app.app_context(), pytest.raises(InvalidInput):
        ordering.add_to_cart(shop["alice"], shop["p1"], quantity)


def test_unknown_product_is_refused(app: Flask, ordering: OrderingService, shop: dict) -> None:
    with app.app_context(), pytest.raises(ProductNotFound):
        ordering.add_to_cart(shop["alice"], "no-such-product", 1)


def test_checkout_twice_with_one_key_makes_one_order(app: Flask, services: Services,
                                                     ordering: OrderingService,
                                                     shop: dict) -> None:
    with app.app_context():
        ordering.add_to_cart(shop["alice"], shop["p1"], 2)
        ordering.add_to_cart(shop["alice"], shop["p2"], 1)
        first = ordering.checkout(shop["alice"], "checkout-key-0001")
        again = ordering.checkout(shop["alice"], "checkout-key-0001")
        assert again.id == first.id and first.total == Decimal("9.00")
        assert ordering.get_cart(shop["alice"]).lines == ()
        assert ordering.list_orders(shop["alice"], 1, 20).total == 1
        with pytest.raises(InvalidInput):
            ordering.checkout(shop["alice"], "checkout-key-0002")  # empty cart, new key
    assert stock_of(app, services, shop["p1"]) == 8


def test_out_of_stock_checkout_keeps_the_cart_and_the_stock(app: Flask, services: Services,
                                                            ordering: OrderingService,
                                                            shop: dict) -> None:
    with app.app_context():
        ordering.add_to_cart(shop["alice"], shop["p1"], 1)
        ordering.add_to_cart(shop["alice"], shop["p2"], 3)
        services.catalog.update_product(OPERATOR, shop["p2"],  # type: ignore[union-attr]
                                        ProductChanges(stock=1))
        with pytest.raises(InsufficientStock) as refused:
            ordering.checkout(shop["alice"], "checkout-key-0003")
        assert refused.value.product_id == shop["p2"]
        assert len(ordering.get_cart(shop["alice"]).lines) == 2
        assert ordering.list_orders(shop["alice"], 1, 20).total == 0
    assert stock_of(app, services, shop["p1"]) == 10
