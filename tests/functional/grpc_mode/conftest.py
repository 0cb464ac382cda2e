"""The shop split across module hosts, every boundary over gRPC with mutual TLS (127.0.0.1).

Topology (as `grpc serve` would run it, here in threads of the test process):
  * ``host_app``: identity and catalog in-process, served by one module host;
  * ``ordering_app``: ordering in-process, calling identity and catalog over gRPC as
    ``spiffe://shop/ordering``, served by a second host;
  * ``app``: the web shop, every module a gRPC client, calling as ``spiffe://shop/web``.
``services`` stays the first host's, so tests that reach behind the API (admin set-up,
stock checks) act where the data lives.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app.bootstrap import Services, hosted_settings
from app.config import Settings
from app.platform.clock import FrozenClock
from app.platform.db import current
from app.platform.grpc.host import ModuleHost
from tests.conftest import make_app
from tests.grpc_support import make_pki, running_host


def _dispose(app: Flask) -> None:
    services: Services = app.extensions["shop.services"]
    for remote in services.peers.remotes if services.peers else ():
        remote.close()
    with app.app_context():
        current().dispose()


def _grpc(settings: Settings, targets: dict[str, int]) -> dict[str, str]:
    extra = {**settings.extra}
    for module, port in targets.items():
        extra[f"{module.upper()}_TRANSPORT"] = "grpc"
        extra[f"{module.upper()}_GRPC_TARGET"] = f"127.0.0.1:{port}"
    return extra


@pytest.fixture
def host_app(settings: Settings, clock: FrozenClock) -> Iterator[Flask]:
    app = make_app(settings, clock)
    yield app
    _dispose(app)


@pytest.fixture
def module_host(host_app: Flask) -> Iterator[ModuleHost]:
    services: Services = host_app.extensions["shop.services"]
    make_pki(services.transport.pki_dir)
    with running_host(host_app, services, ["identity", "catalog"]) as host:
        yield host


@pytest.fixture
def ordering_host(settings: Settings, clock: FrozenClock,
                  module_host: ModuleHost) -> Iterator[ModuleHost]:
    port = module_host.port or 0
    remote = settings.with_(extra=_grpc(settings, {"identity": port, "catalog": port}))
    app = make_app(hosted_settings(remote, ["ordering"]), clock)
    with running_host(app, app.extensions["shop.services"], ["ordering"]) as host:
        yield host
    _dispose(app)


@pytest.fixture
def app(settings: Settings, clock: FrozenClock, module_host: ModuleHost,
        ordering_host: ModuleHost) -> Iterator[Flask]:
    port = module_host.port or 0
    extra = _grpc(settings, {"identity": port, "catalog": port,
                             "ordering": ordering_host.port or 0})
    app = make_app(settings.with_(extra=extra), clock)
    yield app
    _dispose(app)


@pytest.fixture
def services(host_app: Flask, app: Flask) -> Services:
    return host_app.extensions["shop.services"]  # type: ignore[no-any-return]
