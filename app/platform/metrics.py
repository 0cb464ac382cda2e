"""Prometheus metrics: requests, latency, security events, breaker state. Not public.

Under gunicorn every worker counts in its own process; with ``PROMETHEUS_MULTIPROC_DIR`` set
(``bin/start`` sets it) prometheus-client's multiprocess mode adds them up at scrape time, so a
scrape that lands on any worker sees the whole server. ``GET /metrics`` answers an
administrator's access token or the ``METRICS_TOKEN`` bearer secret, nothing else.
"""

from __future__ import annotations

import functools
import hmac
import os
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from app.kernel import Unauthenticated
from app.platform.access_tokens import AccessTokenVerifier
from app.platform.audit import AuditTrail, SecurityEvent
from app.platform.errors import Problem

REQUESTS = Counter("shop_http_requests_total", "HTTP requests answered.",
                   ["method", "endpoint", "status"])
LATENCY = Histogram("shop_http_request_duration_seconds", "Time to answer a request.",
                    ["method", "endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))
SECURITY_EVENTS = Counter("shop_security_events_total", "Audit events recorded.",
                          ["event", "outcome"])
LOGIN_FAILURES = Counter("shop_login_failures_total", "Failed password or code steps.")
# Counted by the rate limiter itself: it audits only the first refusal per key and window.
RATE_LIMIT_HITS = Counter("shop_rate_limit_hits_total", "Requests refused by a rate limit.",
                          ["limit"])
BLOCKED_REQUESTS = Counter("shop_blocked_requests_total",
                           "Requests refused because their address is blocked.")
BREAKER_OPEN = Gauge("shop_circuit_breaker_open", "1 while the breaker to a module is open.",
                     ["module"], multiprocess_mode="max")

# Label values must come from a fixed set: a client picks the method and the path, and every
# new label value is a new series in every scrape and a new file row per worker.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
UNMATCHED = "unmatched"

_LOGIN_FAILURE_EVENTS = {SecurityEvent.LOGIN_FAIL.value, SecurityEvent.MFA_FAIL.value}


def on_audit_event(event: str, outcome: str, details: dict[str, Any]) -> None:
    """Audit listener: every security event is also a metric."""
    SECURITY_EVENTS.labels(event=event, outcome=outcome).inc()
    if event in _LOGIN_FAILURE_EVENTS:
        LOGIN_FAILURES.inc()
    elif event == SecurityEvent.BREAKER_CHANGED.value:
        is_open = 1 if details.get("new") == "open" else 0
        BREAKER_OPEN.labels(module=str(details.get("target", ""))).set(is_open)


def operator_check(verifier: AccessTokenVerifier,
                   metrics_token: str | None) -> Callable[[str], bool]:
    """Whether a bearer value is the metrics token or an administrator's access token.

    Operators' views (metrics, readiness details, private API docs) use this one check.
    """
    expected = metrics_token.encode() if metrics_token is not None else None

    def allowed(token: str) -> bool:
        if not token:
            return False
        # Bytes: compare_digest refuses str with non-ASCII characters (a client picks them).
        if expected is not None and hmac.compare_digest(token.encode(), expected):
            return True
        try:
            return verifier.verify(token).is_admin
        except Unauthenticated:
            return False

    return allowed


def bearer_value() -> str:
    return request.headers.get("Authorization", "").removeprefix("Bearer ").strip()


def init_app(app: Flask, audit: AuditTrail, verifier: AccessTokenVerifier,
             metrics_token: str | None) -> None:
    audit.subscribe(on_audit_event)
    allowed = operator_check(verifier, metrics_token)

    @app.after_request
    def _count(response: Response) -> Response:
        method, endpoint = request_labels()
        started = g.get("started", time.perf_counter())  # set by the HTTP edge
        counter, latency = _series(method, endpoint, response.status_code)
        counter.inc()
        latency.observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    def metrics() -> Response:
        token = bearer_value()
        if not allowed(token):
            raise Problem(401 if not token else 403, "Metrics need an administrator or the "
                          "metrics token.", headers={"WWW-Authenticate": 'Bearer realm="shop"'})
        return Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)


@functools.cache
def _series(method: str, endpoint: str, status: int) -> tuple[Any, Any]:
    """The request counter and latency histogram of one label set, looked up once per process
    (``labels()`` checks and locks on every call). The label sets are bounded (see below)."""
    return (REQUESTS.labels(method, endpoint, str(status)),
            LATENCY.labels(method, endpoint))


def request_labels() -> tuple[str, str]:
    """The (method, endpoint) labels of this request, both from a bounded set.

    A method outside the known set is ``other``; the endpoint is the matched route's rule, and
    every request that matched no route (404, and 405 for a method the route lacks) is
    ``unmatched``.
    """
    method = request.method if request.method in KNOWN_METHODS else OTHER_METHOD
    return method, request.url_rule.rule if request.url_rule else UNMATCHED


def _registry() -> Any:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import REGISTRY

        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def worker_exit(pid: int) -> None:
    """gunicorn ``child_exit`` hook: a dead worker's live gauges stop counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)
