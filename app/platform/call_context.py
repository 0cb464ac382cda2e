"""Who the current call is for, carried across a module boundary.

The end user's access token travels with every remote call (gRPC metadata) and is verified
again on the receiving side; the verified principal is then available to the servicer here.
Stdlib only, so the web layer and modules may read it without importing a transport.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from app.kernel import Principal

_token: ContextVar[str | None] = ContextVar("shop_access_token", default=None)
_principal: ContextVar[Principal | None] = ContextVar("shop_principal", default=None)


@contextmanager
def acting_for(token: str | None, principal: Principal | None) -> Iterator[None]:
    token_reset = _token.set(token)
    principal_reset = _principal.set(principal)
    try:
        yield
    finally:
        _token.reset(token_reset)
        _principal.reset(principal_reset)


def access_token() -> str | None:
    return _token.get()


def principal() -> Principal | None:
    """The principal verified from the incoming call's access token, if any."""
    return _principal.get()
