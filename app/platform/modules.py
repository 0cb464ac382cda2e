"""What a module declares about itself, once, for the platform to read as data.

Each module exports one ``ModuleSpec`` from its own package (``app/<module>/module.py``); the
composition level lists them in ``app/registry.py``. The database binds, the migration
histories, the transport settings, the certificates, the module hosts and the HTTP error
statuses are all derived from that list, so the platform itself never names a module.

A module has one or more ``Boundary`` entries: one per contract it offers, each with its own
gRPC client and servicer registration (which carries its policy). All the boundaries of a
module live in one process, share its database bind, its gRPC port and its certificate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.config import ConfigError, Settings
from app.platform.audit import AuditTrail
from app.platform.clock import Clock
from app.platform.crypto import KeyRingLoader
from app.platform.grpc.server import Registration

# The name of the platform's own migration history (its tables use the default bind).
PLATFORM_HISTORY = "platform"


@dataclass(frozen=True)
class Boundary:
    """One contract of a module, and how it crosses a process boundary.

    ``name`` is the contract's key in ``Services`` (``services.get(contract)`` finds it too);
    ``client(transport, audit, breaker=...)`` makes its gRPC client (the module's contracts
    share one breaker); ``registration(service)`` wraps the
    in-process service in its gRPC servicer, with the policy of who may call what."""

    name: str
    contract: type
    client: type
    registration: Callable[[Any], Registration]


@dataclass(frozen=True)
class ModuleDeps:
    """What the composition root hands a module's builder.

    ``contract(SomeService)`` is another module's contract as this module calls it (in-process
    or over gRPC with this module's certificate); the module listed earlier in the registry is
    built first. ``on_revoked`` tells the token verifiers that sessions were revoked;
    ``erase_hooks`` are what the other modules do when a person's account is erased."""

    settings: Settings
    audit: AuditTrail
    clock: Clock
    keyrings: KeyRingLoader
    contract: Callable[[type], Any]
    on_revoked: Callable[[], None]
    erase_hooks: list[Callable[[str], int]]


@dataclass(frozen=True)
class ModuleSpec:
    """One module, declared once: ``build(deps)`` returns its in-process implementation of
    each boundary, by boundary name. ``http_statuses`` maps the module's own error codes to
    HTTP statuses (codes left out follow their kernel family: ``NotFound`` is 404...)."""

    name: str
    boundaries: tuple[Boundary, ...]
    build: Callable[[ModuleDeps], Mapping[str, object]]
    port: int
    http_statuses: Mapping[str, int] = field(default_factory=dict)
    bind: str = ""
    migrations: str = ""

    def __post_init__(self) -> None:
        # A module's tables live on its own bind and its history in migrations/<name>/,
        # unless it says otherwise.
        object.__setattr__(self, "bind", self.bind or self.name)
        object.__setattr__(self, "migrations", self.migrations or self.name)


@dataclass(frozen=True)
class Registry:
    """Every module of the shop, in the order they are built."""

    modules: tuple[ModuleSpec, ...]

    def __post_init__(self) -> None:
        for label, values in (("module", self.names), ("port", [m.port for m in self.modules]),
                              ("boundary", [b.name for _, b in self.boundaries()]),
                              ("migration history", [PLATFORM_HISTORY,
                                                     *(m.migrations for m in self.modules)])):
            repeated = sorted({str(v) for v in values if list(values).count(v) > 1})
            if repeated:
                raise ConfigError(f"the module registry repeats the {label} "
                                  f"{', '.join(repeated)}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(module.name for module in self.modules)

    def module(self, name: str) -> ModuleSpec:
        for module in self.modules:
            if module.name == name:
                return module
        raise ConfigError(f"no module {name!r}; the modules are {', '.join(self.names)}")

    def boundaries(self) -> Iterator[tuple[ModuleSpec, Boundary]]:
        for module in self.modules:
            for boundary in module.boundaries:
                yield module, boundary

    @property
    def ports(self) -> dict[str, int]:
        return {module.name: module.port for module in self.modules}

    @property
    def binds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(module.bind for module in self.modules))

    @property
    def histories(self) -> dict[str, str | None]:
        """Migration history -> its bind (``None``: the platform's default bind)."""
        return {PLATFORM_HISTORY: None,
                **{module.migrations: module.bind for module in self.modules}}

    @property
    def http_statuses(self) -> dict[str, int]:
        return {code: status for module in self.modules
                for code, status in module.http_statuses.items()}
