"""The composition root: the one place that decides which implementation serves each contract.

Views, the CLI and other modules receive the ``Services`` built here and never construct an
implementation themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any, cast

from app.catalog import grpc_server as catalog_grpc
from app.catalog.contract import CatalogService
from app.catalog.grpc_client import GrpcCatalogClient
from app.catalog.wiring import build_catalog
from app.config import ConfigError, Settings
from app.identity import grpc_client as identity_clients
from app.identity import grpc_server as identity_grpc
from app.identity.contract import (
    AccountService,
    RevocationFeed,
    SessionService,
    SigningKeyService,
    TwoFactorService,
)
from app.identity.wiring import build_identity
from app.kernel import Principal
from app.ordering import grpc_server as ordering_grpc
from app.ordering.contract import OrderingService
from app.ordering.grpc_client import GrpcOrderingClient
from app.ordering.wiring import build_ordering
from app.platform.access_tokens import AccessTokenVerifier, build_verifier
from app.platform.audit import AuditTrail
from app.platform.background import Periodic
from app.platform.blocklist import Blocklist
from app.platform.boundary import InProcessBoundary
from app.platform.clock import Clock, SystemClock
from app.platform.crypto import KeyRingLoader
from app.platform.grpc.host import ModuleHost
from app.platform.grpc.pki import Pki
from app.platform.grpc.server import Registration
from app.platform.grpc.settings import MODULES, TransportConfigError, TransportSettings
from app.platform.grpc.status import PeerStatus
from app.platform.security_stats import SecurityStats


@dataclass
class Services:
    settings: Settings
    clock: Clock
    audit: AuditTrail
    # The identity module's contracts.
    accounts: AccountService
    sessions: SessionService
    two_factor: TwoFactorService
    signing_keys: SigningKeyService
    revocations: RevocationFeed
    verifier: AccessTokenVerifier
    keyrings: KeyRingLoader
    blocklist: Blocklist
    security: SecurityStats
    catalog: CatalogService | None = None
    ordering: OrderingService | None = None
    transport: TransportSettings = field(default_factory=TransportSettings)
    # Remote modules' health, breaker states and certificate expiry (for /readyz); None when
    # every module is in-process.
    peers: PeerStatus | None = None
    # Periodic work this process runs once it serves (gunicorn workers, module hosts).
    background: list[Periodic] = field(default_factory=list)


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    clock = clock or SystemClock()
    audit = AuditTrail(clock)
    keyrings = KeyRingLoader(
        settings.extra, None if settings.is_production else settings.instance_path / "field-keys"
    )
    revoked_hooks: list[object] = []
    erase_hooks: list[Callable[[str], int]] = []

    def on_revoked() -> None:
        for hook in revoked_hooks:
            hook()  # type: ignore[operator]

    transport = _transport(settings)
    peers = PeerStatus(transport) if transport.any_remote else None
    clients = _RemoteClients(transport, audit, peers)
    identity = clients.identity() or _local_identity(build_identity(
        settings, audit=audit, clock=clock, keyrings=keyrings, on_revoked=on_revoked,
        erase_hooks=erase_hooks))
    verifier = build_verifier(
        jwks_source=identity["signing_keys"].jwks,
        revocation_feed=identity["revocations"].revocations_since,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        clock=clock,
        leeway=settings.jwt_leeway,
        max_bytes=settings.jwt_max_bytes,
        poll_interval=settings.revocation_poll_seconds,
    )
    revoked_hooks.append(verifier.revocations.invalidate)
    catalog = clients.catalog() or cast(CatalogService, InProcessBoundary(
        "catalog", build_catalog(audit=audit, clock=clock,
                                 list_cache_ttl=settings.catalog_list_cache_seconds)))
    ordering = clients.ordering()
    background: list[Periodic] = []
    if ordering is None:
        ordering = cast(OrderingService, InProcessBoundary("ordering", build_ordering(
            identity=_calling_as("ordering", identity["accounts"]),
            catalog=_calling_as("ordering", catalog),
            keyrings=keyrings, audit=audit, clock=clock, pending_ttl=settings.order_pending_ttl,
            max_pending_units=settings.order_max_pending_units)))
        background += _sweeps(settings, ordering)
    erase_hooks.append(_forget_orders(_calling_as("identity", ordering)))
    return Services(settings=settings, clock=clock, audit=audit, **identity,
                    verifier=verifier, keyrings=keyrings, catalog=catalog, ordering=ordering,
                    transport=transport, peers=peers, background=background,
                    blocklist=Blocklist(audit, clock, settings.blocklist_cache_seconds),
                    security=SecurityStats(audit, clock))


IDENTITY_CONTRACTS = ("accounts", "sessions", "two_factor", "signing_keys", "revocations")


def _local_identity(built: Any) -> dict[str, Any]:
    """Each in-process identity service behind its boundary, by its ``Services`` name."""
    return {name: InProcessBoundary("identity", getattr(built, name))
            for name in IDENTITY_CONTRACTS}


def _sweeps(settings: Settings, ordering: OrderingService) -> list[Periodic]:
    """The ordering sweep runs in every process that hosts ordering in-process; its own lock
    lets one of them work at a time."""
    if not settings.order_sweep_interval:
        return []
    system = Principal.system("order-sweep")
    return [Periodic("order-sweep", settings.order_sweep_interval,
                     lambda: ordering.sweep(system), module="ordering")]


class _RemoteClients:
    """The gRPC client of each module whose transport is ``grpc`` (else None)."""

    def __init__(self, transport: TransportSettings, audit: AuditTrail,
                 peers: PeerStatus | None) -> None:
        self._transport, self._audit, self._peers = transport, audit, peers

    def _client(self, module: str, kind: type) -> Any:
        if not self._transport.remote(module):
            return None
        client = kind(self._transport, self._audit)
        self._peers.remotes.append(client.remote)  # type: ignore[union-attr]
        return client

    def identity(self) -> dict[str, Any] | None:
        """The identity clients by ``Services`` name (the accounts client reports the
        module's health: one host serves every identity service)."""
        if not self._transport.remote("identity"):
            return None
        clients = identity_clients.grpc_identity_clients(self._transport, self._audit)
        self._peers.remotes.append(clients[0].remote)  # type: ignore[union-attr]
        return dict(zip(IDENTITY_CONTRACTS, clients, strict=True))

    def catalog(self) -> CatalogService | None:
        return self._client("catalog", GrpcCatalogClient)

    def ordering(self) -> OrderingService | None:
        return self._client("ordering", GrpcOrderingClient)


def _forget_orders(ordering: OrderingService) -> Callable[[str], int]:
    """Identity's erasure asks ordering, as the system, to unlink the user's orders."""
    erasure = Principal.system("erasure")
    return lambda user_id: ordering.forget_user(erasure, user_id)


def _calling_as(caller: str, service: Any, system_caller: str | None = None) -> Any:
    """A remote client that presents ``caller``'s certificate (sharing the module's breaker),
    and ``system_caller``'s for a system principal (default: the same); an in-process service
    as it is."""
    if isinstance(service, (*identity_clients.CLIENTS, GrpcCatalogClient, GrpcOrderingClient)):
        return type(service)(service.remote.settings, service.remote.audit,
                             remote=service.remote.as_caller(caller, system_caller))
    return service


OPERATOR = "operator"


def as_operator(services: Services) -> Services:
    """The services of an operator command: calls for a user go as before, a system principal
    (``Principal.system("cli")``) goes with the ``operator`` certificate, the one the hosts
    trust to assert it for operator methods (erase, lock, sweep...). The web certificate
    cannot, so whoever holds the web tier's key cannot act as the operator."""
    caller = services.transport.caller
    identity = {name: _calling_as(caller, getattr(services, name), OPERATOR)
                for name in IDENTITY_CONTRACTS}
    return replace(services, **identity,
                   catalog=_calling_as(caller, services.catalog, OPERATOR),
                   ordering=_calling_as(caller, services.ordering, OPERATOR))


def _transport(settings: Settings) -> TransportSettings:
    """MODULE_TRANSPORT and friends are read here and nowhere else."""
    try:
        transport = TransportSettings.from_env(settings.extra, settings.instance_path)
    except TransportConfigError as error:
        raise ConfigError(str(error)) from error
    if transport.auth == "shared-secret":
        if settings.is_production:
            raise ConfigError("refusing to start in production: GRPC_AUTH=shared-secret is for "
                              "development only; use mutual TLS")
        if not transport.shared_secret:
            raise ConfigError("GRPC_AUTH=shared-secret needs GRPC_SHARED_SECRET")
    elif transport.any_remote and not settings.is_production:
        # Development: the CA and the certificates appear on first use, like the JWT keys.
        Pki(transport.pki_dir).ensure([transport.caller, *MODULES, OPERATOR])
    elif transport.any_remote:
        _check_certificates(Pki(transport.pki_dir), transport.caller)
    return transport


def _check_certificates(pki: Pki, caller: str) -> None:
    """Production never makes certificates: they must be there and valid, or no start."""
    try:
        expired = [name for name in ("ca", caller) if pki.info(name).days_left() <= 0]
        pki.material(caller)
    except (OSError, ValueError) as error:
        raise ConfigError(f"refusing to start in production: gRPC certificates in "
                          f"{pki.directory} cannot be read ({error})") from error
    if expired:
        raise ConfigError(f"refusing to start in production: expired gRPC certificate "
                          f"{', '.join(expired)}")


def hosted_settings(settings: Settings, modules: list[str]) -> Settings:
    """Settings for a module host process: its own modules in-process, calls out as itself."""
    extra = {**settings.extra, **{f"{m.upper()}_TRANSPORT": "inprocess" for m in modules}}
    extra.setdefault("GRPC_CALLER", modules[0])
    return settings.with_(extra=extra)


def build_module_host(services: Services, modules: list[str],
                      scope: Callable[[], AbstractContextManager[Any]]) -> ModuleHost:
    """A gRPC host serving ``modules`` from this process's in-process services."""
    builders: dict[str, Callable[[], list[Registration]]] = {
        "identity": lambda: identity_grpc.registrations(
            services.accounts, services.sessions, services.two_factor, services.signing_keys,
            services.revocations),
        "catalog": lambda: [catalog_grpc.registration(services.catalog)],  # type: ignore[arg-type]
        "ordering": lambda: [ordering_grpc.registration(services.ordering)],  # type: ignore[arg-type]
    }
    unknown = [m for m in modules if m not in builders]
    if unknown:
        raise ConfigError(f"cannot host {', '.join(unknown)} over gRPC")
    return ModuleHost(registrations=[r for m in modules for r in builders[m]()],
                      transport=services.transport, verify=services.verifier.verify,
                      audit=services.audit, scope=scope, modules=modules)
