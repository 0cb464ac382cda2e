"""``CatalogService`` over gRPC: the same contract and errors as the in-process service.

Reads and the reservation commands (idempotent by reservation id) are retried by gRPC's retry
policy; creating a product is not.
"""

from __future__ import annotations

from app import kernel
from app.catalog import contract
from app.catalog import grpc_codec as codec
from app.catalog.contract import (
    CategoryView,
    ProductChanges,
    ProductDraft,
    ProductQuery,
    ProductView,
    Reservation,
    ReservationLine,
)
from app.catalog.grpc_server import SERVICE
from app.kernel import Page, Principal
from app.platform.audit import AuditTrail
from app.platform.grpc.breaker import ConcurrentBreaker
from app.platform.grpc.client import RemoteModule
from app.platform.grpc.errors import error_registry
from app.platform.grpc.settings import TransportSettings
from protos.generated import catalog_pb2 as pb
from protos.generated import catalog_pb2_grpc as pb_grpc

IDEMPOTENT = ("ListProducts", "GetProduct", "ListCategories", "UpdateProduct",
              "DeactivateProduct", "Reserve", "Confirm", "Release", "ReleaseStale")
ERRORS = error_registry(vars(contract).values(), vars(kernel).values())


class GrpcCatalogClient:
    def __init__(self, settings: TransportSettings, audit: AuditTrail,
                 remote: RemoteModule | None = None,
                 breaker: ConcurrentBreaker | None = None) -> None:
        self.remote = remote or RemoteModule(
            module="catalog", service=SERVICE, stub_class=pb_grpc.CatalogStub,
            idempotent=IDEMPOTENT, errors=ERRORS, settings=settings, audit=audit,
            breaker=breaker)

    def list_products(self, principal: Principal | None, query: ProductQuery,
                      include_inactive: bool = False) -> Page[ProductView]:
        reply = self.remote.call("ListProducts", codec.query_to_pb(query, include_inactive),
                                 principal)
        return codec.page_from_pb(reply)

    def get_product(self, principal: Principal | None, product_id: str,
                    include_inactive: bool = False) -> ProductView:
        reply = self.remote.call("GetProduct", pb.GetProductRequest(
            product_id=product_id, include_inactive=include_inactive), principal)
        return codec.product_from_pb(reply)

    def list_categories(self) -> tuple[CategoryView, ...]:
        return codec.categories_from_pb(self.remote.call("ListCategories", pb.Empty()))

    def create_product(self, admin: Principal | None, draft: ProductDraft) -> ProductView:
        reply = self.remote.call("CreateProduct", codec.draft_to_pb(draft), principal=admin)
        return codec.product_from_pb(reply)

    def update_product(self, admin: Principal | None, product_id: str, changes: ProductChanges
                       ) -> ProductView:
        reply = self.remote.call("UpdateProduct", codec.changes_to_pb(product_id, changes),
                                 principal=admin)
        return codec.product_from_pb(reply)

    def deactivate_product(self, admin: Principal | None, product_id: str) -> None:
        self.remote.call("DeactivateProduct", pb.ProductId(product_id=product_id),
                         principal=admin)

    def reserve(self, principal: Principal | None, reservation_id: str,
                lines: tuple[ReservationLine, ...]) -> Reservation:
        reply = self.remote.call("Reserve", pb.ReserveRequest(
            reservation_id=reservation_id, lines=codec.lines_to_pb(lines)), principal)
        return codec.reservation_from_pb(reply)

    def confirm(self, principal: Principal | None, reservation_id: str) -> Reservation:
        reply = self.remote.call("Confirm", pb.ReservationId(reservation_id=reservation_id),
                                 principal)
        return codec.reservation_from_pb(reply)

    def release(self, principal: Principal | None, reservation_id: str) -> Reservation:
        reply = self.remote.call("Release", pb.ReservationId(reservation_id=reservation_id),
                                 principal)
        return codec.reservation_from_pb(reply)

    def release_stale(self, principal: Principal | None, older_than_seconds: int) -> int:
        reply = self.remote.call("ReleaseStale",
                                 pb.ReleaseStaleRequest(older_than_seconds=older_than_seconds),
                                 principal)
        return int(reply.count)
