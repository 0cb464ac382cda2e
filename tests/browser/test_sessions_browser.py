"""Browser sessions and attacks in a real browser: cookies JavaScript cannot read, a refresh
nobody notices, a replayed refresh cookie, a double-submitted checkout, stored XSS, CSP."""

from __future__ import annotations

import http.client
import time
from typing import Any

import pytest
from selenium.common.exceptions import NoAlertPresentException

from tests.browser.live import LiveShop
from tests.browser.pages import Pages
from tests.support import GOOD_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = ("/", "/products/", "/login", "/register", "/cart/", "/orders/", "/account/",
         "/account/password", "/account/2fa/", "/no-such-page")


def api_token(shop: LiveShop, username: str) -> str:
    status, body = shop.request("POST", "/api/token/",
                                {"username": username, "password": GOOD_PASSWORD})
    assert status == 200, body
    return str(body["access"])


def test_tokens_are_httponly_cookies_javascript_cannot_read(shop: LiveShop,
                                                            browser: Any) -> None:
    pages = Pages(browser, shop.url)
    pages.register("cookie_user")
    cookies = {c["name"]: c for c in browser.get_cookies()}
    for name in ("shop_access", "shop_refresh"):
        cookie = cookies[name]
        assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
        assert cookie["path"] == "/"
    visible = browser.execute_script("return document.cookie")
    assert cookies["shop_access"]["value"] not in visible
    assert cookies["shop_refresh"]["value"] not in visible
    assert "shop_access" not in visible and "shop_refresh" not in visible
    storage = browser.execute_script(
        "return JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
    assert cookies["shop_access"]["value"] not in storage
    assert cookies["shop_access"]["value"] not in browser.page_source


def test_expired_access_cookie_is_refreshed_transparently(shop: LiveShop, browser: Any) -> None:
    pages = Pages(browser, shop.url)
    pages.register("refresh_user")
    old_refresh = browser.get_cookie("shop_refresh")["value"]
    browser.delete_cookie("shop_access")  # what the browser does once the token's lifetime ends
    pages.open("/account/")
    assert pages.path == "/account/" and "refresh_user" in pages.text
    assert browser.get_cookie("shop_access") is not None
    assert browser.get_cookie("shop_refresh")["value"] != old_refresh  # rotated


def test_attack_replayed_refresh_cookie_ends_the_session(shop: LiveShop, browser: Any) -> None:
    pages = Pages(browser, shop.url)
    pages.register("replay_user")
    stolen = browser.get_cookie("shop_refresh")["value"]
    browser.delete_cookie("shop_access")
    pages.open("/account/")  # rotation: the stolen value is now retired
    rotated = browser.get_cookie("shop_refresh")["value"]
    time.sleep(1.5)  # past UI_REFRESH_GRACE_SECONDS=1 of the live shop (racing requests)
    browser.delete_cookie("shop_access")
    browser.delete_cookie("shop_refresh")
    browser.add_cookie({"name": "shop_refresh", "value": stolen, "path": "/"})
    pages.open("/account/")
    assert pages.path.startswith("/login")
    assert browser.get_cookie("shop_refresh") is None
    # Reuse revoked the whole family: the owner's rotated token is dead as well.
    status, _ = shop.request("POST", "/api/token/refresh/", {"refresh": rotated})
    assert status == 401


def test_double_submitted_checkout_makes_one_order(shop: LiveShop, browser: Any) -> None:
    product = shop.create_product("DOUBLE-1", "Double-click lamp", "12.00", stock=10)
    pages = Pages(browser, shop.url)
    pages.register("double_user")
    pages.add_to_cart(product, 1)
    # The same checkout form sent twice at once, as a double click or an impatient resubmit.
    statuses = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const form = document.querySelector('form[action="/cart/checkout"]');
        const send = () => fetch(form.action, {method: 'POST', credentials: 'same-origin',
            body: new URLSearchParams(new FormData(form)), redirect: 'manual'});
        Promise.all([send(), send()]).then(rs => done(rs.map(r => r.type)));
    """)
    assert statuses == ["opaqueredirect", "opaqueredirect"]  # both answered with a redirect
    pages.press("Place order")  # and the page's own button, once more
    assert pages.path.startswith("/orders/")
    assert shop.orders_of(api_token(shop, "double_user")) == 1
    assert shop.stock(product) == 9


def test_attack_stored_xss_in_a_product_name_shows_as_text(shop: LiveShop, browser: Any) -> None:
    payload = "<img src=x onerror=alert(1)>"
    product = shop.create_product("XSS-1", payload, "3.00", stock=5)
    pages = Pages(browser, shop.url)
    pages.register("xss_user")
    visited = []
    for path in ("/products/?search=img", f"/products/{product}/"):
        pages.open(path)
        visited.append(pages.text)
    pages.add_to_cart(product, 1)
    visited.append(pages.text)
    pages.press("Place order")
    visited.append(pages.text)
    for text in visited:
        assert payload in text  # shown as text, not parsed as markup
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - no script ran
    assert browser.execute_script("return document.images.length") == 0


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_csp(shop: LiveShop, path: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", shop.port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    assert response.status in (200, 303, 404)
    csp = response.getheader("Content-Security-Policy", "")
    # A nonce is named only by a page whose template uses one (none of these): without it the
    # policy admits no inline script or style at all.
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "form-action 'self'"):
        assert directive in csp, (path, csp)
