"""Every contract method exists over gRPC: client method, rpc, servicer method, policy entry.

A contract that grows a method without its gRPC side would fail only in gRPC mode, at run
time; this catches it in the suite.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from app.catalog import grpc_client as catalog_client
from app.catalog import grpc_server as catalog_server
from app.catalog.contract import CatalogService
from app.identity import contract as identity
from app.identity import grpc_client as identity_client
from app.identity import grpc_server as identity_server
from app.ordering import grpc_client as ordering_client
from app.ordering import grpc_server as ordering_server
from app.ordering.contract import OrderingService
from protos.generated import catalog_pb2, identity_pb2, ordering_pb2

# contract, client, servicer class, policy, generated module, gRPC service, idempotent rpcs
CASES = [
    (identity.AccountService, identity_client.GrpcAccountClient,
     identity_server.AccountServiceServicer, identity_server.ACCOUNT_POLICY, identity_pb2,
     "AccountService", identity_client.GrpcAccountClient.IDEMPOTENT),
    (identity.SessionService, identity_client.GrpcSessionClient,
     identity_server.SessionServiceServicer, identity_server.SESSION_POLICY, identity_pb2,
     "SessionService", identity_client.GrpcSessionClient.IDEMPOTENT),
    (identity.TwoFactorService, identity_client.GrpcTwoFactorClient,
     identity_server.TwoFactorServiceServicer, identity_server.TWO_FACTOR_POLICY, identity_pb2,
     "TwoFactorService", identity_client.GrpcTwoFactorClient.IDEMPOTENT),
    (identity.SigningKeyService, identity_client.GrpcSigningKeyClient,
     identity_server.SigningKeyServiceServicer, identity_server.SIGNING_KEY_POLICY,
     identity_pb2, "SigningKeyService", identity_client.GrpcSigningKeyClient.IDEMPOTENT),
    (identity.RevocationFeed, identity_client.GrpcRevocationClient,
     identity_server.RevocationFeedServicer, identity_server.REVOCATION_POLICY, identity_pb2,
     "RevocationFeed", identity_client.GrpcRevocationClient.IDEMPOTENT),
    (CatalogService, catalog_client.GrpcCatalogClient, catalog_server.CatalogServicer,
     catalog_server.POLICY, catalog_pb2, "Catalog", catalog_client.IDEMPOTENT),
    (OrderingService, ordering_client.GrpcOrderingClient, ordering_server.OrderingServicer,
     ordering_server.POLICY, ordering_pb2, "Ordering", ordering_client.IDEMPOTENT),
]
IDS = [c[5] for c in CASES]


def _methods(protocol: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(fn) for name, fn in inspect.getmembers(
        protocol, inspect.isfunction) if not name.startswith("_")}


@pytest.mark.parametrize("protocol, client", [c[:2] for c in CASES], ids=IDS)
def test_the_grpc_client_implements_every_contract_method(protocol: type, client: type) -> None:
    for name, signature in _methods(protocol).items():
        assert hasattr(client, name), f"{client.__name__} lacks {name}"
        assert list(inspect.signature(getattr(client, name)).parameters) == list(
            signature.parameters), name


@pytest.mark.parametrize("protocol, client, servicer, policy, pb, service, idempotent", CASES,
                         ids=IDS)
def test_every_rpc_has_a_servicer_method_a_policy_and_known_retry_status(
        protocol: type, client: type, servicer: type, policy: Any, pb: Any, service: str,
        idempotent: tuple[str, ...]) -> None:
    rpcs = set(pb.DESCRIPTOR.services_by_name[service].methods_by_name)
    assert len(rpcs) == len(_methods(protocol))
    assert policy.service == pb.DESCRIPTOR.services_by_name[service].full_name
    for rpc in rpcs:
        assert rpc in vars(servicer), f"{servicer.__name__} lacks {rpc}"
        assert policy.allowed.get(rpc), f"no caller may call {rpc}"
    assert set(idempotent) <= rpcs


def test_every_identity_contract_is_served() -> None:
    """A new identity contract must get its own gRPC service (and a row in CASES above)."""
    contracts = {obj for obj in vars(identity).values()
                 if isinstance(obj, type) and getattr(obj, "_is_protocol", False)
                 and obj.__module__ == identity.__name__}
    assert contracts == {case[0] for case in CASES if case[4] is identity_pb2}
    assert set(identity_pb2.DESCRIPTOR.services_by_name) == {
        case[5] for case in CASES if case[4] is identity_pb2}
