"""The catalog module, declared once for the registry (app/registry.py)."""

from __future__ import annotations

from collections.abc import Mapping

from app.catalog import grpc_server
from app.catalog.contract import CatalogService
from app.catalog.grpc_client import GrpcCatalogClient
from app.catalog.wiring import build_catalog
from app.platform.modules import Boundary, ModuleDeps, ModuleSpec


def build(deps: ModuleDeps) -> Mapping[str, object]:
    return {"catalog": build_catalog(audit=deps.audit, clock=deps.clock,
                                     list_cache_ttl=deps.settings.catalog_list_cache_seconds)}


MODULE = ModuleSpec(
    name="catalog",
    boundaries=(Boundary("catalog", CatalogService, GrpcCatalogClient, grpc_server.registration),),
    build=build,
    port=50052,
    http_statuses={
        "insufficient_stock": 409,
        "product_not_found": 404,
        "product_inactive": 400,
        "product_exists": 409,
        "reservation_conflict": 409,
    },
)
