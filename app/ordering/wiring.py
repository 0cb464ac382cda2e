"""Builds the ordering module's real service (called by the composition root).

It receives the identity and catalog CONTRACTS (in-process boundaries or gRPC clients), never
their implementations.
"""

from __future__ import annotations

from app.catalog.contract import CatalogService
from app.identity.contract import AccountService
from app.ordering.holdings import PendingCap
from app.ordering.references import UserReferences
from app.ordering.service import DatabaseOrderingService
from app.ordering.sweep import SweepSettings
from app.platform.audit import AuditTrail
from app.platform.clock import Clock
from app.platform.crypto import KeyRingLoader


def build_ordering(*, identity: AccountService, catalog: CatalogService,
                   keyrings: KeyRingLoader, audit: AuditTrail, clock: Clock,
                   pending_ttl: int = 86_400,
                   max_pending_units: int = 200) -> DatabaseOrderingService:
    return DatabaseOrderingService(identity=identity, catalog=catalog,
                                   references=UserReferences(keyrings, audit),
                                   audit=audit, clock=clock, cap=PendingCap(max_pending_units),
                                   sweep=SweepSettings(pending_ttl=pending_ttl))
