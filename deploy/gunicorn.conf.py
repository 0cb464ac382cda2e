"""gunicorn settings, from the environment. Workers build their own connections after fork."""

import os

import structlog

from app.config import Settings, refuse_to_start_on_config_error, web_workers

# An unsafe configuration stops the master here, with one line, before any worker starts.
with refuse_to_start_on_config_error():
    _settings = Settings.from_env()


bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = web_workers(_settings, os.environ.get("WEB_CONCURRENCY"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 10
keepalive = 5
# Request and header limits at the server, before Flask sees anything.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = None  # the shop logs every request itself, as JSON with its request id
errorlog = "-"
# The master process never loads the app, so its lines (starting, booting workers, a worker
# that died) get the shop's JSON shape here; workers switch to app/platform/logging.py.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {
        "()": structlog.stdlib.ProcessorFormatter,
        "foreign_pre_chain": [
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ],
        "processors": [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
    }},
    "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json",
                          "stream": "ext://sys.stdout"}},
    "root": {"level": os.environ.get("LOG_LEVEL", "INFO").upper(), "handlers": ["json"]},
    # gunicorn.access is left alone: silent by default (the shop logs every request itself,
    # with its request id), and --access-logfile keeps working where an operator wants it.
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "alembic": {"level": "WARNING"},
    },
}
# HTTPS at gunicorn when certificate files are given; otherwise a proxy in front terminates TLS.
certfile = os.environ.get("TLS_CERT_FILE") or None
keyfile = os.environ.get("TLS_KEY_FILE") or None
preload_app = False
# Only the shop decides what a forwarded header means (TRUSTED_PROXY_HOPS, through Werkzeug's
# ProxyFix). gunicorn's defaults would let any loopback client make plain HTTP count as HTTPS
# with X-Forwarded-Proto, X-Forwarded-Ssl or X-Forwarded-Protocol, before Flask sees it.
forwarded_allow_ips = ""
secure_scheme_headers = {}
forwarder_headers = ""


def post_worker_init(worker):
    """Each worker runs the shop's background sweeps (they lock, so one works at a time).
    Another app served with these settings (the benchmarks' hello-world) has none."""
    from app import start_background

    if "shop.services" in getattr(worker.wsgi, "extensions", {}):
        start_background(worker.wsgi)


def child_exit(_server, worker):
    """A dead worker's live gauges must stop counting (prometheus-client multiprocess mode)."""
    from app.platform.metrics import worker_exit

    worker_exit(worker.pid)
