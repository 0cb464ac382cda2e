"""Reliability: a failure after the reservation gives the stock back and leaves no order.

Faults are injected into the real database path (a statement that raises), not by mocking
the services: the saga must clean up whatever the database refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from app.bootstrap import Services
from app.platform.db import db
from tests.shop_helpers import add_product, order, stock_of
from tests.support import Api


@contextmanager
def failing(app: Flask, bind: str, match: Any, error: Exception) -> Iterator[None]:
    """Make every statement on ``bind`` for which ``match(sql, params)`` is true raise."""
    with app.app_context():
        engine = db.engines[bind]

    def before(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if match(statement, params):
            raise error

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)


def order_rows(app: Flask) -> int:
    with app.app_context(), db.engines["ordering"].connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM ordering_orders")).scalar_one())


def reservation_statuses(app: Flask) -> list[str]:
    with app.app_context(), db.engines["catalog"].connect() as conn:
        return list(conn.execute(text("SELECT status FROM catalog_reservations")).scalars())


@pytest.fixture
def buyer(api: Api) -> dict[str, Any]:
    return api.user("buyer")


@pytest.fixture
def products(app: Flask, services: Services) -> tuple[str, str]:
    return add_product(app, services, "A", stock=5), add_product(app, services, "B", stock=5)


def test_order_insert_failure_releases_the_reservation(api: Api, app: Flask,
                                                       services: Services, buyer: dict,
                                                       products: tuple[str, str]) -> None:
    a, b = products
    boom = RuntimeError("disk full while inserting the order")
    with failing(app, "ordering", lambda sql, _p: sql.startswith("INSERT INTO ordering_orders"),
                 boom):
        response = order(api, buyer["access"], (a, 2), (b, 3))
    assert response.status_code == 500
    assert "disk full" not in response.get_data(as_text=True)
    assert (stock_of(app, services, a), stock_of(app, services, b)) == (5, 5)
    assert order_rows(app) == 0
    assert reservation_statuses(app) == ["released"]


def test_confirm_failure_deletes_the_order_and_releases(api: Api, app: Flask,
                                                        services: Services, buyer: dict,
                                                        products: tuple[str, str]) -> None:
    a, _ = products

    def confirming(sql: str, params: Any) -> bool:
        text_params = str(params)  # the release sets "released"; only the confirm fails
        return (sql.startswith("UPDATE catalog_reservations") and "confirmed" in text_params
                and "released" not in text_params)

    with failing(app, "catalog", confirming, RuntimeError("catalog crashed mid-confirm")):
        response = order(api, buyer["access"], (a, 2), key="confirm-fails")
    assert response.status_code == 500
    assert stock_of(app, services, a) == 5
    assert order_rows(app) == 0
    # The key had been marked with the order that compensation removed: a retry must work.
    retried = order(api, buyer["access"], (a, 2), key="confirm-fails")
    assert retried.status_code == 201, retried.get_json()
    assert stock_of(app, services, a) == 3


def test_catalog_unavailable_is_503_and_changes_nothing(api: Api, app: Flask,
                                                        services: Services, buyer: dict,
                                                        products: tuple[str, str]) -> None:
    a, _ = products
    down = OperationalError("SELECT 1", {}, ConnectionRefusedError("catalog db down"))
    with failing(app, "catalog", lambda _s, _p: True, down):
        response = order(api, buyer["access"], (a, 1), key="during-outage")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert order_rows(app) == 0
    assert stock_of(app, services, a) == 5
    # The failed attempt did not burn its idempotency key: the retry after recovery works.
    assert order(api, buyer["access"], (a, 1), key="during-outage").status_code == 201


def test_ordering_database_down_is_503_and_stock_is_unchanged(
        api: Api, app: Flask, services: Services, buyer: dict,
        products: tuple[str, str]) -> None:
    a, _ = products
    down = OperationalError("INSERT", {}, ConnectionRefusedError("ordering db down"))
    with failing(app, "ordering", lambda sql, _p: sql.startswith("INSERT INTO ordering_orders"),
                 down):
        response = order(api, buyer["access"], (a, 4))
    assert response.status_code == 503
    assert stock_of(app, services, a) == 5
    with app.app_context(), db.engines["ordering"].connect() as conn:
        assert conn.execute(select(func.count()).select_from(
            text("ordering_order_lines"))).scalar_one() == 0


def test_reply_lost_after_the_catalog_reserved_still_gives_stock_back(
        app: Flask, api: Api, services: Services, buyer: dict[str, Any],
        products: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault: the reservation commits but its answer never arrives (a dropped reply)."""
    from app.kernel import Unavailable

    catalog = services.catalog  # the in-process boundary the ordering module calls
    real_reserve = catalog.reserve  # type: ignore[union-attr]

    def reserve_then_lose_the_reply(*args: Any, **kwargs: Any) -> Any:
        real_reserve(*args, **kwargs)
        raise Unavailable("The catalog service is unavailable.")

    monkeypatch.setattr(catalog, "reserve", reserve_then_lose_the_reply)
    response = order(api, buyer["access"], (products[0], 2))
    assert response.status_code == 503
    assert stock_of(app, services, products[0]) == 5
    assert order_rows(app) == 0
    assert reservation_statuses(app) == ["released"]
