"""The product API: listing with filters, strict query parameters, admin-only management."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.support import Api


def make_product(api: Api, admin: dict[str, Any], **fields: Any) -> dict[str, Any]:
    payload = {"sku": "SKU-1", "name": "Blue mug", "description": "A mug.",
               "category": "kitchen", "price": "12.50", "stock": 10, **fields}
    response = api.post("/api/products/", admin["access"], json=payload)
    assert response.status_code == 201, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


@pytest.fixture
def admin(api: Api, app: Flask) -> dict[str, Any]:
    with app.app_context():
        return api.admin()


@pytest.fixture
def shopper(api: Api) -> dict[str, Any]:
    return api.user("alice")


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["results"]]


def test_admin_creates_product_and_price_is_a_two_place_string(api: Api, admin: dict,
                                                               shopper: dict) -> None:
    number = api.post("/api/products/", admin["access"], json={
        "sku": "N", "name": "n", "category": "c", "price": 7.5})
    assert number.status_code == 400 and "price" in number.get_json()["errors"]
    created = make_product(api, admin, price="7.5")
    assert created["price"] == "7.50"
    got = api.get(f"/api/products/{created['id']}/", shopper["access"]).get_json()
    assert got == created


def test_list_filters_sort_and_paginate(api: Api, admin: dict, shopper: dict) -> None:
    make_product(api, admin, sku="A", name="Apple", category="fruit", price="1.00", stock=0)
    make_product(api, admin, sku="B", name="Banana", category="fruit", price="2.00")
    make_product(api, admin, sku="C", name="Cup", category="kitchen", price="9.99")
    token = shopper["access"]
    assert names(api.get("/api/products/?category=fruit", token)) == ["Apple", "Banana"]
    assert names(api.get("/api/products/?in_stock=true", token)) == ["Banana", "Cup"]
    assert names(api.get("/api/products/?min_price=1.50&max_price=5", token)) == ["Banana"]
    assert names(api.get("/api/products/?ordering=-price", token)) == ["Cup", "Banana", "Apple"]
    assert names(api.get("/api/products/?search=AN", token)) == ["Banana"]
    page = api.get("/api/products/?page_size=2&page=1", token).get_json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["previous"] is None
    second = api.get(page["next"], token).get_json()
    assert [p["name"] for p in second["results"]] == ["Cup"] and second["next"] is None


@pytest.mark.parametrize("query, field", [
    ("colour=red", "colour"), ("page_size=101", "page_size"), ("page=0", "page"),
    ("min_price=abc", "min_price"), ("ordering=stock", "ordering"), ("in_stock=maybe", "in_stock"),
    ("max_price=1e400", "max_price"), ("min_price=1.234", "min_price"),
    ("category=Not%20A%20Slug", "category"),
])
def test_unknown_or_malformed_parameters_are_400_naming_the_field(
        api: Api, shopper: dict, query: str, field: str) -> None:
    response = api.get(f"/api/products/?{query}", shopper["access"])
    assert response.status_code == 400
    assert any(field in key for key in response.get_json()["errors"]), response.get_json()


def test_search_treats_percent_and_underscore_literally(api: Api, admin: dict,
                                                        shopper: dict) -> None:
    make_product(api, admin, sku="P", name="100% cotton", description="")
    make_product(api, admin, sku="Q", name="1000 cotton", description="")
    make_product(api, admin, sku="R", name="snake_case", description="")
    make_product(api, admin, sku="S", name="snakeXcase", description="")
    token = shopper["access"]
    assert names(api.get("/api/products/?search=0%25", token)) == ["100% cotton"]
    assert names(api.get("/api/products/?search=e_c", token)) == ["snake_case"]
    assert names(api.get("/api/products/?search=%25", token)) == ["100% cotton"]


@pytest.mark.parametrize("payload", ["' OR 1=1 --", "x'); DROP TABLE catalog_products; --",
                                     "%' UNION SELECT password_hash FROM identity_users --"])
def test_attack_sql_injection_in_search_is_inert(api: Api, admin: dict, shopper: dict,
                                                 payload: str) -> None:
    make_product(api, admin, sku="SAFE", name="Plain")
    response = api.get("/api/products/", shopper["access"], query_string={"search": payload})
    assert names(response) == []
    assert names(api.get("/api/products/", shopper["access"])) == ["Plain"]


def test_attack_xss_in_product_fields_is_stored_as_text_and_served_as_json(
        api: Api, admin: dict, shopper: dict) -> None:
    script = "<script>alert(1)</script>"
    created = make_product(api, admin, name=script, description=f"<img src=x onerror={script}>")
    response = api.get(f"/api/products/{created['id']}/", shopper["access"])
    assert response.mimetype == "application/json"
    assert response.get_json()["name"] == script


def test_attack_shopper_cannot_manage_products(api: Api, admin: dict, shopper: dict) -> None:
    product = make_product(api, admin)
    token = shopper["access"]
    path = f"/api/products/{product['id']}/"
    body = {"sku": "X", "name": "X", "category": "x", "price": "1.00"}
    assert api.post("/api/products/", token, json=body).status_code == 403
    assert api.client.put(path, json=body, headers=api.bearer(token)).status_code == 403
    assert api.patch(path, token, json={"price": "0.01"}).status_code == 403
    assert api.delete(path, token).status_code == 403
    assert api.get(path, token).get_json()["price"] == "12.50"


def test_attack_anonymous_gets_401_everywhere(api: Api, admin: dict) -> None:
    product = make_product(api, admin)
    path = f"/api/products/{product['id']}/"
    assert api.get("/api/products/").status_code == 401
    assert api.get(path).status_code == 401
    assert api.get("/api/categories/").status_code == 401
    assert api.post("/api/products/", json={}).status_code == 401
    assert api.patch(path, json={"stock": 1}).status_code == 401
    assert api.delete(path).status_code == 401


def test_admin_updates_and_deactivates(api: Api, admin: dict, shopper: dict) -> None:
    product = make_product(api, admin)
    path = f"/api/products/{product['id']}/"
    patched = api.patch(path, admin["access"], json={"price": "3.10", "stock": 4}).get_json()
    assert (patched["price"], patched["stock"], patched["name"]) == ("3.10", 4, "Blue mug")
    whole = {"sku": "SKU-9", "name": "Red mug", "category": "kitchen", "price": "5"}
    replaced = api.client.put(path, json=whole, headers=api.bearer(admin["access"]))
    assert replaced.get_json()["name"] == "Red mug"
    assert api.delete(path, admin["access"]).status_code == 204
    assert api.get(path, shopper["access"]).status_code == 404
    assert names(api.get("/api/products/", shopper["access"])) == []
    assert api.get(path, admin["access"]).get_json()["is_active"] is False


@pytest.mark.parametrize("field, value", [
    ("price", "0"), ("price", "-1"), ("price", "1000000.01"), ("price", "1.001"),
    ("price", 1e400), ("stock", -1), ("stock", "5"), ("stock", 10**30), ("name", ""),
    ("name", "x" * 201), ("description", "x" * 5001), ("category", "Bad Slug"),
    ("sku", "has space"),
])
def test_bad_product_fields_are_400(api: Api, admin: dict, field: str, value: Any) -> None:
    payload = {"sku": "OK", "name": "n", "category": "c", "price": "1.00", field: value}
    response = api.post("/api/products/", admin["access"], json=payload)
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["errors"]


def test_duplicate_sku_is_409(api: Api, admin: dict) -> None:
    make_product(api, admin)
    response = api.post("/api/products/", admin["access"], json={
        "sku": "SKU-1", "name": "Again", "category": "kitchen", "price": "1.00"})
    assert response.status_code == 409


def test_categories_count_active_products(api: Api, admin: dict, shopper: dict) -> None:
    make_product(api, admin, sku="A", category="fruit")
    make_product(api, admin, sku="B", category="fruit")
    gone = make_product(api, admin, sku="C", category="tools")
    api.delete(f"/api/products/{gone['id']}/", admin["access"])
    response = api.get("/api/categories/", shopper["access"]).get_json()
    assert response == {"results": [{"slug": "fruit", "product_count": 2}]}


def test_admin_product_changes_are_audited(api: Api, admin: dict, services: Any,
                                          app: Flask) -> None:
    product = make_product(api, admin)
    api.delete(f"/api/products/{product['id']}/", admin["access"])
    with app.app_context():
        events = services.audit.recent(event_prefix="authz_admin")
    actions = [event["details"].get("action") for event in events]
    assert {"product_create", "product_deactivate"} <= set(actions)


def test_attack_sql_in_product_fields_is_stored_literally(api: Api, admin: dict,
                                                          shopper: dict) -> None:
    payload = "x'); DELETE FROM catalog_products; --"
    created = make_product(api, admin, name=payload, description="' OR '1'='1")
    make_product(api, admin, sku="OTHER", name="Other")
    listed = api.get("/api/products/?ordering=name", shopper["access"]).get_json()
    assert [p["name"] for p in listed["results"]] == ["Other", payload]
    assert listed["results"][1]["description"] == "' OR '1'='1"
    assert created["name"] == payload
