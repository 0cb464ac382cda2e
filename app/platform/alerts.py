"""Alerts on the monitoring thresholds of the shop's security design.

* more than 5 failed logins for one account in 5 minutes (``account_brute_force``);
* more than 10 invalid access tokens in 1 minute (``invalid_tokens``);
* a circuit breaker opening (``breaker_open``);
* more than 5% server errors over 5 minutes (``server_errors``).

The first two are counted in the audit table, so every process and worker sees the same
numbers; they fire once, on the event that crosses the threshold. Server errors are counted
per process (each worker watches the requests it answers). An alert is an audit event, a
warning log line, a metric, and, when ``ALERT_WEBHOOK_URL`` is set, a JSON POST made in the
background (a slow or failing receiver never delays a request).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections import deque
from typing import Any

import structlog
from flask import Flask, Response
from prometheus_client import Counter

from app.platform.audit import AuditTrail, SecurityEvent

log = structlog.get_logger("shop.alerts")
ALERTS = Counter("shop_alerts_total", "Alerts raised.", ["kind"])

LOGIN_FAILURES = (5, 300)  # more than 5 in 5 minutes, per account
INVALID_TOKENS = (10, 60)  # more than 10 in 1 minute
ERROR_RATIO, ERROR_WINDOW, ERROR_MIN_REQUESTS = 0.05, 300, 20


def init_app(app: Flask, audit: AuditTrail, webhook_url: str | None) -> AlertMonitor:
    monitor = AlertMonitor(audit, webhook_url)
    audit.subscribe(monitor.on_audit_event)

    @app.after_request
    def _watch(response: Response) -> Response:
        monitor.on_response(response.status_code)
        return response

    return monitor


class AlertMonitor:
    def __init__(self, audit: AuditTrail, webhook_url: str | None = None) -> None:
        self.audit = audit
        self.webhook_url = webhook_url
        self._buckets: deque[list[int]] = deque()
        self._lock = threading.Lock()
        self._errors_alerted_at = float("-inf")

    def on_audit_event(self, event: str, outcome: str, details: dict[str, Any]) -> None:
        if event == SecurityEvent.LOGIN_FAIL and details.get("target"):
            limit, window = LOGIN_FAILURES
            count = self.audit.count_since(event, window, target=details["target"])
            if count == limit + 1:
                self.raise_alert("account_brute_force", target=details["target"],
                                 failures=count, window_seconds=window)
        elif event == SecurityEvent.TOKEN_INVALID:
            limit, window = INVALID_TOKENS
            if self.audit.count_since(event, window) == limit + 1:
                self.raise_alert("invalid_tokens", count=limit + 1, window_seconds=window)
        elif event == SecurityEvent.BREAKER_CHANGED and details.get("new") == "open":
            self.raise_alert("breaker_open", target=details.get("target", ""))

    def on_response(self, status: int, now: float | None = None) -> None:
        now = time.time() if now is None else now
        second = int(now)
        with self._lock:
            # One bucket per second ([second, requests, errors]): memory stays bounded by the
            # window's length, not by the request rate.
            if not self._buckets or self._buckets[-1][0] != second:
                self._buckets.append([second, 0, 0])
            self._buckets[-1][1] += 1
            self._buckets[-1][2] += status >= 500
            while self._buckets[0][0] <= second - ERROR_WINDOW:
                self._buckets.popleft()
            total = sum(bucket[1] for bucket in self._buckets)
            errors = sum(bucket[2] for bucket in self._buckets)
            crossing = (total >= ERROR_MIN_REQUESTS and errors / total > ERROR_RATIO
                        and now - self._errors_alerted_at >= ERROR_WINDOW)
            if crossing:
                self._errors_alerted_at = now
        if crossing:
            self.raise_alert("server_errors", errors=errors, requests=total,
                             window_seconds=ERROR_WINDOW)

    def raise_alert(self, kind: str, target: str = "", **details: Any) -> None:
        ALERTS.labels(kind=kind).inc()
        log.warning("alert", kind=kind, target=target, **details)
        self.audit.record(SecurityEvent.ALERT, outcome="failure", actor="system",
                          target=target, kind=kind, **details)
        if self.webhook_url:
            payload = {"alert": kind, "target": target, **details}
            threading.Thread(target=self._post, args=(payload,), daemon=True).start()

    def _post(self, payload: dict[str, Any]) -> None:
        assert self.webhook_url is not None
        # The URL is configuration, checked to be http(s) by Settings.validated().
        request = urllib.request.Request(  # noqa: S310
            self.webhook_url, data=json.dumps(payload, default=str).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5):  # noqa: S310  # nosec B310
                pass
        except OSError as exc:
            log.warning("alert_webhook_failed", kind=payload["alert"], error=type(exc).__name__)
