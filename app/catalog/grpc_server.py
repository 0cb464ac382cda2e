"""The catalog module served over gRPC: each method calls the real service.

Each method passes on the principal the host's gatekeeper verified (None without a token) and
the service decides; nothing here does. Reservations are for the ordering module only (for
the user whose order it is, or as the system for its compensations and sweep); the web layer
reads and manages products. ``POLICY`` lists which calling modules may call which method.
"""

from __future__ import annotations

from typing import Any

import grpc

from app.catalog import grpc_codec as codec
from app.catalog.contract import CatalogService
from app.kernel import Principal
from app.platform import call_context
from app.platform.grpc.server import Policy, Registration
from protos.generated import catalog_pb2 as pb
from protos.generated import catalog_pb2_grpc as pb_grpc

SERVICE = "shop.catalog.v1.Catalog"
_READERS = frozenset({"web", "ordering"})
_WEB = frozenset({"web"})
_ORDERING = frozenset({"ordering"})
_OPERATOR = frozenset({"operator"})
POLICY = Policy(SERVICE, {
    # Public reads; an operator command may read as the system too (e.g. to find a product).
    "ListProducts": _READERS | _OPERATOR, "GetProduct": _READERS | _OPERATOR,
    "ListCategories": _READERS,
    "CreateProduct": _WEB, "UpdateProduct": _WEB, "DeactivateProduct": _WEB,
    # an administrator (web), the operator command and the order sweep
    "ReleaseStale": _WEB | _ORDERING | _OPERATOR,
    "Reserve": _ORDERING, "Confirm": _ORDERING, "Release": _ORDERING,
}, system={"ListProducts": _OPERATOR, "GetProduct": _OPERATOR,
           "ReleaseStale": _ORDERING | _OPERATOR,
           "Reserve": _ORDERING, "Confirm": _ORDERING, "Release": _ORDERING})


def _principal() -> Principal | None:
    return call_context.principal()


class CatalogServicer(pb_grpc.CatalogServicer):
    def __init__(self, service: CatalogService) -> None:
        self._s = service

    def ListProducts(self, req: pb.ProductQuery, ctx: grpc.ServicerContext) -> Any:
        page = self._s.list_products(_principal(), codec.query_from_pb(req),
                                     req.include_inactive)
        return codec.page_to_pb(page)

    def GetProduct(self, req: pb.GetProductRequest, ctx: grpc.ServicerContext) -> Any:
        return codec.product_to_pb(self._s.get_product(_principal(), req.product_id,
                                                       req.include_inactive))

    def ListCategories(self, req: pb.Empty, ctx: grpc.ServicerContext) -> Any:
        return codec.categories_to_pb(self._s.list_categories())

    def CreateProduct(self, req: pb.ProductDraft, ctx: grpc.ServicerContext) -> Any:
        return codec.product_to_pb(self._s.create_product(_principal(), codec.draft_from_pb(req)))

    def UpdateProduct(self, req: pb.UpdateProductRequest, ctx: grpc.ServicerContext) -> Any:
        product = self._s.update_product(_principal(), req.product_id,
                                         codec.changes_from_pb(req))
        return codec.product_to_pb(product)

    def DeactivateProduct(self, req: pb.ProductId, ctx: grpc.ServicerContext) -> Any:
        self._s.deactivate_product(_principal(), req.product_id)
        return pb.Empty()

    def Reserve(self, req: pb.ReserveRequest, ctx: grpc.ServicerContext) -> Any:
        reservation = self._s.reserve(_principal(), req.reservation_id,
                                      codec.lines_from_pb(req.lines))
        return codec.reservation_to_pb(reservation)

    def Confirm(self, req: pb.ReservationId, ctx: grpc.ServicerContext) -> Any:
        return codec.reservation_to_pb(self._s.confirm(_principal(), req.reservation_id))

    def Release(self, req: pb.ReservationId, ctx: grpc.ServicerContext) -> Any:
        return codec.reservation_to_pb(self._s.release(_principal(), req.reservation_id))

    def ReleaseStale(self, req: pb.ReleaseStaleRequest, ctx: grpc.ServicerContext) -> Any:
        return pb.Count(count=self._s.release_stale(_principal(), req.older_than_seconds))


def registration(service: CatalogService) -> Registration:
    servicer = CatalogServicer(service)
    return Registration(SERVICE, lambda server: pb_grpc.add_CatalogServicer_to_server(
        servicer, server), POLICY)
