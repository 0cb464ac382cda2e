"""Mutual TLS between module hosts: every way in without a right certificate is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from flask import Flask

from app.bootstrap import Services, build_services
from app.config import ConfigError, Settings
from app.kernel import Principal
from app.platform.clock import FrozenClock
from app.platform.db import Database
from app.platform.grpc import server as server_module
from app.platform.grpc.credentials import channel_credentials, server_name_option
from app.platform.grpc.host import ModuleHost
from app.platform.grpc.pki import Pki
from protos.generated import identity_pb2 as pb
from tests.conftest import make_app
from tests.grpc_support import IdentityStubs, make_pki, running_host


@pytest.fixture
def host(app: Flask, services: Services) -> Iterator[ModuleHost]:
    make_pki(services.transport.pki_dir)
    with running_host(app, services, ["identity"]) as running:
        yield running


def _stub(host: ModuleHost, creds: grpc.ChannelCredentials | None) -> IdentityStubs:
    target = f"127.0.0.1:{host.port}"
    channel = (grpc.secure_channel(target, creds, [server_name_option("identity")])
               if creds else grpc.insecure_channel(target))
    return IdentityStubs(channel)


def _code(stub: IdentityStubs, method: str = "Jwks", request: object = None) -> object:
    with pytest.raises(grpc.RpcError) as failure:
        getattr(stub, method)(request or pb.Empty(), timeout=3)
    return failure.value.code()


def test_a_shop_module_with_a_valid_certificate_is_served(host: ModuleHost,
                                                           services: Services) -> None:
    stub = _stub(host, channel_credentials(Pki(services.transport.pki_dir), "ordering"))
    assert '"keys"' in stub.Jwks(pb.Empty(), timeout=3).json


def test_attack_without_a_client_certificate_is_refused(host: ModuleHost,
                                                        services: Services) -> None:
    ca = Pki(services.transport.pki_dir).ca_cert_path.read_bytes()
    stub = _stub(host, grpc.ssl_channel_credentials(root_certificates=ca))
    assert _code(stub) == grpc.StatusCode.UNAVAILABLE


def test_attack_with_a_certificate_from_a_foreign_ca_is_refused(
        host: ModuleHost, services: Services, tmp_path: Path) -> None:
    foreign = make_pki(tmp_path / "foreign")  # same names, same SANs, another CA
    ca = Pki(services.transport.pki_dir).ca_cert_path.read_bytes()
    _, cert, key = foreign.material("ordering")
    creds = grpc.ssl_channel_credentials(root_certificates=ca, private_key=key,
                                         certificate_chain=cert)
    assert _code(_stub(host, creds)) == grpc.StatusCode.UNAVAILABLE


def test_attack_with_an_expired_certificate_is_refused(host: ModuleHost,
                                                       services: Services) -> None:
    pki = Pki(services.transport.pki_dir)
    pki.issue("expired", days=1,
              not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    assert _code(_stub(host, channel_credentials(pki, "expired"))) == grpc.StatusCode.UNAVAILABLE


def test_attack_with_a_plaintext_client_is_refused(host: ModuleHost) -> None:
    assert _code(_stub(host, None)) == grpc.StatusCode.UNAVAILABLE


def test_attack_with_a_valid_certificate_whose_san_may_not_call_the_method(
        host: ModuleHost, services: Services, app: Flask) -> None:
    """The catalog may read the key set, but not register users or read accounts."""
    stub = _stub(host, channel_credentials(Pki(services.transport.pki_dir), "catalog"))
    stub.Jwks(pb.Empty(), timeout=3)
    request = pb.RegisterRequest(username="mallory", email="m@example.com",
                                 password="a long enough passphrase")
    assert _code(stub, "Register", request) == grpc.StatusCode.PERMISSION_DENIED
    assert _code(stub, "GetUser", pb.UserIdRequest(user_id="x")) == \
        grpc.StatusCode.PERMISSION_DENIED
    denied = services.audit.recent(event_prefix="authz_fail")
    assert {(e["actor"], e["target"]) for e in denied} >= {
        ("catalog", "/shop.identity.v1.AccountService/Register"),
        ("catalog", "/shop.identity.v1.AccountService/GetUser")}
    assert services.accounts.find_users(Principal.system("test"), "", 1, 10).total == 0


def test_attack_with_a_forged_access_token_in_metadata_is_refused(
        host: ModuleHost, services: Services) -> None:
    """The receiving side verifies the end user's token again; a forged one never acts."""
    stub = _stub(host, channel_credentials(Pki(services.transport.pki_dir), "web"))
    forged = "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0."
    with pytest.raises(grpc.RpcError) as failure:
        stub.RotateSigningKey(pb.Empty(), timeout=3,
                              metadata=[("authorization", f"Bearer {forged}")])
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert services.audit.recent(event_prefix="authn_token_invalid")
    # And without any token, a method acting for a user is refused too.
    with pytest.raises(grpc.RpcError) as failure:
        stub.RotateSigningKey(pb.Empty(), timeout=3)
    assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_the_connection_negotiates_tls_1_3(host: ModuleHost, services: Services,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, list[bytes]]] = []
    real = server_module._san_caller

    def spy(context: grpc.ServicerContext) -> str | None:
        seen.append(context.auth_context())
        return real(context)

    monkeypatch.setattr(server_module, "_san_caller", spy)
    _stub(host, channel_credentials(Pki(services.transport.pki_dir), "web")).Jwks(
        pb.Empty(), timeout=3)
    assert seen[0]["ssl_tls_version"] == [b"TLSv1.3"]
    assert seen[0]["peer_spiffe_id"] == [b"spiffe://shop/web"]


def test_a_connection_below_tls_1_2_would_not_identify_a_caller() -> None:
    """Defence in depth over grpc core's TLS 1.2 minimum: the gatekeeper itself names no
    caller for an older protocol, so every method is denied."""

    class Context:
        def auth_context(self) -> dict[str, list[bytes]]:
            return {"peer_spiffe_id": [b"spiffe://shop/web"], "ssl_tls_version": [b"TLSv1.1"]}

    assert server_module._san_caller(Context()) is None  # type: ignore[arg-type]


# The configuration is refused before any database is used.
NO_DATABASE = Database({})


def test_production_refuses_the_shared_secret_mode(settings: Settings) -> None:
    prod = settings.with_(extra={"GRPC_AUTH": "shared-secret",
                                 "GRPC_SHARED_SECRET": "x" * 40})
    object.__setattr__(prod, "profile", "production")
    with pytest.raises(ConfigError, match="shared-secret"):
        build_services(prod, NO_DATABASE)


def test_development_shared_secret_mode_admits_only_the_secret(
        settings: Settings, clock: FrozenClock) -> None:
    secret = "dev-insecure-" + "s" * 32
    dev = settings.with_(extra={"GRPC_AUTH": "shared-secret", "GRPC_SHARED_SECRET": secret})
    app = make_app(dev, clock)
    services: Services = app.extensions["shop.services"]
    with running_host(app, services, ["identity"]) as running:
        stub = _stub(running, None)
        good = [("x-shop-caller", "ordering"), ("x-shop-secret", secret)]
        assert stub.Jwks(pb.Empty(), timeout=3, metadata=good).json
        bad = [("x-shop-caller", "ordering"), ("x-shop-secret", secret[:-1] + "t")]
        with pytest.raises(grpc.RpcError) as failure:
            stub.Jwks(pb.Empty(), timeout=3, metadata=bad)
        assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_production_refuses_to_start_without_valid_certificates(settings: Settings,
                                                                 tmp_path: Path) -> None:
    prod = settings.with_(extra={"MODULE_TRANSPORT": "grpc",
                                 "GRPC_PKI_DIR": str(tmp_path / "none")})
    object.__setattr__(prod, "profile", "production")
    with pytest.raises(ConfigError, match="certificates"):
        build_services(prod, NO_DATABASE)
    pki = Pki(tmp_path / "pki")
    pki.init()
    pki.issue("web", days=1, not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    object.__setattr__(prod, "extra", {"MODULE_TRANSPORT": "grpc",
                                       "GRPC_PKI_DIR": str(tmp_path / "pki")})
    with pytest.raises(ConfigError, match="expired"):
        build_services(prod, NO_DATABASE)
    assert not (tmp_path / "none").exists()  # production never makes a CA
