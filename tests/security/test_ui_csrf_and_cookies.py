"""UI attacks: cross-site request forgery on every form; cookie attributes in production."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.bootstrap import Services
from app.config import Settings
from app.kernel import Principal
from app.platform.audit import AuditRecord
from app.platform.clock import FrozenClock
from app.platform.crypto import format_keys, new_key
from app.platform.db import db
from tests.conftest import dispose, make_app
from tests.shop_helpers import add_product
from tests.support import GOOD_PASSWORD
from tests.ui_support import Shopper, csrf_of, text_of

FORMS: list[tuple[str, dict[str, str]]] = [
    ("/logout", {}),
    ("/register", {"username": "eve", "email": "eve@example.com", "password": GOOD_PASSWORD}),
    ("/login", {"username": "alice", "password": GOOD_PASSWORD}),
    ("/login/code", {"code": "123456"}),
    ("/cart/add", {"product_id": "{product}", "quantity": "1"}),
    ("/cart/update", {"product_id": "{product}", "quantity": "0"}),
    ("/cart/checkout", {"idempotency_key": "forged-key-0123456789"}),
    ("/orders/{order}/cancel", {}),
    ("/account/email", {"email": "attacker@example.com"}),
    ("/account/password", {"current_password": GOOD_PASSWORD,
                           "new_password": "attacker chosen phrase"}),
    ("/account/logout-everywhere", {}),
    ("/account/2fa/setup", {}),
    ("/account/2fa/confirm", {"code": "123456"}),
    ("/account/2fa/backup-codes", {"regen-password": GOOD_PASSWORD, "regen-code": "123456"}),
    ("/account/2fa/disable", {"disable-password": GOOD_PASSWORD, "disable-code": "123456"}),
    ("/account/2fa/backup-codes.txt", {"code": "abcd-efgh-jkmn-pqrs-tvwx"}),
    ("/account/export", {}),
    ("/account/delete", {"password": GOOD_PASSWORD}),
]


@pytest.fixture
def victim(app: Flask, services: Services, client: Any) -> dict[str, Any]:
    shopper = Shopper(client)
    shopper.register("alice")
    product = add_product(app, services, "CSRF", stock=5)
    shopper.form_post(f"/products/{product}/", "/cart/add",
                      {"product_id": product, "quantity": "2"})
    html = text_of(client.get("/cart/"))
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html)
    assert key
    order = client.post("/cart/checkout", data={"csrf_token": csrf_of(html),
                                                "idempotency_key": key.group(1)})
    order_id = order.headers["Location"].strip("/").split("/")[-1]
    shopper.form_post(f"/products/{product}/", "/cart/add",
                      {"product_id": product, "quantity": "1"})
    return {"shopper": shopper, "product": product, "order": order_id}


def snapshot(app: Flask, services: Services, shopper: Shopper) -> dict[str, Any]:
    principal = services.verifier.verify(shopper.cookie("shop_access") or "")  # still valid
    with app.app_context():
        assert services.ordering is not None
        orders = services.ordering.list_orders(principal, 1, 20)
        return {
            "audit_rows": db.session.query(AuditRecord).count(),
            "cart": services.ordering.get_cart(principal),
            "orders": [(o.id, o.status) for o in orders.items],
            "user": services.accounts.get_user(principal, principal.user_id),
            "users": services.accounts.find_users(Principal.system("test"), "", 1, 100).total,
        }


@pytest.mark.parametrize(("path", "data"), FORMS, ids=[p for p, _ in FORMS])
def test_attack_csrf_form_without_token_is_refused_and_changes_nothing(
        app: Flask, services: Services, victim: dict[str, Any], path: str,
        data: dict[str, str]) -> None:
    shopper: Shopper = victim["shopper"]
    before = snapshot(app, services, shopper)
    target = path.format(order=victim["order"])
    body = {k: v.format(product=victim["product"]) for k, v in data.items()}
    response = shopper.client.post(target, data=body)
    assert response.status_code == 400, (target, response.status_code)
    assert response.mimetype == "text/html"
    assert "Something in that request was not right" in text_of(response)
    assert snapshot(app, services, shopper) == before


def test_attack_csrf_token_of_another_session_is_refused(app: Flask, services: Services,
                                                         victim: dict[str, Any]) -> None:
    attacker = Shopper(app.test_client())
    token = csrf_of(text_of(attacker.client.get("/login")))  # the attacker's own session
    shopper: Shopper = victim["shopper"]
    before = snapshot(app, services, shopper)
    response = shopper.client.post("/account/email", data={
        "csrf_token": token, "email": "attacker@example.com"})
    assert response.status_code == 400
    assert snapshot(app, services, shopper) == before


@pytest.fixture
def production(settings: Settings, clock: FrozenClock) -> Iterator[Flask]:
    keys = {f"FIELD_KEYS_{p.upper()}": format_keys([new_key()])
            for p in ("totp", "order_user", "order_user_index", "device_proof")}
    prod = dataclasses.replace(settings, profile="production", extra={**settings.extra, **keys})
    app = make_app(prod, clock)
    yield app
    dispose(app)


def test_production_cookies_are_host_prefixed_secure_httponly_lax(production: Flask) -> None:
    client = production.test_client()
    shopper = Shopper(client)
    page = client.get("/register", base_url="https://shop.example")
    token = csrf_of(text_of(page))
    response = client.post("/register", base_url="https://shop.example", data={
        "csrf_token": token, "username": "alice", "email": "alice@example.com",
        "password": GOOD_PASSWORD}, headers={"Referer": "https://shop.example/register"})
    assert response.status_code == 303, text_of(response)
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("__Host-shop_access", "__Host-shop_refresh", "__Host-session"):
        line = next(c for c in cookies if c.startswith(name + "="))
        for attribute in ("Secure", "HttpOnly", "Path=/", "SameSite=Lax"):
            assert attribute in line, (name, line)
        assert "Domain=" not in line  # __Host- cookies are bound to the exact host
    assert shopper.cookie("shop_access") is None  # no unprefixed twin


def test_authenticated_pages_are_not_stored(client: Any) -> None:
    shopper = Shopper(client)
    shopper.register()
    for path in ("/", "/products/", "/cart/", "/orders/", "/account/", "/account/2fa/"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
