"""HTTP scenarios against the shop and the hello-world ceiling, under the shop's server settings.

Both apps are served side by side by the same server with the same settings file (workers,
threads, keep-alive, limits), and every scenario runs once per round, interleaved with the
hello-world (A, B, A, B, ...): each ratio is the same round's shop figure over the same round's
hello-world figure, and the report gives the median and the spread over the rounds. A ratio is
refused when wrk is missing or when any response was not 2xx.

Rate limits are switched off for the run (``RATELIMIT_ENABLED=false``, development only): the
point is the cost of the stack, not of being throttled. Orders keep the shipped per-user cap
on pending units (``ORDER_MAX_PENDING_UNITS``, 200): they are spread round-robin over
``BUYERS`` shoppers registered for the run, so no shopper reaches the cap and each holds what
an active shopper may hold (the cap's check reads the shopper's pending orders on every
order; one shopper holding thousands of pending orders, as a raised cap allowed before, is a
state the shop never reaches). Passwords are hashed with 1,000 iterations for the run so that
registering the shoppers takes seconds (no password is checked while measuring). The product
list is measured without its 1-second list cache (``CATALOG_LIST_CACHE_SECONDS=0``) and, in the
full run, with it.

Settings: ``BENCH_ROUNDS`` (default 3), ``BENCH_SECONDS`` per measurement (default 5),
``BENCH_SERVER`` (``granian``, what ``bin/start`` serves with, the default; ``granian-wsgi``;
``gunicorn``),
``BENCH_DATABASE_URL`` (e.g. PostgreSQL; default a temporary SQLite file).

``python -m bench bench.http_scenarios:postgres`` (part of ``make bench``) runs the same
scenarios on PostgreSQL: ``BENCH_POSTGRES_URL`` names a database on a server where the run
may create a scratch database (created empty, dropped afterwards); without it the scenario is
skipped with a note.
"""

from __future__ import annotations

import json
import os
import secrets
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

BUYERS = 128
BUYER_PASSWORD = "bench shoppers share this long passphrase 7"
# Each wrk thread sends its orders round-robin over the buyers' access tokens.
ORDER_SCRIPT = """
local body = '{"items": [{"product_id": "%s", "quantity": 1}, {"product_id": "%s", "quantity": 1}]}'
local tokens = {%s}
local sent = 0
request = function()
  sent = sent + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[sent %% #tokens + 1]}, body)
end
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
           "RATELIMIT_ENABLED": "false", "PASSWORD_HASH_ITERATIONS": "1000"}
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


def buyers(shop: Server, count: int = BUYERS) -> list[str]:
    """Access tokens of ``count`` shoppers registered for the run (the order scenario)."""
    tokens = []
    for n in range(count):
        name = f"bench-buyer-{n}"
        post_json(shop.base + "/api/users/", {"username": name, "email": f"{name}@example.com",
                                              "password": BUYER_PASSWORD})
        token = post_json(shop.base + "/api/token/", {"username": name,
                                                      "password": BUYER_PASSWORD})
        tokens.append(str(token["access"]))
    return tokens


def order_script(shop: Server, ids: list[str]) -> str:
    """The wrk script placing 2-line orders, round-robin over freshly registered buyers."""
    tokens = ", ".join(f'"{token}"' for token in buyers(shop))
    return ORDER_SCRIPT % (ids[0], ids[1], tokens)


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
                 "orders": partial(load, shop.base + "/api/orders/", seconds,
                                   script=order_script(shop, ids))}
        yield runs, shop.worker_rss_mb


def measure(kind: str, rounds: int, seconds: float, cached: bool,
            label: str) -> tuple[list[Ratio], float]:
    """Ratios to the hello-world, and the shop's largest worker peak RSS in MB."""
    with scenarios(kind, seconds, cached) as (runs, rss):
        results = interleave(runs, rounds)
        peak = rss()[1]
    hello = results.pop("hello")
    return [Ratio(f"[{label}] {PATHS[name]}", samples, hello, TARGETS[name])
            for name, samples in results.items()], peak


def run(rounds: int | None = None, seconds: float | None = None,
        cached: bool = True, label: str | None = None) -> list[object]:
    rounds = rounds or int(os.environ.get("BENCH_ROUNDS", "3"))
    seconds = seconds or float(os.environ.get("BENCH_SECONDS", "5"))
    kind = default_server()
    ratios, peak = measure(kind, rounds, seconds, cached, label or kind)
    return [*ratios, (f"[{label or kind}] shop worker peak RSS MB vs 150 MB budget", peak,
                      150.0, "< 1.00")]


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database beside ``server_url``'s; dropped after."""
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"shop_bench_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres() -> list[object]:
    """The HTTP scenarios with every module on PostgreSQL (``BENCH_POSTGRES_URL``)."""
    server_url = os.environ.get("BENCH_POSTGRES_URL")
    if not server_url:
        print("bench.http_scenarios:postgres skipped: set BENCH_POSTGRES_URL (e.g. "
              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres)", file=sys.stderr)
        return []
    previous = os.environ.get("BENCH_DATABASE_URL")
    with scratch_database(server_url) as url:
        os.environ["BENCH_DATABASE_URL"] = url
        try:
            return run(cached=False, label=f"{default_server()}, postgresql")
        finally:
            if previous is None:
                del os.environ["BENCH_DATABASE_URL"]
            else:
                os.environ["BENCH_DATABASE_URL"] = previous


def quick() -> list[object]:
    """``make bench-quick``: 3 rounds of 3 s, without the cached-list scenario."""
    return run(rounds=int(os.environ.get("BENCH_ROUNDS", "3")),
               seconds=float(os.environ.get("BENCH_SECONDS", "3")), cached=False)
