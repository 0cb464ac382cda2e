"""Contract suites run twice: against the in-process service and over gRPC with mutual TLS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.bootstrap import Services
from app.identity.grpc_client import GrpcIdentityClient
from tests.grpc_support import client_settings, make_pki, running_host


@pytest.fixture(params=["inprocess", "grpc"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def identity(transport: str, app: Flask, services: Services) -> Iterator[Any]:
    if transport == "inprocess":
        with app.app_context():
            yield services.identity
        return
    make_pki(services.transport.pki_dir)
    with running_host(app, services, ["identity"]) as host, app.app_context():
        client = GrpcIdentityClient(client_settings(services, "identity", host.port or 0),
                                    services.audit)
        yield client
        client.remote.close()
