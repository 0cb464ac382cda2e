"""``OrderingService`` over gRPC: the same contract and errors as the in-process service.

Reads and the idempotent commands are retried by gRPC's retry policy; placing an order is not
(a client that wants safe retries sends an idempotency key and retries at its own level).
"""

from __future__ import annotations

from app import kernel
from app.kernel import Page, Principal
from app.ordering import contract
from app.ordering import grpc_codec as codec
from app.ordering.contract import CartView, OrderFilter, OrderItem, OrderView, SweepReport
from app.ordering.grpc_server import SERVICE
from app.platform.audit import AuditTrail
from app.platform.grpc.breaker import ConcurrentBreaker
from app.platform.grpc.client import RemoteModule
from app.platform.grpc.errors import error_registry
from app.platform.grpc.settings import TransportSettings
from protos.generated import ordering_pb2 as pb
from protos.generated import ordering_pb2_grpc as pb_grpc

# Not AddToCart (it adds) nor Checkout without its key: like PlaceOrder, never retried here.
IDEMPOTENT = ("GetOrder", "ListOrders", "CancelOrder", "ChangeStatus", "ForgetUser",
              "ReencryptUserReferences", "Sweep", "GetCart", "SetCartItem")


def _errors() -> dict[str, type[kernel.ContractError]]:
    # Ordering raises the errors of the modules it calls through, as in-process.
    from app.catalog import contract as catalog_contract
    from app.identity import contract as identity_contract

    return error_registry(vars(contract).values(), vars(catalog_contract).values(),
                          vars(identity_contract).values(), vars(kernel).values())


class GrpcOrderingClient:
    def __init__(self, settings: TransportSettings, audit: AuditTrail,
                 remote: RemoteModule | None = None,
                 breaker: ConcurrentBreaker | None = None) -> None:
        self.remote = remote or RemoteModule(
            module="ordering", service=SERVICE, stub_class=pb_grpc.OrderingStub,
            idempotent=IDEMPOTENT, errors=_errors(), settings=settings, audit=audit,
            breaker=breaker)

    def place_order(self, principal: Principal | None, items: tuple[OrderItem, ...],
                    idempotency_key: str | None = None) -> OrderView:
        request = pb.PlaceOrderRequest(items=codec.items_to_pb(items))
        if idempotency_key is not None:
            request.idempotency_key = idempotency_key
        return codec.order_from_pb(self.remote.call("PlaceOrder", request, principal=principal))

    def get_order(self, principal: Principal | None, order_id: str) -> OrderView:
        reply = self.remote.call("GetOrder", pb.OrderId(order_id=order_id), principal=principal)
        return codec.order_from_pb(reply)

    def list_orders(self, principal: Principal | None, page: int, page_size: int,
                    user_id: str | None = None, filters: OrderFilter | None = None
                    ) -> Page[OrderView]:
        request = pb.ListOrdersRequest(page=page, page_size=page_size)
        if user_id is not None:
            request.user_id = user_id
        for name in ("status", "created_from", "created_to"):
            value = getattr(filters, name) if filters is not None else None
            if value is not None:
                setattr(request, name, value)
        return codec.page_from_pb(self.remote.call("ListOrders", request, principal=principal))

    def cancel_order(self, principal: Principal | None, order_id: str) -> OrderView:
        reply = self.remote.call("CancelOrder", pb.OrderId(order_id=order_id),
                                 principal=principal)
        return codec.order_from_pb(reply)

    def change_status(self, admin: Principal | None, order_id: str, status: str) -> OrderView:
        reply = self.remote.call("ChangeStatus",
                                 pb.ChangeStatusRequest(order_id=order_id, status=status),
                                 principal=admin)
        return codec.order_from_pb(reply)

    def get_cart(self, principal: Principal | None) -> CartView:
        return codec.cart_from_pb(self.remote.call("GetCart", pb.Empty(), principal=principal))

    def add_to_cart(self, principal: Principal | None, product_id: str, quantity: int) -> CartView:
        request = pb.CartItemRequest(product_id=product_id, quantity=quantity)
        return codec.cart_from_pb(self.remote.call("AddToCart", request, principal=principal))

    def set_cart_item(self, principal: Principal | None, product_id: str,
                      quantity: int) -> CartView:
        request = pb.CartItemRequest(product_id=product_id, quantity=quantity)
        return codec.cart_from_pb(self.remote.call("SetCartItem", request, principal=principal))

    def checkout(self, principal: Principal | None,
                 idempotency_key: str | None = None) -> OrderView:
        request = pb.CheckoutRequest()
        if idempotency_key is not None:
            request.idempotency_key = idempotency_key
        return codec.order_from_pb(self.remote.call("Checkout", request, principal=principal))

    def forget_user(self, principal: Principal | None, user_id: str) -> int:
        reply = self.remote.call("ForgetUser", pb.UserId(user_id=user_id), principal=principal)
        return int(reply.count)

    def reencrypt_user_references(self, principal: Principal | None) -> int:
        reply = self.remote.call("ReencryptUserReferences", pb.Empty(), principal)
        return int(reply.count)

    def sweep(self, principal: Principal | None) -> SweepReport:
        return codec.sweep_from_pb(self.remote.call("Sweep", pb.Empty(), principal=principal))
