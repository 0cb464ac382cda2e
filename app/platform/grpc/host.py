"""Run a module host: a gRPC server for some modules, as its own process or a thread."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import structlog

from app.kernel import Principal
from app.platform.audit import AuditTrail
from app.platform.grpc.credentials import server_credentials
from app.platform.grpc.pki import Pki
from app.platform.grpc.server import Registration, build_server
from app.platform.grpc.settings import TransportSettings

log = structlog.get_logger("shop.grpc.host")


class ModuleHost:
    def __init__(self, *, registrations: list[Registration], transport: TransportSettings,
                 verify: Callable[[str], Principal], audit: AuditTrail,
                 scope: Callable[[], AbstractContextManager[Any]], modules: list[str]) -> None:
        shared = transport.shared_secret if transport.auth == "shared-secret" else None
        self.server, self.health = build_server(registrations, {
            "verify": verify, "audit": audit, "scope": scope, "shared_secret": shared})
        self._transport = transport
        self._modules = modules
        self.port: int | None = None

    def start(self, bind: str) -> int:
        if self._transport.auth == "mtls":
            creds = server_credentials(Pki(self._transport.pki_dir), self._modules)
            self.port = self.server.add_secure_port(bind, creds)
        else:
            self.port = self.server.add_insecure_port(bind)
        if not self.port:
            raise RuntimeError(f"cannot bind {bind}")
        self.server.start()
        log.info("module_host_started", modules=self._modules, bind=bind, port=self.port,
                 auth=self._transport.auth)
        return self.port

    def stop(self, grace: float | None = 1.0) -> None:
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()

    def serve_forever(self, bind: str) -> None:
        """Serve until SIGTERM/SIGINT, then drain in-flight calls for a second."""
        self.start(bind)
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        stopping.wait()
        self.stop()
