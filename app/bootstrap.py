"""The composition root: the one place that decides which implementation serves each contract.

Every module's contracts are built from the module registry (``app/registry.py``): a gRPC
client when the module's transport is ``grpc``, else the module's own builder behind the
in-process boundary. What links modules to each other (the token verifier fed by identity,
erasure reaching ordering, ordering's sweep) is wired here. Views, the CLI and other modules
receive the ``Services`` built here and never construct an implementation themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

from app.catalog.contract import CatalogService
from app.config import ConfigError, Settings
from app.identity.contract import (
    AccountService,
    RevocationFeed,
    SessionService,
    SigningKeyService,
    TwoFactorService,
)
from app.kernel import Principal
from app.ordering.contract import OrderingService
from app.platform.access_tokens import AccessTokenVerifier, build_verifier
from app.platform.audit import AuditTrail
from app.platform.background import Periodic
from app.platform.blocklist import Blocklist
from app.platform.boundary import InProcessBoundary
from app.platform.clock import Clock, SystemClock
from app.platform.crypto import KeyRingLoader
from app.platform.db import Database
from app.platform.grpc.client import make_breaker
from app.platform.grpc.host import ModuleHost
from app.platform.grpc.pki import Pki
from app.platform.grpc.settings import TransportConfigError, TransportSettings
from app.platform.grpc.status import PeerStatus
from app.platform.modules import ModuleDeps, ModuleSpec, Registry
from app.platform.security_stats import SecurityStats
from app.registry import REGISTRY

T = TypeVar("T")
# Boundary name -> a function given the real in-process implementation that returns the one to
# use instead (tests: a double that delegates), still behind the in-process boundary.
Overrides = Mapping[str, Callable[[Any], Any]]


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
    database: Database
    registry: Registry
    catalog: CatalogService | None = None
    ordering: OrderingService | None = None
    transport: TransportSettings = field(default_factory=TransportSettings)
    # Remote modules' health, breaker states and certificate expiry (for /readyz); None when
    # every module is in-process.
    peers: PeerStatus | None = None
    # Periodic work this process runs once it serves (gunicorn workers, module hosts).
    background: list[Periodic] = field(default_factory=list)
    # Every module's contracts by boundary name (in-process boundaries or gRPC clients).
    boundaries: dict[str, Any] = field(default_factory=dict)

    def get(self, contract: Callable[..., T]) -> T:
        """The service of ``contract`` (a module's Protocol), however it is reached."""
        service = _offering(self.registry, self.boundaries, contract)
        if service is None:
            raise LookupError(f"no module offers {getattr(contract, '__name__', contract)}")
        return service


def _offering(registry: Registry, services: Mapping[str, Any],
              contract: Callable[..., T]) -> T | None:
    for _module, boundary in registry.boundaries():
        if boundary.contract is contract and boundary.name in services:
            return cast(T, services[boundary.name])
    return None


def build_services(settings: Settings, database: Database, clock: Clock | None = None,
                   overrides: Overrides | None = None) -> Services:
    """Every module's contracts for one app, built from the registry; ``overrides`` lets a
    test replace an in-process implementation (see ``Overrides``)."""
    clock = clock or SystemClock()
    audit = AuditTrail(clock, database)
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
    boundaries = _Boundaries(transport, audit, peers, database, overrides or {})
    for module in REGISTRY.modules:
        boundaries.add(module, ModuleDeps(
            settings=settings, audit=audit, clock=clock, keyrings=keyrings,
            contract=boundaries.calling_as(module.name), on_revoked=on_revoked,
            erase_hooks=erase_hooks))
    verifier = build_verifier(
        jwks_source=boundaries.get(SigningKeyService).jwks,
        revocation_feed=boundaries.get(RevocationFeed).revocations_since,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        clock=clock,
        leeway=settings.jwt_leeway,
        max_bytes=settings.jwt_max_bytes,
        poll_interval=settings.revocation_poll_seconds,
    )
    revoked_hooks.append(verifier.revocations.invalidate)
    ordering = boundaries.get(OrderingService)
    background = [] if transport.remote("ordering") else _sweeps(settings, ordering)
    erase_hooks.append(_forget_orders(_calling_as("identity", ordering)))
    return Services(settings=settings, clock=clock, audit=audit,
                    **_identity_fields(boundaries.get),
                    verifier=verifier, keyrings=keyrings, catalog=boundaries.get(CatalogService),
                    ordering=ordering, transport=transport, peers=peers, background=background,
                    blocklist=Blocklist(audit, clock, settings.blocklist_cache_seconds),
                    security=SecurityStats(audit, clock), database=database,
                    registry=REGISTRY, boundaries=boundaries.services)


def _identity_fields(get: Callable[[type], Any]) -> dict[str, Any]:
    """Identity's five contracts by their ``Services`` field."""
    return {"accounts": get(AccountService), "sessions": get(SessionService),
            "two_factor": get(TwoFactorService), "signing_keys": get(SigningKeyService),
            "revocations": get(RevocationFeed)}


def _sweeps(settings: Settings, ordering: OrderingService) -> list[Periodic]:
    """The ordering sweep runs in every process that hosts ordering in-process; its own lock
    lets one of them work at a time."""
    if not settings.order_sweep_interval:
        return []
    system = Principal.system("order-sweep")
    return [Periodic("order-sweep", settings.order_sweep_interval,
                     lambda: ordering.sweep(system), module="ordering")]


class _Boundaries:
    """Each module's contracts: its gRPC clients when its transport is ``grpc``, else its own
    implementations behind the in-process boundary."""

    def __init__(self, transport: TransportSettings, audit: AuditTrail,
                 peers: PeerStatus | None, database: Database, overrides: Overrides) -> None:
        self._transport, self._audit, self._peers = transport, audit, peers
        self._database, self._overrides = database, overrides
        self.services: dict[str, Any] = {}

    def add(self, module: ModuleSpec, deps: ModuleDeps) -> None:
        if self._transport.remote(module.name):
            # One breaker per remote module: one host serves all of its contracts.
            breaker = make_breaker(self._transport, module.name, self._audit)
            clients = [boundary.client(self._transport, self._audit, breaker=breaker)
                       for boundary in module.boundaries]
            self._peers.remotes.append(clients[0].remote)  # type: ignore[union-attr]
            self.services.update(zip((b.name for b in module.boundaries), clients, strict=True))
            return
        local = module.build(deps)
        for boundary in module.boundaries:
            implementation = self._overrides.get(boundary.name, _as_is)(local[boundary.name])
            self.services[boundary.name] = InProcessBoundary(module.name, implementation,
                                                             self._database)

    def get(self, contract: Callable[..., T]) -> T:
        service = _offering(REGISTRY, self.services, contract)
        if service is None:
            raise ConfigError(f"{getattr(contract, '__name__', contract)} is not built yet: "
                              f"list the module that offers it earlier in app/registry.py")
        return service

    def calling_as(self, caller: str) -> Callable[[type], Any]:
        return lambda contract: _calling_as(caller, self.get(contract))


def _as_is(implementation: Any) -> Any:
    return implementation


def _forget_orders(ordering: OrderingService) -> Callable[[str], int]:
    """Identity's erasure asks ordering, as the system, to unlink the user's orders."""
    erasure = Principal.system("erasure")
    return lambda user_id: ordering.forget_user(erasure, user_id)


def _calling_as(caller: str, service: Any, system_caller: str | None = None) -> Any:
    """A remote client that presents ``caller``'s certificate (sharing the module's breaker),
    and ``system_caller``'s for a system principal (default: the same); an in-process service
    as it is."""
    if isinstance(service, InProcessBoundary):
        return service
    return type(service)(service.remote.settings, service.remote.audit,
                         remote=service.remote.as_caller(caller, system_caller))


OPERATOR = "operator"


def as_operator(services: Services) -> Services:
    """The services of an operator command: calls for a user go as before, a system principal
    (``Principal.system("cli")``) goes with the ``operator`` certificate, the one the hosts
    trust to assert it for operator methods (erase, lock, sweep...). The web certificate
    cannot, so whoever holds the web tier's key cannot act as the operator."""
    caller = services.transport.caller
    boundaries = {name: _calling_as(caller, service, OPERATOR)
                  for name, service in services.boundaries.items()}
    operator = replace(services, boundaries=boundaries)
    return replace(operator, **_identity_fields(operator.get),
                   catalog=operator.get(CatalogService), ordering=operator.get(OrderingService))


def _transport(settings: Settings) -> TransportSettings:
    """MODULE_TRANSPORT and friends are read here and nowhere else."""
    try:
        transport = TransportSettings.from_env(settings.extra, settings.instance_path,
                                               REGISTRY.ports)
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
        Pki(transport.pki_dir).ensure([transport.caller, *REGISTRY.names, OPERATOR])
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
    """A gRPC host serving ``modules`` (every contract of each) from this process's
    in-process services."""
    registrations = [boundary.registration(services.boundaries[boundary.name])
                     for name in modules for boundary in REGISTRY.module(name).boundaries]
    return ModuleHost(registrations=registrations,
                      transport=services.transport, verify=services.verifier.verify,
                      audit=services.audit, scope=scope, modules=modules)
