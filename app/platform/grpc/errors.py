"""Contract errors <-> gRPC status, so a remote call raises what the in-process call raises.

The server sends the gRPC status from ``STATUS_BY_CODE`` (by the error's family, found through
its class hierarchy), the human detail as status details, and the stable error ``code`` plus any
field errors in trailing metadata. The client looks the code up in the contract's own error
classes and raises the same class; an unknown code falls back to the kernel class of the status.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import grpc

from app.kernel import (
    Conflict,
    ContractError,
    InternalError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)

CODE_KEY = "shop-error-code"
FIELDS_KEY = "shop-field-errors"
ATTRS_KEY = "shop-error-attrs"
_BASE_ATTRS = frozenset({"detail", "field_errors"})

# The kernel families; a module's error maps through the family it subclasses.
STATUS_BY_FAMILY: dict[type[ContractError], grpc.StatusCode] = {
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    NotFound: grpc.StatusCode.NOT_FOUND,
    Conflict: grpc.StatusCode.FAILED_PRECONDITION,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
    InternalError: grpc.StatusCode.INTERNAL,
}
FAMILY_BY_STATUS = {status: family for family, status in STATUS_BY_FAMILY.items()}
# Statuses that say "the remote module is not working", the only ones a breaker counts.
INFRASTRUCTURE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                            grpc.StatusCode.INTERNAL})


def status_of(error: ContractError) -> grpc.StatusCode:
    for klass in type(error).__mro__:
        status = STATUS_BY_FAMILY.get(klass)
        if status is not None:
            return status
    # A contract error outside the kernel families (e.g. InsufficientStock(ContractError)).
    return grpc.StatusCode.FAILED_PRECONDITION


def abort_with(context: grpc.ServicerContext, error: ContractError) -> None:
    """Finish the call with ``error`` (raises, as ``context.abort`` does)."""
    trailers: list[tuple[str, str]] = [(CODE_KEY, error.code)]
    if error.field_errors:
        trailers.append((FIELDS_KEY, json.dumps(error.field_errors)))
    # Extra plain attributes (e.g. InsufficientStock.product_id) travel too.
    attrs = {k: v for k, v in vars(error).items()
             if k not in _BASE_ATTRS and not k.startswith("_") and isinstance(v, str | int)}
    if attrs:
        trailers.append((ATTRS_KEY, json.dumps(attrs)))
    context.set_trailing_metadata(tuple(trailers))
    context.abort(status_of(error), error.detail or error.code)


def error_registry(*sources: Iterable[Any]) -> dict[str, type[ContractError]]:
    """code -> class for every ContractError subclass found in ``sources`` (module dicts)."""
    registry: dict[str, type[ContractError]] = {}
    for source in sources:
        for value in source:
            if isinstance(value, type) and issubclass(value, ContractError):
                registry.setdefault(value.code, value)
    return registry


def _trailers(error: grpc.RpcError) -> dict[str, str]:
    trailing = getattr(error, "trailing_metadata", None)
    pairs = trailing() if callable(trailing) else None
    return {key: value for key, value in (pairs or ()) if isinstance(value, str)}


def from_rpc_error(error: grpc.RpcError, registry: dict[str, type[ContractError]],
                   module: str) -> ContractError:
    """The contract error a failed call stands for."""
    status: grpc.StatusCode = error.code()
    trailers = _trailers(error)
    code = trailers.get(CODE_KEY)
    detail = error.details() or ""
    fields = json.loads(trailers[FIELDS_KEY]) if FIELDS_KEY in trailers else None
    if code is not None and code in registry:
        return rebuild(registry[code], detail, fields, json.loads(trailers.get(ATTRS_KEY, "{}")))
    if status in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return Unavailable(f"The {module} service is unavailable.")
    family = FAMILY_BY_STATUS.get(status)
    if family is None or family is InternalError:
        return InternalError()
    return family(detail, field_errors=fields)


def rebuild(cls: type[ContractError], detail: str, fields: dict[str, str] | None,
            attrs: dict[str, Any]) -> ContractError:
    """An instance of ``cls`` as the server raised it, whatever ``cls.__init__`` takes."""
    error = cls.__new__(cls)
    ContractError.__init__(error, detail, field_errors=fields)
    for key, value in attrs.items():
        if isinstance(value, str | int) and not key.startswith("_"):
            setattr(error, key, value)
    return error
