"""The web layer: the REST API, the server-rendered UI, health probes."""

from __future__ import annotations

from flask import Flask

from app.bootstrap import Services
from app.platform.ratelimit import RateLimits
from app.web import health
from app.web.api import init_api, init_docs
from app.web.ui import init_ui


def init_web(app: Flask, services: Services, limits: RateLimits) -> None:
    app.register_blueprint(health.blueprint(services, limits))
    init_api(app, services, limits)
    init_ui(app, services, limits)
    init_docs(app)
