"""HTTP scenarios against the shop and the hello-world ceiling, under the shop's server settings.

Both apps are served side by side by the same server with the same settings file (workers,
threads, keep-alive, limits), and every scenario runs once per round, interleaved with the
hello-world (A, B, A, B, ...): each ratio is the same round's shop figure over the same round's
hello-world figure, and the report gives the median and the spread over the rounds. A ratio is
refused when wrk is missing or when any response was not 2xx.

Rate limits are switched off for the run (``RATELIMIT_ENABLED=false``, development only): the
point is the cost of the stack, not of being throttled. The product list is measured without
its 1-second list cache (``CATALOG_LIST_CACHE_SECONDS=0``) and, in the full run, with it.

Settings: ``BENCH_ROUNDS`` (default 3), ``BENCH_SECONDS`` per measurement (default 5),
``BENCH_SERVER`` (``granian``, what ``bin/start`` serves with, the default; ``granian-wsgi``;
``gunicorn``),
``BENCH_DATABASE_URL`` (e.g. PostgreSQL; default a temporary SQLite file).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path

from bench.harness import (
    ROOT,
    LoadResult,
    Ratio,
    Server,
    interleave,
    load,
    post_json,
    serve,
)

ORDER_SCRIPT = """
wrk.method = "POST"
wrk.body = '{"items": [{"product_id": "%s", "quantity": 1}, {"product_id": "%s", "quantity": 1}]}'
wrk.headers["Content-Type"] = "application/json"
"""
TARGETS = {"products": ">= 0.50", "products (1 s list cache)": "(informative)",
           "detail": ">= 0.40", "me": ">= 0.40", "orders": ">= 0.06"}
PATHS = {"products": "GET /api/products/", "products (1 s list cache)": "GET /api/products/ cached",
         "detail": "GET /api/products/{id}/", "me": "GET /api/users/me/",
         "orders": "POST /api/orders/ (2 lines)"}


def default_server() -> str:
    return os.environ.get("BENCH_SERVER") or "granian"


def shop_env(instance: Path) -> dict[str, str]:
    env = {"SHOP_INSTANCE_PATH": str(instance), "SHOP_PROFILE": "development",
           "RATELIMIT_ENABLED": "false"}
    if os.environ.get("BENCH_DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    return env


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


@contextmanager
def scenarios(kind: str, seconds: float, cached: bool) -> Iterator[
        tuple[dict[str, Callable[[], LoadResult]], Callable[[], tuple[float, float]]]]:
    """Servers up and the scenarios to run against them: hello-world first."""
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        instance = Path(tmp)
        creds = prepare(instance)
        hello = stack.enter_context(serve("bench.hello:app", {}, ready_path="/hello", kind=kind))
        env = {**shop_env(instance), "CATALOG_LIST_CACHE_SECONDS": "0"}
        shop = stack.enter_context(serve("wsgi:app", env, kind=kind))
        user = login(shop, "demo", creds["demo"])
        ids = bench_products(shop, login(shop, "admin", creds["admin"]))
        run = partial(load, seconds=seconds, headers=user)
        runs = {"hello": partial(load, hello.base + "/hello", seconds),
                "products": partial(run, shop.base + "/api/products/")}
        if cached:
            with_cache = stack.enter_context(serve("wsgi:app", shop_env(instance), kind=kind))
            runs["products (1 s list cache)"] = partial(run, with_cache.base + "/api/products/")
        runs |= {"detail": partial(run, f"{shop.base}/api/products/{ids[0]}/"),
                 "me": partial(run, shop.base + "/api/users/me/"),
                 "orders": partial(run, shop.base + "/api/orders/",
                                   script=ORDER_SCRIPT % (ids[0], ids[1]))}
        yield runs, shop.worker_rss_mb


def measure(kind: str, rounds: int, seconds: float, cached: bool) -> tuple[list[Ratio], float]:
    """Ratios to the hello-world, and the shop's largest worker peak RSS in MB."""
    with scenarios(kind, seconds, cached) as (runs, rss):
        results = interleave(runs, rounds)
        peak = rss()[1]
    hello = results.pop("hello")
    return [Ratio(f"[{kind}] {PATHS[name]}", samples, hello, TARGETS[name])
            for name, samples in results.items()], peak


def run(rounds: int | None = None, seconds: float | None = None,
        cached: bool = True) -> list[object]:
    rounds = rounds or int(os.environ.get("BENCH_ROUNDS", "3"))
    seconds = seconds or float(os.environ.get("BENCH_SECONDS", "5"))
    kind = default_server()
    ratios, peak = measure(kind, rounds, seconds, cached)
    return [*ratios, (f"[{kind}] shop worker peak RSS MB vs 150 MB budget", peak, 150.0,
                      "< 1.00")]


def quick() -> list[object]:
    """``make bench-quick``: 3 rounds of 3 s, without the cached-list scenario."""
    return run(rounds=int(os.environ.get("BENCH_ROUNDS", "3")),
               seconds=float(os.environ.get("BENCH_SECONDS", "3")), cached=False)
