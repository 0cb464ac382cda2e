"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app.bootstrap import Services
from app.platform.db import ping_databases


def blueprint(services: Services) -> Blueprint:
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
        response = jsonify({"status": "ready" if ready else "unavailable", "checks": checks})
        response.status_code = 200 if ready else 503
        return response

    return bp


def _databases() -> dict[str, object]:
    results = {bind or "platform": status for bind, status in ping_databases().items()}
    return {"ok": all(v == "ok" for v in results.values()), "binds": results}
