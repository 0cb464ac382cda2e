"""Signing keys: the set (kid, active or retired, age), rotate, and remove a key after a
confirmation page naming its kid. Both changes need a step-up."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound as PageNotFound
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.kernel import NotFound
from app.web.ui.admin.kit import AdminKit
from app.web.ui.common import page


class RemoveKeyForm(FlaskForm):
    confirm_kid = StringField("Type the key id to confirm", validators=[
        DataRequired("Type the key id"), Length(max=80)],
        render_kw={"autocomplete": "off", "spellcheck": "false"})


def routes(bp: Blueprint, kit: AdminKit) -> None:
    key_set = kit.services.signing_keys

    @bp.get("/keys")
    def keys() -> Response:
        return page("admin/keys.html", keys=key_set.signing_keys(kit.principal()),
                    now=int(kit.services.clock.time()), **kit.context())

    @bp.post("/keys/rotate")
    @kit.step_up
    def key_rotate() -> Response:
        kid = key_set.rotate_signing_key(kit.principal())
        flash(f"New active signing key {kid}. Tokens signed by the old one keep working "
              "until they expire.", "success")
        return redirect(url_for("admin.keys"), code=303)

    @bp.get("/keys/<kid>/remove")
    def key_remove_confirm(kid: str) -> Response:
        known = {k.kid: k for k in key_set.signing_keys(kit.principal())}
        if kid not in known:
            raise PageNotFound("There is no such signing key.")
        return page("admin/key_remove.html", key=known[kid], form=RemoveKeyForm(formdata=None),
                    **kit.context())

    @bp.post("/keys/<kid>/remove")
    @kit.step_up
    def key_remove(kid: str) -> Response:
        form = RemoveKeyForm()
        if not form.validate_on_submit() or form.confirm_kid.data.strip() != kid:
            form.confirm_kid.errors = ["Type the key id exactly as shown to remove it."]
            known = {k.kid: k for k in key_set.signing_keys(kit.principal())}
            if kid not in known:
                raise PageNotFound("There is no such signing key.")
            return page("admin/key_remove.html", status=400, key=known[kid], form=form,
                        **kit.context())
        try:
            key_set.remove_signing_key(kit.principal(), kid)
        except NotFound as error:
            raise PageNotFound(error.detail) from None
        flash(f"Removed key {kid}: every token it signed stops working now.", "success")
        return redirect(url_for("admin.keys"), code=303)
