"""JSON log lines (one object per line) carrying the request id; secrets never logged.

Every line the process writes goes through one standard-library handler whose formatter is
structlog's ``ProcessorFormatter``: the shop's own structlog events and the standard library's
records (gunicorn's workers, gRPC, Werkzeug, SQLAlchemy, alembic, Python warnings) alike. Both
get the same processors: level, logger name, UTC timestamp, the request id bound for the
current request (``structlog.contextvars``), redaction, then ``json.dumps``. So user-controlled
text (a username with a newline, say) stays inside its string and cannot forge a log line, and
keys that name secrets are redacted before rendering as a second line of defence.
(gunicorn's master process logs before the app is loaded: ``deploy/gunicorn.conf.py`` gives it
the same JSON shape.)
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

_SECRET_KEYS = frozenset(
    {"password", "new_password", "current_password", "token", "access", "refresh",
     "secret", "code", "login_ticket", "authorization", "cookie", "backup_codes", "otp"}
)
# Chatty at INFO about things the shop logs itself (requests, migrations).
_QUIET = ("alembic", "werkzeug")


def _redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key.lower() in _SECRET_KEYS:
            event[key] = "[redacted]"
    return event


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _redact,
]


class _Stdout(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stdout`` is at the time of the write (test capture, gunicorn)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def json_formatter() -> structlog.stdlib.ProcessorFormatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
    )


def configure(level: str = "INFO", stream: Any = None) -> None:
    handler = logging.StreamHandler(stream) if stream is not None else _Stdout()
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    # gunicorn's error log keeps its own handler unless told otherwise: let it reach ours.
    # (Its access log, off by default, stays as an operator configured it.)
    gunicorn_errors = logging.getLogger("gunicorn.error")
    for old in list(gunicorn_errors.handlers):
        gunicorn_errors.removeHandler(old)
    gunicorn_errors.propagate = True
    logging.captureWarnings(True)
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )


def server_dictconfig(level: str = "INFO") -> dict[str, Any]:
    """``logging.config.dictConfig`` for a server's main process (Granian's, before any app is
    loaded): its own loggers and the root get the same JSON lines as the shop's."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": json_formatter}},
        "handlers": {"json": handler},
        "root": {"level": level.upper(), "handlers": ["json"]},
        "loggers": {
            "_granian": {"handlers": ["json"], "level": level.upper(), "propagate": False},
            "granian.access": {"handlers": ["json"], "level": "INFO", "propagate": False},
        },
    }
