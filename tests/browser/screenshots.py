"""``make screenshots``: a PNG of every shopper and admin page at 1280x800 and at 390x844.

Serves the shop with its demo data (development profile, a throwaway instance folder), walks
the pages as the ``demo`` shopper and a fresh shopper who enrols 2FA, and writes
``screenshots/<page>-<width>x<height>.png`` (git-ignored).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyotp
from selenium.webdriver.common.by import By

from tests.browser.admin_screenshots import admin_pages
from tests.browser.live import ROOT, LiveShop, chrome
from tests.browser.pages import Pages

SIZES = ((1280, 800), (390, 844))
OUT = ROOT / "screenshots"


def shoot(driver: Any, name: str, width: int, height: int) -> None:
    driver.save_screenshot(str(OUT / f"{name}-{width}x{height}.png"))


def walk(shop: LiveShop, base: Path, width: int, height: int) -> None:
    driver = chrome(base / f"profile-{width}", width, height)
    try:
        _pages(shop, Pages(driver, shop.url), width, height)
    finally:
        driver.quit()


def _pages(shop: LiveShop, pages: Pages, width: int, height: int) -> None:
    driver = pages.driver
    demo_password = json.loads((shop.instance / "demo_credentials.json").read_text())["demo"]

    def snap(name: str, path: str | None = None) -> None:
        if path is not None:
            pages.open(path)
        shoot(driver, name, width, height)

    snap("home", "/")
    snap("products", "/products/")
    snap("products-filtered", "/products/?category=kitchen&ordering=-price&in_stock=true")
    snap("products-invalid-filter", "/products/?min_price=abc&max_price=-1")
    pages.open("/products/")
    driver.find_element(By.CSS_SELECTOR, ".product-grid a").click()
    snap("product-detail")
    snap("register", "/register")
    snap("login", "/login")
    pages.fill("Username", "demo")
    pages.fill("Password", "not the password")
    pages.press("Log in")
    snap("login-error")
    snap("not-found", "/no-such-page")
    pages.login("demo", demo_password)
    pages.open("/products/")
    links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR,
                                                                   ".product-grid h3 a")]
    for href, quantity in zip(links[:2], (1, 2), strict=False):
        pages.open(href.removeprefix(shop.url))
        pages.fill("Quantity", str(quantity))
        pages.press("Add to cart")
    snap("cart")
    pages.press("Place order")
    snap("order-detail")
    snap("orders", "/orders/")
    snap("account", "/account/")
    snap("password", "/account/password")
    snap("two-factor-off", "/account/2fa/")
    snap("account-your-data", "/account/#data-heading")
    snap("delete-account", "/account/delete")
    _two_factor(pages, snap, width)
    admin_pages(shop, pages, snap)


def _two_factor(pages: Pages, snap: Any, width: int) -> None:
    driver = pages.driver
    pages.logout()
    user = f"shot{width}"
    pages.register(user, "screenshot pass phrase 1")
    pages.start_two_factor("screenshot pass phrase 1")
    snap("two-factor-setup")
    totp = pyotp.TOTP(driver.find_element(By.ID, "manual-key").text.strip())
    pages.fill("6-digit code from your app", totp.now())
    pages.press("Turn on two-factor authentication")
    snap("backup-codes")
    backup = driver.find_element(By.CSS_SELECTOR, ".backup-codes code").text.strip()
    snap("two-factor-on", "/account/2fa/")
    pages.logout()
    pages.login(user, "screenshot pass phrase 1")
    snap("login-code")
    pages.fill("Code", "000000" if totp.at(time.time() + 30) != "000000" else "111111")
    pages.press("Continue")
    snap("login-code-error")
    pages.fill("Code", totp.at(time.time() + 30))
    pages.press("Continue")
    _delete_account(pages, snap, "screenshot pass phrase 1", backup)


def _delete_account(pages: Pages, snap: Any, password: str, backup_code: str) -> None:
    snap("delete-account-2fa", "/account/delete")
    pages.fill("Password", password)
    pages.press("Delete my account")
    snap("delete-account-error")
    pages.fill("Password", password)
    pages.fill("Code from your app, or a backup code", backup_code)
    pages.press("Delete my account")
    snap("account-deleted")


def main() -> int:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shop-screens-") as tmp:
        base = Path(tmp)
        shop = LiveShop(base / "instance", profile="development").start()
        try:
            for width, height in SIZES:
                walk(shop, base, width, height)
        finally:
            shop.stop()
    print(f"screenshots in {OUT}: {len(list(OUT.glob('*.png')))} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
