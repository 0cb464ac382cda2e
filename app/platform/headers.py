"""Security headers on every response (Flask-Talisman) and HTTPS enforcement in production.

Talisman's own ``force_https`` (and its HSTS switch) believe any ``X-Forwarded-Proto: https``
header (see ``Talisman._force_https`` in flask_talisman/talisman.py), which a client can send
over plain HTTP. So HTTPS is enforced here from ``request.is_secure``, which ProxyFix sets from
forwarded headers only for ``TRUSTED_PROXY_HOPS`` trusted proxies. Pages redirect to HTTPS; the
API refuses plain HTTP instead (a redirect would hide that the token already crossed in clear).
"""

from __future__ import annotations

from flask import Flask, redirect, request
from flask_talisman import Talisman
from werkzeug.wrappers import Response

from app.config import Settings
from app.platform.errors import Problem

ONE_YEAR = 365 * 24 * 3600
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",  # plus the per-response nonce (content_security_policy_nonce_in)
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
PLAIN_HTTP_ALLOWED = ("/healthz", "/readyz")  # probes from the orchestrator, on loopback
API_PREFIXES = ("/api/", "/.well-known/", "/metrics")

def init_app(app: Flask, settings: Settings) -> None:
    # One Talisman per app: it keeps its options on itself, so a shared one would give every
    # app in the process the options of the last one set up.
    Talisman(
        app,
        force_https=False,
        strict_transport_security=settings.is_production,
        strict_transport_security_max_age=ONE_YEAR,
        strict_transport_security_include_subdomains=True,
        content_security_policy=CSP,
        content_security_policy_nonce_in=["script-src", "style-src"],
        referrer_policy="strict-origin-when-cross-origin",
        frame_options="DENY",
        session_cookie_secure=settings.is_production,
        x_content_type_options=True,
    )
    if settings.is_production:
        app.before_request(require_https)


def require_https() -> Response | None:
    if request.is_secure or request.path in PLAIN_HTTP_ALLOWED:
        return None
    if request.path.startswith(API_PREFIXES):
        raise Problem(403, "This API answers over HTTPS only.", code="https_required")
    return redirect(request.url.replace("http://", "https://", 1), code=301)
