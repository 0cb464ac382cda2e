"""The composition root: the one place that decides which implementation serves each contract.

Views, the CLI and other modules receive the ``Services`` built here and never construct an
implementation themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from app.catalog.contract import CatalogService
from app.catalog.wiring import build_catalog
from app.config import Settings
from app.identity.contract import IdentityService
from app.identity.wiring import build_identity
from app.ordering.contract import OrderingService
from app.ordering.wiring import build_ordering
from app.platform.access_tokens import AccessTokenVerifier, build_verifier
from app.platform.audit import AuditTrail
from app.platform.boundary import InProcessBoundary
from app.platform.clock import Clock, SystemClock
from app.platform.crypto import KeyRingLoader


@dataclass
class Services:
    settings: Settings
    clock: Clock
    audit: AuditTrail
    identity: IdentityService
    verifier: AccessTokenVerifier
    keyrings: KeyRingLoader
    catalog: CatalogService | None = None
    ordering: OrderingService | None = None


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    clock = clock or SystemClock()
    audit = AuditTrail(clock)
    keyrings = KeyRingLoader(
        settings.extra, None if settings.is_production else settings.instance_path / "field-keys"
    )
    revoked_hooks: list[object] = []

    def on_revoked() -> None:
        for hook in revoked_hooks:
            hook()  # type: ignore[operator]

    identity_impl = build_identity(settings, audit=audit, clock=clock, keyrings=keyrings,
                                   on_revoked=on_revoked)
    identity = cast(IdentityService, InProcessBoundary("identity", identity_impl))
    verifier = build_verifier(
        jwks_source=identity.jwks,
        revocation_feed=identity.revocations_since,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        clock=clock,
        leeway=settings.jwt_leeway,
        max_bytes=settings.jwt_max_bytes,
        poll_interval=settings.revocation_poll_seconds,
    )
    revoked_hooks.append(verifier.revocations.invalidate)
    catalog = cast(CatalogService,
                   InProcessBoundary("catalog", build_catalog(
                       audit=audit, clock=clock,
                       list_cache_ttl=settings.catalog_list_cache_seconds)))
    ordering = cast(OrderingService, InProcessBoundary("ordering", build_ordering(
        identity=identity, catalog=catalog, keyrings=keyrings, audit=audit, clock=clock)))
    return Services(settings=settings, clock=clock, audit=audit, identity=identity,
                    verifier=verifier, keyrings=keyrings, catalog=catalog, ordering=ordering)
