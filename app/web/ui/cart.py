"""The cart (kept by the ordering module) and checkout.

Each rendering of the cart mints a fresh idempotency key into the checkout form, so a double
click or a resubmitted form places exactly one order (the ordering contract returns the first
order for a repeated key), while a later, deliberate checkout gets a new key.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, flash, redirect, url_for
from werkzeug.wrappers import Response

from app.catalog.contract import InsufficientStock, ProductInactive, ProductNotFound
from app.kernel import InvalidInput, Principal
from app.ordering.contract import CartView, IdempotencyInProgress, OrderingService
from app.web.ui import Ui
from app.web.ui.common import page
from app.web.ui.forms import CheckoutForm, QuantityForm


def _name_in(cart: CartView, product_id: str) -> str:
    return next((line.product_name for line in cart.lines if line.product_id == product_id),
                "a product")


def _to_cart() -> Response:
    return redirect(url_for("cart.show"), code=303)


def blueprint(ui: Ui) -> Blueprint:
    bp = ui.blueprint("cart", __name__, url_prefix="/cart")
    ordering = ui.services.ordering
    assert ordering is not None, "the ordering service is wired in app/bootstrap.py"
    _show(bp, ui, ordering)
    _add(bp, ui, ordering)
    _update(bp, ui, ordering)
    _checkout(bp, ui, ordering)
    return bp


def _show(bp: Blueprint, ui: Ui, ordering: OrderingService) -> None:
    @bp.get("/")
    @ui.login_required
    def show(principal: Principal) -> Response:
        cart = ordering.get_cart(principal)
        checkout = CheckoutForm(idempotency_key=secrets.token_urlsafe(24))
        return page("cart/cart.html", cart=cart, checkout=checkout,
                    blocked=any(not line.available for line in cart.lines))


def _add(bp: Blueprint, ui: Ui, ordering: OrderingService) -> None:
    @bp.post("/add")
    @ui.login_required
    def add(principal: Principal) -> Response:
        form = QuantityForm()
        if not form.validate_on_submit() or not form.quantity.data:
            flash("Choose a quantity from 1 to 100.", "error")
            return _to_cart()
        try:
            cart = ordering.add_to_cart(principal, form.product_id.data, form.quantity.data)
        except (ProductNotFound, ProductInactive):
            flash("That product is no longer available.", "error")
        except InvalidInput as error:
            flash(error.detail, "error")
        else:
            flash(f"Added {_name_in(cart, form.product_id.data)} to your cart.", "success")
        return _to_cart()


def _update(bp: Blueprint, ui: Ui, ordering: OrderingService) -> None:
    @bp.post("/update")
    @ui.login_required
    def update(principal: Principal) -> Response:
        form = QuantityForm()
        if not form.validate_on_submit():
            flash("Choose a quantity from 0 to 100.", "error")
            return _to_cart()
        try:
            ordering.set_cart_item(principal, form.product_id.data, form.quantity.data)
        except (ProductNotFound, ProductInactive):
            flash("That product is no longer available; remove it from your cart.", "error")
        except InvalidInput as error:
            flash(error.detail, "error")
        else:
            flash("Your cart is updated.", "success")
        return _to_cart()


def _checkout(bp: Blueprint, ui: Ui, ordering: OrderingService) -> None:
    @bp.post("/checkout")
    @ui.login_required
    def checkout(principal: Principal) -> Response:
        form = CheckoutForm()
        if not form.validate_on_submit():
            flash("Please review your cart and place the order again.", "error")
            return _to_cart()
        try:
            order = ordering.checkout(principal, form.idempotency_key.data)
        except InsufficientStock as error:
            name = _name_in(ordering.get_cart(principal), error.product_id)
            flash(f"Sorry, there is not enough stock of {name}. Lower the quantity or remove "
                  "it; your cart is kept.", "error")
            return _to_cart()
        except (ProductNotFound, ProductInactive):
            flash("A product in your cart is no longer sold. Remove it and try again.", "error")
            return _to_cart()
        except IdempotencyInProgress:
            flash("Your order is still being placed. Check your orders in a moment.", "info")
            return redirect(url_for("orders.history"), code=303)
        except InvalidInput as error:
            flash(error.detail, "error")
            return _to_cart()
        flash("Thank you! Your order is placed. An administrator will confirm it.", "success")
        return redirect(url_for("orders.detail", order_id=order.id), code=303)
