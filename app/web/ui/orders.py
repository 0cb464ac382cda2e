"""The shopper's orders: history (newest first, paginated), one order, cancel."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from app.kernel import Principal
from app.ordering.contract import TRANSITIONS, InvalidTransition
from app.web.ui import Ui
from app.web.ui.common import page

PAGE_SIZE = 10
STATUS_TEXT = {
    "pending": "Waiting for confirmation",
    "confirmed": "Confirmed",
    "processing": "Being prepared",
    "shipped": "Shipped",
    "delivered": "Delivered",
    "cancelled": "Cancelled",
}


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 100_000 else 1


def blueprint(ui: Ui) -> Blueprint:
    bp = ui.blueprint("orders", __name__, url_prefix="/orders")
    ordering = ui.services.ordering
    assert ordering is not None, "the ordering service is wired in app/bootstrap.py"

    @bp.get("/")
    @ui.login_required
    def history(principal: Principal) -> Response:
        orders = ordering.list_orders(principal, _page_number(), PAGE_SIZE)
        return page("orders/history.html", orders=orders, status_text=STATUS_TEXT)

    @bp.get("/<order_id>/")
    @ui.login_required
    def detail(principal: Principal, order_id: str) -> Response:
        order = ordering.get_order(principal, order_id)  # someone else's: the 404 page
        return page("orders/detail.html", order=order, status_text=STATUS_TEXT,
                    cancellable="cancelled" in TRANSITIONS[order.status])

    @bp.post("/<order_id>/cancel")
    @ui.login_required
    def cancel(principal: Principal, order_id: str) -> Response:
        try:
            ordering.cancel_order(principal, order_id)
        except InvalidTransition:
            flash("This order can no longer be cancelled.", "error")
        else:
            flash("Your order is cancelled.", "success")
        return redirect(url_for("orders.detail", order_id=order_id), code=303)

    return bp
