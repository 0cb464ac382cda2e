"""Orders: every order with filters (status, user, days), detail, status along the allowed
transitions only (the form offers exactly the next states the ordering module allows)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, Form, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.kernel import InvalidInput
from app.ordering.contract import STATUSES, TRANSITIONS, InvalidTransition, OrderFilter
from app.web.ui.admin.kit import AdminKit
from app.web.ui.common import page

PAGE_SIZE = 20
USER_ID = r"^[0-9a-fA-F-]{1,36}$"


class OrderFilterForm(Form):
    """The list's GET form (no CSRF: it changes nothing)."""

    status = SelectField("Status", default="", choices=[SelectChoice("", "Any"),
                                            *(SelectChoice(s, s.title()) for s in STATUSES)])
    user = StringField("User id", validators=[Optional(), Regexp(
        USER_ID, message="A user id is a UUID, like the one on the user's page")])
    created_from = DateField("Placed on or after", validators=[Optional()])
    created_to = DateField("Placed on or before", validators=[Optional()])
    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(1, 100_000)])


class StatusForm(FlaskForm):
    status = SelectField("New status", validators=[DataRequired("Choose the new status"),
                                                    Length(max=20)])


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def routes(bp: Blueprint, kit: AdminKit) -> None:
    ordering = kit.services.ordering
    assert ordering is not None

    @bp.get("/orders")
    def orders() -> Response:
        form = OrderFilterForm(request.args)
        found, args = None, {}
        if form.validate():
            args = {k: v for k, v in request.args.items() if k != "page" and v}
            try:
                found = ordering.list_orders(
                    kit.principal(), form.page.data or 1, PAGE_SIZE, form.user.data or None,
                    OrderFilter(status=form.status.data or None,
                                created_from=_day(form.created_from.data),
                                created_to=_day(form.created_to.data)))
            except InvalidInput as error:
                for name, message in error.field_errors.items():
                    if name in form:
                        form[name].errors = [message]
        return page("admin/orders.html", status=200 if found is not None else 400, form=form,
                    orders=found, args=args, **kit.context())

    @bp.route("/orders/<order_id>", methods=["GET", "POST"])
    def order(order_id: str) -> Response:
        current = ordering.get_order(kit.principal(), order_id)
        form = StatusForm()
        form.status.choices = [SelectChoice(s, s.title())
                               for s in TRANSITIONS.get(current.status, ())]
        if form.validate_on_submit():
            try:
                changed = ordering.change_status(kit.principal(), order_id, form.status.data)
            except InvalidTransition as error:
                form.status.errors = [error.detail or "That change is not allowed now."]
            else:
                flash(f"Order is now {changed.status}.", "success")
                return redirect(url_for("admin.order", order_id=order_id), code=303)
        status = 400 if request.method == "POST" else 200
        return page("admin/order.html", status=status, order=current, form=form,
                    **kit.context())
