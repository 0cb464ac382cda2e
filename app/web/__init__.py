"""The web layer: the REST API, the server-rendered UI, health probes."""

from __future__ import annotations

from flask import Flask

from app.bootstrap import Services
from app.config import Settings
from app.platform.metrics import operator_check
from app.platform.ratelimit import RateLimits
from app.web import health
from app.web.api import init_api, init_docs
from app.web.ui import init_ui


def init_web(app: Flask, services: Services, limits: RateLimits) -> None:
    settings: Settings = app.config["SHOP_SETTINGS"]
    is_operator = operator_check(services.verifier, settings.metrics_token)
    app.register_blueprint(health.blueprint(services, limits, is_operator))
    init_api(app, services, limits)
    init_ui(app, services, limits)
    init_docs(app, None if settings.api_docs_public else is_operator)
