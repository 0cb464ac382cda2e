"""The "Delete my account" page in headless Chromium: the whole flow as a shopper meets it
(account page, the page that explains, a wrong password, then the deletion), the old session
cookies dead afterwards, and axe-core on the page (0 serious or critical), with 2FA on and
with errors."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest
from selenium.webdriver.common.by import By

from tests.browser.live import LiveShop
from tests.browser.pages import Pages
from tests.browser.test_accessibility import audit
from tests.support import GOOD_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SESSION_COOKIES = ("shop_access", "shop_refresh")


def session_cookies(browser: Any) -> dict[str, str]:
    return {c["name"]: c["value"] for c in browser.get_cookies() if c["name"] in SESSION_COOKIES}


def test_delete_account_end_to_end_and_the_old_cookies_no_longer_work(
        shop: LiveShop, browser: Any) -> None:
    pages = Pages(browser, shop.url)
    pages.register("leaving_user")
    old = session_cookies(browser)
    assert set(old) == set(SESSION_COOKIES)

    pages.open("/account/")
    browser.find_element(By.LINK_TEXT, "Delete my account").click()
    assert pages.path == "/account/delete"
    assert "every session ends" in pages.text and "no longer linked to you" in pages.text

    pages.fill("Password", "not my password at all")
    pages.press("Delete my account")
    assert "Your password is not correct." in pages.text
    assert shop.request("GET", "/api/users/me/", token=old["shop_access"])[0] == 200

    pages.fill("Password", GOOD_PASSWORD)
    pages.press("Delete my account")
    assert pages.path == "/"
    assert "Your account is deleted." in pages.text and "Log in" in pages.text
    assert session_cookies(browser) == {}

    # Attack: the cookies of the deleted account, replayed in the browser and on the API.
    for name, value in old.items():
        browser.add_cookie({"name": name, "value": value, "path": "/", "httpOnly": True})
    pages.open("/account/")
    assert pages.path.startswith("/login")
    assert shop.request("GET", "/api/users/me/", token=old["shop_access"])[0] == 401
    refreshed = shop.request("POST", "/api/token/refresh/", {"refresh": old["shop_refresh"]})
    assert refreshed[0] == 401
    assert shop.request("POST", "/api/token/", {"username": "leaving_user",
                                                "password": GOOD_PASSWORD})[0] == 401


def test_delete_page_has_no_serious_or_critical_violation(shop: LiveShop,
                                                          browser: Any) -> None:
    pages = Pages(browser, shop.url)
    found: dict[str, list[str]] = {}
    pages.register("axe_leaver")
    pages.open("/account/")
    audit(browser, "account with data rights", found)
    pages.open("/account/delete")
    audit(browser, "delete account", found)
    pages.press("Delete my account")
    audit(browser, "delete account with errors", found)

    pages.start_two_factor()
    totp = pyotp.TOTP(browser.find_element(By.ID, "manual-key").text.strip())
    pages.fill("6-digit code from your app", totp.now())
    pages.press("Turn on two-factor authentication")
    pages.open("/account/delete")
    audit(browser, "delete account with 2FA", found)
    pages.fill("Password", GOOD_PASSWORD)
    pages.press("Delete my account")
    assert "Enter the 6-digit code from your app, or a backup code." in pages.text
    audit(browser, "delete account with 2FA and errors", found)
    pages.fill("Password", GOOD_PASSWORD)
    pages.fill("Code from your app, or a backup code", totp.at(time.time() + 30))
    pages.press("Delete my account")
    assert pages.path == "/" and "Your account is deleted." in pages.text

    assert not found, "\n".join(f"{page}: {problem}" for page, problems in found.items()
                                 for problem in problems)
