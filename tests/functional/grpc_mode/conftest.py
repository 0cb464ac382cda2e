"""The shop with module boundaries over gRPC (mutual TLS on 127.0.0.1).

``host_app`` holds the modules in-process and serves them from a module host; ``app`` is the
web shop whose boundaries are gRPC clients of that host. ``services`` stays the host's, so
tests that reach behind the API (admin set-up, clocks) act where the data lives.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app.bootstrap import Services
from app.config import Settings
from app.platform.clock import FrozenClock
from app.platform.db import db
from app.platform.grpc.host import ModuleHost
from tests.conftest import make_app
from tests.grpc_support import make_pki, running_host

REMOTE_MODULES = ["identity"]


@pytest.fixture
def host_app(settings: Settings, clock: FrozenClock) -> Iterator[Flask]:
    app = make_app(settings, clock)
    yield app
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def module_host(host_app: Flask) -> Iterator[ModuleHost]:
    services: Services = host_app.extensions["shop.services"]
    make_pki(services.transport.pki_dir)
    with running_host(host_app, services, REMOTE_MODULES) as host:
        yield host


@pytest.fixture
def app(settings: Settings, clock: FrozenClock, module_host: ModuleHost) -> Iterator[Flask]:
    extra = {**settings.extra}
    for module in REMOTE_MODULES:
        extra[f"{module.upper()}_TRANSPORT"] = "grpc"
        extra[f"{module.upper()}_GRPC_TARGET"] = f"127.0.0.1:{module_host.port}"
    app = make_app(settings.with_(extra=extra), clock)
    yield app
    web_services: Services = app.extensions["shop.services"]
    for remote in web_services.peers.remotes if web_services.peers else ():
        remote.close()
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def services(host_app: Flask, app: Flask) -> Services:
    return host_app.extensions["shop.services"]  # type: ignore[no-any-return]
