"""Registration, the caller's own profile, and user administration."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response
from spectree import Response as Resp
from spectree import SpecTree

from app.bootstrap import Services
from app.identity.contract import STEP_UP_WINDOW, UserChanges
from app.kernel import Principal
from app.platform.ratelimit import principal_user
from app.web.api import schemas as s
from app.web.api.auth import audit_refusals
from app.web.api.common import body, json_response, page_response, query
from app.web.api.guards import Guards

BEARER: dict[str, list[str]] = {"bearer": []}


def blueprint(services: Services, guards: Guards, spec: SpecTree) -> Blueprint:
    """Guards only authenticate; the account and session services decide (a non-admin
    gets 403 from them, audited here as ``authz_fail``)."""
    bp = Blueprint("api_users", __name__)
    audit_refusals(bp, services.audit)
    accounts, sessions = services.accounts, services.sessions

    @bp.post("/api/users/")
    @guards.limits.named("register_ip")
    @spec.validate(json=s.RegisterIn,
                   resp=Resp(HTTP_201=s.UserOut, HTTP_400=s.Problem, HTTP_409=s.Problem,
                             HTTP_429=s.Problem),
                   tags=["users"])
    def register() -> Response:
        data = body()
        user = accounts.register(data.username, data.email, data.password)
        return json_response(asdict(user), 201)

    @bp.get("/api/users/me/")
    @guards.authenticated
    @spec.validate(resp=Resp(HTTP_200=s.UserOut), tags=["users"], security=BEARER)
    def me(principal: Principal) -> Response:
        return json_response(asdict(accounts.get_user(principal, principal.user_id)))

    @bp.patch("/api/users/me/")
    @guards.authenticated
    @spec.validate(json=s.ProfileIn, resp=Resp(HTTP_200=s.UserOut, HTTP_400=s.Problem),
                   tags=["users"], security=BEARER)
    def update_me(principal: Principal) -> Response:
        return json_response(asdict(accounts.update_email(principal, body().email)))

    @bp.post("/api/users/me/password/")
    @guards.authenticated
    @guards.limits.named("password_user", principal_user)  # a wrong current password is a guess
    @spec.validate(json=s.PasswordChangeIn,
                   resp=Resp(HTTP_204=None, HTTP_400=s.Problem, HTTP_401=s.Problem,
                             HTTP_429=s.Problem),
                   tags=["users"], security=BEARER)
    def change_password(principal: Principal) -> Response:
        data = body()
        accounts.change_password(principal, data.current_password, data.new_password)
        return Response(status=204)

    @bp.post("/api/users/me/reauthenticate/")
    @guards.authenticated
    @guards.limits.named("password_user", principal_user)  # a wrong password is a guess
    @spec.validate(json=s.ReauthenticateIn,
                   resp=Resp(HTTP_200=s.ReauthenticateOut, HTTP_401=s.Problem,
                             HTTP_403=s.Problem, HTTP_429=s.Problem),
                   tags=["users"], security=BEARER)
    def reauthenticate(principal: Principal) -> Response:
        """Step-up: confirm the password (and a code when 2FA is on). For the next 5 minutes
        this session may change roles, deactivate users, end sessions and manage keys."""
        data = body()
        verified_at = sessions.reauthenticate(principal, data.password, data.code)
        return json_response({"verified_at": verified_at, "expires_in": STEP_UP_WINDOW},
                             cache="no-store")

    @bp.get("/api/users/")
    @guards.authenticated
    @spec.validate(query=s.PageQuery, resp=Resp(HTTP_200=s.UserList), tags=["admin"],
                   security=BEARER)
    def list_users(principal: Principal) -> Response:
        q = query()
        return page_response(accounts.find_users(principal, "", q.page, q.page_size))

    @bp.patch("/api/users/<user_id>/")
    @guards.authenticated
    @spec.validate(json=s.AdminUserPatch, resp=Resp(HTTP_200=s.UserOut, HTTP_403=s.Problem,
                                                    HTTP_404=s.Problem),
                   tags=["admin"], security=BEARER)
    def admin_update(principal: Principal, user_id: str) -> Response:
        """A role or active-flag change needs an authentication of this session in the last
        5 minutes (login or ``/api/users/me/reauthenticate/``): else 403
        ``step_up_required``."""
        data = body()
        changes = UserChanges(role=data.role, is_active=data.is_active)
        return json_response(asdict(accounts.admin_update_user(principal, user_id, changes)))

    @bp.post("/api/users/<user_id>/unlock/")
    @guards.authenticated
    @spec.validate(resp=Resp(HTTP_204=None, HTTP_404=s.Problem), tags=["admin"],
                   security=BEARER)
    def admin_unlock(principal: Principal, user_id: str) -> Response:
        accounts.unlock(principal, user_id)
        return Response(status=204)

    @bp.post("/api/users/<user_id>/revoke-tokens/")
    @guards.authenticated
    @spec.validate(resp=Resp(HTTP_204=None, HTTP_403=s.Problem, HTTP_404=s.Problem),
                   tags=["admin"], security=BEARER)
    def admin_revoke(principal: Principal, user_id: str) -> Response:
        """Ends every session of the user; needs a recent authentication (see PATCH)."""
        sessions.end_sessions(principal, user_id)
        return Response(status=204)

    return bp
