"""The HTTP edge: request ids, content-type and body checks before any view runs, the request
log line, and the cookie session (opened without signing work when the request has none)."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from typing import Any

import structlog
from flask import Flask, Response, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, SecurityError

from app.platform import audit
from app.platform.errors import Problem
from app.platform.json_limits import MAX_JSON_BYTES, MAX_JSON_DEPTH, nesting_depth

log = structlog.get_logger("shop.http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def init_app(app: Flask, api_prefixes: tuple[str, ...] = ("/api/",),
             gate: Callable[[], None] | None = None) -> None:
    """``gate()`` runs right after the request gets its id, before any other work (the
    blocked-address check); it refuses a request by raising."""
    app.session_interface = CookieSessions()

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else secrets.token_hex(12)
        structlog.contextvars.clear_contextvars()
        audit.clear_context()
        structlog.contextvars.bind_contextvars(request_id=g.request_id)
        audit.bind_context(
            request_id=g.request_id,
            ip=request.remote_addr or "",
            user_agent=request.headers.get("User-Agent", "")[:256],
        )
        if isinstance(request.routing_exception, SecurityError):
            # Flask refused the Host header (TRUSTED_HOSTS): answer before any other work.
            raise Problem(400, "This host name is not served here.", code="unknown_host")
        if gate is not None:
            gate()
        if request.path.startswith(api_prefixes):
            _check_api_body()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if "Authorization" in request.headers:
            # An answer for one caller must never be kept by a shared or browser cache.
            response.headers["Cache-Control"] = "no-store"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        log.info("request", method=request.method, path=_loggable_path(),
                 status=response.status_code, duration_ms=round(elapsed * 1000, 2))
        return response


def _check_api_body() -> None:
    """JSON only: another content type is 415; too large 413; too deep, malformed JSON or
    invalid UTF-8 400. Size and depth are checked on the raw bytes, before any parsing."""
    if request.method not in _BODY_METHODS:
        return
    length = request.content_length
    has_body = bool(length) or request.headers.get("Transfer-Encoding") == "chunked"
    if not has_body:
        return
    if request.mimetype != "application/json":
        raise Problem(415, "Request bodies must be application/json.")
    if length is not None and length > MAX_JSON_BYTES:
        raise Problem(413, f"A JSON body may have at most {MAX_JSON_BYTES} bytes.")
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        raise Problem(413, "The request body is too large.") from exc
    if len(raw) > MAX_JSON_BYTES:  # chunked: no Content-Length to check up front
        raise Problem(413, f"A JSON body may have at most {MAX_JSON_BYTES} bytes.")
    if nesting_depth(raw) > MAX_JSON_DEPTH:
        raise Problem(400, f"JSON may nest at most {MAX_JSON_DEPTH} levels deep.",
                      code="json_too_deep")
    try:
        request.get_json()
    except HTTPException as exc:  # BadRequest for malformed JSON or invalid UTF-8
        raise Problem(400, "The request body is not valid JSON.") from exc


def _loggable_path() -> str:
    """The path, with a user id that the route carries blanked: logs outlive an erasure, and
    the audit events name the person by pseudonym instead."""
    user_id = (request.view_args or {}).get("user_id")
    return request.path.replace(str(user_id), "{user_id}") if user_id else request.path


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session, but a request without the session cookie (every API
    call, most first page views) gets an empty session without a signing serializer built
    for it: Flask builds one per request before it looks for the cookie."""

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
