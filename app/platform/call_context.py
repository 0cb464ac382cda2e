"""Who the current call is for, on the receiving side of a module boundary.

A gRPC host verifies the caller's access token (or accepts a system principal from a caller
allowed to assert one) and binds the principal here while the servicer runs; the servicer
passes it to the service, which decides. Outgoing calls never read it: a client sends the
token of the principal it is given, and nothing else. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from app.kernel import Principal

_principal: ContextVar[Principal | None] = ContextVar("shop_principal", default=None)


@contextmanager
def acting_for(principal: Principal | None) -> Iterator[None]:
    reset = _principal.set(principal)
    try:
        yield
    finally:
        _principal.reset(reset)


def principal() -> Principal | None:
    """The principal verified from the incoming call, if any."""
    return _principal.get()
