"""The server side of a module boundary: who may call what, with whose token, in which scope.

``Gatekeeper`` is a server interceptor. It wraps every unary method of the host so that, before
the servicer runs, the calling module is identified (by the ``spiffe://shop/<module>`` URI SAN
of its client certificate, or by the development shared secret) and checked against the
method's allow-list (PERMISSION_DENIED and an ``authz_fail`` audit event otherwise), and the end
user's access token from the ``authorization`` metadata is verified again with the local
verifier (UNAUTHENTICATED otherwise). A system principal (``x-shop-system``, no token) is
accepted only from a caller the method's policy names for it (``Policy.system``), so a
certificate allowed to call a method cannot on that account act as the operator there. The
servicer then runs inside ``scope()`` (the Flask app
context, for the database) with the verified principal bound; contract errors become statuses.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from concurrent import futures
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from app.kernel import ContractError, InternalError, Principal, Unauthenticated
from app.platform import audit as audit_context
from app.platform import call_context
from app.platform.audit import AuditTrail, SecurityEvent
from app.platform.grpc.errors import abort_with
from app.platform.grpc.pki import TRUST_DOMAIN

log = structlog.get_logger("shop.grpc.server")

SPIFFE_KEY = "peer_spiffe_id"
CALLER_KEY = "x-shop-caller"
SECRET_KEY = "x-shop-secret"
SYSTEM_KEY = "x-shop-system"
REQUEST_ID_KEY = "x-request-id"
TLS_VERSIONS = frozenset({b"TLSv1.2", b"TLSv1.3"})
HEALTH_PREFIX = "/grpc.health.v1.Health/"


@dataclass(frozen=True)
class Policy:
    """Which calling modules may call which method of one service (``/pkg.Service/Method``),
    and which of them may assert a system principal there (``system``: method -> callers).

    A system principal (``x-shop-system: <name>``, an operator command or a sweep) carries no
    token, so only the certificate vouches for it: each method names the few callers trusted
    with it, e.g. ``{"EraseAccount": {"operator"}}``. Any other caller asserting one is refused.
    """

    service: str
    allowed: dict[str, frozenset[str]]
    system: dict[str, frozenset[str]] = field(default_factory=dict)

    def allows(self, method: str, caller: str | None) -> bool:
        name = method.rsplit("/", 1)[-1]
        return caller is not None and caller in self.allowed.get(name, frozenset())

    def allows_system(self, method: str, caller: str | None) -> bool:
        name = method.rsplit("/", 1)[-1]
        return caller is not None and caller in self.system.get(name, frozenset())


def _san_caller(context: grpc.ServicerContext) -> str | None:
    """The module named by the peer certificate's SPIFFE ID (grpc core sets ``peer_spiffe_id``
    only for a certificate with exactly one well-formed SPIFFE URI SAN)."""
    prefix = f"spiffe://{TRUST_DOMAIN}/"
    auth = context.auth_context()
    if not set(auth.get("ssl_tls_version", ())) <= TLS_VERSIONS:
        return None
    values = auth.get(SPIFFE_KEY, ())
    if len(values) != 1:
        return None
    text = values[0].decode() if isinstance(values[0], bytes) else str(values[0])
    return text[len(prefix):] if text.startswith(prefix) else None


class Gatekeeper(grpc.ServerInterceptor):
    def __init__(self, *, policies: list[Policy], verify: Callable[[str], Principal],
                 audit: AuditTrail, scope: Callable[[], AbstractContextManager[Any]],
                 shared_secret: str | None = None) -> None:
        self._policies = {f"/{p.service}/": p for p in policies}
        self._verify = verify
        self._audit = audit
        self._scope = scope
        self._shared_secret = shared_secret

    def intercept_service(self, continuation: Any, details: Any) -> Any:
        handler = continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        method: str = details.method
        return grpc.unary_unary_rpc_method_handler(
            self._guard(method, handler.unary_unary),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _caller(self, context: grpc.ServicerContext, metadata: dict[str, str]) -> str | None:
        if self._shared_secret is None:
            return _san_caller(context)
        offered = metadata.get(SECRET_KEY, "")
        if hmac.compare_digest(offered.encode(), self._shared_secret.encode()):
            return metadata.get(CALLER_KEY)
        return None

    def _allowed(self, method: str, caller: str | None) -> bool:
        if method.startswith(HEALTH_PREFIX):
            return caller is not None  # any shop module may ask whether a host is serving
        policy = self._policies.get(method[: method.rindex("/") + 1])
        return policy is not None and policy.allows(method, caller)

    def _guard(self, method: str, behaviour: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(request: Any, context: grpc.ServicerContext) -> Any:
            metadata = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
            with self._scope(), _audit_bound(metadata, context):
                caller = self._caller(context, metadata)
                if not self._allowed(method, caller):
                    self._audit.record(SecurityEvent.AUTHZ_FAIL, outcome="failure",
                                       actor=caller or "unknown", target=method,
                                       transport="grpc")
                    context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                  "This caller may not call this method.")
                principal = self._principal(metadata, context, method, caller)
                with call_context.acting_for(principal):
                    return _run(behaviour, request, context, method)

        return guarded

    def _system(self, name: str, method: str, caller: str | None,
                context: grpc.ServicerContext) -> Principal:
        policy = self._policies.get(method[: method.rindex("/") + 1])
        if policy is None or not policy.allows_system(method, caller) or not name:
            self._audit.record(SecurityEvent.AUTHZ_FAIL, outcome="failure",
                               actor=f"system:{name[:32]}", target=method, transport="grpc",
                               caller=caller or "unknown")
            context.abort(grpc.StatusCode.PERMISSION_DENIED,
                          "This caller may not act as the system on this method.")
        principal = Principal.system(name[:32])
        audit_context.bind_context(actor=principal.user_id)
        return principal

    def _principal(self, metadata: dict[str, str], context: grpc.ServicerContext,
                   method: str, caller: str | None) -> Principal | None:
        header = metadata.get("authorization", "")
        if not header and SYSTEM_KEY in metadata:
            return self._system(metadata[SYSTEM_KEY], method, caller, context)
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token:
                raise Unauthenticated("malformed authorization metadata")
            principal = self._verify(token)
        except Unauthenticated:
            self._audit.record(SecurityEvent.TOKEN_INVALID, outcome="failure", kind="access",
                               transport="grpc")
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "A valid access token is required.")
        except ContractError as error:  # e.g. the key set cannot be fetched: not the caller's fault
            abort_with(context, error)
        audit_context.bind_context(subject=principal.user_id)
        return principal


def _run(behaviour: Callable[..., Any], request: Any, context: grpc.ServicerContext,
         method: str) -> Any:
    try:
        return behaviour(request, context)
    except ContractError as error:
        abort_with(context, error)
    except Exception:
        if context.code() is not None:  # context.abort() already chose the status
            raise
        log.exception("grpc_internal_error", method=method)
        abort_with(context, InternalError())
    return None  # unreachable: abort raises


class _AuditBinding:
    def __init__(self, metadata: dict[str, str], context: grpc.ServicerContext) -> None:
        self._values = {"request_id": metadata.get(REQUEST_ID_KEY, "")[:64],
                        "ip": context.peer()[:64]}

    def __enter__(self) -> None:
        audit_context.clear_context()
        audit_context.bind_context(**self._values)

    def __exit__(self, *exc: object) -> None:
        audit_context.clear_context()


def _audit_bound(metadata: dict[str, str], context: grpc.ServicerContext) -> _AuditBinding:
    return _AuditBinding(metadata, context)


@dataclass
class Registration:
    """One servicer to add to a host: ``add(server)`` registers it; ``service`` is its name."""

    service: str
    add: Callable[[grpc.Server], None]
    policy: Policy


def build_server(registrations: list[Registration], gatekeeper_args: dict[str, Any],
                 max_workers: int = 16) -> tuple[grpc.Server, health.HealthServicer]:
    """A server with the gatekeeper, every registration and the gRPC health service."""
    gatekeeper = Gatekeeper(policies=[r.policy for r in registrations], **gatekeeper_args)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers),
                         interceptors=[gatekeeper])
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for registration in registrations:
        registration.add(server)
        health_servicer.set(registration.service, health_pb2.HealthCheckResponse.SERVING)
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    return server, health_servicer
