"""HTTP scenarios against the shop and the hello-world ceiling, under one gunicorn setting.

Rate limits are switched off for the run (``RATELIMIT_ENABLED=false``, development only): the
point is the cost of the stack, not of being throttled.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import ROOT, Server, gunicorn, load, post_json

Row = tuple[str, float, float, str]
ORDER_SCRIPT = """
wrk.method = "POST"
wrk.body = '{"items": [{"product_id": "%s", "quantity": 1}, {"product_id": "%s", "quantity": 1}]}'
wrk.headers["Content-Type"] = "application/json"
"""


def shop_env(instance: Path) -> dict[str, str]:
    return {"SHOP_INSTANCE_PATH": str(instance), "SHOP_PROFILE": "development",
            "RATELIMIT_ENABLED": "false"}


def prepare(instance: Path) -> dict[str, str]:
    env = {**os.environ, **shop_env(instance), "LOG_LEVEL": "WARNING"}
    flask = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi"]
    for command in (["schema", "upgrade"], ["seed"]):
        subprocess.run([*flask, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    return dict(json.loads((instance / "demo_credentials.json").read_text()))


def login(shop: Server, username: str, password: str) -> dict[str, str]:
    token = post_json(shop.base + "/api/token/", {"username": username, "password": password})
    return {"Authorization": f"Bearer {token['access']}"}


def bench_products(shop: Server, admin: dict[str, str]) -> list[str]:
    """Two products with stock enough for any run, so orders never hit 409."""
    ids = []
    for n in (1, 2):
        product = post_json(shop.base + "/api/products/", {
            "sku": f"BENCH-{n}", "name": f"Benchmark item {n}", "description": "load test",
            "category": "bench", "price": "9.99", "stock": 10_000_000},
            token=admin["Authorization"].split()[1])
        ids.append(str(product["id"]))
    return ids


def run(seconds: float = 8) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        creds = prepare(instance)
        with gunicorn("bench.hello:app", {}, ready_path="/hello") as hello:
            ceiling = load(hello.base + "/hello", seconds)
        with gunicorn("wsgi:app", shop_env(instance)) as shop:
            user = login(shop, "demo", creds["demo"])
            ids = bench_products(shop, login(shop, "admin", creds["admin"]))
            products = load(shop.base + "/api/products/", seconds, headers=user)
            detail = load(f"{shop.base}/api/products/{ids[0]}/", seconds, headers=user)
            me = load(shop.base + "/api/users/me/", seconds, headers=user)
            orders = load(shop.base + "/api/orders/", seconds, headers=user,
                          script=ORDER_SCRIPT % (ids[0], ids[1]))
            _rss, peak = shop.worker_rss_mb()
        rows += [
            ("GET /api/products/ req/s vs hello-world req/s", products.rps, ceiling.rps,
             ">= 0.50"),
            ("GET /api/products/{id}/ req/s vs hello-world", detail.rps, ceiling.rps,
             "(informative)"),
            ("GET /api/users/me/ req/s vs hello-world req/s", me.rps, ceiling.rps,
             "(informative)"),
            ("POST /api/orders/ (2 lines) orders/s vs the earlier version's 75/s", orders.rps,
             75.0, "several x"),
            ("non-2xx responses in these runs", float(products.errors + detail.errors
                                                      + me.errors + orders.errors), 1.0, "0"),
            ("worker peak RSS MB vs 150 MB budget", peak, 150.0, "< 1.00"),
        ]
    return rows
