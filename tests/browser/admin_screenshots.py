"""The admin pages for ``make screenshots``, as the demo ``admin`` meets them."""

from __future__ import annotations

import json
from collections.abc import Callable

from selenium.webdriver.common.by import By

from tests.browser.live import LiveShop
from tests.browser.pages import Pages


def admin_pages(shop: LiveShop, pages: Pages, snap: Callable[..., None]) -> None:
    driver = pages.driver
    password = json.loads((shop.instance / "demo_credentials.json").read_text())["admin"]
    pages.login("admin", password)  # the shopper walk ends signed out, at the code step
    snap("admin-security", "/admin/security")
    snap("admin-events", "/admin/security/events")
    snap("admin-products", "/admin/products")
    pages.open("/admin/products/new")
    pages.press("Create product")
    snap("admin-product-errors")
    pages.open("/admin/products")
    driver.find_element(By.CSS_SELECTOR, "tbody td a").click()
    snap("admin-product-edit")
    snap("admin-orders", "/admin/orders")
    driver.find_element(By.CSS_SELECTOR, "tbody td a").click()
    snap("admin-order")
    snap("admin-users", "/admin/users?search=demo")
    driver.find_element(By.CSS_SELECTOR, "tbody td a").click()
    snap("admin-user")
    pages.press("End every session of")
    snap("admin-step-up")
    snap("admin-keys", "/admin/keys")
    driver.find_element(By.CSS_SELECTOR, "tbody td a").click()
    snap("admin-key-remove")
    snap("admin-blocked", "/admin/blocked")
