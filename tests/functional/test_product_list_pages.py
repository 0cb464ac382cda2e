"""A product-list page costs one page of rows, whatever the catalogue's size.

The total comes from a count only when the page cannot tell it (a full page, or an empty one
past the start); the rows come in an order an index gives, so the database never builds and
sorts every matching product to hand out twenty (a window count did: 1.5 ms per list at 1,000
products on SQLite, and growing with the catalogue).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.catalog.contract import ProductDraft, ProductQuery
from app.catalog.listing import page_statement, page_total, shape_of
from app.kernel import Principal
from app.platform.db import current

ADMIN = Principal("list-admin", "admin", "j", "s", 0, 0)


@pytest.mark.parametrize(("offset", "limit", "rows", "total"), [
    (0, 20, 0, 0),        # nothing matches
    (0, 20, 7, 7),        # one short page: all of it
    (40, 20, 3, 43),      # the last, short, page
    (0, 20, 20, None),    # a full page: more may follow
    (40, 20, 0, None),    # past the end: the matches may have ended anywhere before
])
def test_page_total(offset: int, limit: int, rows: int, total: int | None) -> None:
    assert page_total(offset, limit, rows) == total


@pytest.fixture
def catalog(app: Flask) -> Any:
    services = app.extensions["shop.services"]
    for n in range(5):
        services.catalog.create_product(ADMIN, ProductDraft(
            sku=f"PAGE-{n}", name=f"Item {n}", category="pages", price=Decimal("1.00"),
            stock=1))
    return services.catalog


@pytest.fixture
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    yield seen
    event.remove(Engine, "before_cursor_execute", record)


@pytest.mark.parametrize(("page", "size", "count", "items", "queries"), [
    (1, 2, 5, 2, 2),    # full page: the count runs
    (3, 2, 5, 1, 1),    # the last page tells the total itself
    (1, 10, 5, 5, 1),   # one page holds all
    (4, 2, 5, 0, 2),    # past the end: the count says how many there are
])
def test_totals_are_right_and_counted_only_when_needed(
        catalog: Any, statements: list[str], page: int, size: int, count: int, items: int,
        queries: int) -> None:
    result = catalog.list_products(None, ProductQuery(category="pages", page=page,
                                                      page_size=size))
    assert (result.total, len(result.items)) == (count, items)
    assert len(statements) == queries, statements


def test_the_default_page_is_read_in_index_order(app: Flask) -> None:
    """No sort of every matching row before the page is taken (SQLite's plan)."""
    with app.app_context():
        engine = current().engine("catalog")
    if engine.dialect.name != "sqlite":
        pytest.skip("the query plan checked is SQLite's")
    statement = page_statement(shape_of(ProductQuery(), False))
    sql = str(statement.compile(engine))
    with engine.connect() as connection:
        plan = " | ".join(str(row[-1]) for row in connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + sql, (20, 0)))
    assert "ix_catalog_products_active_name" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
