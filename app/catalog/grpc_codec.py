"""Catalog contract objects <-> protobuf messages (money as decimal strings)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from app.catalog.contract import (
    CategoryView,
    ProductChanges,
    ProductDraft,
    ProductQuery,
    ProductView,
    Reservation,
    ReservationLine,
    ReservedLine,
)
from app.kernel import InvalidInput, Page
from protos.generated import catalog_pb2 as pb


def _opt(msg: object, name: str) -> object | None:
    return getattr(msg, name) if msg.HasField(name) else None  # type: ignore[attr-defined]


def _decimal(text: str, name: str) -> Decimal:
    """A caller's decimal string; one that is no number is the caller's mistake
    (INVALID_ARGUMENT), not the host's (INTERNAL)."""
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"{name}: is not a number",
                           field_errors={name: "is not a number"}) from None


def _opt_decimal(msg: object, name: str) -> Decimal | None:
    value = _opt(msg, name)
    return _decimal(str(value), name) if value is not None else None


def product_to_pb(p: ProductView) -> pb.Product:
    return pb.Product(id=p.id, sku=p.sku, name=p.name, description=p.description,
                      category=p.category, price=str(p.price), stock=p.stock,
                      is_active=p.is_active, created_at=p.created_at, updated_at=p.updated_at)


def product_from_pb(m: pb.Product) -> ProductView:
    return ProductView(id=m.id, sku=m.sku, name=m.name, description=m.description,
                       category=m.category, price=Decimal(m.price), stock=m.stock,
                       is_active=m.is_active, created_at=m.created_at, updated_at=m.updated_at)


def query_to_pb(q: ProductQuery, include_inactive: bool) -> pb.ProductQuery:
    msg = pb.ProductQuery(ordering=q.ordering, page=q.page, page_size=q.page_size,
                          include_inactive=include_inactive)
    for name in ("search", "category", "in_stock"):
        if getattr(q, name) is not None:
            setattr(msg, name, getattr(q, name))
    for name in ("min_price", "max_price"):
        if getattr(q, name) is not None:
            setattr(msg, name, str(getattr(q, name)))
    return msg


def query_from_pb(m: pb.ProductQuery) -> ProductQuery:
    return ProductQuery(search=_opt(m, "search"), category=_opt(m, "category"),  # type: ignore[arg-type]
                        min_price=_opt_decimal(m, "min_price"),
                        max_price=_opt_decimal(m, "max_price"),
                        in_stock=_opt(m, "in_stock"),  # type: ignore[arg-type]
                        ordering=m.ordering, page=m.page, page_size=m.page_size)


def page_to_pb(page: Page[ProductView]) -> pb.ProductPage:
    return pb.ProductPage(items=[product_to_pb(p) for p in page.items], total=page.total,
                          page=page.page, page_size=page.page_size)


def page_from_pb(m: pb.ProductPage) -> Page[ProductView]:
    return Page(items=tuple(product_from_pb(p) for p in m.items), total=m.total, page=m.page,
                page_size=m.page_size)


def categories_to_pb(items: tuple[CategoryView, ...]) -> pb.Categories:
    return pb.Categories(items=[pb.Category(slug=c.slug, product_count=c.product_count)
                                for c in items])


def categories_from_pb(m: pb.Categories) -> tuple[CategoryView, ...]:
    return tuple(CategoryView(slug=c.slug, product_count=c.product_count) for c in m.items)


def draft_to_pb(d: ProductDraft) -> pb.ProductDraft:
    return pb.ProductDraft(sku=d.sku, name=d.name, category=d.category, price=str(d.price),
                           stock=d.stock, description=d.description, is_active=d.is_active)


def draft_from_pb(m: pb.ProductDraft) -> ProductDraft:
    return ProductDraft(sku=m.sku, name=m.name, category=m.category,
                        price=_decimal(m.price, "price"),
                        stock=m.stock, description=m.description, is_active=m.is_active)


def changes_to_pb(product_id: str, c: ProductChanges) -> pb.UpdateProductRequest:
    msg = pb.UpdateProductRequest(product_id=product_id)
    for name in ("sku", "name", "description", "category", "stock", "is_active"):
        if getattr(c, name) is not None:
            setattr(msg, name, getattr(c, name))
    if c.price is not None:
        msg.price = str(c.price)
    return msg


def changes_from_pb(m: pb.UpdateProductRequest) -> ProductChanges:
    return ProductChanges(
        sku=_opt(m, "sku"), name=_opt(m, "name"),  # type: ignore[arg-type]
        description=_opt(m, "description"), category=_opt(m, "category"),  # type: ignore[arg-type]
        price=_opt_decimal(m, "price"), stock=_opt(m, "stock"),  # type: ignore[arg-type]
        is_active=_opt(m, "is_active"))  # type: ignore[arg-type]


def lines_to_pb(lines: tuple[ReservationLine, ...]) -> list[pb.ReservationLine]:
    return [pb.ReservationLine(product_id=x.product_id, quantity=x.quantity) for x in lines]


def lines_from_pb(lines: object) -> tuple[ReservationLine, ...]:
    return tuple(ReservationLine(product_id=x.product_id, quantity=x.quantity)
                 for x in lines)  # type: ignore[attr-defined]


def reservation_to_pb(r: Reservation) -> pb.Reservation:
    return pb.Reservation(id=r.id, status=r.status, lines=[
        pb.ReservedLine(product_id=x.product_id, sku=x.sku, name=x.name,
                        unit_price=str(x.unit_price), quantity=x.quantity) for x in r.lines])


def reservation_from_pb(m: pb.Reservation) -> Reservation:
    return Reservation(id=m.id, status=m.status, lines=tuple(
        ReservedLine(product_id=x.product_id, sku=x.sku, name=x.name,
                     unit_price=Decimal(x.unit_price), quantity=x.quantity) for x in m.lines))
