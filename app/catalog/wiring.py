"""Builds the catalog module's real service (called by the composition root)."""

from __future__ import annotations

from app.catalog import models  # noqa: F401  (registers the tables on the catalog bind)
from app.catalog.service import DatabaseCatalogService
from app.platform.audit import AuditTrail
from app.platform.clock import Clock


def build_catalog(*, audit: AuditTrail, clock: Clock,
                  list_cache_ttl: float = 1.0) -> DatabaseCatalogService:
    return DatabaseCatalogService(audit=audit, clock=clock, list_cache_ttl=list_cache_ttl)
