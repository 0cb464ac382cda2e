"""Direct gRPC calls with the web tier's certificate, as whoever holds its key could make them.

Attacks: (1) no user token at all to every method that acts for someone; (2) an ordinary
user's token against another user's data or an administrator's method; (3) the web
certificate asserting a system principal (``x-shop-system``) on every method. Each is refused
(UNAUTHENTICATED, PERMISSION_DENIED, or NOT_FOUND where existence stays hidden), never OK.
The methods come from the service descriptors, so a new method is covered at once.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from flask import Flask
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor

from app.bootstrap import Services
from app.platform.grpc.credentials import channel_credentials, server_name_option
from app.platform.grpc.pki import Pki
from app.platform.grpc.server import SYSTEM_KEY
from tests.contract.authz.matrix import new_order, new_product, signed_in
from tests.grpc_support import make_pki, running_host

MODULES = ("identity", "catalog", "ordering")
# Methods anyone may call without a token (reading the public catalogue, logging in...).
PUBLIC = {
    "catalog": {"ListProducts", "GetProduct", "ListCategories"},
    "ordering": set(),
    "identity": {"Register", "Login", "Refresh", "PublicKey", "Jwks", "RevocationsSince",
                 "VerifyLogin", "LoginTicketOwner", "DeviceTrusted"},
}
REFUSED = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}
# Fields a request needs to be well-formed (empty ones are otherwise fine to ask with).
WELL_FORMED = {"CreateProduct": {"price": "1.00"}, "UpdateProduct": {"price": "1.00"}}


def _methods() -> list[tuple[str, MethodDescriptor]]:
    found = []
    for module in MODULES:
        descriptor = importlib.import_module(f"protos.generated.{module}_pb2").DESCRIPTOR
        for service in descriptor.services_by_name.values():
            found += [(module, method) for method in service.methods]
    return found


METHODS = _methods()
USER_ACTING = [(m, d) for m, d in METHODS if d.name not in PUBLIC[m]]


def _ids(pairs: list[tuple[str, MethodDescriptor]]) -> list[str]:
    return [d.full_name for _m, d in pairs]


class WebCertificate:
    """Raw calls to a module host with ``spiffe://shop/web``, any metadata."""

    def __init__(self, pki: Pki, port: int) -> None:
        self._creds = channel_credentials(pki, "web")
        self._port = port
        self._channels: dict[str, grpc.Channel] = {}

    def call(self, module: str, method: MethodDescriptor, metadata: list[tuple[str, str]],
             **fields: Any) -> grpc.StatusCode:
        if module not in self._channels:
            self._channels[module] = grpc.secure_channel(
                f"127.0.0.1:{self._port}", self._creds, [server_name_option(module)])
        request = message_factory.GetMessageClass(method.input_type)(**fields)
        rpc = self._channels[module].unary_unary(
            f"/{method.containing_service.full_name}/{method.name}",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=lambda b: b)
        try:
            rpc(request, timeout=10, metadata=metadata)
        except grpc.RpcError as error:
            return error.code()  # type: ignore[no-any-return]
        return grpc.StatusCode.OK

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()


@pytest.fixture
def web(app: Flask) -> Iterator[WebCertificate]:
    local: Services = app.extensions["shop.services"]
    pki = make_pki(local.transport.pki_dir)
    with app.app_context(), running_host(app, local, list(MODULES)) as host:
        caller = WebCertificate(pki, host.port or 0)
        yield caller
        caller.close()


@pytest.mark.parametrize(("module", "method"), USER_ACTING, ids=_ids(USER_ACTING))
def test_attack_no_token_to_a_method_acting_for_someone(
        web: WebCertificate, module: str, method: MethodDescriptor) -> None:
    assert web.call(module, method, [], **WELL_FORMED.get(method.name, {})) in REFUSED


@pytest.mark.parametrize(("module", "method"), [(m, d) for m, d in METHODS],
                         ids=_ids(METHODS))
def test_attack_the_web_certificate_asserting_the_system_principal(
        web: WebCertificate, module: str, method: MethodDescriptor) -> None:
    status = web.call(module, method, [(SYSTEM_KEY, "cli")], **WELL_FORMED.get(method.name, {}))
    assert status == grpc.StatusCode.PERMISSION_DENIED


@pytest.fixture
def victim(app: Flask, web: WebCertificate) -> dict[str, Any]:
    """An order of one user, and the access token of another, ordinary, user."""
    local: Services = app.extensions["shop.services"]
    owner = signed_in(local, "direct_victim")
    product = new_product(local)
    return {"user_id": owner.user_id, "product_id": product,
            "order_id": new_order(local, owner, product),
            "attacker": signed_in(local, "direct_attacker").token}


# Methods and requests that name another user's data, or need an administrator.
FOREIGN = {
    "ordering": {"GetOrder": {"order_id": "order_id"}, "CancelOrder": {"order_id": "order_id"},
                 "ListOrders": {"user_id": "user_id", "page": 1, "page_size": 10},
                 "ChangeStatus": {"order_id": "order_id", "status": "confirmed"},
                 "ForgetUser": {"user_id": "user_id"}, "Sweep": {},
                 "ReencryptUserReferences": {}},
    "catalog": {"CreateProduct": {"sku": "X-1", "name": "x", "category": "misc",
                                  "price": "1.00", "stock": 1},
                "UpdateProduct": {"product_id": "product_id", "name": "Mine now"},
                "DeactivateProduct": {"product_id": "product_id"},
                "ReleaseStale": {"older_than_seconds": 900}},
    "identity": {"GetUser": {"user_id": "user_id"}, "UserAccount": {"user_id": "user_id"},
                 "FindUsers": {"search": "", "page": 1, "page_size": 10},
                 "AdminUpdateUser": {"user_id": "user_id", "role": "admin"},
                 "Lock": {"user_id": "user_id"}, "Unlock": {"user_id": "user_id"},
                 "EraseAccount": {"user_id": "user_id"}, "EndSessions": {"user_id": "user_id"},
                 "ReencryptTotpSecrets": {}, "SigningKeys": {}, "RotateSigningKey": {},
                 "RemoveSigningKey": {"kid": "any"}},
}
FOREIGN_CALLS = [(m, d) for m, d in METHODS if d.name in FOREIGN.get(m, {})]


@pytest.mark.parametrize(("module", "method"), FOREIGN_CALLS, ids=_ids(FOREIGN_CALLS))
def test_attack_another_users_token(app: Flask, web: WebCertificate, victim: dict[str, Any],
                                    module: str, method: MethodDescriptor) -> None:
    fields = {name: victim.get(value, value) if isinstance(value, str) else value
              for name, value in FOREIGN[module][method.name].items()}
    status = web.call(module, method, [("authorization", f"Bearer {victim['attacker']}")],
                      **fields)
    assert status in REFUSED | {grpc.StatusCode.NOT_FOUND}
    local: Services = app.extensions["shop.services"]
    admin = signed_in(local, "direct_admin", admin=True)
    owner = local.ordering.list_orders(admin, 1, 10, victim["user_id"])  # type: ignore[union-attr]
    assert [o.status for o in owner.items] == ["pending"], "the victim's order is untouched"


MALFORMED_MONEY = [("catalog", "CreateProduct", {"sku": "X-2", "name": "x", "category": "misc",
                                                  "price": "nine", "stock": 1}),
                   ("catalog", "UpdateProduct", {"product_id": "product_id", "price": "1,00"}),
                   ("catalog", "ListProducts", {"min_price": "cheap", "page": 1,
                                                "page_size": 10, "ordering": "name"})]


@pytest.mark.parametrize(("module", "name", "fields"), MALFORMED_MONEY,
                         ids=[name for _m, name, _f in MALFORMED_MONEY])
def test_attack_malformed_money_is_the_callers_error(
        app: Flask, web: WebCertificate, victim: dict[str, Any], module: str, name: str,
        fields: dict[str, Any]) -> None:
    """A price that is no number: INVALID_ARGUMENT, never INTERNAL (an error of the host)."""
    local: Services = app.extensions["shop.services"]
    admin = signed_in(local, "direct_money_admin", admin=True)
    method = next(d for m, d in METHODS if m == module and d.name == name)
    fields = {k: victim.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}
    status = web.call(module, method, [("authorization", f"Bearer {admin.token}")], **fields)
    assert status == grpc.StatusCode.INVALID_ARGUMENT
