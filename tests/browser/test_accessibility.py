"""axe-core (driven by axe-selenium-python) on every shopper page: no serious or critical
violation. Pages are checked as a shopper meets them, including forms that failed.

axe-selenium-python 2.1 (the last release for Python 3.11) bundles an axe-core from 2019 that
predates current WCAG rules (it calls ``autocomplete="one-time-code"`` invalid, for one), so
the package runs axe-core 4.14.1 from the npm registry, vendored beside this file with its
licence (MPL-2.0)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyotp
import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By

from tests.browser.live import LiveShop
from tests.browser.pages import Pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BLOCKING = ("serious", "critical")
AXE_CORE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"


def audit(browser: Any, name: str, found: dict[str, list[str]]) -> None:
    axe = Axe(browser, script_url=str(AXE_CORE))
    axe.inject()
    results = axe.run()
    bad = [f"{v['id']} ({v['impact']}): {v['nodes'][0]['html'][:120]}"
           for v in results["violations"] if v["impact"] in BLOCKING]
    if bad:
        found[name] = bad


def test_every_page_has_no_serious_or_critical_violation(shop: LiveShop, browser: Any) -> None:
    product = shop.create_product("AXE-1", "Accessible teapot", "18.00", stock=3)
    pages = Pages(browser, shop.url)
    found: dict[str, list[str]] = {}

    for path in ("/", "/products/", f"/products/{product}/", "/login", "/register",
                 "/products/?min_price=-5", "/no-such-page"):
        pages.open(path)
        audit(browser, path, found)
    pages.open("/login")
    pages.fill("Username", "nobody")
    pages.fill("Password", "wrong password")
    pages.press("Log in")
    audit(browser, "login with errors", found)

    pages.register("axe_user")
    pages.add_to_cart(product, 2)
    audit(browser, "cart", found)
    pages.press("Place order")
    audit(browser, "order detail", found)
    for path in ("/orders/", "/account/", "/account/password", "/account/2fa/"):
        pages.open(path)
        audit(browser, path, found)
    pages.start_two_factor()
    audit(browser, "2fa setup", found)
    secret = browser.find_element(By.ID, "manual-key").text.strip()
    pages.fill("6-digit code from your app", "000000" if pyotp.TOTP(secret).now() != "000000"
               else "111111")
    pages.press("Turn on two-factor authentication")
    audit(browser, "2fa setup with errors", found)
    pages.fill("6-digit code from your app", pyotp.TOTP(secret).now())
    pages.press("Turn on two-factor authentication")
    audit(browser, "backup codes", found)
    pages.open("/account/2fa/")
    audit(browser, "2fa on", found)
    pages.logout()
    pages.login("axe_user")
    audit(browser, "2fa code step", found)

    assert not found, "\n".join(f"{page}: {problem}" for page, problems in found.items()
                                 for problem in problems)
