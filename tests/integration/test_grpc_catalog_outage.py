"""The catalog host process killed under the shop: orders answer 503 fast and change nothing,
the breaker opens after 5 failures and recovers when the host is back; orders for products
that do not exist (anyone can send them) never open it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.bootstrap import Services
from app.config import Settings
from app.platform.clock import FrozenClock
from tests.conftest import make_app
from tests.grpc_support import make_pki
from tests.integration.test_grpc_faults import HostProcess, free_port
from tests.shop_helpers import add_product, order, stock_of
from tests.support import Api

DEADLINE = 1.0


@pytest.fixture
def shop(app: Flask, services: Services, settings: Settings,
         clock: FrozenClock) -> Iterator[dict[str, Any]]:
    """``app``/``services``: everything in-process (to seed and to read stock behind the
    API); ``web``: the shop with its catalog behind a separate host process."""
    make_pki(services.transport.pki_dir)
    port = free_port()
    web = make_app(settings.with_(extra={
        "CATALOG_TRANSPORT": "grpc", "CATALOG_GRPC_TARGET": f"127.0.0.1:{port}",
        "GRPC_DEADLINE_SECONDS": str(DEADLINE), "GRPC_BREAKER_RESET_SECONDS": "0.5"}), clock)
    web_services: Services = web.extensions["shop.services"]
    host = HostProcess(settings, port, "catalog")
    host.start(web_services.catalog)
    api = Api(web.test_client(), services)
    yield {"web": web_services, "host": host, "api": api, "alice": api.user("alice"),
           "admin": api.admin("operator")["access"],
           "mug": add_product(app, services, "MUG", stock=10)}
    host.stop()
    web_services.catalog.remote.close()  # type: ignore[union-attr]


def _order(shop: dict[str, Any], product: str) -> tuple[int, float]:
    started = time.monotonic()
    response = order(shop["api"], shop["alice"]["access"], (product, 1))
    return response.status_code, time.monotonic() - started


@pytest.mark.slow
def test_killed_catalog_host_gives_fast_503_no_stock_change_and_breaker_recovery(
        shop: dict[str, Any], app: Flask, services: Services) -> None:
    assert _order(shop, shop["mug"])[0] == 201
    assert stock_of(app, services, shop["mug"]) == 9
    breaker = shop["web"].catalog.remote.breaker
    shop["host"].kill()
    for attempt in range(5):
        status, took = _order(shop, shop["mug"])
        assert status == 503, attempt
        assert took < DEADLINE + 0.5  # never a hang past the deadline
    assert breaker.current_state == "open"
    assert _order(shop, shop["mug"])[0] == 503  # answered by the open breaker
    assert stock_of(app, services, shop["mug"]) == 9
    assert shop["api"].get("/api/orders/", shop["alice"]["access"]).get_json()["count"] == 1
    checks = shop["api"].get("/readyz", shop["admin"]).get_json()["checks"]
    ready = checks["grpc"]["modules"]["catalog"]
    assert (ready["ok"], ready["breaker"]) == (False, "open")
    shop["host"].start(shop["web"].catalog)
    time.sleep(0.6)  # past the reset timeout: the next call is the half-open trial
    assert _order(shop, shop["mug"])[0] == 201
    assert breaker.current_state == "closed"
    assert stock_of(app, services, shop["mug"]) == 8
    changes = [(e["target"], e["details"]["new"]) for e in reversed(
        services.audit.recent(event_prefix="sys_circuit_breaker"))]
    assert changes == [("catalog", "open"), ("catalog", "half-open"), ("catalog", "closed")]


def test_a_burst_of_orders_for_missing_products_does_not_open_the_breaker(
        shop: dict[str, Any], app: Flask, services: Services) -> None:
    """The seed's breaker could be opened for everyone by ordering unknown product ids."""
    for _ in range(20):
        assert _order(shop, "no-such-product")[0] == 404
    assert shop["web"].catalog.remote.breaker.current_state == "closed"
    assert _order(shop, shop["mug"])[0] == 201
