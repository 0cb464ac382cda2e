"""The shop: a Flask modular monolith. ``create_app`` is a short list of init calls."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import cli
from app.bootstrap import Overrides, Services, build_services
from app.config import Settings, development_secret
from app.platform import alerts, errors, headers, http, metrics, migration_commands, ratelimit
from app.platform import db as database
from app.platform import logging as shop_logging
from app.platform.blocking import BlockGate
from app.platform.clock import Clock
from app.platform.json_answers import OrjsonProvider
from app.registry import REGISTRY
from app.web import init_web
from app.web.ui.errors import render_error


def create_app(settings: Settings | None = None, *, clock: Clock | None = None,
               overrides: Overrides | None = None) -> Flask:
    """The shop. Tests pass a ``clock`` and ``overrides`` (see ``app.bootstrap.Overrides``)."""
    settings = settings or Settings.from_env()
    shop_logging.configure(settings.log_level)
    app = Flask(__name__, instance_path=str(settings.instance_path),
                template_folder="web/templates", static_folder="web/static")
    app.json = OrjsonProvider(app)
    _configure(app, settings)
    engines = database.init_app(app, _database_urls(settings))
    migration_commands.init_app(app, REGISTRY.histories)
    with app.app_context():
        services = build_services(settings, engines, clock, overrides)
    app.extensions["shop.services"] = services
    errors.init_app(app, render_error, REGISTRY.http_statuses)
    http.init_app(app, gate=BlockGate(services.blocklist, services.audit, services.clock))
    headers.init_app(app, settings)
    metrics.init_app(app, services.audit, services.verifier, settings.metrics_token)
    alerts.init_app(app, services.audit, settings.alert_webhook_url)
    limits = ratelimit.init_app(app, settings, services.audit)
    init_web(app, services, limits)
    cli.init_app(app, services)
    if settings.trusted_proxy_hops:
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app


def _configure(app: Flask, settings: Settings) -> None:
    secret = settings.secret_key or development_secret(settings.instance_path, "secret_key")
    app.config.update(
        SECRET_KEY=secret,
        DEBUG=settings.debug,
        TESTING=settings.profile == "test",
        MAX_CONTENT_LENGTH=settings.max_content_length,
        MAX_FORM_MEMORY_SIZE=settings.max_content_length,
        # A Host outside SHOP_HOSTS is a 400 (app.platform.http), so no answer ever builds a
        # link or redirect to a host the client chose.
        TRUSTED_HOSTS=list(settings.hosts) or None,
        JSON_SORT_KEYS=False,
        # Responses are checked against the OpenAPI models in tests only (app/web/api/openapi.py).
        VALIDATE_RESPONSES=settings.profile == "test",
        SHOP_SETTINGS=settings,
    )


def _database_urls(settings: Settings) -> dict[str | None, str]:
    if settings.default_database_url.startswith("sqlite:///"):
        settings.instance_path.mkdir(parents=True, exist_ok=True)
    urls: dict[str | None, str] = {None: settings.default_database_url}
    for bind in REGISTRY.binds:
        urls[bind] = settings.database_url_for(bind)
    return urls


def start_background(app: Flask, modules: list[str] | None = None) -> None:
    """Start this process's periodic work (the ordering sweep), or only that of ``modules``.
    Called once a process serves: by each server worker (asgi.py; gunicorn.conf.py) and by a
    module host for the modules it hosts; never by CLI commands or tests, which run a sweep
    explicitly when they want one."""
    services: Services = app.extensions["shop.services"]
    for job in services.background:
        if modules is None or job.module in modules:
            job.start()


__all__ = ["Services", "create_app", "start_background"]
