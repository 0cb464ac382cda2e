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
from app.identity import grpc_client as identity_client
from app.identity import grpc_server as identity_server
from app.identity.contract import IdentityService
from app.ordering import grpc_client as ordering_client
from app.ordering import grpc_server as ordering_server
from app.ordering.contract import OrderingService
from protos.generated import catalog_pb2, identity_pb2, ordering_pb2

CASES = [
    (IdentityService, identity_client.GrpcIdentityClient, identity_server,
     identity_pb2, "Identity", identity_client.IDEMPOTENT),
    (CatalogService, catalog_client.GrpcCatalogClient, catalog_server, catalog_pb2,
     "Catalog", catalog_client.IDEMPOTENT),
    (OrderingService, ordering_client.GrpcOrderingClient, ordering_server, ordering_pb2,
     "Ordering", ordering_client.IDEMPOTENT),
]


def _methods(protocol: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(fn) for name, fn in inspect.getmembers(
        protocol, inspect.isfunction) if not name.startswith("_")}


@pytest.mark.parametrize("protocol, client", [c[:2] for c in CASES], ids=[c[4] for c in CASES])
def test_the_grpc_client_implements_every_contract_method(protocol: type, client: type) -> None:
    for name, signature in _methods(protocol).items():
        assert hasattr(client, name), f"{client.__name__} lacks {name}"
        assert list(inspect.signature(getattr(client, name)).parameters) == list(
            signature.parameters), name


@pytest.mark.parametrize("protocol, client, server, pb, service, idempotent", CASES,
                         ids=[c[4] for c in CASES])
def test_every_rpc_has_a_servicer_method_a_policy_and_known_retry_status(
        protocol: type, client: type, server: Any, pb: Any, service: str,
        idempotent: tuple[str, ...]) -> None:
    rpcs = set(pb.DESCRIPTOR.services_by_name[service].methods_by_name)
    assert len(rpcs) == len(_methods(protocol))
    servicer = vars(server)[f"{service}Servicer"]  # ours, subclassing the generated base
    assert servicer.__module__ == server.__name__
    for rpc in rpcs:
        assert rpc in vars(servicer), f"{servicer.__name__} lacks {rpc}"
        assert server.POLICY.allowed.get(rpc), f"no caller may call {rpc}"
    assert set(idempotent) <= rpcs
