"""The identity module, declared once for the registry (app/registry.py).

Each contract the module offers is one ``Boundary``: its gRPC client and servicer (with its
policy) travel with it. One host serves all five, behind one circuit breaker.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.identity import grpc_client, grpc_server
from app.identity.contract import (
    AccountService,
    RevocationFeed,
    SessionService,
    SigningKeyService,
    TwoFactorService,
)
from app.identity.wiring import build_identity
from app.platform.modules import Boundary, ModuleDeps, ModuleSpec


def build(deps: ModuleDeps) -> Mapping[str, object]:
    built = build_identity(deps.settings, audit=deps.audit, clock=deps.clock,
                           keyrings=deps.keyrings, on_revoked=deps.on_revoked,
                           erase_hooks=deps.erase_hooks)
    return {boundary.name: getattr(built, boundary.name) for boundary in MODULE.boundaries}


MODULE = ModuleSpec(
    name="identity",
    boundaries=(
        Boundary("accounts", AccountService, grpc_client.GrpcAccountClient,
                 grpc_server.accounts_registration),
        Boundary("sessions", SessionService, grpc_client.GrpcSessionClient,
                 grpc_server.sessions_registration),
        Boundary("two_factor", TwoFactorService, grpc_client.GrpcTwoFactorClient,
                 grpc_server.two_factor_registration),
        Boundary("signing_keys", SigningKeyService, grpc_client.GrpcSigningKeyClient,
                 grpc_server.signing_keys_registration),
        Boundary("revocations", RevocationFeed, grpc_client.GrpcRevocationClient,
                 grpc_server.revocations_registration),
    ),
    build=build,
    port=50051,
)
