"""The admin console, unchanged, with every module boundary over gRPC + mTLS: the pages call
the same contracts through the gRPC clients, with the administrator's token in the metadata."""

from __future__ import annotations

from flask import Flask

from app.bootstrap import Services
from app.identity.grpc_client import GrpcAccountClient, GrpcSigningKeyClient
from tests.functional.admin.conftest import admin  # noqa: F401 - the fixture, for these tests
from tests.functional.admin.test_admin_access import *  # noqa: F403 - the same tests
from tests.functional.admin.test_admin_catalog_and_orders import *  # noqa: F403
from tests.functional.admin.test_admin_keys_and_security import *  # noqa: F403
from tests.functional.admin.test_admin_users_and_step_up import *  # noqa: F403


def test_the_console_really_calls_identity_over_grpc(app: Flask) -> None:
    web: Services = app.extensions["shop.services"]
    assert isinstance(web.accounts, GrpcAccountClient)
    assert isinstance(web.signing_keys, GrpcSigningKeyClient)
