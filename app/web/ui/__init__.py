"""The server-rendered UI: one blueprint per flow, sharing one layout, session and CSRF guard.

``init_ui`` builds a ``Ui`` kit that every UI blueprint (shopper and admin) receives: the
contracts (``services``), the cookie session with its ``login_required``/``admin_required``
guards, the named rate limits, and ``blueprint(name)``, which makes a blueprint whose every
state-changing request must carry a valid Flask-WTF CSRF token (else the 400 page, and the
view never runs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, Flask, request
from flask_wtf.csrf import CSRFProtect

from app.bootstrap import Services
from app.platform.ratelimit import RateLimits
from app.web.ui import assets, errors, wording
from app.web.ui.session import REFRESH_GRACE, CookieNames, UiSession
from app.web.ui.session import init_app as init_session

F = TypeVar("F", bound=Callable[..., Any])

csrf = CSRFProtect()
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def protect_forms() -> None:
    if request.method not in SAFE_METHODS:
        csrf.protect()


@dataclass(frozen=True)
class Ui:
    services: Services
    session: UiSession
    limits: RateLimits

    def login_required(self, view: F) -> F:
        """The view receives ``principal=``; anonymous visitors go to the login page."""
        return self.session.login_required(view)

    def admin_required(self, view: F) -> F:
        """Like ``login_required``; a signed-in non-admin gets the 403 page (audited)."""
        return self.session.admin_required(view)

    @staticmethod
    def blueprint(name: str, import_name: str, url_prefix: str | None = None) -> Blueprint:
        bp = Blueprint(name, import_name, url_prefix=url_prefix)
        bp.before_request(protect_forms)
        return bp


def init_ui(app: Flask, services: Services, limits: RateLimits) -> Ui:
    production = services.settings.is_production
    app.config.update(
        # Checked per UI blueprint (``Ui.blueprint``), never on the bearer-token API.
        WTF_CSRF_CHECK_DEFAULT=False,
        SESSION_COOKIE_NAME="__Host-session" if production else "session",
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=production,
    )
    csrf.init_app(app)
    assets.init_app(app)
    grace = float(services.settings.extra.get("UI_REFRESH_GRACE_SECONDS", REFRESH_GRACE))
    session = UiSession(services.sessions, services.verifier, services.audit,
                        CookieNames.for_profile(production), services.clock, grace)
    init_session(app, session)
    limits.html_error = errors.render_error
    app.jinja_env.globals["current_principal"] = session.principal_or_none
    app.jinja_env.globals["wait_text"] = errors.wait_text
    app.jinja_env.globals["shop_name"] = services.settings.shop_name
    app.jinja_env.filters["counted"] = wording.counted
    ui = Ui(services, session, limits)
    _register(app, ui)
    return ui


def _register(app: Flask, ui: Ui) -> None:
    from app.web.ui import account, cart, catalog, data_rights, orders, profile, two_factor

    for flow in (catalog, account, profile, two_factor, cart, orders, data_rights):
        app.register_blueprint(flow.blueprint(ui))
    from app.web.ui import admin

    app.register_blueprint(admin.blueprint(ui))
