"""The administrator's console in a real browser, in-process and with MODULE_TRANSPORT=grpc:
a product created, seen by a shopper, repriced and deactivated; an order moved to delivered;
a locked user unlocked; the signing key rotated (sessions keep working) and the old key
removed after the confirmation naming it (its sessions end); step-up asked once."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select

from tests.browser.live import ADMIN_PASSWORD, LiveShop
from tests.browser.pages import Pages
from tests.support import GOOD_PASSWORD


def choose(browser: Any, label: str, value: str) -> None:
    target = browser.find_element(By.XPATH, f"//label[normalize-space(.)='{label}']")
    Select(browser.find_element(By.ID, target.get_attribute("for"))).select_by_value(value)


def api_user(shop: LiveShop, name: str) -> str:
    shop.request("POST", "/api/users/", {"username": name, "email": f"{name}@example.com",
                                         "password": GOOD_PASSWORD})
    status, body = shop.request("POST", "/api/token/", {"username": name,
                                                        "password": GOOD_PASSWORD})
    assert status == 200, body
    return str(body["access"])


def test_admin_console(any_shop: LiveShop, browser: Any) -> None:
    tag = any_shop.transport
    pages = Pages(browser, any_shop.url)
    pages.login("root", ADMIN_PASSWORD)
    pages.open("/admin/security")
    assert "Logins and refusals, last 24 hours" in pages.text
    assert browser.find_elements(By.CSS_SELECTOR, "figure.chart svg")

    _products(any_shop, pages, tag)
    _orders(any_shop, pages, browser, tag)
    _unlock(any_shop, pages, tag)
    _keys(any_shop, pages, browser, tag)


def _products(shop: LiveShop, pages: Pages, tag: str) -> None:
    shopper = api_user(shop, f"viewer_{tag}")
    pages.open("/admin/products/new")
    for label, value in (("SKU", f"ADM-{tag}"), ("Name", f"Admin lamp {tag}"),
                         ("Category", "home"), ("Price", "0"), ("Stock", "4")):
        pages.fill(label, value)
    pages.press("Create product")
    assert "There is a problem" in pages.text and "Price must be from 0.01" in pages.text
    pages.fill("Price", "30.00")
    pages.press("Create product")
    status, body = shop.request("GET", f"/api/products/?search=Admin+lamp+{tag}", token=shopper)
    assert status == 200 and [p["price"] for p in body["results"]] == ["30.00"]
    product_id = body["results"][0]["id"]
    pages.open(f"/admin/products/{product_id}/edit")
    pages.fill("Price", "27.50")
    pages.press("Save")
    assert shop.request("GET", f"/api/products/{product_id}/", token=shopper)[1]["price"] \
        == "27.50"
    pages.press(f"Deactivate Admin lamp {tag}")
    status, body = shop.request("GET", f"/api/products/?search=Admin+lamp+{tag}", token=shopper)
    assert body["count"] == 0, "a deactivated product no longer lists"


def _orders(shop: LiveShop, pages: Pages, browser: Any, tag: str) -> None:
    buyer = api_user(shop, f"buyer_{tag}")
    product = shop.create_product(f"ADM-MUG-{tag}", f"Admin mug {tag}", "5.00", stock=5)
    status, order = shop.request("POST", "/api/orders/",
                                 {"items": [{"product_id": product, "quantity": 1}]}, buyer)
    assert status == 201, order
    pages.open(f"/admin/orders?status=pending&user={order['user_id']}")
    assert order["id"][:8] in pages.text
    pages.open(f"/admin/orders/{order['id']}")
    for step in ("confirmed", "processing", "shipped", "delivered"):
        choose(browser, "New status", step)
        pages.press("Change status")
        assert f"Order is now {step}." in pages.text
    assert "does not change any more" in pages.text
    assert shop.request("GET", f"/api/orders/{order['id']}/", token=buyer)[1]["status"] \
        == "delivered"


def _unlock(shop: LiveShop, pages: Pages, tag: str) -> None:
    name = f"locked_{tag}"
    api_user(shop, name)
    for _ in range(5):
        shop.request("POST", "/api/token/", {"username": name, "password": "wrong guess"})
    assert shop.request("POST", "/api/token/", {"username": name,
                                                "password": GOOD_PASSWORD})[0] == 401
    pages.open(f"/admin/users?search={name}")
    browser_link = pages.driver.find_element(By.LINK_TEXT, name)
    browser_link.click()
    assert "Until" in pages.text
    pages.press(f"Unlock {name}")
    assert "Unlocked." in pages.text
    assert shop.request("POST", "/api/token/", {"username": name,
                                                "password": GOOD_PASSWORD})[0] == 200


def _keys(shop: LiveShop, pages: Pages, browser: Any, tag: str) -> None:
    shopper = api_user(shop, f"keyholder_{tag}")
    pages.open("/admin/keys")
    old_kid = browser.find_element(By.CSS_SELECTOR, "tbody tr code").text
    pages.press("Rotate the signing key")
    assert "Confirm it is you" in pages.text
    pages.fill("Your password", ADMIN_PASSWORD)
    pages.press("Confirm and continue")
    assert "New active signing key" in pages.text
    assert shop.request("GET", "/api/users/me/", token=shopper)[0] == 200, "sessions go on"
    pages.open(f"/admin/keys/{old_kid}/remove")
    assert f"Remove signing key {old_kid}?" in pages.text
    pages.fill("Type the key id to confirm", old_kid)
    pages.press(f"Remove key {old_kid}")
    assert f"Removed key {old_kid}" in pages.text, "no second step-up within 5 minutes"
    assert shop.request("GET", "/api/users/me/", token=shopper)[0] == 401, "its tokens end"
