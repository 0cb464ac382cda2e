"""The ordering module, declared once for the registry (app/registry.py).

It is built after identity and catalog, whose contracts it calls (as itself).
"""

from __future__ import annotations

from collections.abc import Mapping

from app.catalog.contract import CatalogService
from app.identity.contract import AccountService
from app.ordering import grpc_server
from app.ordering.contract import OrderingService
from app.ordering.grpc_client import GrpcOrderingClient
from app.ordering.wiring import build_ordering
from app.platform.modules import Boundary, ModuleDeps, ModuleSpec


def build(deps: ModuleDeps) -> Mapping[str, object]:
    return {"ordering": build_ordering(
        identity=deps.contract(AccountService), catalog=deps.contract(CatalogService),
        keyrings=deps.keyrings, audit=deps.audit, clock=deps.clock,
        pending_ttl=deps.settings.order_pending_ttl,
        max_pending_units=deps.settings.order_max_pending_units)}


MODULE = ModuleSpec(
    name="ordering",
    boundaries=(
        Boundary("ordering", OrderingService, GrpcOrderingClient, grpc_server.registration),
    ),
    build=build,
    port=50053,
    http_statuses={
        "order_not_found": 404,
        "invalid_transition": 409,
        "idempotency_key_reused": 422,
        "idempotency_in_progress": 409,
        "order_unreadable": 500,
    },
)
