"""Two-factor authentication pages: set up (QR and manual key), confirm, backup codes (shown
once, with a ``.txt`` download), regenerate and disable, under the API's rules: the same
contract calls, the password and a code where the API asks for them, and the same shared
``twofa_*`` rate limits."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from app.identity.contract import (
    InvalidCredentials,
    InvalidTwoFactorCode,
    TwoFactorAlreadyEnabled,
    TwoFactorNotEnabled,
    TwoFactorStatus,
)
from app.kernel import Principal
from app.platform.ratelimit import client_ip
from app.web.ui import Ui
from app.web.ui.common import attach_error, page
from app.web.ui.forms import PasswordAndCodeForm, TotpConfirmForm
from app.web.ui.session import UiSession

BACKUP_CODE = re.compile(r"^[a-z0-9-]{16,40}$")
MAX_CODES = 10


def session_user(session: UiSession) -> Callable[[], str]:
    """Rate-limit key: the signed-in user (the API keys its 2FA routes the same way)."""

    def key() -> str:
        principal = session.principal()
        return "user:" + (principal.user_id if principal is not None else "-")

    return key


def status_page(state: TwoFactorStatus, *, regen: PasswordAndCodeForm | None = None,
                disable: PasswordAndCodeForm | None = None) -> Response:
    failed = regen is not None or disable is not None
    return page("two_factor/status.html", status=400 if failed else 200, state=state,
                regen=regen or PasswordAndCodeForm(prefix="regen", formdata=None),
                disable=disable or PasswordAndCodeForm(prefix="disable", formdata=None))


def blueprint(ui: Ui) -> Blueprint:
    bp = ui.blueprint("two_factor", __name__, url_prefix="/account/2fa")
    _enrolment(bp, ui)
    _regenerate(bp, ui)
    _disable(bp, ui)

    @bp.post("/backup-codes.txt")
    @ui.login_required
    def download(principal: Principal) -> Response:
        """The codes just shown, sent back by the page's form as a text file (never stored)."""
        codes = [c for c in request.form.getlist("code") if c][:MAX_CODES]
        if not codes or not all(BACKUP_CODE.match(c) for c in codes):
            raise BadRequest("These are not backup codes.")
        body = "Backup codes for your account. Each works once.\n\n" + "\n".join(codes) + "\n"
        return Response(body, mimetype="text/plain", headers={
            "Content-Disposition": 'attachment; filename="backup-codes.txt"',
            "Cache-Control": "no-store"})

    return bp


def _enrolment(bp: Blueprint, ui: Ui) -> None:
    two_factor, limits = ui.services.two_factor, ui.limits
    per_user = session_user(ui.session)

    @bp.get("/")
    @ui.login_required
    def status(principal: Principal) -> Response:
        return status_page(two_factor.two_factor_status(principal))

    @bp.post("/setup")
    @ui.login_required
    @limits.named("password_user", per_user)
    def setup(principal: Principal) -> Response:
        password = request.form.get("password", "")[:1024]
        try:  # the password: a stolen session alone must not enrol an authenticator
            started = two_factor.setup_two_factor(principal, password)
        except TwoFactorAlreadyEnabled:
            flash("Two-factor authentication is already on.", "info")
            return redirect(url_for("two_factor.status"), code=303)
        except InvalidCredentials:
            flash("The password is not correct.", "error")
            return redirect(url_for("two_factor.status"), code=303)
        return page("two_factor/setup.html", setup=started, form=TotpConfirmForm())

    @bp.post("/confirm")
    @ui.login_required
    @limits.named("twofa_ip", client_ip)
    @limits.named("twofa_user", per_user)
    def confirm(principal: Principal) -> Response:
        form = TotpConfirmForm()
        if form.validate_on_submit():
            try:
                codes = two_factor.confirm_two_factor(principal, form.code.data.strip())
            except InvalidTwoFactorCode:
                attach_error(form, InvalidTwoFactorCode(
                    "That code is not valid. Enter the code your app shows now."), "code")
            except (TwoFactorNotEnabled, TwoFactorAlreadyEnabled):
                flash("Start the setup again.", "error")
                return redirect(url_for("two_factor.status"), code=303)
            else:
                return page("two_factor/backup_codes.html", codes=codes.codes, fresh=True)
        return page("two_factor/setup.html", status=400, setup=None, form=form)


def refused(form: PasswordAndCodeForm, error: Exception) -> None:
    if isinstance(error, InvalidCredentials):
        attach_error(form, InvalidCredentials("Your password is not correct."), "password")
    else:
        attach_error(form, InvalidTwoFactorCode("That code is not valid."), "code")


def _regenerate(bp: Blueprint, ui: Ui) -> None:
    two_factor, limits = ui.services.two_factor, ui.limits
    per_user = session_user(ui.session)

    @bp.post("/backup-codes")
    @ui.login_required
    @limits.named("twofa_ip", client_ip)
    @limits.named("twofa_user", per_user)
    def regenerate(principal: Principal) -> Response:
        form = PasswordAndCodeForm(prefix="regen")
        if form.validate_on_submit():
            try:
                codes = two_factor.regenerate_backup_codes(principal, form.password.data,
                                                         form.code.data.strip())
            except (InvalidCredentials, InvalidTwoFactorCode) as error:
                refused(form, error)
            except TwoFactorNotEnabled:
                return redirect(url_for("two_factor.status"), code=303)
            else:
                return page("two_factor/backup_codes.html", codes=codes.codes, fresh=False)
        return status_page(two_factor.two_factor_status(principal), regen=form)


def _disable(bp: Blueprint, ui: Ui) -> None:
    two_factor, limits = ui.services.two_factor, ui.limits
    per_user = session_user(ui.session)

    @bp.post("/disable")
    @ui.login_required
    @limits.named("twofa_ip", client_ip)
    @limits.named("twofa_user", per_user)
    def disable(principal: Principal) -> Response:
        form = PasswordAndCodeForm(prefix="disable")
        if form.validate_on_submit():
            try:
                two_factor.disable_two_factor(principal, form.password.data,
                                            form.code.data.strip())
            except (InvalidCredentials, InvalidTwoFactorCode) as error:
                refused(form, error)
            except TwoFactorNotEnabled:
                return redirect(url_for("two_factor.status"), code=303)
            else:
                flash("Two-factor authentication is off.", "success")
                return redirect(url_for("two_factor.status"), code=303)
        return status_page(two_factor.two_factor_status(principal), disable=form)
