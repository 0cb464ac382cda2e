"""Who may open the admin console: administrators only; CSRF on every form."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.admin_support import ADMIN_PAGES, AdminBrowser
from tests.support import Api
from tests.ui_support import Shopper, csrf_of, text_of


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_visitors_get_the_login_page(client, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=")


def test_every_admin_page_opens_for_an_administrator(admin: AdminBrowser) -> None:
    for path in (*ADMIN_PAGES, f"/admin/users/{admin.id}"):
        response = admin.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store"
    assert admin.client.get("/admin/").headers["Location"].endswith("/admin/security")


def test_a_shopper_gets_403_on_every_admin_page_and_it_is_audited(
        client, api: Api) -> None:  # type: ignore[no-untyped-def]
    """Attack: a signed-in shopper guesses admin URLs."""
    shopper = Shopper(client)
    shopper.register("mallory")
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Admin" not in text_of(response).split("<main", 1)[0], "no admin link for them"
    fails = [e for e in api.services.audit.recent(50) if e["event"] == "authz_fail"]
    assert len(fails) == len(ADMIN_PAGES)


def test_a_shopper_posting_an_edited_form_to_admin_urls_changes_nothing(
        app: Flask, client, api: Api) -> None:  # type: ignore[no-untyped-def]
    """Attack: a shopper copies a valid CSRF token into a form aimed at admin actions."""
    victim = api.user("victim")
    shopper = Shopper(client)
    shopper.register("mallory")
    token = csrf_of(text_of(client.get("/products/")))
    posts = {
        f"/admin/users/{victim['id']}/role": {"role": "admin"},
        f"/admin/users/{victim['id']}/deactivate": {},
        f"/admin/users/{victim['id']}/sessions/end": {},
        "/admin/blocked": {"network": "192.0.2.1", "reason": "spite"},
        "/admin/keys/rotate": {},
        "/admin/security/verify": {},
    }
    keys_before = api.services.signing_keys.signing_keys(_system())
    for path, data in posts.items():
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 403, path
    assert api.get("/api/users/me/", victim["access"]).get_json()["role"] == "user"
    assert api.services.signing_keys.signing_keys(_system()) == keys_before
    assert api.services.blocklist.blocks(_system()) == []


def test_admin_forms_without_a_csrf_token_are_400(admin: AdminBrowser, api: Api) -> None:
    """Attack: a cross-site form makes the administrator's browser post to the console."""
    victim = api.user("victim")
    for path, data in ((f"/admin/users/{victim['id']}/role", {"role": "admin"}),
                       ("/admin/blocked", {"network": "192.0.2.1", "reason": "csrf"}),
                       ("/admin/products/new", {"sku": "X-1", "name": "x", "category": "a",
                                                "price": "1", "stock": "1"})):
        response = admin.client.post(path, data=data)
        assert response.status_code == 400, path
    assert api.get("/api/users/me/", victim["access"]).get_json()["role"] == "user"
    assert api.services.blocklist.blocks(_system()) == []


def test_an_admin_without_2fa_sees_the_banner(admin: AdminBrowser) -> None:
    assert "has no two-factor authentication" in text_of(admin.client.get("/admin/security"))


def _system():  # type: ignore[no-untyped-def]
    from app.kernel import Principal

    return Principal.system("test")


def test_every_admin_form_refuses_a_post_without_csrf_token_and_changes_nothing(
        app: Flask, admin: AdminBrowser, api: Api) -> None:
    """Attack: CSRF against each state-changing admin route (enumerated from the URL map, so a
    new route cannot be forgotten)."""
    from app.platform.audit import AuditRecord
    from app.platform.db import db
    from tests.shop_helpers import add_product

    values = {"user_id": api.user("victim")["id"], "kid": api.services.signing_keys.signing_keys(
        _system())[0].kid, "product_id": add_product(app, api.services, "CSRF-1"),
        "order_id": "00000000-0000-4000-8000-000000000000"}
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint.startswith("admin.") and "POST" in (r.methods or ())]
    assert len(rules) >= 15
    with app.app_context():
        rows_before = db.session.query(AuditRecord).count()
    for rule in rules:
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<{name}>", values[name])
        response = admin.client.post(path, data={"role": "admin", "network": "192.0.2.1",
                                                 "reason": "x", "status": "confirmed"})
        assert response.status_code == 400, path
    with app.app_context():
        assert db.session.query(AuditRecord).count() == rows_before
