"""Serve a WSGI app with Granian, with the shop's server settings from the environment.

``python deploy/granian_serve.py asgi asgi:app`` is what ``bin/start`` runs. Granian reads request
headers on its Rust event loop, and ``asgi.py`` reads the body there too before a thread runs
the app, so clients that trickle bytes hold a socket, never a thread: ``/healthz`` keeps
answering under a slow-client attack (``tests/integration/test_slow_clients.py``).
``granian_serve.py wsgi wsgi:app`` serves the WSGI app directly (bodies then reach the
threads unbuffered: for comparison only).

Settings (the same names gunicorn used): ``HOST``, ``PORT``, ``WEB_CONCURRENCY`` (worker
processes; by default two, one when rate limits are kept in per-process memory),
``WEB_THREADS`` (threads per worker running the app), ``WEB_HEADER_TIMEOUT``
(seconds a client may take to send its headers, default 10), ``TLS_CERT_FILE`` and
``TLS_KEY_FILE`` (HTTPS at the server; the key in PKCS#8 PEM).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.server import Server

from app.config import Settings, refuse_to_start_on_config_error, web_workers


def settings(env: dict[str, str], interface: str, workers: int) -> dict[str, object]:
    cert, key = env.get("TLS_CERT_FILE") or None, env.get("TLS_KEY_FILE") or None
    if bool(cert) != bool(key):
        raise SystemExit("TLS_CERT_FILE and TLS_KEY_FILE must be given together")
    header_timeout_ms = int(float(env.get("WEB_HEADER_TIMEOUT", "10")) * 1000)
    is_asgi = interface == "asgi"
    return {
        "address": env.get("HOST", "127.0.0.1"),
        "port": int(env.get("PORT", "8000")),
        "interface": Interfaces.ASGI if is_asgi else Interfaces.WSGI,
        "http": HTTPModes.http1,
        "workers": workers,
        # WSGI: the threads running the app; ASGI: the app's own pool has WEB_THREADS (asgi.py).
        "blocking_threads": 1 if is_asgi else int(env.get("WEB_THREADS", "4")),
        "http1_settings": HTTP1Settings(header_read_timeout=header_timeout_ms),
        "websockets": False,
        # A worker that dies is replaced, as gunicorn's arbiter does.
        "respawn_failed_workers": True,
        # A worker still busy this long after SIGTERM is killed (gunicorn's graceful_timeout).
        "workers_kill_timeout": 10,
        "log_access": False,  # the shop logs every request itself, as JSON with its request id
        "ssl_cert": Path(cert) if cert else None,
        "ssl_key": Path(key) if key else None,
    }


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in ("asgi", "wsgi"):
        raise SystemExit("usage: granian_serve.py asgi|wsgi MODULE:APP")
    # An unsafe configuration stops here, with one line, before any worker starts.
    with refuse_to_start_on_config_error():
        shop = Settings.from_env()
    workers = web_workers(shop, os.environ.get("WEB_CONCURRENCY"))
    Server(argv[1], **settings(dict(os.environ), argv[0], workers)).serve()  # type: ignore[arg-type]


if __name__ == "__main__":
    main(sys.argv[1:])
