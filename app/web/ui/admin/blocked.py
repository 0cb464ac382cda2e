"""Blocked addresses: list, block (IP or CIDR, reason, optional expiry), unblock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.kernel import InvalidInput, NotFound
from app.web.ui.admin.kit import AdminKit
from app.web.ui.common import attach_error, page

EXPIRIES = [SelectChoice(value, label) for value, label in (
    ("", "Never (until unblocked)"), ("3600", "1 hour"), ("86400", "24 hours"),
    ("604800", "7 days"), ("2592000", "30 days"))]


class BlockForm(FlaskForm):
    network = StringField("IP address or CIDR range", validators=[
        DataRequired("Enter an IP address or a CIDR range"), Length(max=64)],
        render_kw={"spellcheck": "false", "autocomplete": "off"})
    reason = StringField("Reason", validators=[
        DataRequired("Say why this address is blocked"), Length(max=200)])
    expires_in = SelectField("Lift the block after", choices=EXPIRIES, default="")


class UnblockForm(FlaskForm):
    network = HiddenField(validators=[DataRequired(), Length(max=64)])


def _render(kit: AdminKit, form: BlockForm, status: int = 200) -> Response:
    entries = kit.services.blocklist.blocks(kit.principal())
    return page("admin/blocked.html", status=status, form=form, entries=entries,
                **kit.context())


def _expiry(kit: AdminKit, form: BlockForm) -> datetime | None:
    if not form.expires_in.data:
        return None
    now = datetime.fromtimestamp(kit.services.clock.time(), UTC)
    return now + timedelta(seconds=int(form.expires_in.data))


def routes(bp: Blueprint, kit: AdminKit) -> None:
    _blocking(bp, kit)
    _unblocking(bp, kit)


def _blocking(bp: Blueprint, kit: AdminKit) -> None:
    blocklist = kit.services.blocklist

    @bp.get("/blocked")
    def blocked() -> Response:
        return _render(kit, BlockForm(network=request.args.get("network", "")[:64]))

    @bp.post("/blocked")
    def block() -> Response:
        form = BlockForm()
        if form.validate_on_submit():
            try:
                entry = blocklist.block(kit.principal(), form.network.data, form.reason.data,
                                        expires_at=_expiry(kit, form),
                                        keep_reachable=request.remote_addr)
            except InvalidInput as error:
                attach_error(form, error)
            else:
                flash(f"Blocked {entry.network}.", "success")
                return redirect(url_for("admin.blocked"), code=303)
        return _render(kit, form, status=400)


def _unblocking(bp: Blueprint, kit: AdminKit) -> None:
    blocklist = kit.services.blocklist

    @bp.post("/blocked/unblock")
    def unblock() -> Response:
        form = UnblockForm()
        if form.validate_on_submit():
            try:
                blocklist.unblock(kit.principal(), form.network.data)
            except (InvalidInput, NotFound) as error:
                flash(error.detail, "error")
            else:
                flash(f"Unblocked {form.network.data}.", "success")
        return redirect(url_for("admin.blocked"), code=303)
