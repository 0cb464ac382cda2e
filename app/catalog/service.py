"""``DatabaseCatalogService``: the catalog contract over the catalog tables.

Products are managed here; stock moves only through ``app.catalog.inventory`` (reservations).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.catalog.contract import (
    MAX_PAGE_SIZE,
    MAX_PRICE,
    ORDERINGS,
    CategoryView,
    ProductChanges,
    ProductDraft,
    ProductExists,
    ProductNotFound,
    ProductQuery,
    ProductView,
    Reservation,
    ReservationLine,
)
from app.catalog.inventory import Inventory
from app.catalog.listing import (
    BY_ID,
    count_statement,
    page_statement,
    page_total,
    parameters,
    shape_of,
)
from app.catalog.models import Product
from app.kernel import InvalidInput, Page, PermissionDenied, Principal
from app.platform.audit import AuditTrail, SecurityEvent, Subject
from app.platform.authz import require_admin, require_admin_or_system, require_any
from app.platform.clock import Clock, utc
from app.platform.db import reading, unit_of_work

BIND = "catalog"
SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_STOCK = 1_000_000_000


CENT = Decimal("0.01")


def iso(when: datetime) -> str:
    # SQLite hands datetimes back without a zone; every value we store is UTC.
    return when.isoformat() if when.tzinfo else when.isoformat() + "+00:00"


def to_view(product: Any) -> ProductView:
    """A view of a Product entity."""
    return ProductView(
        id=product.id, sku=product.sku, name=product.name, description=product.description,
        category=product.category, price=Decimal(product.price).quantize(CENT),
        stock=product.stock, is_active=product.is_active, created_at=iso(product.created_at),
        updated_at=iso(product.updated_at),
    )


def row_view(row: Any) -> ProductView:
    """A view of a Core row that starts with ``listing.PRODUCT_COLUMNS`` (the view's field
    order): by position, the hot path of every product read."""
    (id_, sku, name, description, category, price, stock, is_active, created_at,
     updated_at) = row[:10]
    return ProductView(id_, sku, name, description, category, Decimal(price).quantize(CENT),
                       stock, is_active, iso(created_at), iso(updated_at))


@contextmanager
def sku_guard(sku: str) -> Iterator[None]:
    """The unique index decides (a pre-read could race with another admin)."""
    try:
        yield
    except IntegrityError:
        raise ProductExists(f"A product with SKU {sku!r} exists.",
                            field_errors={"sku": "already used"}) from None


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", field_errors={field: message})


def validate_fields(values: dict[str, Any]) -> None:
    """Check every given (not None) product field; raises InvalidInput naming the field."""
    checks = {
        "sku": lambda v: bool(SKU.match(v)),
        "name": lambda v: len(v.strip()) >= 1 and len(v) <= 200,
        "description": lambda v: len(v) <= 5000,
        "category": lambda v: len(v) <= 50 and bool(SLUG.match(v)),
        "price": lambda v: (v.is_finite() and Decimal("0") < v <= MAX_PRICE
                            and v == v.quantize(Decimal("0.01"))),
        "stock": lambda v: isinstance(v, int) and not isinstance(v, bool)
        and 0 <= v <= MAX_STOCK,
        "is_active": lambda v: isinstance(v, bool),
    }
    for name, value in values.items():
        if value is not None and not checks[name](value):
            raise _invalid(name, "is not a valid value")


class ListingCache:
    """Product-list pages kept for ``ttl`` seconds: the list is the shop's hottest read.

    Every catalog write in this process (products, reservations, releases) clears it at once;
    writes made by another process show after at most ``ttl``. So a listing's stock figure may
    lag by that much; placing an order never relies on it (reservations check the database).
    """

    def __init__(self, clock: Clock, ttl: float, size: int = 512) -> None:
        self._clock, self._ttl, self._size = clock, ttl, size
        self._pages: dict[tuple[Any, ...], tuple[float, Any]] = {}

    def get(self, key: tuple[Any, ...]) -> Any | None:
        hit = self._pages.get(key)
        return hit[1] if hit and self._clock.time() - hit[0] < self._ttl else None

    def put(self, key: tuple[Any, ...], page: Any) -> None:
        if self._ttl <= 0:
            return
        if len(self._pages) >= self._size:
            self._pages.clear()
        self._pages[key] = (self._clock.time(), page)

    def clear(self) -> None:
        self._pages.clear()


class DatabaseCatalogService:
    def __init__(self, *, audit: AuditTrail, clock: Clock, list_cache_ttl: float = 1.0) -> None:
        self.audit = audit
        self.clock = clock
        self.inventory = Inventory(clock)
        self.listings = ListingCache(clock, list_cache_ttl)

    # -- reading ------------------------------------------------------------------------

    def list_products(self, principal: Principal | None, query: ProductQuery,
                      include_inactive: bool = False) -> Page[ProductView]:
        include_inactive = include_inactive and _is_admin(principal)
        if query.ordering not in ORDERINGS:
            raise _invalid("ordering", f"one of {', '.join(ORDERINGS)}")
        if not 1 <= query.page_size <= MAX_PAGE_SIZE or query.page < 1:
            raise _invalid("page_size" if query.page >= 1 else "page", "out of range")
        if (query.min_price is not None and query.max_price is not None
                and query.min_price > query.max_price):
            raise _invalid("min_price", "greater than max_price")
        cache_key = (query, include_inactive)
        cached = self.listings.get(cache_key)
        if cached is not None:
            return cached
        page = self._query_page(query, include_inactive)
        self.listings.put(cache_key, page)
        return page

    def _query_page(self, query: ProductQuery, include_inactive: bool) -> Page[ProductView]:
        shape, values = shape_of(query, include_inactive), parameters(query)
        with reading(BIND) as connection:
            rows = connection.execute(page_statement(shape), values).all()
            total = page_total(values["offset"], values["limit"], len(rows))
            if total is None:
                total = connection.scalar(count_statement(shape), values) or 0
        items = tuple(map(row_view, rows))
        return Page(items=items, total=total, page=query.page, page_size=query.page_size)

    def get_product(self, principal: Principal | None, product_id: str,
                    include_inactive: bool = False) -> ProductView:
        include_inactive = include_inactive and _is_admin(principal)
        with reading(BIND) as connection:
            product = connection.execute(BY_ID, {"id": product_id}).first()
        if product is None or not (product.is_active or include_inactive):
            raise ProductNotFound("No such product.")
        return row_view(product)

    def list_categories(self) -> tuple[CategoryView, ...]:
        # Kept with the listings (the product list page shows both): same lifetime, same
        # clearing on every write in this process.
        cached: tuple[CategoryView, ...] | None = self.listings.get(("categories",))
        if cached is not None:
            return cached
        with reading(BIND) as connection:
            rows = connection.execute(
                select(Product.category, func.count()).where(Product.is_active.is_(True))
                .group_by(Product.category).order_by(Product.category))
            categories = tuple(CategoryView(slug=slug, product_count=count)
                               for slug, count in rows)
        self.listings.put(("categories",), categories)
        return categories

    # -- administration -----------------------------------------------------------------

    def _admin(self, principal: Principal | None, target: str, action: str) -> Principal:
        """Only an administrator manages products; a refused user is audited."""
        try:
            return require_admin(principal)
        except PermissionDenied:
            self.audit.record(SecurityEvent.AUTHZ_FAIL, outcome="failure",
                              actor=Subject(cast(Principal, principal).user_id),
                              target=target, action=action)
            raise

    def create_product(self, admin: Principal | None, draft: ProductDraft) -> ProductView:
        admin = self._admin(admin, draft.sku, "product_create")
        values = {f.name: getattr(draft, f.name) for f in fields(draft)}
        validate_fields(values)
        now = utc(self.clock)
        product = Product(id=str(uuid.uuid4()), created_at=now, updated_at=now, **values)
        with sku_guard(draft.sku), unit_of_work(BIND) as session:
            session.add(product)
        self.listings.clear()
        self.audit.record(SecurityEvent.ADMIN_ACTION, actor=Subject(admin.user_id),
                          target=product.id,
                          action="product_create", sku=product.sku)
        return to_view(product)

    def update_product(self, admin: Principal | None, product_id: str, changes: ProductChanges
                       ) -> ProductView:
        admin = self._admin(admin, product_id, "product_update")
        values = {f.name: getattr(changes, f.name) for f in fields(changes)}
        validate_fields(values)
        given = {k: v for k, v in values.items() if v is not None}
        with sku_guard(changes.sku or ""), unit_of_work(BIND) as session:
            product = self._locked(session, product_id)
            for name, value in given.items():
                setattr(product, name, value)
            product.updated_at = utc(self.clock)
        self.listings.clear()
        self.audit.record(SecurityEvent.ADMIN_ACTION, actor=Subject(admin.user_id),
                          target=product_id,
                          action="product_update", fields=sorted(given))
        return to_view(product)

    def deactivate_product(self, admin: Principal | None, product_id: str) -> None:
        admin = self._admin(admin, product_id, "product_deactivate")
        with unit_of_work(BIND) as session:
            product = self._locked(session, product_id)
            product.is_active = False
            product.updated_at = utc(self.clock)
        self.listings.clear()
        self.audit.record(SecurityEvent.ADMIN_ACTION, actor=Subject(admin.user_id),
                          target=product_id,
                          action="product_deactivate")

    @staticmethod
    def _locked(session: Session, product_id: str) -> Product:
        product = session.scalars(select(Product).where(Product.id == product_id)
                                  .with_for_update()).first()
        if product is None:
            raise ProductNotFound("No such product.")
        return product

    # -- inventory ----------------------------------------------------------------------

    def reserve(self, principal: Principal | None, reservation_id: str,
                lines: tuple[ReservationLine, ...]) -> Reservation:
        require_any(principal)
        try:
            return self.inventory.reserve(reservation_id, lines)
        finally:
            self.listings.clear()

    def confirm(self, principal: Principal | None, reservation_id: str) -> Reservation:
        require_any(principal)
        return self.inventory.confirm(reservation_id)

    def release(self, principal: Principal | None, reservation_id: str) -> Reservation:
        require_any(principal)
        try:
            return self.inventory.release(reservation_id)
        finally:
            self.listings.clear()

    def release_stale(self, principal: Principal | None, older_than_seconds: int) -> int:
        require_admin_or_system(principal)
        if older_than_seconds < 60:
            raise _invalid("older_than_seconds", "at least 60")
        released = self.inventory.release_stale(older_than_seconds)
        self.listings.clear()
        return released


def _is_admin(principal: Principal | None) -> bool:
    """Inactive products are shown to administrators only; for anyone else they stay hidden,
    as if they did not exist."""
    return principal is not None and principal.is_admin
