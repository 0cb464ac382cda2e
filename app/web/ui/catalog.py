"""Home, the product list (search, filters, sort, pages) and product detail. Browsing needs no
account; the list takes the same parameters, with the same validation, as ``/api/products/``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, request
from pydantic import ValidationError
from werkzeug.wrappers import Response

from app.catalog.contract import CatalogService, ProductQuery, ProductView
from app.kernel import InvalidInput, Page
from app.web.api.catalog_schemas import ProductListQuery
from app.web.ui import Ui
from app.web.ui.common import page
from app.web.ui.forms import QuantityForm

SORTS = (("name", "Name (A to Z)"), ("-name", "Name (Z to A)"), ("price", "Price (low to high)"),
         ("-price", "Price (high to low)"), ("-created_at", "Newest first"),
         ("created_at", "Oldest first"))
MESSAGES = {
    "search": "Search must be 100 characters or fewer",
    "category": "Choose a category from the list",
    "min_price": "Minimum price must be an amount from 0 to 1000000, like 12.50",
    "max_price": "Maximum price must be an amount from 0 to 1000000, like 12.50",
    "in_stock": "In stock must be ticked or not",
    "ordering": "Choose a sort order from the list",
    "page": "Page must be a whole number of at least 1",
    "page_size": "Page size must be a whole number from 1 to 100",
}
LOW_STOCK = 5


def validate_query(args: dict[str, str]) -> tuple[ProductListQuery | None, dict[str, str]]:
    """The API's query model over the form's values; empty fields mean "no filter"."""
    values = {k: v for k, v in args.items() if v != ""}
    try:
        return ProductListQuery.model_validate(values), {}
    except ValidationError as error:
        problems: dict[str, str] = {}
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else ""
            problems.setdefault(name, MESSAGES.get(name, f"Unknown filter '{name}'"))
        return None, problems


@dataclass(frozen=True, slots=True)
class Card:
    """A product as the list shows it, formatted once here rather than in the template."""

    id: str
    name: str
    price: str
    category: str
    stock_class: str
    stock_text: str

    @classmethod
    def of(cls, product: ProductView) -> Card:
        css, label = stock_state(product.stock)
        return cls(product.id, product.name, f"{product.price:.2f}", product.category, css,
                   label)


def stock_state(stock: int) -> tuple[str, str]:
    if stock <= 0:
        return "stock-out", "Out of stock"
    if stock <= LOW_STOCK:
        return "stock-low", f"Only {stock} left"
    return "stock-ok", "In stock"


def _list(catalog: CatalogService, q: ProductListQuery) -> Page[Any]:
    return catalog.list_products(None, ProductQuery(
        search=q.search or None, category=q.category, min_price=q.min_price,
        max_price=q.max_price, in_stock=q.in_stock, ordering=q.ordering, page=q.page,
        page_size=q.page_size))


def blueprint(ui: Ui) -> Blueprint:
    bp = ui.blueprint("catalog", __name__)
    catalog = ui.services.catalog
    assert catalog is not None, "the catalog service is wired in app/bootstrap.py"

    @bp.get("/")
    def home() -> Response:
        newest = catalog.list_products(None, ProductQuery(ordering="-created_at", page_size=4,
                                                    in_stock=True))
        return page("catalog/home.html", products=newest.items,
                    categories=catalog.list_categories(), stock_state=stock_state)

    @bp.get("/products/")
    def products() -> Response:
        # The filter form is plain markup in the template (the shop's hottest page: wtforms
        # widgets cost more than the rest of the page); the API's schema validates it.
        args = request.args.to_dict()
        q, problems = validate_query(args)
        results = None
        if q is not None:
            try:
                results = _list(catalog, q)
            except InvalidInput as error:
                problems = {n: MESSAGES.get(n, error.detail) for n in error.field_errors}
                problems = problems or {"": error.detail}
                if "min_price" in problems:
                    problems = {"min_price": "Minimum price must not be more than maximum price"}
        link_args = {k: v for k, v in args.items() if k != "page" and v != ""}
        cards = [Card.of(p) for p in results.items] if results is not None else []
        return page("catalog/products.html", status=400 if problems else 200, values=args,
                    errors=problems, categories=catalog.list_categories(), sorts=SORTS,
                    results=results, cards=cards, link_args=link_args,
                    searched=args.get("search", ""))

    @bp.get("/products/<product_id>/")
    def product(product_id: str) -> Response:
        item = catalog.get_product(None, product_id[:64])
        return page("catalog/product.html", product=item, stock_state=stock_state,
                    form=QuantityForm(product_id=item.id, quantity=1))

    return bp
