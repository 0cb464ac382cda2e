"""Helpers for tests that run module boundaries over gRPC with throwaway certificates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
from flask import Flask

from app.bootstrap import Services, build_module_host
from app.platform.grpc.host import ModuleHost
from app.platform.grpc.pki import Pki
from app.platform.grpc.settings import TransportSettings
from app.registry import REGISTRY
from protos.generated import identity_pb2_grpc as identity_grpc

PARTIES = (*REGISTRY.names, "web", "operator")


def make_pki(directory: Path) -> Pki:
    pki = Pki(directory)
    pki.init()
    for name in PARTIES:
        pki.issue(name)
    return pki


@contextmanager
def running_host(app: Flask, services: Services, modules: list[str]) -> Iterator[ModuleHost]:
    """A module host on 127.0.0.1 (an ephemeral port) serving ``modules`` from ``services``."""
    make_pki(services.transport.pki_dir) if not Pki(services.transport.pki_dir).exists() else None
    host = build_module_host(services, modules, app.app_context)
    host.start("127.0.0.1:0")
    try:
        yield host
    finally:
        host.stop(grace=None)


def client_settings(services: Services, module: str, port: int, *, caller: str = "web",
                    **changes: object) -> TransportSettings:
    transport = services.transport
    return replace(transport, transports={**transport.transports, module: "grpc"},
                   targets={**transport.targets, module: f"127.0.0.1:{port}"}, caller=caller,
                   **changes)  # type: ignore[arg-type]


class IdentityStubs:
    """Every identity service's stub on one channel: ``stubs.Jwks(...)`` calls the service
    that has the method (the tests that speak raw gRPC need not know which one)."""

    def __init__(self, channel: grpc.Channel) -> None:
        self._stubs = [stub(channel) for stub in (
            identity_grpc.AccountServiceStub, identity_grpc.SessionServiceStub,
            identity_grpc.TwoFactorServiceStub, identity_grpc.SigningKeyServiceStub,
            identity_grpc.RevocationFeedStub)]

    def __getattr__(self, name: str) -> Any:
        for stub in self._stubs:
            if hasattr(stub, name):
                return getattr(stub, name)
        raise AttributeError(name)
