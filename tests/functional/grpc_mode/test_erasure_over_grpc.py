"""Export and erasure, unchanged, with every module boundary over gRPC + mTLS: the user's
token travels to identity, identity's erasure saga reaches ordering as a system principal,
and the operator's `users erase` / `users lock` travel as Principal.system("cli")."""

from __future__ import annotations

import pytest
from flask import Flask

from app.identity.grpc_client import GrpcIdentityClient
from app.kernel import PermissionDenied, Principal
from app.ordering.grpc_client import GrpcOrderingClient
from protos.generated import ordering_pb2
from tests.functional.test_backup import test_users_lock_blocks_login_until_unlock  # noqa: F401
from tests.security.test_erasure import *  # noqa: F403 - the same tests, another transport
from tests.shop_helpers import add_product, order
from tests.support import Api


def test_the_web_shop_really_calls_identity_over_grpc(app: Flask) -> None:
    assert isinstance(app.extensions["shop.services"].identity, GrpcIdentityClient)


def test_forget_user_travels_as_a_system_principal(app: Flask, api: Api) -> None:
    ordering = app.extensions["shop.services"].ordering
    assert isinstance(ordering, GrpcOrderingClient)
    user = api.user("walter")
    product = add_product(app, api.services, "SYS-1", stock=3)
    order(api, user["access"], (product, 1))
    with app.app_context():
        assert ordering.forget_user(Principal.system("erasure"), user["id"]) == 1


def test_attack_claiming_the_system_principal_where_no_method_accepts_it(app: Flask) -> None:
    """A calling module sends ``x-shop-system`` to act as the system on a user method."""
    ordering = app.extensions["shop.services"].ordering
    with app.app_context(), pytest.raises(PermissionDenied):
        ordering.remote.call("ListOrders", ordering_pb2.ListOrdersRequest(page=1, page_size=5),
                             principal=Principal.system("cli"))
    with app.app_context():
        events = [e for e in api_audit(app) if e["event"] == "authz_fail"]
    assert events and events[0]["actor"] == "system:cli"


def api_audit(app: Flask) -> list[dict[str, object]]:
    from app.platform.audit import AuditTrail

    return AuditTrail().recent(20)
