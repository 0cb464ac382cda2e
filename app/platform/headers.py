"""Security headers on every response (Flask-Talisman) and HTTPS enforcement in production.

Talisman's own ``force_https`` (and its HSTS switch) believe any ``X-Forwarded-Proto: https``
header (see ``Talisman._force_https`` in flask_talisman/talisman.py), which a client can send
over plain HTTP. So HTTPS is enforced here from ``request.is_secure``, which ProxyFix sets from
forwarded headers only for ``TRUSTED_PROXY_HOPS`` trusted proxies. Pages redirect to HTTPS; the
API refuses plain HTTP instead (a redirect would hide that the token already crossed in clear).
"""

from __future__ import annotations

from typing import Any

import flask
from flask import Flask, redirect, request
from flask_talisman import Talisman
from flask_talisman.talisman import NONCE_LENGTH, get_random_string
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


class CachedTalisman(Talisman):
    """Talisman, with the per-request work that depends only on the view done once per view.

    Talisman looks up the view's options (``talisman_view_options``, set when a view is
    decorated, before any request) and parses the whole policy again for every request and
    answer; the same headers come out of a cache of both, with only the nonce fresh per answer.
    Talisman also makes a nonce before every view; here it is made only for an answer whose
    template uses it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._options: dict[str | None, dict[str, Any]] = {}
        self._policies: dict[tuple[Any, ...], tuple[tuple[str, bool], ...]] = {}

    def _get_local_options(self) -> dict[str, Any]:
        endpoint = flask.request.endpoint
        options = self._options.get(endpoint)
        if options is None:
            options = self._options[endpoint] = super()._get_local_options()
        return options

    def _make_nonce(self) -> None:
        """Nothing before the view: the nonce is made when a template first asks for it."""

    def _get_nonce(self) -> str:
        """``csp_nonce()`` in a template: one fresh nonce per answer, made on first use, so
        answers that embed no script or style (every JSON answer) skip the random bytes and
        their policy names no nonce."""
        if not self._get_local_options()["content_security_policy_nonce_in"]:
            return ""
        nonce = getattr(flask.request, "csp_nonce", None)
        if nonce is None:
            nonce = get_random_string(NONCE_LENGTH)
            setattr(flask.request, "csp_nonce", nonce)  # where Talisman's headers look  # noqa: B010
        return str(nonce)

    def _force_https(self) -> Any:
        if not self._get_local_options()["force_https"]:  # the shop's setting: see above
            if self.session_cookie_secure and not self.app.debug:
                self.app.config["SESSION_COOKIE_SECURE"] = True
            return None
        return super()._force_https()

    def _parse_policy(self, policy: Any) -> str:
        nonce_in = tuple(self._get_local_options()["content_security_policy_nonce_in"] or ())
        try:
            key = (tuple(policy.items()), nonce_in)
            parts = self._policies.get(key)
        except (AttributeError, TypeError):  # a string or list values: Talisman's own parse
            return str(super()._parse_policy(policy))
        if parts is None:
            parts = self._policies[key] = tuple(
                (f"{section} {content}", section in nonce_in)
                for section, content in policy.items())
        nonce = getattr(flask.request, "csp_nonce", None)
        if nonce is None:
            return "; ".join(part for part, _ in parts)
        return "; ".join(f"{part} 'nonce-{nonce}'" if with_nonce else part
                         for part, with_nonce in parts)


def init_app(app: Flask, settings: Settings) -> None:
    # One Talisman per app: it keeps its options on itself, so a shared one would give every
    # app in the process the options of the last one set up.
    CachedTalisman().init_app(
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
