"""Every shopper page through the Flask test client: the flow, forms and their errors."""

import re

import pyotp
import pytest
from flask import Flask

from app.bootstrap import Services
from app.platform.clock import FrozenClock
from tests.shop_helpers import add_product, stock_of
from tests.support import GOOD_PASSWORD
from tests.ui_support import Shopper, csrf_of, text_of


@pytest.fixture
def shopper(client) -> Shopper:  # type: ignore[no-untyped-def]
    return Shopper(client)


@pytest.fixture
def products(app: Flask, services: Services) -> dict[str, str]:
    return {"tea": add_product(app, services, "TEA", stock=5, price="3.20", name="Green tea"),
            "mug": add_product(app, services, "MUG", stock=2, price="7.00", name="Blue mug")}


def add(shopper: Shopper, product_id: str, quantity: int = 1) -> None:
    response = shopper.form_post(f"/products/{product_id}/", "/cart/add",
                                 {"product_id": product_id, "quantity": str(quantity)})
    assert response.status_code == 303


def checkout(shopper: Shopper) -> tuple[str, dict[str, str]]:
    html = text_of(shopper.client.get("/cart/"))
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html)
    assert key, html
    data = {"csrf_token": csrf_of(html), "idempotency_key": key.group(1)}
    return shopper.client.post("/cart/checkout", data=data).headers["Location"], data


def test_cart_checkout_orders_and_cancel(app: Flask, services: Services, shopper: Shopper,
                                         products: dict[str, str]) -> None:
    shopper.register()
    add(shopper, products["tea"], 2)
    add(shopper, products["mug"])
    cart = text_of(shopper.client.get("/cart/"))
    assert "Green tea" in cart and "13.40" in cart
    location, _ = checkout(shopper)
    assert location.startswith("/orders/")
    detail = text_of(shopper.client.get(location))
    assert "Waiting for confirmation" in detail and "13.40" in detail
    assert stock_of(app, services, products["tea"]) == 3
    assert "Your cart is empty" in text_of(shopper.client.get("/cart/"))
    history = text_of(shopper.client.get("/orders/"))
    assert location.rstrip("/").split("/")[-1][:8] in history
    token = csrf_of(detail)
    shopper.client.post(location + "cancel", data={"csrf_token": token})
    assert "Cancelled" in text_of(shopper.client.get(location))
    assert stock_of(app, services, products["tea"]) == 5


def test_double_submitted_checkout_makes_one_order(services: Services, shopper: Shopper,
                                                   products: dict[str, str]) -> None:
    shopper.register()
    add(shopper, products["tea"])
    first, form = checkout(shopper)
    second = shopper.client.post("/cart/checkout", data=form)  # the same form sent again
    assert second.headers["Location"] == first
    principal = shopper_principal(services, shopper)
    assert services.ordering.list_orders(principal, 1, 20).total == 1  # type: ignore[union-attr]


def shopper_principal(services: Services, shopper: Shopper):  # type: ignore[no-untyped-def]
    return services.verifier.verify(shopper.cookie("shop_access") or "")


def test_out_of_stock_checkout_names_the_product_and_keeps_the_cart(
        app: Flask, services: Services, shopper: Shopper, products: dict[str, str]) -> None:
    from app.catalog.contract import ProductChanges
    from tests.shop_helpers import OPERATOR

    shopper.register()
    add(shopper, products["mug"], 2)
    with app.app_context():
        services.catalog.update_product(OPERATOR, products["mug"],  # type: ignore[union-attr]
                                        ProductChanges(stock=1))
    location, _ = checkout(shopper)
    assert location == "/cart/"
    page = text_of(shopper.client.get(location))
    assert "not enough stock of Blue mug" in page
    assert "Only 1 left" in page  # the cart is kept, with its warning


def test_product_filters_validate_like_the_api(shopper: Shopper,
                                               products: dict[str, str]) -> None:
    page = shopper.client.get("/products/?search=tea&max_price=5")
    assert page.status_code == 200 and "Green tea" in text_of(page)
    assert "Blue mug" not in text_of(page)
    bad = shopper.client.get("/products/?min_price=-1&ordering=evil&page=x")
    assert bad.status_code == 400
    html = text_of(bad)
    assert "There is a problem" in html and 'aria-describedby="min_price-error"' in html
    assert "Choose a sort order from the list" in html
    swapped = shopper.client.get("/products/?min_price=9&max_price=1")
    assert swapped.status_code == 400
    assert "must not be more than maximum price" in text_of(swapped)


def test_unknown_product_and_foreign_order_are_404_pages(app: Flask, services: Services,
                                                         shopper: Shopper,
                                                         products: dict[str, str]) -> None:
    """Attack: IDOR, reading another shopper's order by its id."""
    shopper.register("alice")
    add(shopper, products["tea"])
    location, _ = checkout(shopper)
    shopper.form_post("/products/", "/logout")
    shopper.register("mallory")
    foreign = shopper.client.get(location)
    assert foreign.status_code == 404 and "Page not found" in text_of(foreign)
    assert shopper.client.get("/products/nope/").status_code == 404


def test_account_email_password_and_security_events(shopper: Shopper) -> None:
    shopper.register()
    changed = shopper.form_post("/account/", "/account/email", {"email": "new@example.com"})
    assert changed.status_code == 303
    wrong = shopper.form_post("/account/password", "/account/password", {
        "current_password": "wrong password here", "new_password": "another good phrase 42"})
    assert wrong.status_code == 400
    assert "Your current password is not correct." in text_of(wrong)
    ok = shopper.form_post("/account/password", "/account/password", {
        "current_password": GOOD_PASSWORD, "new_password": "another good phrase 42"})
    assert ok.status_code == 303
    page = text_of(shopper.client.get("/account/"))
    assert "new@example.com" in page
    # The wrong current password was a guess at the password: it is shown as one.
    assert "Password changed" in page and "Failed login attempt" in page
    assert "Logged in" in page


def test_two_factor_enrolment_backup_codes_and_login(shopper: Shopper,
                                                     clock: FrozenClock) -> None:
    shopper.register()
    refused = shopper.form_post("/account/2fa/", "/account/2fa/setup",
                                {"password": "a guess at the password"}, follow_redirects=True)
    assert "The password is not correct." in text_of(refused)
    setup = shopper.form_post("/account/2fa/", "/account/2fa/setup",
                              {"password": GOOD_PASSWORD})
    html = text_of(setup)
    assert '<svg role="img"' in html
    secret = re.search(r'id="manual-key">([A-Z2-7]+)<', html)
    assert secret
    code = pyotp.TOTP(secret.group(1)).at(int(clock.time()))
    done = shopper.client.post("/account/2fa/confirm",
                               data={"csrf_token": csrf_of(html), "code": code})
    codes = re.findall(r'<li><code>([a-z0-9-]+)</code></li>', text_of(done))
    assert len(codes) == 10
    download = shopper.client.post("/account/2fa/backup-codes.txt", data={
        "csrf_token": csrf_of(text_of(done)), "code": codes})
    assert download.headers["Content-Disposition"] == 'attachment; filename="backup-codes.txt"'
    assert all(c in download.get_data(as_text=True) for c in codes)
    shopper.form_post("/products/", "/logout")
    step = shopper.login()
    assert step.headers["Location"] == "/login/code"
    used = shopper.form_post("/login/code", "/login/code", {"code": codes[0]})
    assert used.status_code == 303
    assert "9 backup codes are left" in text_of(shopper.client.get("/products/"))


def test_xss_in_a_product_name_is_shown_as_text(app: Flask, services: Services,
                                                shopper: Shopper) -> None:
    """Attack: stored XSS through a product name, on list, detail, cart and order pages."""
    payload = "<img src=x onerror=alert(1)>"
    product = add_product(app, services, "XSS", name=payload, price="1.00")
    shopper.register()
    add(shopper, product)
    pages = [text_of(shopper.client.get(path))
             for path in ("/products/", f"/products/{product}/", "/cart/")]
    location, _ = checkout(shopper)
    pages.append(text_of(shopper.client.get(location)))
    for html in pages:
        assert payload not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
