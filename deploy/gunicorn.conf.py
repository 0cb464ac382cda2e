"""gunicorn settings, from the environment. Workers build their own connections after fork."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
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
# HTTPS at gunicorn when certificate files are given; otherwise a proxy in front terminates TLS.
certfile = os.environ.get("TLS_CERT_FILE") or None
keyfile = os.environ.get("TLS_KEY_FILE") or None
preload_app = False


def post_worker_init(worker):
    """Each worker runs the shop's background sweeps (they lock, so one works at a time)."""
    from app import start_background

    start_background(worker.wsgi)


def child_exit(_server, worker):
    """A dead worker's live gauges must stop counting (prometheus-client multiprocess mode)."""
    from app.platform.metrics import worker_exit

    worker_exit(worker.pid)
