"""Products and orders in the console: what a shopper then sees, allowed transitions only."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from app.catalog.contract import ProductQuery
from app.kernel import Principal
from tests.admin_support import AdminBrowser, flashed, named
from tests.shop_helpers import OPERATOR, add_product
from tests.support import Api
from tests.ui_support import text_of

SYSTEM = Principal.system("test")


def product_id(api: Api, sku: str) -> str:
    page = api.services.catalog.list_products(  # type: ignore[union-attr]
        OPERATOR, ProductQuery(search=None), include_inactive=True)
    return next(p.id for p in page.items if p.sku == sku)


def shop_lists(api: Api, token: str, name: str) -> bool:
    body = api.get("/api/products/?search=" + name, token).get_json()
    return any(p["name"] == name for p in body["results"])


def test_create_edit_deactivate_reactivate_a_product(admin: AdminBrowser, api: Api) -> None:
    shopper = api.user("sam")
    form = {"sku": "LAMP-1", "name": "Desk lamp", "description": "Warm light",
            "category": "home", "price": "19.90", "stock": "7"}
    bad = admin.post("/admin/products/new", "/admin/products/new", {**form, "price": "0",
                                                                    "category": "Not A Slug"})
    assert bad.status_code == 400
    html = text_of(bad)
    assert "There is a problem" in html and "Price must be from 0.01" in html
    assert 'aria-describedby="category-hint category-error"' in html
    created = admin.post("/admin/products/new", "/admin/products/new", form)
    assert created.status_code == 303
    assert shop_lists(api, shopper["access"], "Desk lamp")
    pid = product_id(api, "LAMP-1")
    duplicate = admin.post("/admin/products/new", "/admin/products/new", form)
    assert duplicate.status_code == 400 and 'id="sku-error"' in text_of(duplicate)
    edit = f"/admin/products/{pid}/edit"
    assert 'value="19.90"' in text_of(admin.client.get(edit))
    saved = admin.post(edit, edit, {**form, "price": "24.50"})
    assert saved.status_code == 303
    body = api.get(f"/api/products/{pid}/", shopper["access"]).get_json()
    assert body["price"] == "24.50"
    admin.post("/admin/products", f"/admin/products/{pid}/deactivate")
    assert not shop_lists(api, shopper["access"], "Desk lamp")
    listed = text_of(admin.client.get("/admin/products?search=lamp"))
    assert "Inactive" in listed and "Reactivate Desk lamp" in listed
    admin.post("/admin/products", f"/admin/products/{pid}/reactivate")
    assert shop_lists(api, shopper["access"], "Desk lamp")
    actions = [e for e in api.services.audit.recent(20)
               if e["event"] == "authz_admin" and e["target"] == pid]
    assert admin.id not in str(actions), "people are named by pseudonym"
    assert len(actions) == 4 and all(e["actor"] == named(api, admin.id) for e in actions)


def place_order(api: Api, app: Flask, user: dict[str, Any]) -> str:
    pid = add_product(app, api.services, "MUG-" + user["id"][:6], stock=10)
    answer = api.post("/api/orders/", user["access"],
                      json={"items": [{"product_id": pid, "quantity": 1}]})
    assert answer.status_code == 201, answer.get_json()
    return str(answer.get_json()["id"])


def status_options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="status"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'<option[^>]*value="([^"]+)"', select.group(1)) if select else []


def test_orders_move_along_allowed_transitions_only(admin: AdminBrowser, api: Api,
                                                   app: Flask) -> None:
    user = api.user("olive")
    order_id = place_order(api, app, user)
    detail = f"/admin/orders/{order_id}"
    assert status_options(text_of(admin.client.get(detail))) == ["confirmed", "cancelled"]
    skipped = admin.post(detail, detail, {"status": "delivered"})
    assert skipped.status_code == 400, "a forged option is refused"
    assert api.get(f"/api/orders/{order_id}/", user["access"]).get_json()["status"] == "pending"
    for step in ("confirmed", "processing", "shipped", "delivered"):
        moved = admin.post(detail, detail, {"status": step})
        assert moved.status_code == 303, (step, text_of(moved)[:1500])
        assert f"Order is now {step}." in flashed(admin.client.get(detail))
    final = text_of(admin.client.get(detail))
    assert status_options(final) == [] and "does not change any more" in final
    assert api.get(f"/api/orders/{order_id}/", user["access"]).get_json()["status"] == "delivered"


def test_order_list_filters_by_status_user_and_day(admin: AdminBrowser, api: Api,
                                                  app: Flask) -> None:
    first, second = api.user("pat"), api.user("quinn")
    one = place_order(api, app, first)
    two = place_order(api, app, second)
    admin.post(f"/admin/orders/{two}", f"/admin/orders/{two}", {"status": "confirmed"})
    everything = text_of(admin.client.get("/admin/orders"))
    assert "2 orders" in everything
    confirmed = text_of(admin.client.get("/admin/orders?status=confirmed"))
    assert two[:8] in confirmed and one[:8] not in confirmed
    by_user = text_of(admin.client.get(f"/admin/orders?user={first['id']}"))
    assert one[:8] in by_user and two[:8] not in by_user
    today = api.services.ordering.get_order(SYSTEM_ADMIN, one).created_at[:10]  # type: ignore[union-attr]
    assert "2 orders" in text_of(admin.client.get(f"/admin/orders?created_from={today}"
                                                  f"&created_to={today}"))
    assert "No orders match" in text_of(admin.client.get("/admin/orders?created_to=2000-01-01"))
    reversed_days = admin.client.get(f"/admin/orders?created_from={today}&created_to=2000-01-01")
    assert reversed_days.status_code == 400
    assert admin.client.get("/admin/orders?status=lost").status_code == 400


SYSTEM_ADMIN = Principal(user_id="test-admin", role="admin", jti="t", session_id="t",
                         issued_at=0, expires_at=0)
