"""Export and erasure, unchanged, with every module boundary over gRPC + mTLS: the user's
token travels to identity, identity's erasure saga reaches ordering as a system principal,
and the operator's `users erase` / `users lock` travel as Principal.system("cli")."""

from __future__ import annotations

import pytest
from flask import Flask

from app.bootstrap import as_operator
from app.identity.grpc_client import GrpcAccountClient
from app.kernel import PermissionDenied, Principal
from app.ordering.grpc_client import GrpcOrderingClient
from protos.generated import identity_pb2, ordering_pb2
from tests.functional.test_backup import test_users_lock_blocks_login_until_unlock  # noqa: F401
from tests.security.test_erasure import *  # noqa: F403 - the same tests, another transport
from tests.shop_helpers import add_product, order
from tests.support import Api


def test_the_web_shop_really_calls_identity_over_grpc(app: Flask) -> None:
    assert isinstance(app.extensions["shop.services"].accounts, GrpcAccountClient)


def test_forget_user_travels_as_a_system_principal(app: Flask, api: Api) -> None:
    """Identity's erasure saga calls ordering with the identity certificate."""
    ordering = app.extensions["shop.services"].ordering
    assert isinstance(ordering, GrpcOrderingClient)
    as_identity = GrpcOrderingClient(ordering.remote.settings, ordering.remote.audit,
                                     remote=ordering.remote.as_caller("identity"))
    user = api.user("walter")
    product = add_product(app, api.services, "SYS-1", stock=3)
    order(api, user["access"], (product, 1))
    with app.app_context():
        assert as_identity.forget_user(Principal.system("erasure"), user["id"]) == 1


SYSTEM_ONLY_CALLS = {
    "identity.EraseAccount": ("accounts", "EraseAccount",
                              identity_pb2.EraseAccountRequest(user_id="{victim}")),
    "identity.Lock": ("accounts", "Lock", identity_pb2.LockRequest(user_id="{victim}")),
    "identity.AdminUpdateUser": ("accounts", "AdminUpdateUser", identity_pb2.AdminUpdateRequest(
        user_id="{victim}", is_active=False)),
    "identity.EndSessions": ("sessions", "EndSessions",
                             identity_pb2.UserIdRequest(user_id="{victim}")),
    "ordering.ForgetUser": ("ordering", "ForgetUser", ordering_pb2.UserId(user_id="{victim}")),
    "ordering.Sweep": ("ordering", "Sweep", ordering_pb2.Empty()),
}


@pytest.mark.parametrize("name", sorted(SYSTEM_ONLY_CALLS))
def test_attack_the_web_certificate_asserting_the_system_principal(
        app: Flask, api: Api, name: str) -> None:
    """Attack: whoever holds the web tier's key sends ``x-shop-system: cli`` to erase, lock
    or unlink any account. Only the operator (or identity's erasure saga) may assert it."""
    victim = api.user("victim")
    module, method, request = SYSTEM_ONLY_CALLS[name]
    if hasattr(request, "user_id"):
        request.user_id = victim["id"]
    web = app.extensions["shop.services"]
    with app.app_context(), pytest.raises(PermissionDenied):
        getattr(web, module).remote.call(method, request, principal=Principal.system("cli"))
    with app.app_context():
        refused = [e for e in api_audit(app) if e["event"] == "authz_fail"]
    assert refused and refused[0]["target"].endswith(f"/{method}")
    # Refused as a caller of the method at all, or as one that may not assert the system.
    assert (refused[0]["actor"], refused[0]["details"].get("caller")) in {
        ("web", None), ("system:cli", "web")}
    assert api.login("victim").status_code == 200  # neither locked nor erased


def test_the_operator_certificate_may_lock_and_erase(app: Flask, api: Api) -> None:
    operator = as_operator(app.extensions["shop.services"])
    victim = api.user("victim")
    with app.app_context():
        assert operator.accounts.lock(Principal.system("cli"), victim["id"]) is True
        erased = operator.accounts.erase_account(Principal.system("cli"), victim["id"], "", "")
    assert erased.user_id == victim["id"]


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
