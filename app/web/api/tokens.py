"""Login, refresh, logout and the public key set."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, request
from spectree import Response as Resp
from spectree import SpecTree

from app.bootstrap import Services
from app.identity.contract import LoginResult
from app.kernel import Principal
from app.platform.ratelimit import json_field
from app.web.api import schemas as s
from app.web.api.common import body, json_response
from app.web.api.guards import Guards

PUBLIC_CACHE = "public, max-age=300"


def login_payload(result: LoginResult) -> dict[str, object]:
    if result.tokens is not None:
        return {**asdict(result.tokens), "device": result.device_token}
    return {"requires_2fa": True, "login_ticket": result.login_ticket,
            "expires_in": result.expires_in}


def blueprint(services: Services, guards: Guards, spec: SpecTree) -> Blueprint:
    bp = Blueprint("api_tokens", __name__)
    sessions, keys = services.sessions, services.signing_keys
    limits = guards.limits

    def known_device() -> bool:
        """A valid device proof for the username skips the per-username limit (OWASP)."""
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return False
        username, device = data.get("username"), data.get("device")
        return isinstance(username, str) and isinstance(device, str) \
            and 0 < len(device) <= 200 and sessions.device_trusted(username[:254], device)

    @bp.post("/api/token/")
    @limits.named("login_ip")
    @limits.named("login_user", json_field("username"), exempt_when=known_device)
    @spec.validate(json=s.LoginIn, resp=Resp(HTTP_200=s.LoginOut, HTTP_401=s.Problem,
                                             HTTP_429=s.Problem),
                   tags=["tokens"])
    def login() -> Response:
        data = body()
        result = sessions.login(data.username, data.password, data.device)
        return json_response(login_payload(result), cache="no-store")

    @bp.post("/api/token/refresh/")
    @limits.named("refresh_ip")
    @spec.validate(json=s.RefreshIn, resp=Resp(HTTP_200=s.TokenPairOut, HTTP_401=s.Problem,
                                               HTTP_429=s.Problem),
                   tags=["tokens"])
    def refresh() -> Response:
        # RFC 6749 section 5.1: a response carrying tokens must never be cached.
        return json_response(asdict(sessions.refresh(body().refresh)), cache="no-store")

    @bp.post("/api/token/revoke/")
    @guards.authenticated
    @spec.validate(json=s.RevokeIn, resp=Resp(HTTP_204=None, HTTP_401=s.Problem),
                   tags=["tokens"], security={"bearer": []})
    def revoke(principal: Principal) -> Response:
        sessions.logout(principal, body().refresh)
        return Response(status=204)

    @bp.post("/api/token/revoke-all/")
    @guards.authenticated
    @spec.validate(resp=Resp(HTTP_204=None, HTTP_401=s.Problem), tags=["tokens"],
                   security={"bearer": []})
    def revoke_all(principal: Principal) -> Response:
        sessions.logout_everywhere(principal)
        return Response(status=204)

    @bp.get("/api/auth/public-key/")
    @spec.validate(resp=Resp(HTTP_200=s.PublicKeyOut), tags=["keys"])
    def public_key() -> Response:
        key = keys.public_key()
        return json_response({"public_key": key.pem, "kid": key.kid, "alg": key.alg},
                             cache=PUBLIC_CACHE)

    @bp.get("/.well-known/jwks.json")
    @spec.validate(tags=["keys"])
    def jwks() -> Response:
        return json_response(keys.jwks(), cache=PUBLIC_CACHE)

    return bp
