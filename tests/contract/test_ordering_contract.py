"""The ordering contract called directly (as a gRPC servicer would): who may do what, and
which contract errors come back."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.bootstrap import Services
from app.identity.contract import InactiveUser, UserChanges, UserNotFound
from app.kernel import InvalidInput, PermissionDenied, Principal
from app.ordering.contract import (
    InvalidTransition,
    OrderingService,
    OrderItem,
    OrderNotFound,
)
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
            "product": add_product(app, services, "P", stock=10)}


def test_inactive_or_unknown_user_cannot_order(app: Flask, services: Services,
                                               ordering: OrderingService, shop: dict) -> None:
    services.accounts.admin_update_user(Principal.system("test"), shop["alice"].user_id,
                                        UserChanges(is_active=False))
    with pytest.raises(InactiveUser):
        ordering.place_order(shop["alice"], (OrderItem(shop["product"], 1),))
    with pytest.raises(UserNotFound):
        ordering.place_order(principal("ghost"), (OrderItem(shop["product"], 1),))
    assert stock_of(app, services, shop["product"]) == 10


@pytest.mark.parametrize("items", [
    (), tuple(OrderItem("P", 1) for _ in range(51)), (OrderItem("P", 0),),
    (OrderItem("P", 101),), (OrderItem("P", 60), OrderItem("P", 41)), (OrderItem("", 1),),
])
def test_line_limits_are_checked_by_the_contract_too(app: Flask, services: Services,
                                                     ordering: OrderingService, shop: dict,
                                                     items: tuple[OrderItem, ...]) -> None:
    items = tuple(OrderItem(shop["product"] if i.product_id == "P" else i.product_id,
                            i.quantity) for i in items)
    with pytest.raises(InvalidInput):
        ordering.place_order(shop["alice"], items)
    assert stock_of(app, services, shop["product"]) == 10


def test_attack_forged_non_admin_principal_cannot_see_or_move_others_orders(
        ordering: OrderingService, shop: dict) -> None:
    placed = ordering.place_order(shop["alice"], (OrderItem(shop["product"], 1),))
    bob = shop["bob"]
    with pytest.raises(OrderNotFound):
        ordering.get_order(bob, placed.id)
    with pytest.raises(OrderNotFound):
        ordering.cancel_order(bob, placed.id)
    with pytest.raises(PermissionDenied):
        ordering.list_orders(bob, 1, 20, user_id=shop["alice"].user_id)
    with pytest.raises(PermissionDenied):
        ordering.change_status(bob, placed.id, "shipped")
    assert ordering.get_order(shop["alice"], placed.id).status == "pending"


def test_status_errors(ordering: OrderingService, shop: dict) -> None:
    placed = ordering.place_order(shop["alice"], (OrderItem(shop["product"], 1),))
    with pytest.raises(InvalidInput):
        ordering.change_status(OPERATOR, placed.id, "teleported")
    with pytest.raises(InvalidTransition):
        ordering.change_status(OPERATOR, placed.id, "delivered")
    with pytest.raises(OrderNotFound):
        ordering.change_status(OPERATOR, "0" * 36, "confirmed")
    assert ordering.change_status(OPERATOR, placed.id, "confirmed").status == "confirmed"
    assert ordering.change_status(OPERATOR, placed.id, "confirmed").status == "confirmed"
