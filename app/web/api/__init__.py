"""The REST API: one blueprint per resource, all built from the composition root's services."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from app.bootstrap import Services
from app.platform.ratelimit import RateLimits
from app.web.api import account, openapi, orders, products, tokens, two_factor, users
from app.web.api.auth import BearerProtector
from app.web.api.guards import Guards


def init_api(app: Flask, services: Services, limits: RateLimits) -> Guards:
    guards = Guards.build(BearerProtector(services.verifier.validator, services.audit), limits)
    spec = openapi.init_app(app)
    for module in (users, account, tokens, two_factor, products, orders):
        app.register_blueprint(module.blueprint(services, guards, spec))
    return guards


def init_docs(app: Flask, is_operator: Callable[[str], bool] | None) -> None:
    """Register the OpenAPI routes last, once every validated view exists.

    ``is_operator`` set: the document and the docs page are for operators only
    (``API_DOCS_PUBLIC=false``, the production default)."""
    openapi.register(app, is_operator)
