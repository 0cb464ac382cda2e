"""Reliability: 50 buyers race for 10 items; exactly 10 orders, stock 0, never negative.

Runs on SQLite (BEGIN IMMEDIATE) and on PostgreSQL (row locks) when TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from flask import Flask

from app.bootstrap import Services
from app.catalog.contract import InsufficientStock
from app.config import Settings
from app.ordering.contract import OrderItem
from app.platform.clock import FrozenClock
from app.platform.db import current
from tests.conftest import make_app
from tests.shop_helpers import add_product, principal, stock_of

BUYERS = 50
STOCK = 10


def race(app: Flask, services: Services, work: object) -> Counter[str]:
    """Run ``work()`` in BUYERS threads released at the same instant; count outcomes."""
    barrier = threading.Barrier(BUYERS)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def buyer() -> None:
        with app.app_context():
            barrier.wait()
            try:
                work()  # type: ignore[operator]
                outcome = "ok"
            except InsufficientStock:
                outcome = "insufficient_stock"
            except Exception as exc:  # anything else is a bug the assertion will show
                outcome = type(exc).__name__
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=buyer) for _ in range(BUYERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def fifty_buyers(app: Flask, services: Services) -> None:
    assert services.ordering is not None
    with app.app_context():
        user = services.accounts.register("racer", "racer@example.com",
                                          "correct horse battery staple")
    product = add_product(app, services, "LAST", stock=STOCK)
    ordering, buyer = services.ordering, principal(user.id)

    outcomes = race(app, services, lambda: ordering.place_order(
        buyer, (OrderItem(product, 1),)))

    assert outcomes == Counter({"ok": STOCK, "insufficient_stock": BUYERS - STOCK}), outcomes
    assert stock_of(app, services, product) == 0
    with app.app_context():
        assert ordering.list_orders(buyer, 1, 100).total == STOCK


def test_fifty_concurrent_buyers_never_oversell_on_sqlite(app: Flask,
                                                          services: Services) -> None:
    fifty_buyers(app, services)


@pytest.fixture
def pg_app(pg_settings: Settings, clock: FrozenClock) -> Iterator[Flask]:
    app = make_app(pg_settings, clock)
    yield app
    with app.app_context():
        current().dispose()


@pytest.mark.postgres
def test_fifty_concurrent_buyers_never_oversell_on_postgresql(pg_app: Flask) -> None:
    fifty_buyers(pg_app, pg_app.extensions["shop.services"])


def test_concurrent_retries_with_one_idempotency_key_make_one_order(
        app: Flask, services: Services) -> None:
    assert services.ordering is not None
    with app.app_context():
        user = services.accounts.register("retry", "retry@example.com",
                                          "correct horse battery staple")
    product = add_product(app, services, "ONE", stock=STOCK)
    ordering, buyer = services.ordering, principal(user.id)
    results: list[str] = []

    def work() -> None:
        results.append(ordering.place_order(buyer, (OrderItem(product, 2),),
                                            idempotency_key="same-checkout").id)

    outcomes = race(app, services, work)
    assert outcomes == Counter({"ok": BUYERS}), outcomes
    assert len(set(results)) == 1
    assert stock_of(app, services, product) == STOCK - 2


@pytest.mark.postgres
def test_concurrent_idempotent_retries_on_postgresql(pg_app: Flask) -> None:
    test_concurrent_retries_with_one_idempotency_key_make_one_order(
        pg_app, pg_app.extensions["shop.services"])
