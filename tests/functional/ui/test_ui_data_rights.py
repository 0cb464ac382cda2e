"""The account page's "Download my data" and the "Delete my account" page (GDPR), through
the Flask test client. The CSRF attacks on both forms are in tests/security/."""

from __future__ import annotations

import json
import re
from typing import Any

import pyotp
import pytest
from flask import Flask

from app.bootstrap import Services
from app.platform.clock import FrozenClock
from tests.shop_helpers import add_product, order
from tests.support import GOOD_PASSWORD, Api
from tests.ui_support import Shopper, csrf_of, text_of


@pytest.fixture
def shopper(client: Any) -> Shopper:
    return Shopper(client)


def download(shopper: Shopper) -> Any:
    return shopper.form_post("/account/", "/account/export")


def delete(shopper: Shopper, **data: str) -> Any:
    return shopper.form_post("/account/delete", "/account/delete", data)


def enable_2fa(shopper: Shopper, clock: FrozenClock) -> tuple[str, list[str]]:
    """2FA on through the pages; returns the secret and the backup codes."""
    html = text_of(shopper.form_post("/account/2fa/", "/account/2fa/setup",
                                     {"password": GOOD_PASSWORD}))
    secret = re.search(r'id="manual-key">([A-Z2-7]+)<', html)
    assert secret
    done = shopper.client.post("/account/2fa/confirm", data={
        "csrf_token": csrf_of(html), "code": pyotp.TOTP(secret.group(1)).at(int(clock.time()))})
    codes = re.findall(r'<li><code>([a-z0-9-]+)</code></li>', text_of(done))
    assert len(codes) == 10
    clock.advance(30)  # the activation code's step is spent
    return secret.group(1), codes


def test_download_my_data_is_the_api_document_as_an_attachment(
        app: Flask, services: Services, api: Api, shopper: Shopper) -> None:
    shopper.register("alice")
    token = shopper.cookie("shop_access") or ""
    product = add_product(app, services, "GDPR-UI", stock=5)
    assert order(api, token, (product, 2)).status_code == 201
    assert "Download my data" in text_of(shopper.client.get("/account/"))
    answer = download(shopper)
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="my-shop-data.json"'
    assert answer.headers["Cache-Control"] == "no-store"
    mine = json.loads(answer.get_data(as_text=True))
    from_api = api.get("/api/users/me/export/", token).get_json()
    same = ("profile", "two_factor", "sessions", "orders")
    assert {k: mine[k] for k in same} == {k: from_api[k] for k in same}
    assert set(mine) == set(from_api)
    assert mine["profile"]["username"] == "alice"
    assert [line["quantity"] for line in mine["orders"][0]["items"]] == [2]
    # The API's export came later: it holds the page's export event, then the same history.
    assert from_api["security_events"][1:] == mine["security_events"]
    assert from_api["security_events"][0]["event"] == "user_exported"


def test_download_is_only_ever_the_shoppers_own_data(app: Flask, services: Services,
                                                     api: Api, shopper: Shopper) -> None:
    alice = api.user("alice")
    product = add_product(app, services, "GDPR-UI-2", stock=5)
    assert order(api, alice["access"], (product, 1)).status_code == 201
    shopper.register("bob")
    data = json.loads(download(shopper).get_data(as_text=True))
    assert data["profile"]["username"] == "bob" and data["orders"] == []
    text = json.dumps(data)
    assert "alice" not in text and alice["id"] not in text


def test_download_needs_a_session(client: Any) -> None:
    token = csrf_of(text_of(client.get("/login")))
    answer = client.post("/account/export", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/login")


def test_delete_page_explains_and_asks_only_for_the_password_without_2fa(
        shopper: Shopper) -> None:
    shopper.register()
    assert 'href="/account/delete"' in text_of(shopper.client.get("/account/"))
    html = text_of(shopper.client.get("/account/delete"))
    for promise in ("logged out everywhere", "no longer linked to you", "cannot be brought back"):
        assert promise in html
    assert 'name="password"' in html and 'name="code"' not in html


def test_wrong_password_keeps_the_account(api: Api, shopper: Shopper) -> None:
    shopper.register()
    wrong = delete(shopper, password="not my password at all")
    assert wrong.status_code == 400
    html = text_of(wrong)
    assert 'id="password-error"' in html and "Your password is not correct." in html
    assert 'aria-describedby="password-hint password-error"' in html
    assert "There is a problem" in html
    empty = delete(shopper, password="")
    assert empty.status_code == 400 and "Enter your password" in text_of(empty)
    assert shopper.client.get("/account/").status_code == 200  # still signed in
    assert api.login("alice").status_code == 200


def test_delete_account_ends_every_session_and_lands_home(
        app: Flask, services: Services, api: Api, shopper: Shopper) -> None:
    shopper.register()
    other_device = api.login("alice").get_json()  # another session of the same account
    old = {n: shopper.cookie(n) for n in ("shop_access", "shop_refresh")}
    product = add_product(app, services, "GDPR-UI-3", stock=5)
    assert order(api, other_device["access"], (product, 1)).status_code == 201
    done = delete(shopper, password=GOOD_PASSWORD)
    assert done.status_code == 303 and done.headers["Location"] == "/"
    cleared = [c for c in done.headers.getlist("Set-Cookie") if "Expires=Thu, 01 Jan 1970" in c]
    assert {c.split("=")[0] for c in cleared} >= {"shop_access", "shop_refresh"}
    home = shopper.client.get("/")
    assert "Your account is deleted." in text_of(home)
    assert "Log in" in text_of(home)
    assert shopper.client.get("/account/").status_code == 303
    assert api.login("alice").status_code == 401
    assert api.get("/api/users/me/", old["shop_access"] or "").status_code == 401
    assert api.get("/api/users/me/", other_device["access"]).status_code == 401
    refresh = api.client.post("/api/token/refresh/", json={"refresh": old["shop_refresh"]})
    assert refresh.status_code == 401
    thief = Shopper(app.test_client())  # Attack: replaying the old cookies in another browser
    for name, value in old.items():
        thief.client.set_cookie(name, value or "")
    assert thief.client.get("/account/").status_code == 303


def test_with_2fa_a_missing_or_wrong_code_is_refused(api: Api, shopper: Shopper,
                                                      clock: FrozenClock) -> None:
    shopper.register()
    secret, _ = enable_2fa(shopper, clock)
    assert 'name="code"' in text_of(shopper.client.get("/account/delete"))
    missing = delete(shopper, password=GOOD_PASSWORD)
    assert missing.status_code == 400
    assert 'id="code-error"' in text_of(missing)
    assert "Enter the 6-digit code from your app, or a backup code." in text_of(missing)
    wrong_code = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    wrong = delete(shopper, password=GOOD_PASSWORD, code=wrong_code)
    assert wrong.status_code == 400 and "That code is not valid." in text_of(wrong)
    assert shopper.client.get("/account/").status_code == 200
    done = delete(shopper, password=GOOD_PASSWORD, code=pyotp.TOTP(secret).at(clock.time()))
    assert done.status_code == 303
    assert api.login("alice").status_code == 401


def test_with_2fa_a_backup_code_deletes_the_account(api: Api, shopper: Shopper,
                                                     clock: FrozenClock) -> None:
    shopper.register()
    _, codes = enable_2fa(shopper, clock)
    done = delete(shopper, password=GOOD_PASSWORD, code=codes[3])
    assert done.status_code == 303
    assert "Your account is deleted." in text_of(shopper.client.get("/"))
    assert api.login("alice").status_code == 401
