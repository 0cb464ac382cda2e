"""What ``/readyz`` says about remote modules: health, breaker state, certificate expiry."""

from __future__ import annotations

from typing import Any

from app.platform.grpc.client import RemoteModule
from app.platform.grpc.pki import Pki
from app.platform.grpc.settings import TransportSettings

EXPIRY_WARNING_DAYS = 14


class PeerStatus:
    """Callable: ``{"ok": bool, "modules": {...}, "certificates": {...}}``."""

    def __init__(self, transport: TransportSettings) -> None:
        self._transport = transport
        self.remotes: list[RemoteModule] = []

    def __call__(self) -> dict[str, Any]:
        modules = {r.module: self._module(r) for r in self.remotes}
        certificates = self._certificates() if self._transport.auth == "mtls" else {}
        ok = all(m["ok"] for m in modules.values()) and all(
            c["ok"] for c in certificates.values())
        return {"ok": ok, "modules": modules, "certificates": certificates}

    def _module(self, remote: RemoteModule) -> dict[str, Any]:
        health = remote.health(timeout=min(1.0, self._transport.deadline))
        return {"ok": health == "SERVING", "target": remote.target, "health": health,
                "breaker": remote.breaker.current_state}

    def _certificates(self) -> dict[str, Any]:
        pki = Pki(self._transport.pki_dir)
        result: dict[str, Any] = {}
        for name in ("ca", self._transport.caller):
            try:
                info = pki.info(name)
            except OSError:
                result[name] = {"ok": False, "error": "missing"}
                continue
            days = info.days_left()
            result[name] = {"ok": days > 0, "expires_at": info.not_after.isoformat(),
                            "days_left": round(days, 1),
                            "renew_soon": days < EXPIRY_WARNING_DAYS}
        return result
