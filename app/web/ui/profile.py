"""The account pages: profile (e-mail), password, log out everywhere, recent security events.

Security events come from the audit trail (the platform's append-only table), filtered to the
shopper's own account and to the events a person recognises.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, url_for
from werkzeug.wrappers import Response

from app.identity.contract import AccountExists, InvalidCredentials, WeakPassword
from app.kernel import InvalidInput, Principal
from app.platform.audit import AuditTrail
from app.web.ui import Ui
from app.web.ui.common import attach_error, page
from app.web.ui.forms import PasswordChangeForm, ProfileForm

EVENT_TEXT = {
    "authn_login_success": "Logged in",
    "authn_login_fail": "Failed login attempt",
    "authn_login_lock": "Logins paused after repeated failures",
    "authn_token_reuse": "A stale session was used: that session was ended",
    "authn_token_revoked": "Logged out",
    "authn_password_change": "Password changed",
    "authn_mfa_setup": "Two-factor setup started",
    "authn_mfa_enabled": "Two-factor authentication turned on",
    "authn_mfa_disabled": "Two-factor authentication turned off",
    "authn_mfa_fail": "Wrong two-factor code",
    "authn_mfa_replay": "A two-factor code was used twice",
    "authn_mfa_backup_code_used": "Backup code used",
    "authn_mfa_backup_codes_regenerated": "New backup codes made",
    "user_updated": "Account details changed",
}
SHOWN = 20


def security_events(audit: AuditTrail, user_id: str) -> list[dict[str, Any]]:
    rows = audit.for_subject(user_id, limit=200)
    return [{"when": r["occurred_at"][:19].replace("T", " "), "what": EVENT_TEXT[r["event"]],
             "failed": r["outcome"] == "failure", "ip": r["ip"]}
            for r in rows if r["event"] in EVENT_TEXT][:SHOWN]


def blueprint(ui: Ui) -> Blueprint:
    bp = ui.blueprint("profile", __name__, url_prefix="/account")
    _profile(bp, ui)
    _password(bp, ui)
    _sessions(bp, ui)
    return bp


def _profile(bp: Blueprint, ui: Ui) -> None:
    accounts, audit = ui.services.accounts, ui.services.audit

    def overview_page(principal: Principal, profile: ProfileForm | None = None,
                      status: int = 200) -> Response:
        user = accounts.get_user(principal, principal.user_id)
        return page("account/overview.html", status=status, user=user,
                    profile=profile or ProfileForm(email=user.email),
                    two_factor=ui.services.two_factor.two_factor_status(principal),
                    events=security_events(audit, principal.user_id))

    @bp.get("/")
    @ui.login_required
    def overview(principal: Principal) -> Response:
        return overview_page(principal)

    @bp.post("/email")
    @ui.login_required
    def email(principal: Principal) -> Response:
        form = ProfileForm()
        if form.validate_on_submit():
            try:
                accounts.update_email(principal, form.email.data)
            except (AccountExists, InvalidInput) as error:
                attach_error(form, error, "email")
            else:
                flash("Your email address is updated.", "success")
                return redirect(url_for("profile.overview"), code=303)
        return overview_page(principal, form, status=400)


def _password(bp: Blueprint, ui: Ui) -> None:
    accounts = ui.services.accounts

    @bp.get("/password")
    @ui.login_required
    def password(principal: Principal) -> Response:
        return page("account/password.html", form=PasswordChangeForm())

    @bp.post("/password")
    @ui.login_required
    def password_submit(principal: Principal) -> Response:
        form = PasswordChangeForm()
        if form.validate_on_submit():
            try:
                accounts.change_password(principal, form.current_password.data,
                                         form.new_password.data)
            except InvalidCredentials:
                attach_error(form, InvalidCredentials("Your current password is not correct."),
                             "current_password")
            except (WeakPassword, InvalidInput) as error:
                attach_error(form, error, "new_password")
            else:
                flash("Your password is changed. Your other sessions are logged out.",
                      "success")
                return redirect(url_for("profile.overview"), code=303)
        return page("account/password.html", status=400, form=form)


def _sessions(bp: Blueprint, ui: Ui) -> None:
    sessions, session = ui.services.sessions, ui.session

    @bp.post("/logout-everywhere")
    @ui.login_required
    def logout_everywhere(principal: Principal) -> Response:
        sessions.logout_everywhere(principal)
        session.end()
        flash("You are logged out on every device.", "info")
        return redirect(url_for("account.login"), code=303)
