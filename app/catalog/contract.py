"""The catalog module's public face: products, categories and inventory reservations.

Everything that crosses this boundary is plain data (str, int, bool, Decimal, tuples of frozen
dataclasses), so the same contract can be served in-process or over gRPC. Money is a
``Decimal`` with two places. Stock changes only through reservations: ``reserve`` takes every
line of an order in one call, ``confirm`` makes it final, ``release`` gives the stock back; all
three are idempotent by the caller's reservation id.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from app.kernel import Conflict, InvalidInput, NotFound, Page, Principal

ORDERINGS = ("name", "-name", "price", "-price", "created_at", "-created_at")
MAX_PRICE = Decimal("1000000.00")
MAX_PAGE_SIZE = 100


class ProductNotFound(NotFound):
    """No product with this id (or, for shoppers, it is deactivated)."""

    code = "product_not_found"


class ProductInactive(InvalidInput):
    """The product exists but is deactivated: it no longer sells."""

    code = "product_inactive"


class ProductExists(Conflict):
    """Another product already has this SKU."""

    code = "product_exists"


class InsufficientStock(Conflict):
    """Not enough stock for one line; ``product_id`` names it."""

    code = "insufficient_stock"

    def __init__(self, product_id: str, name: str = "") -> None:
        label = f"{name!r} ({product_id})" if name else product_id
        super().__init__(f"Not enough stock for product {label}.",
                         field_errors={"product_id": product_id})
        self.product_id = product_id


class ReservationConflict(Conflict):
    """The reservation id is already used with other lines, or is released / confirmed."""

    code = "reservation_conflict"


@dataclass(frozen=True, slots=True)
class ProductView:
    id: str
    sku: str
    name: str
    description: str
    category: str
    price: Decimal
    stock: int
    is_active: bool
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class ProductDraft:
    """A new product (admin input, already validated for shape at the edge)."""

    sku: str
    name: str
    category: str
    price: Decimal
    stock: int = 0
    description: str = ""
    is_active: bool = True


@dataclass(frozen=True, slots=True)
class ProductChanges:
    """What an admin changes on a product; ``None`` leaves a field as it is."""

    sku: str | None = None
    name: str | None = None
    description: str | None = None
    category: str | None = None
    price: Decimal | None = None
    stock: int | None = None
    is_active: bool | None = None


@dataclass(frozen=True, slots=True)
class ProductQuery:
    """Filters of the product list; ``search`` matches name and description literally."""

    search: str | None = None
    category: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None
    ordering: str = "name"
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True, slots=True)
class CategoryView:
    slug: str
    product_count: int


@dataclass(frozen=True, slots=True)
class ReservationLine:
    product_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ReservedLine:
    """A reserved line with the product's name, SKU and unit price at reservation time."""

    product_id: str
    sku: str
    name: str
    unit_price: Decimal
    quantity: int


@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    status: str  # "reserved" | "confirmed" | "released"
    lines: tuple[ReservedLine, ...]


class CatalogService(Protocol):
    """Products and stock. Every method is one short transaction; errors are contract errors."""

    def list_products(self, principal: Principal | None, query: ProductQuery,
                      include_inactive: bool = False) -> Page[ProductView]:
        """Active products matching ``query``; ``include_inactive`` adds the inactive ones for
        an administrator (for anyone else they stay hidden). Public: ``principal`` may be None.

        Raises InvalidInput for an unknown ordering, a bad page or price range. Read-only.
        """
        ...

    def get_product(self, principal: Principal | None, product_id: str,
                    include_inactive: bool = False) -> ProductView:
        """One product. Raises ProductNotFound (also for an inactive one, unless included for
        an administrator). Public: ``principal`` may be None."""
        ...

    def list_categories(self) -> tuple[CategoryView, ...]:
        """Categories that have active products, with their counts, by slug. Read-only."""
        ...

    def create_product(self, admin: Principal | None, draft: ProductDraft) -> ProductView:
        """Create a product. Raises PermissionDenied, InvalidInput, ProductExists."""
        ...

    def update_product(self, admin: Principal | None, product_id: str, changes: ProductChanges
                       ) -> ProductView:
        """Change a product (PUT and PATCH). Raises PermissionDenied, ProductNotFound,
        InvalidInput, ProductExists. Idempotent."""
        ...

    def deactivate_product(self, admin: Principal | None, product_id: str) -> None:
        """Stop listing and selling a product; old orders keep their snapshot.

        Raises PermissionDenied, ProductNotFound. Idempotent.
        """
        ...

    def reserve(self, principal: Principal | None, reservation_id: str,
                lines: tuple[ReservationLine, ...]) -> Reservation:
        """Saga step of the ordering module, for the user whose order it is or the system
        (Unauthenticated for nobody). Take stock for every line at once, all or nothing;
        snapshots name and price.

        Duplicate product ids are summed. Raises InvalidInput (no lines, quantity < 1),
        ProductNotFound, ProductInactive, InsufficientStock (naming the product; nothing is
        taken), ReservationConflict (the id was used with other lines or already released).
        Idempotent: the same id and lines return the first reservation without taking more.
        """
        ...

    def confirm(self, principal: Principal | None, reservation_id: str) -> Reservation:
        """Saga step (as ``reserve``): make a reservation final. Raises NotFound (unknown
        id), ReservationConflict (released). Idempotent."""
        ...

    def release(self, principal: Principal | None, reservation_id: str) -> Reservation:
        """Saga step (as ``reserve``): give the stock of a reserved or confirmed reservation
        back (compensation, cancel).

        Idempotent. Releasing an unknown id records it as released, so a late ``reserve``
        with that id (a retried call arriving after its compensation) is refused.
        """
        ...

    def release_stale(self, principal: Principal | None, older_than_seconds: int) -> int:
        """Operator/maintenance (an administrator or the system): release reservations still
        unconfirmed after ``older_than_seconds`` (their order never completed and its
        compensation could not reach the catalog). Returns how many were released. Idempotent."""
        ...


__all__ = [
    "MAX_PAGE_SIZE",
    "MAX_PRICE",
    "ORDERINGS",
    "CatalogService",
    "CategoryView",
    "InsufficientStock",
    "Page",
    "ProductChanges",
    "ProductDraft",
    "ProductExists",
    "ProductInactive",
    "ProductNotFound",
    "ProductQuery",
    "ProductView",
    "Reservation",
    "ReservationConflict",
    "ReservationLine",
    "ReservedLine",
]
