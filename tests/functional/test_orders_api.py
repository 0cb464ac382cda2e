"""The order API: snapshots and totals, stock, lifecycle, and who may see or change what."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.bootstrap import Services
from tests.shop_helpers import add_product, make_admin, order, stock_of
from tests.support import Api


@pytest.fixture
def alice(api: Api) -> dict[str, Any]:
    return api.user("alice")


@pytest.fixture
def bob(api: Api) -> dict[str, Any]:
    return api.user("bob")


@pytest.fixture
def admin(api: Api, app: Flask) -> dict[str, Any]:
    return make_admin(api, app)


@pytest.fixture
def mug(app: Flask, services: Services) -> str:
    return add_product(app, services, "MUG", stock=10, price="4.25", name="Mug")


@pytest.fixture
def tea(app: Flask, services: Services) -> str:
    return add_product(app, services, "TEA", stock=3, price="1.10", name="Tea")


def test_order_snapshots_prices_merges_duplicates_and_totals(
        api: Api, alice: dict, mug: str, tea: str, app: Flask, services: Services) -> None:
    response = order(api, alice["access"], (mug, 2), (tea, 1), (mug, 1))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert data["user_id"] == alice["id"] and data["status"] == "pending"
    lines = {line["product_id"]: line for line in data["items"]}
    assert lines[mug] == {"product_id": mug, "product_name": "Mug", "unit_price": "4.25",
                          "quantity": 3, "subtotal": "12.75"}
    assert data["total"] == "13.85"
    assert (stock_of(app, services, mug), stock_of(app, services, tea)) == (7, 2)
    assert api.get(f"/api/orders/{data['id']}/", alice["access"]).get_json() == data


def test_price_change_later_keeps_the_snapshot(api: Api, alice: dict, admin: dict,
                                               mug: str) -> None:
    placed = order(api, alice["access"], (mug, 1)).get_json()
    api.patch(f"/api/products/{mug}/", admin["access"], json={"price": "99.00", "name": "New"})
    api.delete(f"/api/products/{mug}/", admin["access"])
    again = api.get(f"/api/orders/{placed['id']}/", alice["access"]).get_json()
    assert again["items"][0]["unit_price"] == "4.25"
    assert again["items"][0]["product_name"] == "Mug"


@pytest.mark.parametrize("extra", [{"user_id": "someone"}, {"status": "delivered"},
                                   {"total": "0.01"}])
def test_attack_mass_assignment_on_order_is_refused(api: Api, alice: dict, mug: str,
                                                    app: Flask, services: Services,
                                                    extra: dict) -> None:
    response = order(api, alice["access"], (mug, 1), **extra)
    assert response.status_code == 400
    assert stock_of(app, services, mug) == 10


def test_attack_client_unit_price_is_refused(api: Api, alice: dict, mug: str, app: Flask,
                                             services: Services) -> None:
    response = api.post("/api/orders/", alice["access"], json={
        "items": [{"product_id": mug, "quantity": 1, "unit_price": "0.01"}]})
    assert response.status_code == 400
    assert stock_of(app, services, mug) == 10


def test_insufficient_stock_is_409_naming_the_product_and_changes_nothing(
        api: Api, alice: dict, mug: str, tea: str, app: Flask, services: Services) -> None:
    response = order(api, alice["access"], (mug, 2), (tea, 4))
    assert response.status_code == 409
    assert tea in response.get_json()["detail"]
    assert (stock_of(app, services, mug), stock_of(app, services, tea)) == (10, 3)
    assert api.get("/api/orders/", alice["access"]).get_json()["count"] == 0


def test_unknown_product_404_and_inactive_product_400(api: Api, alice: dict, admin: dict,
                                                      mug: str, tea: str, app: Flask,
                                                      services: Services) -> None:
    assert order(api, alice["access"], (mug, 1), ("no-such-product", 1)).status_code == 404
    api.delete(f"/api/products/{tea}/", admin["access"])
    assert order(api, alice["access"], (mug, 1), (tea, 1)).status_code == 400
    assert stock_of(app, services, mug) == 10


@pytest.mark.parametrize("items", [
    [], [{"quantity": 1}], [{"product_id": "P", "quantity": 0}],
    [{"product_id": "P", "quantity": -5}], [{"product_id": "P", "quantity": 101}],
    [{"product_id": "P", "quantity": 10**40}], [{"product_id": "P", "quantity": "3"}],
    [{"product_id": "P", "quantity": 1.5}], [{"product_id": "P", "quantity": True}],
    [{"product_id": "P", "quantity": None}], [{"product_id": 7, "quantity": 1}],
    [{"product_id": "P", "quantity": 1}] * 51, [{"product_id": "P", "quantity": 60}] * 2,
    "not a list",
])
def test_bad_order_input_is_400_and_stock_is_unchanged(
        api: Api, alice: dict, mug: str, app: Flask, services: Services, items: Any) -> None:
    items = [{**item, "product_id": mug} if item.get("product_id") == "P" else item
             for item in items] if isinstance(items, list) else items
    response = api.post("/api/orders/", alice["access"], json={"items": items})
    assert response.status_code == 400, response.get_json()
    assert stock_of(app, services, mug) == 10


@pytest.mark.parametrize("data, content_type, status", [
    (b'{"items": [', "application/json", 400),
    (b'\xff\xfe{"items": []}', "application/json", 400),
    (b"items=1", "application/x-www-form-urlencoded", 415),
    (b'{"items": [{"product_id": "x", "quantity": 1}]}' + b" " * (11 * 1024 * 1024),
     "application/json", 413),
])
def test_malformed_or_huge_bodies_are_4xx(api: Api, alice: dict, mug: str, app: Flask,
                                          services: Services, data: bytes,
                                          content_type: str, status: int) -> None:
    response = api.client.post("/api/orders/", data=data, content_type=content_type,
                               headers=api.bearer(alice["access"]))
    assert response.status_code == status
    assert stock_of(app, services, mug) == 10


def test_attack_idor_user_b_on_every_order_route_of_user_a(api: Api, alice: dict, bob: dict,
                                                           mug: str, app: Flask,
                                                           services: Services) -> None:
    placed = order(api, alice["access"], (mug, 2)).get_json()
    path, token = f"/api/orders/{placed['id']}/", bob["access"]
    assert api.get(path, token).status_code == 404
    assert api.post(f"{path}cancel/", token).status_code == 404
    assert api.get(f"/api/orders/user/{alice['id']}/", token).status_code == 403
    assert api.get(f"/api/orders/?user_id={alice['id']}", token).status_code == 403
    assert api.get("/api/orders/", token).get_json()["count"] == 0
    assert api.patch(f"{path}status/", token, json={"status": "cancelled"}).status_code == 403
    assert api.get(path, alice["access"]).get_json()["status"] == "pending"
    assert stock_of(app, services, mug) == 8
    with app.app_context():
        denied = services.audit.recent(event_prefix="authz_fail")
    assert len(denied) >= 4


def test_attack_anonymous_on_every_order_route(api: Api, alice: dict, mug: str) -> None:
    placed = order(api, alice["access"], (mug, 1)).get_json()
    path = f"/api/orders/{placed['id']}/"
    assert api.post("/api/orders/", json={"items": [{"product_id": mug, "quantity": 1}]}
                    ).status_code == 401
    for response in (api.get("/api/orders/"), api.get(path), api.post(f"{path}cancel/"),
                     api.get(f"/api/orders/user/{alice['id']}/"),
                     api.patch(f"{path}status/", json={"status": "shipped"})):
        assert response.status_code == 401


def test_owner_and_admin_listings(api: Api, alice: dict, bob: dict, admin: dict,
                                  mug: str) -> None:
    mine = order(api, alice["access"], (mug, 1)).get_json()
    order(api, bob["access"], (mug, 1))
    own = api.get("/api/orders/", alice["access"]).get_json()
    assert [o["id"] for o in own["results"]] == [mine["id"]]
    assert api.get(f"/api/orders/user/{alice['id']}/", alice["access"]).get_json() == own
    assert api.get("/api/orders/", admin["access"]).get_json()["count"] == 2
    filtered = api.get(f"/api/orders/?user_id={alice['id']}", admin["access"]).get_json()
    assert [o["id"] for o in filtered["results"]] == [mine["id"]]
    by_user = api.get(f"/api/orders/user/{alice['id']}/", admin["access"]).get_json()
    assert by_user["count"] == 1


def test_owner_cancel_returns_stock_once(api: Api, alice: dict, mug: str, app: Flask,
                                         services: Services) -> None:
    placed = order(api, alice["access"], (mug, 4)).get_json()
    path = f"/api/orders/{placed['id']}/cancel/"
    assert api.post(path, alice["access"]).get_json()["status"] == "cancelled"
    assert api.post(path, alice["access"]).status_code == 200
    assert stock_of(app, services, mug) == 10


def test_admin_status_changes_follow_the_allowed_transitions(
        api: Api, alice: dict, admin: dict, mug: str, app: Flask, services: Services) -> None:
    placed = order(api, alice["access"], (mug, 1)).get_json()
    path = f"/api/orders/{placed['id']}/status/"
    token = admin["access"]
    assert api.patch(path, token, json={"status": "shipped"}).status_code == 409
    for status in ("confirmed", "processing", "shipped"):
        assert api.patch(path, token, json={"status": status}).get_json()["status"] == status
    assert api.post(f"/api/orders/{placed['id']}/cancel/", alice["access"]).status_code == 409
    assert api.patch(path, token, json={"status": "cancelled"}).status_code == 409
    assert api.patch(path, token, json={"status": "lost"}).status_code == 400
    assert api.patch(path, token, json={"status": "delivered"}).status_code == 200
    assert stock_of(app, services, mug) == 9
    with app.app_context():
        changes = [e["details"] for e in services.audit.recent(event_prefix="authz_admin")
                   if e["details"].get("action") == "order_status"]
    assert {c["status"] for c in changes} == {"confirmed", "processing", "shipped", "delivered"}


def test_admin_cancel_returns_stock(api: Api, alice: dict, admin: dict, mug: str,
                                    app: Flask, services: Services) -> None:
    placed = order(api, alice["access"], (mug, 3)).get_json()
    response = api.patch(f"/api/orders/{placed['id']}/status/", admin["access"],
                         json={"status": "cancelled"})
    assert response.get_json()["status"] == "cancelled"
    assert stock_of(app, services, mug) == 10


def test_idempotency_key_retried_five_times_makes_one_order(
        api: Api, alice: dict, mug: str, app: Flask, services: Services) -> None:
    answers = [order(api, alice["access"], (mug, 2), key="checkout-42") for _ in range(5)]
    assert {r.status_code for r in answers} == {201}
    assert len({r.get_json()["id"] for r in answers}) == 1
    assert stock_of(app, services, mug) == 8
    assert api.get("/api/orders/", alice["access"]).get_json()["count"] == 1
    reused = order(api, alice["access"], (mug, 3), key="checkout-42")
    assert reused.status_code == 422
    assert stock_of(app, services, mug) == 8


def test_idempotency_keys_are_per_user(api: Api, alice: dict, bob: dict, mug: str) -> None:
    first = order(api, alice["access"], (mug, 1), key="same").get_json()
    second = order(api, bob["access"], (mug, 1), key="same").get_json()
    assert first["id"] != second["id"] and second["user_id"] == bob["id"]


def test_failed_request_frees_its_idempotency_key(api: Api, alice: dict, tea: str) -> None:
    assert order(api, alice["access"], (tea, 5), key="k1").status_code == 409
    assert order(api, alice["access"], (tea, 5), key="k1").status_code == 409
    # The failed request left no claim: the key may now stand for a request that works.
    assert order(api, alice["access"], (tea, 3), key="k1").status_code == 201


@pytest.mark.parametrize("key", ["x" * 256, "caf\u00e9", "tab\there"])
def test_malformed_idempotency_key_is_400(api: Api, alice: dict, mug: str, app: Flask,
                                          services: Services, key: str) -> None:
    response = order(api, alice["access"], (mug, 1), key=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["errors"]
    assert stock_of(app, services, mug) == 10
