"""One shopper's whole journey in a real browser, in-process and with MODULE_TRANSPORT=grpc:
register, enrol 2FA, log out, log in with password and code, search, fill the cart, check
out, see the order, cancel it, see the stock come back."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest
from selenium.webdriver.common.by import By

from tests.browser.live import LiveShop
from tests.browser.pages import Pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_shopper_journey(any_shop: LiveShop, browser: Any) -> None:
    tag = any_shop.transport.upper()
    kettle = any_shop.create_product(f"E2E-K-{tag}", f"E2E kettle {tag}", "24.00", stock=10)
    cups = any_shop.create_product(f"E2E-C-{tag}", f"E2E cups {tag}", "6.50", stock=10)
    pages = Pages(browser, any_shop.url)
    username = f"journey_{any_shop.transport}"

    pages.register(username)
    assert pages.path == "/products/" and "Log out" in pages.text

    pages.start_two_factor()
    secret = browser.find_element(By.ID, "manual-key").text.strip()
    totp = pyotp.TOTP(secret)
    pages.fill("6-digit code from your app", totp.now())
    pages.press("Turn on two-factor authentication")
    codes = browser.find_elements(By.CSS_SELECTOR, ".backup-codes code")
    assert len(codes) == 10

    pages.logout()
    pages.login(username)
    assert pages.path == "/login/code"
    # The enrolment spent this time step; the next one is inside the accepted window.
    pages.fill("Code", totp.at(time.time() + 30))
    pages.press("Continue")
    assert pages.path == "/products/" and "Log out" in pages.text, (pages.path, pages.text)

    pages.fill("Search", f"E2E {tag}".split()[0])
    pages.press("Show products")
    assert f"E2E kettle {tag}" in pages.text and f"E2E cups {tag}" in pages.text

    pages.add_to_cart(kettle, 1)
    pages.add_to_cart(cups, 2)
    assert pages.path == "/cart/" and "37.00" in pages.text
    pages.press("Place order")
    order_id = pages.order_id()
    assert "Waiting for confirmation" in pages.text and "37.00" in pages.text
    assert (any_shop.stock(kettle), any_shop.stock(cups)) == (9, 8)

    pages.open("/orders/")
    assert order_id[:8] in pages.text
    pages.open(f"/orders/{order_id}/")
    pages.press("Cancel this order")
    assert "Your order is cancelled." in pages.text and "Cancelled" in pages.text
    assert (any_shop.stock(kettle), any_shop.stock(cups)) == (10, 10)
