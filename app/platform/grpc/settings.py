"""Transport settings, read from the environment mapping by the composition root only.

``MODULE_TRANSPORT=inprocess|grpc`` for every boundary, ``<MODULE>_TRANSPORT`` per module,
``<MODULE>_GRPC_TARGET=host:port``; ``GRPC_AUTH=mtls|shared-secret`` (the shared secret is for
development only; production refuses it); ``GRPC_PKI_DIR`` (default ``<instance>/pki``);
``GRPC_DEADLINE_SECONDS`` (default 2); ``GRPC_BREAKER_FAIL_MAX`` (5),
``GRPC_BREAKER_RESET_SECONDS`` (30); ``GRPC_CALLER``: the certificate this process calls with
(``web`` for the web process; a module host calls as its module); ``GRPC_SYSTEM_CALLER``:
the certificate a system principal is sent with (default: ``GRPC_CALLER``'s). Operator
commands send theirs with the ``operator`` certificate (``Services.as_operator``), the one
certificate the hosts trust to assert an operator's system principal. The modules and their
default ports come from the module registry, handed over by the composition root.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

TRANSPORTS = ("inprocess", "grpc")
AUTH_MODES = ("mtls", "shared-secret")


class TransportConfigError(ValueError):
    pass


@dataclass(frozen=True)
class TransportSettings:
    transports: dict[str, str] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)
    auth: str = "mtls"
    shared_secret: str | None = None
    pki_dir: Path = Path("instance/pki")
    deadline: float = 2.0
    breaker_fail_max: int = 5
    breaker_reset: float = 30.0
    caller: str = "web"
    system_caller: str | None = None

    @property
    def system_sender(self) -> str:
        """The certificate that sends a system principal."""
        return self.system_caller or self.caller

    @classmethod
    def from_env(cls, env: Mapping[str, str], instance_path: Path,
                 ports: Mapping[str, int]) -> TransportSettings:
        """``ports``: every module's name and default gRPC port (from the registry)."""
        # An empty variable counts as unset (``CATALOG_TRANSPORT= flask seed``).
        default = env.get("MODULE_TRANSPORT") or "inprocess"
        transports = {m: env.get(f"{m.upper()}_TRANSPORT") or default for m in ports}
        for module, value in transports.items():
            if value not in TRANSPORTS:
                raise TransportConfigError(f"{module} transport must be inprocess or grpc, "
                                           f"not {value!r}")
        auth = env.get("GRPC_AUTH", "mtls")
        if auth not in AUTH_MODES:
            raise TransportConfigError(f"GRPC_AUTH must be mtls or shared-secret, not {auth!r}")
        return cls(
            transports=transports,
            targets={m: env.get(f"{m.upper()}_GRPC_TARGET", f"127.0.0.1:{port}")
                     for m, port in ports.items()},
            auth=auth,
            shared_secret=env.get("GRPC_SHARED_SECRET") or None,
            pki_dir=Path(env.get("GRPC_PKI_DIR") or instance_path / "pki"),
            deadline=float(env.get("GRPC_DEADLINE_SECONDS", "2")),
            breaker_fail_max=int(env.get("GRPC_BREAKER_FAIL_MAX", "5")),
            breaker_reset=float(env.get("GRPC_BREAKER_RESET_SECONDS", "30")),
            caller=env.get("GRPC_CALLER", "web"),
            system_caller=env.get("GRPC_SYSTEM_CALLER") or None,
        )

    def remote(self, module: str) -> bool:
        return self.transports.get(module, "inprocess") == "grpc"

    @property
    def remote_modules(self) -> list[str]:
        return [m for m in self.transports if self.remote(m)]

    @property
    def any_remote(self) -> bool:
        return bool(self.remote_modules)
