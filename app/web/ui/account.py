"""Register, log in (password step and 2FA code step), log out.

The same named rate limits as the API guard these forms (one budget per IP and per username,
shared with ``/api/token/``), and the identity module applies the same lockout and audit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from app.identity.contract import (
    AccountExists,
    InvalidCredentials,
    InvalidLoginTicket,
    InvalidTwoFactorCode,
    SessionService,
    TokenPair,
)
from app.kernel import InvalidInput
from app.platform.ratelimit import client_ip, form_field
from app.web.ui import Ui
from app.web.ui.common import attach_error, page
from app.web.ui.forms import CodeForm, LoginForm, RegisterForm
from app.web.ui.session import UiSession, safe_next


def ticket_owner_key(sessions: SessionService, session: UiSession) -> Callable[[], str]:
    """Per-user key of the code step from the ticket cookie (the API keys its body the same)."""

    def key() -> str:
        ticket = session.ticket()
        if not ticket:
            return "ticket:none"
        owner = sessions.login_ticket_owner(ticket)
        if owner:
            return "user:" + owner
        return "ticket:" + hashlib.sha256(ticket.encode()).hexdigest()[:32]

    return key


def signed_in(session: UiSession, tokens: TokenPair | None,
              target: str | None = None) -> Response:
    assert tokens is not None
    session.start(tokens)
    return redirect(safe_next(target) or url_for("catalog.products"), code=303)


def blueprint(ui: Ui) -> Blueprint:
    bp = ui.blueprint("account", __name__)
    _registration(bp, ui)
    _password_step(bp, ui)
    _code_step(bp, ui)
    _logout(bp, ui)
    return bp


def _registration(bp: Blueprint, ui: Ui) -> None:
    accounts, sessions = ui.services.accounts, ui.services.sessions
    session, limits = ui.session, ui.limits

    @bp.get("/register")
    def register() -> Response:
        return page("account/register.html", form=RegisterForm())

    @bp.post("/register")
    @limits.named("register_ip")
    def register_submit() -> Response:
        form = RegisterForm()
        if form.validate_on_submit():
            try:
                accounts.register(form.username.data, form.email.data, form.password.data)
            except (AccountExists, InvalidInput) as error:
                attach_error(form, error)
            else:
                result = sessions.login(form.username.data, form.password.data)
                flash("Your account is ready. Welcome!", "success")
                return signed_in(session, result.tokens)
        return page("account/register.html", status=400, form=form)


def _password_step(bp: Blueprint, ui: Ui) -> None:
    sessions, session, limits = ui.services.sessions, ui.session, ui.limits

    @bp.get("/login")
    def login() -> Response:
        form = LoginForm(next=safe_next(request.args.get("next")) or "")
        return page("account/login.html", form=form)

    @bp.post("/login")
    @limits.named("login_ip")
    @limits.named("login_user", form_field("username"))
    def login_submit() -> Response:
        form = LoginForm()
        if form.validate_on_submit():
            try:
                result = sessions.login(form.username.data, form.password.data)
            except InvalidCredentials:
                form.form_errors.append("Enter a correct username and password.")
            else:
                if result.tokens is not None:
                    return signed_in(session, result.tokens, form.next.data)
                response = redirect(url_for("account.code"), code=303)
                session.set_ticket(response, result.login_ticket)
                return response
        return page("account/login.html", status=400, form=form)


def _code_step(bp: Blueprint, ui: Ui) -> None:
    sessions, session, limits = ui.services.sessions, ui.session, ui.limits

    @bp.get("/login/code")
    def code() -> Response:
        if not session.ticket():
            return redirect(url_for("account.login"), code=303)
        return page("account/code.html", form=CodeForm())

    @bp.post("/login/code")
    @limits.named("twofa_ip", client_ip)
    @limits.named("twofa_user", ticket_owner_key(sessions, session))
    def code_submit() -> Response:
        form, ticket = CodeForm(), session.ticket()
        if not ticket:
            return redirect(url_for("account.login"), code=303)
        if form.validate_on_submit():
            try:
                result = sessions.verify_login(ticket, form.code.data.strip())
            except InvalidLoginTicket:
                flash("Your sign-in took too long or had too many attempts. Start again.",
                      "error")
                response = redirect(url_for("account.login"), code=303)
                session.set_ticket(response, None)
                return response
            except InvalidTwoFactorCode:
                attach_error(form, InvalidTwoFactorCode("That code is not valid. Check your "
                                                        "app and try again."), "code")
            else:
                if result.backup_codes_remaining is not None:
                    flash(f"You used a backup code. {result.backup_codes_remaining} backup "
                          "codes are left.", "info")
                response = signed_in(session, result.tokens)
                session.set_ticket(response, None)
                return response
        return page("account/code.html", status=400, form=form)


def _logout(bp: Blueprint, ui: Ui) -> None:
    sessions, session = ui.services.sessions, ui.session

    @bp.post("/logout")
    def logout() -> Response:
        principal = session.principal()
        if principal is not None:
            sessions.logout(principal, session.refresh_token())
        session.end()
        flash("You are logged out.", "info")
        return redirect(url_for("catalog.home"), code=303)
