"""Liveness and readiness probes.

Anyone may ask whether the shop is ready; only operators (an administrator's access token or
the metrics token) see why: module targets, certificate expiry and breaker states would tell
an outsider where to aim. A check that fails by raising is reported as failed, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from flask import Blueprint, Response, jsonify

from app.bootstrap import Services
from app.platform.db import current
from app.platform.metrics import bearer_value
from app.platform.ratelimit import RateLimits

log = structlog.get_logger("shop.health")


def blueprint(services: Services, limits: RateLimits,
              is_operator: Callable[[str], bool]) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    @bp.get("/readyz")
    def readyz() -> Response:
        checks: dict[str, dict[str, Any]] = {"databases": _safely(_databases)}
        if services.peers is not None:
            checks["grpc"] = _safely(services.peers)
        ready = all(check["ok"] for check in checks.values())
        # Reported, not required: every instance shares the rate-limit store, so failing
        # readiness on it would take the whole shop down, while only login, 2FA and
        # registration need it (they answer 503 on their own meanwhile).
        checks["ratelimit_storage"] = {"ok": limits.storage_ok(), "required": False}
        if not limits.enabled:
            checks["ratelimit_storage"]["enabled"] = False
        status = "ready" if ready else "unavailable"
        if ready and not checks["ratelimit_storage"]["ok"]:
            status = "degraded"
        body: dict[str, Any] = {"status": status}
        if is_operator(bearer_value()):
            body["checks"] = checks
        response = jsonify(body)
        response.status_code = 200 if ready else 503
        return response

    return bp


def _safely(check: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return check()
    except Exception as error:  # a probe answers; the failure is in the body and the log
        log.warning("readiness_check_failed", error_type=type(error).__name__)
        return {"ok": False, "error": type(error).__name__}


def _databases() -> dict[str, Any]:
    results = {bind or "platform": status for bind, status in current().ping().items()}
    return {"ok": all(v == "ok" for v in results.values()), "binds": results}
