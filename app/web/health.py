"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app.bootstrap import Services
from app.platform.db import ping_databases
from app.platform.ratelimit import RateLimits


def blueprint(services: Services, limits: RateLimits) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    @bp.get("/readyz")
    def readyz() -> Response:
        checks = {"databases": _databases()}
        if services.peers is not None:
            checks["grpc"] = services.peers()
        ready = all(check["ok"] for check in checks.values())
        # Reported, not required: every instance shares the rate-limit store, so failing
        # readiness on it would take the whole shop down, while only login, 2FA and
        # registration need it (they answer 503 on their own meanwhile).
        checks["ratelimit_storage"] = {"ok": limits.storage_ok(), "required": False}
        status = "ready" if ready else "unavailable"
        if ready and not checks["ratelimit_storage"]["ok"]:
            status = "degraded"
        response = jsonify({"status": status, "checks": checks})
        response.status_code = 200 if ready else 503
        return response

    return bp


def _databases() -> dict[str, object]:
    results = {bind or "platform": status for bind, status in ping_databases().items()}
    return {"ok": all(v == "ok" for v in results.values()), "binds": results}
