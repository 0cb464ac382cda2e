"""The ordering module served over gRPC: each method calls the real service.

Every method passes on the principal the host's gatekeeper verified (None without a token) and
the service decides; a request cannot name another user as the actor, and nothing here
decides who may call what beyond the calling certificate (``POLICY``).
"""

from __future__ import annotations

from typing import Any

import grpc

from app.kernel import Principal
from app.ordering import grpc_codec as codec
from app.ordering.contract import OrderFilter, OrderingService
from app.platform import call_context
from app.platform.grpc.server import Policy, Registration
from protos.generated import ordering_pb2 as pb
from protos.generated import ordering_pb2_grpc as pb_grpc

SERVICE = "shop.ordering.v1.Ordering"
_WEB = frozenset({"web"})
_OPERATOR = frozenset({"operator"})
_ERASURE = frozenset({"identity", "operator"})  # identity's erasure saga, an operator
POLICY = Policy(SERVICE, {
    **{name: _WEB for name in ("PlaceOrder", "GetOrder", "ListOrders", "CancelOrder",
                               "ChangeStatus", "GetCart", "AddToCart", "SetCartItem",
                               "Checkout")},
    # The web may call these (the service refuses every user); only the certificates named
    # in ``system`` may assert the system principal they need. The shop's own sweep runs in
    # the process that hosts ordering, so over gRPC only an operator sweeps.
    "ReencryptUserReferences": _WEB | _OPERATOR, "Sweep": _WEB | _OPERATOR,
    "ForgetUser": _WEB | _ERASURE,
}, system={"ForgetUser": _ERASURE, "Sweep": _OPERATOR, "ReencryptUserReferences": _OPERATOR})


def _principal() -> Principal | None:
    """The caller the host verified (None without a token): the service decides."""
    return call_context.principal()


class OrderingServicer(pb_grpc.OrderingServicer):
    def __init__(self, service: OrderingService) -> None:
        self._s = service

    def PlaceOrder(self, req: pb.PlaceOrderRequest, ctx: grpc.ServicerContext) -> Any:
        key = req.idempotency_key if req.HasField("idempotency_key") else None
        order = self._s.place_order(_principal(), codec.items_from_pb(req.items), key)
        return codec.order_to_pb(order)

    def GetOrder(self, req: pb.OrderId, ctx: grpc.ServicerContext) -> Any:
        return codec.order_to_pb(self._s.get_order(_principal(), req.order_id))

    def ListOrders(self, req: pb.ListOrdersRequest, ctx: grpc.ServicerContext) -> Any:
        user_id = req.user_id if req.HasField("user_id") else None
        filters = OrderFilter(**{name: getattr(req, name) if req.HasField(name) else None
                                 for name in ("status", "created_from", "created_to")})
        return codec.page_to_pb(self._s.list_orders(_principal(), req.page, req.page_size,
                                                    user_id, filters))

    def CancelOrder(self, req: pb.OrderId, ctx: grpc.ServicerContext) -> Any:
        return codec.order_to_pb(self._s.cancel_order(_principal(), req.order_id))

    def ChangeStatus(self, req: pb.ChangeStatusRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.order_to_pb(self._s.change_status(_principal(), req.order_id, req.status))

    def GetCart(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return codec.cart_to_pb(self._s.get_cart(_principal()))

    def AddToCart(self, req: pb.CartItemRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.cart_to_pb(self._s.add_to_cart(_principal(), req.product_id, req.quantity))

    def SetCartItem(self, req: pb.CartItemRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.cart_to_pb(self._s.set_cart_item(_principal(), req.product_id,
                                                      req.quantity))

    def Checkout(self, req: pb.CheckoutRequest, ctx: grpc.ServicerContext) -> Any:
        key = req.idempotency_key if req.HasField("idempotency_key") else None
        return codec.order_to_pb(self._s.checkout(_principal(), key))

    def ForgetUser(self, req: pb.UserId, ctx: grpc.ServicerContext) -> Any:
        return pb.Count(count=self._s.forget_user(_principal(), req.user_id))

    def ReencryptUserReferences(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return pb.Count(count=self._s.reencrypt_user_references(call_context.principal()))


    def Sweep(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return codec.sweep_to_pb(self._s.sweep(_principal()))


def registration(service: OrderingService) -> Registration:
    servicer = OrderingServicer(service)
    return Registration(SERVICE, lambda server: pb_grpc.add_OrderingServicer_to_server(
        servicer, server), POLICY)
