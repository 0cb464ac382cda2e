"""The identity module, declared once for the registry (app/registry.py).

Each contract the module offers is one ``Boundary``: its gRPC client and servicer (with its
policy) travel with it.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.identity import grpc_server
from app.identity.contract import IdentityService
from app.identity.grpc_client import GrpcIdentityClient
from app.identity.wiring import build_identity
from app.platform.modules import Boundary, ModuleDeps, ModuleSpec


def build(deps: ModuleDeps) -> Mapping[str, object]:
    return {"identity": build_identity(deps.settings, audit=deps.audit, clock=deps.clock,
                                       keyrings=deps.keyrings, on_revoked=deps.on_revoked,
                                       erase_hooks=deps.erase_hooks)}


MODULE = ModuleSpec(
    name="identity",
    boundaries=(
        Boundary("identity", IdentityService, GrpcIdentityClient, grpc_server.registration),
    ),
    build=build,
    port=50051,
)
