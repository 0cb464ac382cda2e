"""The account and token API flows, unchanged, with the identity module behind gRPC + mTLS."""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask

from app.bootstrap import Services
from app.config import Settings
from app.identity.grpc_client import (
    GrpcAccountClient,
    GrpcRevocationClient,
    GrpcSessionClient,
    GrpcSigningKeyClient,
    GrpcTwoFactorClient,
)
from app.platform.grpc.host import ModuleHost
from tests.functional.test_accounts import *  # noqa: F403 - the same tests, another transport
from tests.functional.test_lockout import *  # noqa: F403
from tests.functional.test_login_tickets import *  # noqa: F403
from tests.functional.test_smoke import *  # noqa: F403
from tests.functional.test_tokens import *  # noqa: F403
from tests.functional.test_two_factor import *  # noqa: F403
from tests.support import Api

# Readiness details need an operator; with identity down no access token can be verified, so
# the scraper's metrics token is what still reads them.
METRICS_TOKEN = "metrics-" + "Hx7qP2mW9sLd4vKt" * 2


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, metrics_token=METRICS_TOKEN)


def test_the_web_shop_really_calls_identity_over_grpc(app: Flask) -> None:
    web: Services = app.extensions["shop.services"]
    assert all(isinstance(getattr(web, name), kind) for name, kind in (
        ("accounts", GrpcAccountClient), ("sessions", GrpcSessionClient),
        ("two_factor", GrpcTwoFactorClient), ("signing_keys", GrpcSigningKeyClient),
        ("revocations", GrpcRevocationClient)))


def test_readyz_reports_the_remote_module_and_certificates(api: Api, app: Flask,
                                                           module_host: ModuleHost) -> None:
    assert api.get("/readyz", "garbage.bearer.value").get_json() == {"status": "ready"}
    body = api.get("/readyz", METRICS_TOKEN).get_json()
    grpc_check = body["checks"]["grpc"]
    identity = grpc_check["modules"]["identity"]
    assert (identity["health"], identity["breaker"], identity["ok"]) == ("SERVING", "closed", True)
    assert grpc_check["certificates"]["web"]["days_left"] > 80
    assert grpc_check["certificates"]["ca"]["ok"]
    module_host.stop(grace=None)
    down = api.get("/readyz", METRICS_TOKEN)
    assert down.status_code == 503
    assert down.get_json()["checks"]["grpc"]["modules"]["identity"]["ok"] is False
