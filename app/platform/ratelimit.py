"""Rate limits (Flask-Limiter): named, configurable, shared by every worker through Redis.

Named limits (SPEC section 1), each overridable by ``RATELIMIT_<NAME>``::

    login_ip     10 per 5 minutes  login, per client IP
    login_user   10 per 5 minutes  login, per username (case-folded); a valid device proof
                                   for that username is exempt (OWASP device cookies)
    password_user 5 per 15 minutes password change, per user (a wrong current password is a
                                   guess at the password)
    twofa_user   5 per 5 minutes; 20 per hour   every 2FA code check, per user
    twofa_ip     10 per 5 minutes  every 2FA code check, per client IP
    register_ip  5 per hour        registration, per client IP
    refresh_ip   30 per minute     token refresh, per client IP
    default      300 per minute    every other API route, per client IP

Each named limit is a *shared* limit whose scope is its name, so the 2FA budget of a user is
one budget across the code step, activation, disable and regeneration.

Client IP: ``request.remote_addr``, which ProxyFix (applied in ``create_app`` only when
``TRUSTED_PROXY_HOPS`` > 0) sets from ``X-Forwarded-For`` for exactly that many trusted hops. With
0 hops a forged ``X-Forwarded-For`` is ignored, so it cannot move a client to a fresh bucket.

When the storage is down (decision, checked against Flask-Limiter 4.1 and limits 5.8):
Flask-Limiter has one ``swallow_errors`` switch per ``Limiter`` (True: a storage error is logged
and the request goes through; False: the error propagates out of the limit check) and an
``in_memory_fallback`` that moves *every* limit of that Limiter to per-process memory while the
storage is down. The fallback would silently multiply the budget by the number of workers, and
a single switch cannot fail closed for login and open for the catalogue, so the shop runs two
Limiters on the app:

* ``strict`` (login, 2FA, registration): ``swallow_errors=False``, no in-memory fallback,
  storage exceptions wrapped (``wrap_exceptions``) as ``limits.errors.StorageError``, answered
  here as 503 problem+json. Failing closed: an attacker who can knock Redis over must not win
  unlimited password guesses.
* ``lenient`` (the global default, refresh): ``swallow_errors=True``: the shop keeps selling
  while Redis is down; lockout in the identity module still bounds password guessing.

Redis sockets time out after ``STORAGE_TIMEOUT`` seconds so an unreachable server gives a fast
503, not a hung worker. A breached limit answers 429 problem+json with ``Retry-After`` and
records an ``excess_rate_limit_exceeded`` audit event.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.errors import StorageError

from app.config import ConfigError, Settings
from app.platform.audit import AuditTrail, SecurityEvent
from app.platform.errors import problem_response, wants_html
from app.platform.metrics import RATE_LIMIT_HITS

log = structlog.get_logger("shop.ratelimit")

F = TypeVar("F", bound=Callable[..., Any])

NAMED_LIMITS: dict[str, str] = {
    "login_ip": "10 per 5 minutes",
    "login_user": "10 per 5 minutes",
    "password_user": "5 per 15 minutes",
    "twofa_user": "5 per 5 minutes; 20 per hour",
    "twofa_ip": "10 per 5 minutes",
    "register_ip": "5 per hour",
    "refresh_ip": "30 per minute",
    "default": "300 per minute",
}
FAIL_CLOSED = frozenset({"login_ip", "login_user", "password_user", "twofa_user", "twofa_ip",
                         "register_ip"})
STORAGE_TIMEOUT = 0.5


def client_ip() -> str:
    return "ip:" + (get_remote_address() or "unknown")


def json_field(name: str) -> Callable[[], str]:
    """Key from a JSON body field (case-folded); read before validation, so bad bodies count."""

    def key() -> str:
        data = request.get_json(silent=True)
        value = data.get(name) if isinstance(data, dict) else None
        return f"{name}:" + (value.casefold()[:64] if isinstance(value, str) else "-")

    return key


def form_field(name: str) -> Callable[[], str]:
    """Key from an HTML form field (case-folded), for the UI's login and registration."""

    def key() -> str:
        value = request.form.get(name)
        return f"{name}:" + (value.casefold()[:64] if value else "-")

    return key


def principal_user() -> str:
    """Key for views behind ``guards.authenticated`` (they set ``g.principal`` first)."""
    principal = g.get("principal")
    return "user:" + (principal.user_id if principal is not None else "-")


def resolve_limits(settings: Settings) -> dict[str, str]:
    """The named limits with overrides; an unknown name or malformed value refuses to start."""
    unknown = set(settings.ratelimit_limits) - set(NAMED_LIMITS)
    if unknown:
        names = ", ".join(sorted(f"RATELIMIT_{n.upper()}" for n in unknown))
        raise ConfigError(f"unknown rate limit {names}; known: {', '.join(NAMED_LIMITS)}")
    values = {**NAMED_LIMITS, **settings.ratelimit_limits}
    for name, value in values.items():
        try:
            parse_many(value)
        except ValueError as exc:
            raise ConfigError(f"RATELIMIT_{name.upper()}={value!r} is not a limit") from exc
    return values


def _storage_options(uri: str) -> dict[str, Any]:
    options: dict[str, Any] = {"wrap_exceptions": True}
    if uri.startswith(("redis", "rediss")):
        options.update(socket_connect_timeout=STORAGE_TIMEOUT, socket_timeout=STORAGE_TIMEOUT)
    return options


AUDIT_WINDOW = 60.0


class FirstInWindow:
    """``first(key, now, window)``: True once per key per window (bounded memory)."""

    def __init__(self, size: int = 10_000) -> None:
        self._until: dict[Any, float] = {}
        self._size = size
        self._lock = threading.Lock()

    def first(self, key: Any, now: float, window: float) -> bool:
        with self._lock:
            if self._until.get(key, float("-inf")) > now:
                return False
            if len(self._until) >= self._size:
                self._until = {k: t for k, t in self._until.items() if t > now}
            self._until[key] = now + window
            return True


def _shown(name: str, key: str) -> str:
    """The key as the log and audit show it: an address as it is; a username or user id
    (personal, and it would outlive an erasure) as a keyed digest, still equal for equal
    keys so that an investigation can group the refusals."""
    if name.endswith("_ip") or name == "default":
        return key
    secret = str(current_app.config.get("SECRET_KEY") or "").encode()
    return "h:" + hmac.new(secret, f"{name}|{key}".encode(), hashlib.sha256).hexdigest()[:24]


@dataclass
class RateLimits:
    """The app's limiters; views apply named limits with ``limits.named(name, key)``."""

    values: dict[str, str]
    strict: Limiter
    lenient: Limiter
    audit: AuditTrail
    _keys: dict[str, Callable[[], str]] = field(default_factory=dict)
    # ``html_error(status, detail, retry_after)`` renders pages (set by the UI); the API and
    # other machine routes keep problem+json.
    html_error: Callable[..., Response] | None = None
    _reported: FirstInWindow = field(default_factory=lambda: FirstInWindow())

    @property
    def enabled(self) -> bool:
        return bool(self.strict.enabled)

    def storage_ok(self) -> bool:
        """Whether the limit storage answers (Redis PING; memory always does).

        With limits switched off Flask-Limiter never builds its storage: nothing to fail.
        """
        if not self.enabled:
            return True
        try:
            return bool(self.strict.storage.check())
        except Exception:  # a storage that raises instead of answering False is down too
            return False

    def named(self, name: str, key: Callable[[], str] = client_ip,
              exempt_when: Callable[[], bool] | None = None) -> Callable[[F], F]:
        limiter = self.strict if name in FAIL_CLOSED else self.lenient
        self._keys[name] = key
        return limiter.shared_limit(self.values[name], scope=name, key_func=key,  # type: ignore[return-value]
                                    exempt_when=exempt_when)

    def too_many(self, error: RateLimitExceeded) -> Response:
        name = str(error.limit.scope)
        current = self.strict.current_limit or self.lenient.current_limit
        retry_after = _retry_after(current, error)
        key = _shown(name, self._keys.get(name, client_ip)())
        RATE_LIMIT_HITS.labels(limit=name).inc()
        # One audit row and log line per limit and key per window, not one per refused
        # request: otherwise a flood would turn every cheap 429 into a database write.
        if self._reported.first((name, key), time.monotonic(), AUDIT_WINDOW):
            log.warning("rate_limited", limit=name, key=key)
            self.audit.record(SecurityEvent.RATE_LIMITED, outcome="failure", actor="",
                              target=key, limit=name, path=request.path)
        if self.html_error is not None and wants_html():
            return self.html_error(429, "", retry_after)
        return problem_response(429, "Too many requests; try again later.", code="rate_limited",
                                headers={"Retry-After": str(retry_after)})

    def storage_down(self, error: StorageError) -> Response:
        log.error("ratelimit_storage_unavailable", path=request.path,
                  error_type=type(error.storage_error).__name__)
        if self.html_error is not None and wants_html():
            return self.html_error(503, "", 30)
        return problem_response(503, "This action is unavailable right now; try again soon.",
                                code="unavailable", headers={"Retry-After": "30"})


def _retry_after(current: RequestLimit | None, error: RateLimitExceeded) -> int:
    try:
        if current is not None and current.breached:
            return max(1, current.reset_at - int(time.time()))
    except StorageError:
        pass  # the storage vanished between the check and this answer: use the window
    return int(error.limit.limit.get_expiry())


class _FailOpenLog(logging.Filter):
    """Flask-Limiter logs a full traceback for every request it lets through while the storage
    is down; one JSON warning line without the traceback says the same."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            log.warning("ratelimit_storage_unavailable_fail_open",
                        error_type=type(record.exc_info[1]).__name__, message=record.msg)
            return False
        # Its breach line names the raw key (a username); too_many logs it masked instead.
        return not str(record.msg).startswith("ratelimit %s (%s) exceeded")


def init_app(app: Flask, settings: Settings, audit: AuditTrail) -> RateLimits:
    values = resolve_limits(settings)
    common: dict[str, Any] = {
        "storage_uri": settings.ratelimit_storage_uri,
        "storage_options": _storage_options(settings.ratelimit_storage_uri),
        "strategy": "moving-window",
        "key_prefix": settings.ratelimit_key_prefix,
        "enabled": settings.ratelimit_enabled,
        "headers_enabled": False,
        "in_memory_fallback_enabled": False,
    }
    strict = Limiter(client_ip, swallow_errors=False, **common)
    lenient = Limiter(client_ip, swallow_errors=True, default_limits=[values["default"]],
                      default_limits_exempt_when=lambda: not request.path.startswith("/api/"),
                      **common)
    strict.init_app(app)
    lenient.init_app(app)
    if not any(isinstance(f, _FailOpenLog) for f in lenient.logger.filters):
        lenient.logger.addFilter(_FailOpenLog())
    limits = RateLimits(values, strict, lenient, audit)
    app.register_error_handler(RateLimitExceeded, limits.too_many)
    app.register_error_handler(StorageError, limits.storage_down)
    app.extensions["shop.ratelimit"] = limits
    return limits
