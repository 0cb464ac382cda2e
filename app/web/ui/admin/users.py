"""Users: list (search, pages), detail (role, active, 2FA, lockout, last login) and the
administrators' actions. Changing a role, deactivating and ending sessions need a step-up."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from app.identity.contract import ROLES, UserChanges
from app.kernel import InvalidInput
from app.web.ui.admin.kit import AdminKit
from app.web.ui.common import page

PAGE_SIZE = 20


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(r, r.title()) for r in ROLES])


def _page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) <= 100_000 else 1


def routes(bp: Blueprint, kit: AdminKit) -> None:
    _reading(bp, kit)
    _changing(bp, kit)
    _sessions(bp, kit)


def _reading(bp: Blueprint, kit: AdminKit) -> None:
    accounts = kit.services.accounts

    @bp.get("/users")
    def users() -> Response:
        search = request.args.get("search", "")[:100]
        found = accounts.find_users(kit.principal(), search, _page_number(), PAGE_SIZE)
        return page("admin/users.html", users=found, search=search,
                    args={"search": search} if search else {}, **kit.context())

    @bp.get("/users/<user_id>")
    def user(user_id: str) -> Response:
        account = accounts.user_account(kit.principal(), user_id)
        now = int(kit.services.clock.time())
        locked = account.locked_until > now
        return page("admin/user.html", account=account, locked=locked,
                    locked_until=datetime.fromtimestamp(account.locked_until, UTC),
                    last_login=kit.services.security.last_login(kit.principal(), user_id),
                    role_form=RoleForm(role=account.user.role), **kit.context())


def _changed(user_id: str, message: str) -> Response:
    flash(message, "success")
    return redirect(url_for("admin.user", user_id=user_id), code=303)


def _refused(user_id: str, error: InvalidInput) -> Response:
    flash(error.detail or "That change is not allowed.", "error")
    return redirect(url_for("admin.user", user_id=user_id), code=303)


def _changing(bp: Blueprint, kit: AdminKit) -> None:
    accounts = kit.services.accounts

    @bp.post("/users/<user_id>/role")
    @kit.step_up
    def user_role(user_id: str) -> Response:
        form = RoleForm()
        if not form.validate_on_submit():
            flash("Choose user or admin.", "error")
            return redirect(url_for("admin.user", user_id=user_id), code=303)
        try:
            user = accounts.admin_update_user(kit.principal(), user_id,
                                              UserChanges(role=form.role.data))
        except InvalidInput as error:
            return _refused(user_id, error)
        return _changed(user_id, f"{user.username} is now {user.role}; their sessions ended.")

    @bp.post("/users/<user_id>/deactivate")
    @kit.step_up
    def user_deactivate(user_id: str) -> Response:
        try:
            user = accounts.admin_update_user(kit.principal(), user_id,
                                              UserChanges(is_active=False))
        except InvalidInput as error:
            return _refused(user_id, error)
        return _changed(user_id, f"{user.username} is deactivated and signed out everywhere.")

    @bp.post("/users/<user_id>/activate")
    def user_activate(user_id: str) -> Response:
        user = accounts.admin_update_user(kit.principal(), user_id, UserChanges(is_active=True))
        return _changed(user_id, f"{user.username} can sign in again.")


def _sessions(bp: Blueprint, kit: AdminKit) -> None:
    accounts, sessions = kit.services.accounts, kit.services.sessions

    @bp.post("/users/<user_id>/unlock")
    def user_unlock(user_id: str) -> Response:
        changed = accounts.unlock(kit.principal(), user_id)
        return _changed(user_id, "Unlocked." if changed else "The account was not locked.")

    @bp.post("/users/<user_id>/sessions/end")
    @kit.step_up
    def user_end_sessions(user_id: str) -> Response:
        sessions.end_sessions(kit.principal(), user_id)
        return _changed(user_id, "Every session of this user has ended.")
