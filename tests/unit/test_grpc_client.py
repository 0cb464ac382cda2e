"""The gRPC client plumbing: channels per process, retry config, metadata, error mapping."""

from __future__ import annotations

import json
import os
from pathlib import Path

import grpc
import pytest

from app.catalog.contract import InsufficientStock
from app.catalog.grpc_client import ERRORS as CATALOG_ERRORS
from app.catalog.grpc_client import IDEMPOTENT as CATALOG_IDEMPOTENT
from app.identity.grpc_client import GrpcSigningKeyClient
from app.kernel import InternalError, NotFound, Principal, Unavailable
from app.ordering.grpc_client import IDEMPOTENT as ORDERING_IDEMPOTENT
from app.platform import call_context
from app.platform.audit import AuditTrail
from app.platform.grpc.client import service_config
from app.platform.grpc.errors import ATTRS_KEY, CODE_KEY, FIELDS_KEY, from_rpc_error
from app.platform.grpc.settings import TransportSettings
from tests.grpc_support import make_pki


@pytest.fixture
def client(tmp_path: Path) -> GrpcSigningKeyClient:
    make_pki(tmp_path / "pki")
    return GrpcSigningKeyClient(TransportSettings(pki_dir=tmp_path / "pki",
                                                  targets={"identity": "127.0.0.1:1"}),
                                AuditTrail())


def test_a_channel_made_before_fork_is_never_reused_in_the_worker(
        client: GrpcSigningKeyClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """gunicorn forks workers after the app is built; each worker must make its own channel."""
    parent = client.remote.channel()
    assert client.remote.channel() is parent  # one channel per process
    monkeypatch.setattr(os, "getpid", lambda: -42)  # now "in a forked worker"
    child = client.remote.channel()
    assert child is not parent
    assert client.remote.channel() is child
    client.remote.close()


def test_retry_policy_covers_idempotent_methods_only() -> None:
    config = json.loads(service_config("shop.catalog.v1.Catalog", CATALOG_IDEMPOTENT))
    [method_config] = config["methodConfig"]
    names = {n["method"] for n in method_config["name"]}
    assert "Reserve" in names and "CreateProduct" not in names
    assert method_config["retryPolicy"]["maxAttempts"] == 3
    assert method_config["retryPolicy"]["backoffMultiplier"] > 1
    assert method_config["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
    assert "PlaceOrder" not in ORDERING_IDEMPOTENT


def test_only_the_given_principals_token_travels(client: GrpcSigningKeyClient) -> None:
    """Nothing for no principal (a public method, a health probe), whatever call is being
    served; the user's own token; a system principal by name, never with a token."""
    user = Principal(user_id="u1", role="user", jti="j", session_id="s", issued_at=0,
                     expires_at=0, token="the.token")
    served = Principal(user_id="u2", role="admin", jti="k", session_id="t", issued_at=0,
                       expires_at=0, token="someone.elses")
    with call_context.acting_for(served):  # the call this process is serving right now
        assert client.remote.metadata() == []
        assert client.remote.metadata(user) == [("authorization", "Bearer the.token")]
        assert client.remote.metadata(Principal.system("cli")) == [("x-shop-system", "cli")]


class Failed(grpc.RpcError):
    def __init__(self, status: grpc.StatusCode, details: str,
                 trailers: tuple[tuple[str, str], ...] = ()) -> None:
        self._status, self._details, self._trailers = status, details, trailers

    def code(self) -> grpc.StatusCode:
        return self._status

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._trailers


def test_errors_come_back_as_the_contract_class_with_their_attributes() -> None:
    error = from_rpc_error(Failed(grpc.StatusCode.FAILED_PRECONDITION, "Not enough stock", (
        (CODE_KEY, "insufficient_stock"), (FIELDS_KEY, '{"product_id": "p1"}'),
        (ATTRS_KEY, '{"product_id": "p1"}'))), CATALOG_ERRORS, "catalog")
    assert isinstance(error, InsufficientStock)
    assert (error.product_id, error.field_errors, error.detail) == (
        "p1", {"product_id": "p1"}, "Not enough stock")


def test_infrastructure_statuses_become_unavailable_or_internal() -> None:
    for status in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        assert isinstance(from_rpc_error(Failed(status, "x"), CATALOG_ERRORS, "catalog"),
                          Unavailable)
    internal = from_rpc_error(Failed(grpc.StatusCode.INTERNAL, "secret stack"), {}, "catalog")
    assert isinstance(internal, InternalError) and "secret" not in str(internal)
    assert isinstance(from_rpc_error(Failed(grpc.StatusCode.NOT_FOUND, "gone"), {}, "c"),
                      NotFound)


def test_key_rotation_gets_its_own_longer_deadline(client: GrpcSigningKeyClient) -> None:
    """Making an RSA-4096 key can outlast the 2 s default on a busy host; a rotation that
    timed out would fail for the operator and count against the identity breaker."""
    from app.identity.grpc_client import KEY_DEADLINE

    seen: dict[str, float] = {}

    class Stub:
        def __getattr__(self, method: str):  # type: ignore[no-untyped-def]
            def rpc(request, timeout, metadata, wait_for_ready):  # type: ignore[no-untyped-def]
                seen[method] = timeout
                return type("Reply", (), {"kid": "k2"})()
            return rpc

    client.remote.channel()
    client.remote._stub = Stub()
    client.rotate_signing_key(Principal.system("cli"))
    client.remove_signing_key(Principal.system("cli"), "k1")
    assert seen == {"RotateSigningKey": KEY_DEADLINE, "RemoveSigningKey": KEY_DEADLINE}
    assert client.remote.settings.deadline < KEY_DEADLINE
    client.remote.close()
