"""The shopper's data rights (GDPR) on pages: "Download my data" on the account page and the
"Delete my account" page, through the same contracts as ``/api/users/me/export/`` and
``DELETE /api/users/me/``.

Deleting asks for the password, and a code when 2FA is on (the identity module decides: a
missing or wrong code is refused there); a wrong password counts toward the login lockout,
and the form shares the ``twofa_*`` rate limits of the other password-and-code forms. On
success every session of the account is already revoked; this browser's cookies are cleared
and a fresh session carries only the confirmation message.
"""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, session, url_for
from werkzeug.wrappers import Response

from app.identity.contract import InvalidCredentials, InvalidTwoFactorCode, UserNotFound
from app.kernel import Principal, Unavailable
from app.platform.ratelimit import client_ip
from app.web.account_export import FILENAME, account_document
from app.web.ui import Ui
from app.web.ui.common import attach_error, page
from app.web.ui.forms import DeleteAccountForm
from app.web.ui.two_factor import session_user

NOT_FINISHED = ("Deleting your account could not finish because part of the shop is "
                "unavailable. If you are still logged in, try again in a few minutes; "
                "otherwise contact us and we will finish it.")


def blueprint(ui: Ui) -> Blueprint:
    bp = ui.blueprint("data_rights", __name__, url_prefix="/account")
    _export(bp, ui)
    _delete(bp, ui)
    return bp


def _export(bp: Blueprint, ui: Ui) -> None:
    accounts, ordering = ui.services.accounts, ui.services.ordering
    assert ordering is not None, "the ordering service is wired in app/bootstrap.py"

    @bp.post("/export")
    @ui.login_required
    def export(principal: Principal) -> Response:
        """A POST form (CSRF-checked): the export is audited, so no other site may cause it."""
        document = account_document(accounts, ordering, principal)
        return Response(json.dumps(document, indent=2), mimetype="application/json", headers={
            "Content-Disposition": f'attachment; filename="{FILENAME}"',
            "Cache-Control": "no-store"})


def delete_page(ui: Ui, principal: Principal, form: DeleteAccountForm,
                status: int = 200) -> Response:
    state = ui.services.two_factor.two_factor_status(principal)
    return page("account/delete.html", status=status, form=form, two_factor=state.enabled)


def refused(form: DeleteAccountForm, error: InvalidCredentials | InvalidTwoFactorCode) -> None:
    if isinstance(error, InvalidCredentials):
        attach_error(form, InvalidCredentials("Your password is not correct."), "password")
    elif not (form.code.data or "").strip():
        attach_error(form, InvalidTwoFactorCode(
            "Enter the 6-digit code from your app, or a backup code."), "code")
    else:
        attach_error(form, InvalidTwoFactorCode("That code is not valid."), "code")


def _delete(bp: Blueprint, ui: Ui) -> None:
    accounts, limits, cookies = ui.services.accounts, ui.limits, ui.session

    @bp.get("/delete")
    @ui.login_required
    def delete(principal: Principal) -> Response:
        return delete_page(ui, principal, DeleteAccountForm())

    @bp.post("/delete")
    @ui.login_required
    @limits.named("twofa_ip", client_ip)
    @limits.named("twofa_user", session_user(cookies))
    def delete_submit(principal: Principal) -> Response:
        form = DeleteAccountForm()
        if not form.validate_on_submit():
            return delete_page(ui, principal, form, status=400)
        try:
            accounts.erase_account(principal, principal.user_id, form.password.data,
                                   (form.code.data or "").strip())
        except (InvalidCredentials, InvalidTwoFactorCode) as error:
            refused(form, error)
            return delete_page(ui, principal, form, status=400)
        except Unavailable:
            form.form_errors.append(NOT_FINISHED)
            return delete_page(ui, principal, form, status=503)
        except UserNotFound:
            pass  # erased meanwhile (another tab, an operator): the outcome is the same
        return deleted()

    def deleted() -> Response:
        cookies.end()
        session.clear()  # nothing of the old browser session stays, not even its CSRF secret
        flash("Your account is deleted. Your orders are kept for our records, but they are "
              "no longer linked to you.", "success")
        return redirect(url_for("catalog.home"), code=303)
