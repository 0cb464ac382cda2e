"""The ordering sweep runs inside the shop, one runner at a time, and needs no cron.

* SQLite: a lease claimed under ``BEGIN IMMEDIATE``; another process's live lease makes this
  runner stand aside, an expired one (its holder died) is taken over.
* PostgreSQL: a session advisory lock; while another connection holds it the sweep does not run.
* The shipped server (Granian, deploy/granian_serve.py), two workers: pending orders expire
  by themselves, each exactly once (one ``order_expired`` per order, whichever worker swept).
"""

from __future__ import annotations

import http.client
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from app.bootstrap import Services
from app.config import Settings
from app.kernel import Principal
from app.platform.clock import FrozenClock
from app.platform.locks import Lease, advisory_key
from tests.conftest import make_app
from tests.processes import free_port, wait_http_ready
from tests.shop_helpers import add_product, order, stock_of
from tests.support import GOOD_PASSWORD, Api

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SYSTEM = Principal.system("test-sweep")


def _expire_one_order(app: Flask, services: Services, clock: FrozenClock) -> str:
    api = Api(app.test_client(), services)
    product = add_product(app, services, "LOCKED", stock=10)
    assert order(api, api.user("sam")["access"], (product, 4)).status_code == 201
    clock.advance(86_401)
    return product


def test_a_live_lease_of_another_process_makes_the_sweep_stand_aside(
        app: Flask, services: Services, clock: FrozenClock) -> None:
    product = _expire_one_order(app, services, clock)
    assert services.ordering is not None
    with services.database.unit_of_work(None) as session:
        session.add(Lease(name="ordering-sweep", holder="other-host:4242:abcd",
                          expires_at=int(clock.time()) + 600))
    assert services.ordering.sweep(SYSTEM).ran is False
    assert stock_of(app, services, product) == 6
    clock.advance(601)  # the other holder died without giving the lease back
    report = services.ordering.sweep(SYSTEM)
    assert (report.ran, report.expired_orders) == (True, 1)
    assert stock_of(app, services, product) == 10


@pytest.mark.postgres
def test_the_postgres_advisory_lock_lets_one_runner_sweep(
        pg_settings: Settings, clock: FrozenClock) -> None:
    app = make_app(pg_settings, clock)
    services: Services = app.extensions["shop.services"]
    product = _expire_one_order(app, services, clock)
    assert services.ordering is not None
    other = create_engine(str(pg_settings.database_url))
    with other.connect() as holder:  # another container's runner
        holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": advisory_key("ordering-sweep")})
        assert services.ordering.sweep(SYSTEM).ran is False
        assert stock_of(app, services, product) == 6
        holder.execute(text("SELECT pg_advisory_unlock(:k)"),
                       {"k": advisory_key("ordering-sweep")})
    other.dispose()
    assert services.ordering.sweep(SYSTEM).expired_orders == 1
    assert stock_of(app, services, product) == 10
    from tests.conftest import dispose

    dispose(app)


# -- the shipped server, no cron ---------------------------------------------------------


def _call(port: int, method: str, path: str, body: Any = None,
          token: str | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = conn.getresponse()
    payload = json.loads(response.read() or b"null")
    conn.close()
    return response.status, payload


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    env = {**os.environ, "SHOP_PROFILE": "test", "SHOP_INSTANCE_PATH": str(tmp_path),
           "PASSWORD_HASH_ITERATIONS": "1000", "LOG_LEVEL": "WARNING",
           "ORDER_PENDING_TTL": "2", "ORDER_SWEEP_INTERVAL": "0.5", "WEB_CONCURRENCY": "2",
           "PORT": str(free_port()), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "schema", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    subprocess.run([*flask, "users", "create-admin", "--username", "boss", "--email",
                    "boss@example.com"], input=GOOD_PASSWORD + "\n", text=True, cwd=ROOT,
                   env=env, check=True, capture_output=True, timeout=120)
    # RATELIMIT_ENABLED=false: two workers on memory:// would otherwise warn that limits double.
    env["RATELIMIT_ENABLED"] = "false"
    server = subprocess.Popen([str(BIN / "python"), "deploy/granian_serve.py", "asgi", "asgi:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_http_ready(int(env["PORT"]))
        yield int(env["PORT"]), tmp_path / "shop.sqlite3"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_two_server_workers_expire_pending_orders_by_themselves_once_each(
        served: tuple[int, Path]) -> None:
    port, database = served
    login = {"username": "boss", "password": GOOD_PASSWORD}
    admin = _call(port, "POST", "/api/token/", login)[1]["access"]
    status, product = _call(port, "POST", "/api/products/", {
        "sku": "TTL-1", "name": "Timer", "category": "misc", "price": "3.00", "stock": 50},
        admin)
    assert status == 201, product
    placed = [_call(port, "POST", "/api/orders/", {"items": [
        {"product_id": product["id"], "quantity": 5}]}, admin)[1]["id"] for _ in range(3)]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        listed = _call(port, "GET", "/api/orders/", token=admin)[1]["results"]
        stock = _call(port, "GET", f"/api/products/{product['id']}/", token=admin)[1]["stock"]
        if all(o["status"] == "cancelled" for o in listed) and stock == 50:
            break
        time.sleep(0.5)
    assert {o["id"]: o["status"] for o in listed} == dict.fromkeys(placed, "cancelled")
    assert stock == 50, "the expired orders' stock came back"
    with sqlite3.connect(database) as db:
        targets = [row[0] for row in db.execute(
            "SELECT target FROM platform_audit_events WHERE event = 'order_expired'")]
    assert sorted(targets) == sorted(placed)  # each expired once, by whichever worker swept
