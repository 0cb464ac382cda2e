"""The client side of a module boundary: one channel, deadline, retries and breaker per module.

* The channel is made lazily in the process that uses it, so gunicorn workers (forked after the
  app is built) each make their own; a channel inherited across ``fork`` is never reused.
* Every call carries a deadline (``GRPC_DEADLINE_SECONDS``, default 2 s).
* Retries are gRPC's own (service config): only for the methods the module lists as idempotent,
  at most 3 attempts, exponential backoff, on UNAVAILABLE only.
* One ``ConcurrentBreaker`` per remote module counts UNAVAILABLE, DEADLINE_EXCEEDED and
  INTERNAL only; business errors never trip it. An open breaker answers ``Unavailable`` at once.
* Metadata: the token of the principal the call is made for (and nothing else: never the web
  request's), or ``x-shop-system`` for a system principal, the request id, and in development
  shared-secret mode the caller's name and the secret.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import grpc
import pybreaker
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc

from app.kernel import ContractError, Principal, Unavailable
from app.platform.audit import AuditTrail, SecurityEvent
from app.platform.grpc.breaker import ConcurrentBreaker
from app.platform.grpc.credentials import channel_credentials, server_name_option
from app.platform.grpc.errors import INFRASTRUCTURE, from_rpc_error
from app.platform.grpc.pki import Pki
from app.platform.grpc.server import CALLER_KEY, REQUEST_ID_KEY, SECRET_KEY, SYSTEM_KEY
from app.platform.grpc.settings import TransportSettings

log = structlog.get_logger("shop.grpc.client")

RETRY_POLICY = {
    "maxAttempts": 3,
    "initialBackoff": "0.05s",
    "maxBackoff": "0.5s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}


def service_config(service: str, idempotent: Iterable[str]) -> str:
    methods = [{"service": service, "method": name} for name in sorted(idempotent)]
    config: dict[str, Any] = {"methodConfig": []}
    if methods:
        config["methodConfig"].append({"name": methods, "retryPolicy": RETRY_POLICY})
    return json.dumps(config)


def is_infrastructure_failure(exc: BaseException) -> bool:
    return isinstance(exc, grpc.RpcError) and exc.code() in INFRASTRUCTURE


class BreakerAudit(pybreaker.CircuitBreakerListener):
    """Breaker state changes become audit events (and so log lines, alerts, the dashboard)."""

    def __init__(self, audit: AuditTrail, module: str) -> None:
        self._audit = audit
        self._module = module

    def state_change(self, cb: Any, old_state: Any, new_state: Any) -> None:
        try:
            self._audit.record(SecurityEvent.BREAKER_CHANGED,
                               outcome="failure" if new_state.name == "open" else "success",
                               actor="system", target=self._module,
                               old=getattr(old_state, "name", None), new=new_state.name)
        except Exception:  # the audit store may be the very thing that is down
            log.exception("breaker_audit_failed", module=self._module, new=new_state.name)


def make_breaker(settings: TransportSettings, module: str, audit: AuditTrail) -> ConcurrentBreaker:
    return ConcurrentBreaker(
        fail_max=settings.breaker_fail_max, reset_timeout=settings.breaker_reset,
        exclude=[lambda exc: not is_infrastructure_failure(exc)],
        listeners=[BreakerAudit(audit, module)], name=module,
    )


def _request_id() -> str:
    try:
        from flask import g, has_request_context

        if has_request_context():
            return str(getattr(g, "request_id", "") or "")
    except ImportError:  # pragma: no cover - flask is a dependency
        pass
    return ""


class RemoteModule:
    """Calls one remote module's service through its generated stub."""

    def __init__(self, *, module: str, service: str, stub_class: Callable[[grpc.Channel], Any],
                 idempotent: Iterable[str], errors: dict[str, type[ContractError]],
                 settings: TransportSettings, audit: AuditTrail,
                 breaker: ConcurrentBreaker | None = None) -> None:
        self.module = module
        self.service = service
        self.target = settings.targets[module]
        self._stub_class = stub_class
        self._idempotent = frozenset(idempotent)
        self._errors = errors
        self._settings = settings
        self._audit = audit
        self.breaker = breaker or make_breaker(settings, module, audit)
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._channel: grpc.Channel | None = None
        self._stub: Any = None
        self._system: RemoteModule | None = None

    @property
    def settings(self) -> TransportSettings:
        return self._settings

    @property
    def audit(self) -> AuditTrail:
        return self._audit

    def as_caller(self, caller: str, system_caller: str | None = None) -> RemoteModule:
        """The same remote module (and breaker) called with another module's certificate:
        an in-process module calls out as itself, so the server authorises what it needs.
        ``system_caller`` is the certificate its system principals go with (default: the
        same)."""
        settings = replace(self._settings, caller=caller, system_caller=system_caller)
        return RemoteModule(module=self.module, service=self.service,
                            stub_class=self._stub_class, idempotent=self._idempotent,
                            errors=self._errors, settings=settings,
                            audit=self._audit, breaker=self.breaker)

    def _sender(self, principal: Principal | None) -> RemoteModule:
        """This module, or the one that sends a system principal with the certificate trusted
        to assert it (``GRPC_SYSTEM_CALLER``), made once."""
        sender = self._settings.system_sender
        if principal is None or not principal.is_system or sender == self._settings.caller:
            return self
        with self._lock:
            if self._system is None:
                self._system = self.as_caller(sender)
            return self._system

    def _options(self) -> list[tuple[str, Any]]:
        options: list[tuple[str, Any]] = [
            ("grpc.enable_retries", 1),
            ("grpc.service_config", service_config(self.service, self._idempotent)),
            # Reconnect soon after a host comes back (gRPC's default backoff grows to 120 s,
            # during which every call fails at once although the host is serving again).
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 1000),
        ]
        if self._settings.auth == "mtls":
            options.append(server_name_option(self.module))
        return options

    def channel(self) -> grpc.Channel:
        with self._lock:
            if self._channel is None or self._pid != os.getpid():
                # A channel made before fork() belongs to the parent: make our own.
                if self._settings.auth == "mtls":
                    creds = channel_credentials(Pki(self._settings.pki_dir),
                                                self._settings.caller)
                    self._channel = grpc.secure_channel(self.target, creds, self._options())
                else:
                    self._channel = grpc.insecure_channel(self.target, self._options())
                self._stub = self._stub_class(self._channel)
                self._pid = os.getpid()
            return self._channel

    def close(self) -> None:
        with self._lock:
            if self._channel is not None and self._pid == os.getpid():
                self._channel.close()
            self._channel = self._stub = None
            system, self._system = self._system, None
        if system is not None:
            system.close()

    def metadata(self, principal: Principal | None = None) -> list[tuple[str, str]]:
        """A system principal travels by name (the receiving policy must accept one from this
        certificate for the method); a user by the token they were verified from; no
        principal (a public method, a health probe) sends neither."""
        pairs: list[tuple[str, str]] = []
        if principal is not None and principal.is_system:
            pairs.append((SYSTEM_KEY, principal.user_id.removeprefix("system:")))
        elif principal is not None and principal.token:
            pairs.append(("authorization", f"Bearer {principal.token}"))
        request_id = _request_id()
        if request_id:
            pairs.append((REQUEST_ID_KEY, request_id[:64]))
        if self._settings.auth == "shared-secret":
            pairs += [(CALLER_KEY, self._settings.caller),
                      (SECRET_KEY, self._settings.shared_secret or "")]
        return pairs

    def call(self, method: str, request: Any, principal: Principal | None = None,
             deadline: float | None = None) -> Any:
        """Invoke ``method`` for ``principal`` (None: for nobody); raises the contract error
        the remote side raised, or Unavailable. ``deadline`` replaces the module's default
        for a method known to take longer (making an RSA-4096 key), so it neither fails nor
        counts against the breaker."""
        sender = self._sender(principal)
        if sender is not self:
            return sender.call(method, request, principal, deadline)
        self.channel()
        rpc = getattr(self._stub, method)
        # A call made while the breaker is not closed is its half-open trial (or is refused
        # before it starts): let it wait, within the deadline, for the channel to reconnect
        # instead of failing at once on a connection still in backoff.
        probing = self.breaker.current_state != "closed"
        try:
            return self.breaker.call(rpc, request, timeout=deadline or self._settings.deadline,
                                     metadata=self.metadata(principal),
                                     wait_for_ready=probing)
        except pybreaker.CircuitBreakerError:
            raise Unavailable(f"The {self.module} service is unavailable.") from None
        except grpc.RpcError as error:
            raise from_rpc_error(error, self._errors, self.module) from None

    def health(self, timeout: float = 1.0) -> str:
        """The remote host's gRPC health status for this service (``SERVING``...)."""
        stub = health_pb2_grpc.HealthStub(self.channel())
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=self.service),
                               timeout=timeout, metadata=self.metadata())  # for nobody
        except grpc.RpcError as error:
            return f"UNREACHABLE ({error.code().name})"
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))
