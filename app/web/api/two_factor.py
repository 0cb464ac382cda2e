"""Two-factor authentication: setup, activation, status, disable, backup codes, login step."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict

from flask import Blueprint, Response, request
from spectree import Response as Resp
from spectree import SpecTree

from app.bootstrap import Services
from app.identity.contract import SessionService
from app.kernel import Principal
from app.platform.ratelimit import client_ip, principal_user
from app.web.api import schemas as s
from app.web.api.common import body, json_response
from app.web.api.guards import Guards

BEARER: dict[str, list[str]] = {"bearer": []}
NO_STORE = "no-store"


def ticket_owner_key(sessions: SessionService) -> Callable[[], str]:
    """Per-user key of the code step: the owner of a live ticket (no attempt spent).

    A dead or forged ticket has no user; it is keyed by its own digest, so junk tickets
    cannot spend a real user's budget (the per-IP limit bounds them).
    """

    def key() -> str:
        data = request.get_json(silent=True)
        ticket = data.get("login_ticket") if isinstance(data, dict) else None
        if not isinstance(ticket, str):
            return "ticket:none"
        owner = sessions.login_ticket_owner(ticket)
        if owner:
            return "user:" + owner
        return "ticket:" + hashlib.sha256(ticket.encode()).hexdigest()[:32]

    return key


def blueprint(services: Services, guards: Guards, spec: SpecTree) -> Blueprint:
    bp = Blueprint("api_two_factor", __name__)
    sessions, two_factor = services.sessions, services.two_factor
    limits = guards.limits
    ticket_owner = ticket_owner_key(sessions)

    @bp.post("/api/users/2fa/verify-login/")
    @limits.named("twofa_ip", client_ip)
    @limits.named("twofa_user", ticket_owner)
    @spec.validate(json=s.VerifyLoginIn, resp=Resp(HTTP_200=s.VerifyLoginOut,
                                                   HTTP_401=s.Problem, HTTP_429=s.Problem),
                   tags=["2fa"])
    def verify_login() -> Response:
        data = body()
        result = sessions.verify_login(data.login_ticket, data.code)
        payload: dict[str, object] = asdict(result.tokens)
        if result.backup_codes_remaining is not None:
            payload["backup_codes_remaining"] = result.backup_codes_remaining
        payload["device"] = result.device_token
        return json_response(payload, cache=NO_STORE)

    @bp.post("/api/users/2fa/setup/")
    @guards.authenticated
    @limits.named("password_user", principal_user)  # a wrong password here is a guess
    @spec.validate(json=s.PasswordIn,
                   resp=Resp(HTTP_200=s.TwoFactorSetupOut, HTTP_401=s.Problem,
                             HTTP_409=s.Problem, HTTP_429=s.Problem),
                   tags=["2fa"], security=BEARER)
    def setup(principal: Principal) -> Response:
        """Needs the password: an access token alone must not enrol an authenticator."""
        return json_response(asdict(two_factor.setup_two_factor(principal, body().password)),
                             cache=NO_STORE)

    @bp.post("/api/users/2fa/verify-setup/")
    @guards.authenticated
    @limits.named("twofa_ip", client_ip)
    @limits.named("twofa_user", principal_user)
    @spec.validate(json=s.TwoFactorCodeIn,
                   resp=Resp(HTTP_200=s.TwoFactorEnabledOut, HTTP_401=s.Problem,
                             HTTP_409=s.Problem, HTTP_429=s.Problem),
                   tags=["2fa"], security=BEARER)
    def verify_setup(principal: Principal) -> Response:
        codes = two_factor.confirm_two_factor(principal, body().code)
        return json_response({"enabled": True, "backup_codes": list(codes.codes)},
                             cache=NO_STORE)

    @bp.get("/api/users/2fa/status/")
    @guards.authenticated
    @spec.validate(resp=Resp(HTTP_200=s.TwoFactorStatusOut), tags=["2fa"], security=BEARER)
    def status(principal: Principal) -> Response:
        return json_response(asdict(two_factor.two_factor_status(principal)))

    @bp.post("/api/users/2fa/disable/")
    @guards.authenticated
    @limits.named("twofa_ip", client_ip)
    @limits.named("twofa_user", principal_user)
    @spec.validate(json=s.PasswordAndCodeIn,
                   resp=Resp(HTTP_204=None, HTTP_401=s.Problem, HTTP_409=s.Problem,
                             HTTP_429=s.Problem),
                   tags=["2fa"], security=BEARER)
    def disable(principal: Principal) -> Response:
        data = body()
        two_factor.disable_two_factor(principal, data.password, data.code)
        return Response(status=204)

    @bp.post("/api/users/2fa/backup-codes/")
    @guards.authenticated
    @limits.named("twofa_ip", client_ip)
    @limits.named("twofa_user", principal_user)
    @spec.validate(json=s.PasswordAndCodeIn,
                   resp=Resp(HTTP_200=s.BackupCodesOut, HTTP_401=s.Problem, HTTP_409=s.Problem,
                             HTTP_429=s.Problem),
                   tags=["2fa"], security=BEARER)
    def regenerate(principal: Principal) -> Response:
        data = body()
        codes = two_factor.regenerate_backup_codes(principal, data.password, data.code)
        return json_response({"backup_codes": list(codes.codes)}, cache=NO_STORE)

    return bp
