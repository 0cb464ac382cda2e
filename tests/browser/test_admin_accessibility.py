"""axe-core on every admin page, as an administrator meets them (also the step-up page, the
key removal confirmation and forms that failed): no serious or critical violation."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By

from tests.browser.live import ADMIN_PASSWORD, LiveShop
from tests.browser.pages import Pages
from tests.browser.test_accessibility import audit
from tests.support import GOOD_PASSWORD


def test_every_admin_page_has_no_serious_or_critical_violation(shop: LiveShop,
                                                                browser: Any) -> None:
    product = shop.create_product("AXE-ADM-1", "Accessible admin kettle", "21.00", stock=3)
    shop.request("POST", "/api/users/", {"username": "axe_buyer", "password": GOOD_PASSWORD,
                                         "email": "axe_buyer@example.com"})
    buyer = shop.request("POST", "/api/token/", {"username": "axe_buyer",
                                                 "password": GOOD_PASSWORD})[1]["access"]
    order = shop.request("POST", "/api/orders/",
                         {"items": [{"product_id": product, "quantity": 1}]}, buyer)[1]
    pages = Pages(browser, shop.url)
    pages.login("root", ADMIN_PASSWORD)
    found: dict[str, list[str]] = {}
    for path in ("/admin/security", "/admin/security/events",
                 "/admin/security/events?outcome=failure", "/admin/products",
                 "/admin/products/new", f"/admin/products/{product}/edit", "/admin/orders",
                 "/admin/orders?status=lost", f"/admin/orders/{order['id']}", "/admin/users",
                 f"/admin/users/{order['user_id']}", "/admin/keys", "/admin/blocked"):
        pages.open(path)
        audit(browser, path, found)
    pages.open("/admin/products/new")
    pages.press("Create product")
    audit(browser, "product form with errors", found)
    pages.open("/admin/blocked")
    pages.fill("IP address or CIDR range", "0.0.0.0/0")
    pages.fill("Reason", "everyone")
    pages.press("Block")
    audit(browser, "block form with errors", found)
    pages.open(f"/admin/users/{order['user_id']}")
    pages.press("End every session of axe_buyer")
    audit(browser, "step-up", found)
    pages.fill("Your password", "not the password")
    pages.press("Confirm and continue")
    audit(browser, "step-up with errors", found)
    pages.open("/admin/keys")
    kid = browser.find_element(By.CSS_SELECTOR, "tbody tr code").text
    pages.open(f"/admin/keys/{kid}/remove")
    audit(browser, "key removal confirmation", found)

    assert not found, "\n".join(f"{page}: {problem}" for page, problems in found.items()
                                 for problem in problems)


def test_the_chart_fits_and_reads_at_phone_width(shop: LiveShop, browser: Any) -> None:
    pages = Pages(browser, shop.url)
    pages.login("root", ADMIN_PASSWORD)
    browser.set_window_size(375, 812)
    pages.open("/admin/security")
    width = browser.execute_script("return window.innerWidth")
    chart = browser.find_element(By.CSS_SELECTOR, "figure.chart svg")
    box = browser.execute_script("const r = arguments[0].getBoundingClientRect();"
                                 "return [r.left, r.right, r.height];", chart)
    assert box[0] >= 0 and box[1] <= width and box[2] > 150, (box, width)
    assert browser.execute_script(
        "return document.documentElement.scrollWidth") <= width, "no sideways scrolling"
    heights = browser.execute_script(
        "return [...arguments[0].querySelectorAll('.axis text, .legend text')]"
        ".map(t => t.getBoundingClientRect().height).filter(h => h > 0);", chart)
    assert heights and min(heights) >= 8, f"axis and legend text too small: {heights}"
