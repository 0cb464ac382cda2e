"""Contract suites run twice: against the in-process services and over gRPC with mutual TLS.

In gRPC mode one module host (127.0.0.1, throwaway certificates) serves the real services,
and ``services.catalog`` / ``services.ordering`` become gRPC clients. Over gRPC the acting
user is always the one of the access token in the call's metadata, and a client sends the
token its ``Principal`` argument carries: so a user principal a test makes by hand gets a
real signed token (as one verified by the web layer carries the user's own). Reservations are
called with the ordering module's certificate, everything else with the web's, as in the real
topology; a system principal (an operator command) goes with the operator certificate.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from flask import Flask

from app.bootstrap import Services
from app.catalog.grpc_client import GrpcCatalogClient
from app.identity.grpc_client import grpc_identity_clients
from app.identity.signing import SigningKeyStore
from app.kernel import Principal
from app.ordering.grpc_client import GrpcOrderingClient
from tests.grpc_support import client_settings, make_pki, running_host

RESERVATIONS = frozenset({"reserve", "confirm", "release"})


@pytest.fixture(params=["inprocess", "grpc"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def minter(services: Services) -> Callable[[Principal], str]:
    """Sign an access token for ``principal`` with the identity provider's real key (read
    from its key directory, as the identity module reads it)."""
    settings = services.settings
    keys = SigningKeyStore(settings.keys_dir, services.clock,
                           retire_grace=settings.access_token_ttl + settings.jwt_leeway)

    def mint(principal: Principal) -> str:
        now = int(services.clock.time())
        return str(keys.sign({
            "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
            "sub": principal.user_id, "client_id": settings.jwt_client_id, "iat": now,
            "nbf": now, "exp": now + 600, "jti": uuid.uuid4().hex,
            "sid": principal.session_id or "test", "role": principal.role, "amr": ["pwd"]}))

    return mint


def with_token(principal: Any, mint: Callable[[Principal], str]) -> Any:
    """A user principal made by hand, carrying a real token for its claims; others as given."""
    if not isinstance(principal, Principal) or principal.is_system or principal.token:
        return principal
    return replace(principal, token=mint(principal))


class ActingClient:
    """Calls a gRPC client; each Principal argument carries a real token, as verified ones do."""

    def __init__(self, route: Callable[[str], Any], mint: Callable[[Principal], str]) -> None:
        self._route = route
        self._mint = mint

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._route(name), name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return method(*(with_token(a, self._mint) for a in args),
                          **{k: with_token(v, self._mint) for k, v in kwargs.items()})

        return call


@pytest.fixture
def grpc_clients(transport: str, app: Flask) -> Iterator[dict[str, Any] | None]:
    if transport == "inprocess":
        yield None
        return
    local: Services = app.extensions["shop.services"]
    make_pki(local.transport.pki_dir)
    with running_host(app, local, ["identity", "catalog", "ordering"]) as host:
        port = host.port or 0

        def settings(module: str, caller: str = "web", system: str | None = "operator") -> Any:
            return client_settings(local, module, port, caller=caller, system_caller=system)

        clients = {
            "identity": grpc_identity_clients(settings("identity"), local.audit),
            "catalog": GrpcCatalogClient(settings("catalog"), local.audit),
            "catalog_as_ordering": GrpcCatalogClient(settings("catalog", "ordering", None),
                                                     local.audit),
            "ordering": GrpcOrderingClient(settings("ordering"), local.audit),
        }
        yield clients
        for client in (*clients.pop("identity"), *clients.values()):
            client.remote.close()


@pytest.fixture
def services(app: Flask, grpc_clients: dict[str, Any] | None) -> Services:
    local: Services = app.extensions["shop.services"]
    if grpc_clients is None:
        return local
    mint = minter(local)
    catalog = ActingClient(lambda name: grpc_clients["catalog_as_ordering"]
                           if name in RESERVATIONS else grpc_clients["catalog"], mint)
    ordering = ActingClient(lambda name: grpc_clients["ordering"], mint)
    return replace(local, catalog=catalog, ordering=ordering)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Identity:
    """The identity module's contracts under test (in-process or their gRPC clients)."""

    accounts: Any
    sessions: Any
    two_factor: Any
    signing_keys: Any
    revocations: Any


def local_identity(services: Services) -> Identity:
    return Identity(services.accounts, services.sessions, services.two_factor,
                    services.signing_keys, services.revocations)


@pytest.fixture
def identity(transport: str, app: Flask, services: Services,
             grpc_clients: dict[str, Any] | None) -> Iterator[Identity]:
    with app.app_context():
        yield local_identity(services) if grpc_clients is None \
            else Identity(*grpc_clients["identity"])
