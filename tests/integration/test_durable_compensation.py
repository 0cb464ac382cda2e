"""Durable compensation: the catalog host process is killed (SIGKILL) under order load.

Reservations whose release could not reach the catalog used to stay held for ever (only the
manual ``inventory release-stale`` gave them back), so afterwards the catalog had more units
taken than the live orders held. Now every release is recorded by ordering first and retried
by the in-shop sweep (a background thread of the web process, as in gunicorn), so within two
minutes of the catalog's return stock taken equals units in live orders again, with no
operator. An order cancelled during the outage is the case that fails deterministically on
the old code: its release was lost with the 503.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from app import start_background
from app.bootstrap import Services
from app.config import Settings
from app.platform.clock import FrozenClock
from app.platform.db import db
from tests.conftest import make_app
from tests.grpc_support import make_pki
from tests.integration.test_grpc_faults import HostProcess, free_port
from tests.shop_helpers import add_product, order, stock_of
from tests.support import Api

pytestmark = pytest.mark.slow
CLIENTS = 8
STOCK = 1_000


@pytest.fixture
def split(app: Flask, services: Services, settings: Settings,
          clock: FrozenClock) -> Iterator[dict[str, Any]]:
    """``web``: the shop with its catalog in a separate host process and the sweep running
    every second; ``app``/``services``: in-process, to seed and to read the truth."""
    make_pki(services.transport.pki_dir)
    port = free_port()
    web = make_app(settings.with_(order_sweep_interval=1.0, extra={
        "CATALOG_TRANSPORT": "grpc", "CATALOG_GRPC_TARGET": f"127.0.0.1:{port}",
        "GRPC_DEADLINE_SECONDS": "1.0", "GRPC_BREAKER_RESET_SECONDS": "0.5"}), clock)
    web_services: Services = web.extensions["shop.services"]
    host = HostProcess(settings, port, "catalog")
    host.start(web_services.catalog)
    products = [add_product(app, services, f"P{i}", stock=STOCK) for i in range(3)]
    start_background(web)
    yield {"web": web, "host": host, "products": products}
    for job in web_services.background:
        job.stop()
    host.stop()
    web_services.catalog.remote.close()  # type: ignore[union-attr]


def taken(app: Flask, services: Services, products: list[str]) -> int:
    return sum(STOCK - stock_of(app, services, p) for p in products)


def live_units(app: Flask) -> int:
    with app.app_context(), db.engines["ordering"].connect() as conn:
        return int(conn.execute(text(
            "SELECT coalesce(sum(l.quantity), 0) FROM ordering_order_lines l "
            "JOIN ordering_orders o ON o.id = l.order_id WHERE o.status <> 'cancelled'"))
            .scalar_one())


def shopper(web: Flask, services: Services, name: str, products: list[str],
            stop: threading.Event, statuses: list[int]) -> None:
    api = Api(web.test_client(), services)
    token = api.user(name)["access"]
    i = 0
    while not stop.is_set():
        i += 1
        response = order(api, token, (products[i % 3], 1), (products[(i + 1) % 3], 1))
        statuses.append(response.status_code)
        if response.status_code == 201 and i % 3 == 0:  # stay under the pending cap
            api.post(f"/api/orders/{response.get_json()['id']}/cancel/", token)


def test_stock_and_live_orders_agree_again_after_the_catalog_host_was_killed_mid_load(
        split: dict[str, Any], app: Flask, services: Services) -> None:
    web, host, products = split["web"], split["host"], split["products"]
    web_api = Api(web.test_client(), services)
    victim = web_api.user("victim")["access"]
    kept = order(web_api, victim, (products[0], 3))
    assert kept.status_code == 201
    stop, statuses = threading.Event(), []
    threads = [threading.Thread(target=shopper, args=(web, services, f"shopper{n}", products,
                                                      stop, statuses)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    host.kill()  # SIGKILL, mid-load
    cancelled = web_api.post(f"/api/orders/{kept.get_json()['id']}/cancel/", victim)
    assert cancelled.status_code == 200  # the cancel holds; its stock follows later
    time.sleep(5)
    host.start(web.extensions["shop.services"].catalog)
    time.sleep(2)
    stop.set()
    for thread in threads:
        thread.join(60)
    assert 201 in statuses and 503 in statuses, "the load must have crossed the outage"
    assert all(status in (201, 503) for status in statuses), set(statuses)
    deadline = time.monotonic() + 120  # the requirement: within 2 minutes, no operator
    while not settled(app, services, products) and time.monotonic() < deadline:
        time.sleep(1)
    assert taken(app, services, products) == live_units(app)
    assert waiting_releases(app) == 0


def waiting_releases(app: Flask) -> int:
    with app.app_context(), db.engines["ordering"].connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM ordering_pending_releases"))
                   .scalar_one())


def settled(app: Flask, services: Services, products: list[str]) -> bool:
    return waiting_releases(app) == 0 and taken(app, services, products) == live_units(app)
