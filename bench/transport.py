"""Transport benchmarks: the breaker's concurrency and the mTLS call round trip.

``run()`` returns rows ``(name, measured, baseline, target)``; ``python -m bench.transport``
prints them. Figures are ratios measured side by side in one run, never absolute timings.

* breaker: 16 threads vs 1 thread calling a 50 ms backend through one breaker (target: at
  least 10x the throughput); stock pybreaker is shown beside it for comparison (about 1x).
* round trip: identity ``get_user`` over gRPC with mutual TLS on loopback vs in-process.
* split shop: web + (identity, catalog) host + ordering host as separate processes: order
  creation with 2 lines (target: gRPC within 2x of in-process) and product detail.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pybreaker

from app.platform.grpc.breaker import ConcurrentBreaker

BACKEND_SECONDS = 0.05
THREADS = 16
Row = tuple[str, float, float, str]


def _throughput(breaker: pybreaker.CircuitBreaker, threads: int, calls_each: int) -> float:
    def backend() -> None:
        time.sleep(BACKEND_SECONDS)

    def worker(_: int) -> None:
        for _ in range(calls_each):
            breaker.call(backend)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, range(threads)))
    return threads * calls_each / (time.perf_counter() - started)


def breaker_rows() -> list[Row]:
    rows = []
    for label, factory in (("ConcurrentBreaker", ConcurrentBreaker),
                           ("stock pybreaker", pybreaker.CircuitBreaker)):
        single = _throughput(factory(), 1, 8)
        many = _throughput(factory(), THREADS, 8)
        rows.append((f"breaker {label}: {THREADS} threads vs 1 (calls/s, 50 ms backend)",
                     round(many, 1), round(single, 1),
                     ">= 10x" if label == "ConcurrentBreaker" else "for comparison"))
    return rows


def _median_ms(call: Callable[[], Any], n: int) -> float:
    for _ in range(20):
        call()  # warm-up: connections, key caches
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def round_trip_rows(n: int = 300) -> list[Row]:
    from app import create_app
    from app.bootstrap import build_module_host
    from app.config import Settings
    from app.identity.grpc_client import GrpcAccountClient
    from app.identity.signing import SigningKeyStore, generate_private_pem
    from app.platform.clock import SystemClock
    from app.platform.db import db
    from app.platform.grpc.pki import Pki

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        keys = root / "jwt-keys"
        keys.mkdir(mode=0o700)
        SigningKeyStore(keys, SystemClock(), retire_grace=930).rotate(generate_private_pem())
        settings = Settings(profile="test", instance_path=root,
                            secret_key="bench-" + uuid.uuid4().hex * 2,
                            database_url=f"sqlite:///{root / 'shop.sqlite3'}",
                            jwt_keys_dir=keys, password_hash_iterations=1000,
                            log_level="WARNING")
        app = create_app(settings)
        with app.app_context():
            db.create_all()
        services = app.extensions["shop.services"]
        Pki(services.transport.pki_dir).ensure(["identity", "web"])
        with app.app_context():
            user = services.accounts.register("bench", "bench@example.com",
                                              "correct horse battery staple")
            tokens = services.sessions.login("bench", "correct horse battery staple").tokens
            owner = services.verifier.verify(tokens.access)  # the user reads their own profile
            local = _median_ms(lambda: services.accounts.get_user(owner, user.id), n)
        host = build_module_host(services, ["identity"], app.app_context)
        port = host.start("127.0.0.1:0")
        transport = replace(services.transport, targets={"identity": f"127.0.0.1:{port}"})
        client = GrpcAccountClient(transport, services.audit)
        remote = _median_ms(lambda: client.get_user(owner, user.id), n)
        client.remote.close()
        host.stop(grace=None)
    return [("identity get_user p50 ms: gRPC mTLS vs in-process", round(remote, 3),
             round(local, 3), "report (order/product targets: within 2x)")]




def run() -> list[Row]:
    return breaker_rows() + round_trip_rows() + split_shop_rows()



# -- order creation and product detail: in-process vs module hosts over gRPC + mTLS ---------

def _host(env: dict[str, str], modules: str, port: int) -> Any:
    import os
    import subprocess
    import sys

    from bench.harness import ROOT

    flask = str(Path(sys.executable).with_name("flask"))
    return subprocess.Popen([flask, "--app", "wsgi", "grpc", "serve", "--modules", modules,
                             "--bind", f"127.0.0.1:{port}"], cwd=ROOT,
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _wait_serving(services: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while services.peers is not None and not services.peers()["ok"]:
        if time.monotonic() > deadline:
            raise RuntimeError("module hosts did not become ready")
        time.sleep(0.2)


# Orders are spread over this many shoppers per side, so none reaches the shipped cap of 200
# units in pending orders (150 orders of 3 units each).
SHOPPERS = 4


def _orders_per_second(ordering: Any, shoppers: list[Any], items: Any, count: int) -> float:
    """Orders placed per second, round-robin over the shoppers' principals (over gRPC each
    carries its access token, which travels with the call)."""

    def place(n: int) -> None:
        ordering.place_order(shoppers[n % len(shoppers)], items)

    place(0)  # warm-up
    started = time.perf_counter()
    for n in range(count):
        place(n)
    return count / (time.perf_counter() - started)


def split_shop_rows(count: int = 150) -> list[Row]:
    """The shop as web + (identity, catalog) host + ordering host, each its own process."""
    import subprocess
    import sys
    from decimal import Decimal

    from app import create_app
    from app.catalog.contract import ProductDraft
    from app.config import Settings
    from app.kernel import Principal
    from app.ordering.contract import OrderItem
    from bench.harness import ROOT, free_port

    with tempfile.TemporaryDirectory() as tmp:
        env = {"SHOP_INSTANCE_PATH": tmp, "SHOP_PROFILE": "development",
               "PASSWORD_HASH_ITERATIONS": "1000", "LOG_LEVEL": "WARNING"}
        flask = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi"]
        for args in (["schema", "upgrade"], ["pki", "init"]):
            subprocess.run([*flask, *args], cwd=ROOT, env={**__import__("os").environ, **env},
                           check=True, capture_output=True)
        local = create_app(Settings(profile="development", instance_path=Path(tmp),
                                    password_hash_iterations=1000, log_level="WARNING"))
        svc = local.extensions["shop.services"]
        users = [svc.accounts.register(f"bencher{n}", f"bench{n}@example.com",
                                       "correct horse battery") for n in range(2 * SHOPPERS)]
        admin = Principal("bench-admin", "admin", "b", "b", 0, 0)
        ids = [svc.catalog.create_product(admin, ProductDraft(
            sku=f"B{n}", name=f"Bench {n}", category="bench", price=Decimal("4.99"),
            stock=1_000_000)).id for n in range(2)]
        items = (OrderItem(ids[0], 1), OrderItem(ids[1], 2))
        who = [Principal(user.id, "user", "b", "b", 0, 0) for user in users]
        local_rate = _orders_per_second(svc.ordering, who[:SHOPPERS], items, count)
        local_detail = _median_ms(lambda: svc.catalog.get_product(None, ids[0]), 300)

        a_port, o_port = free_port(), free_port()
        to_a = {"IDENTITY_GRPC_TARGET": f"127.0.0.1:{a_port}",
                "CATALOG_GRPC_TARGET": f"127.0.0.1:{a_port}",
                "ORDERING_GRPC_TARGET": f"127.0.0.1:{o_port}"}
        hosts = [_host({**env, **to_a}, "identity,catalog", a_port),
                 _host({**env, **to_a, "MODULE_TRANSPORT": "grpc"}, "ordering", o_port)]
        try:
            web = create_app(Settings(profile="development", instance_path=Path(tmp),
                                      password_hash_iterations=1000, log_level="WARNING",
                                      extra={**env, **to_a, "MODULE_TRANSPORT": "grpc"}))
            remote = web.extensions["shop.services"]
            _wait_serving(remote)
            shoppers = [remote.verifier.verify(
                remote.sessions.login(f"bencher{n}", "correct horse battery").tokens.access)
                for n in range(SHOPPERS, 2 * SHOPPERS)]
            grpc_rate = _orders_per_second(remote.ordering, shoppers, items, count)
            grpc_detail = _median_ms(lambda: remote.catalog.get_product(None, ids[0]), 300)
            http = _http_detail(env, to_a, ids[0])
        finally:
            for host in hosts:
                host.terminate()
                host.wait(10)
    return [("order creation, 2 lines (orders/s): gRPC split shop vs in-process",
             round(grpc_rate, 1), round(local_rate, 1), ">= 0.5x (gRPC within 2x)"),
            ("product detail p50 ms: gRPC mTLS vs in-process (contract call)",
             round(grpc_detail, 3), round(local_detail, 3), "report"),
            ("GET /api/products/{id}/ req/s (bin/start server): gRPC split shop vs in-process",
             round(http[1], 1), round(http[0], 1), ">= 0.5x (gRPC within 2x)")]


def _http_detail(env: dict[str, str], grpc_env: dict[str, str], product_id: str,
                 seconds: float = 6) -> tuple[float, float]:
    """Product detail over HTTP, served as bin/start does, in-process, then with gRPC boundaries."""
    from bench.harness import load, post_json, serve

    rates = []
    for extra in ({}, {**grpc_env, "MODULE_TRANSPORT": "grpc"}):
        with serve("wsgi:app", {**env, **extra, "RATELIMIT_ENABLED": "false"}) as shop:
            token = post_json(shop.base + "/api/token/", {
                "username": "bencher0", "password": "correct horse battery"})["access"]
            result = load(f"{shop.base}/api/products/{product_id}/", seconds,
                          headers={"Authorization": f"Bearer {token}"})
            if result.errors:
                raise RuntimeError(f"{result.errors} failed requests")
            rates.append(result.rps)
    return rates[0], rates[1]


if __name__ == "__main__":
    print(f"{'benchmark':<66} {'measured':>10} {'baseline':>10} {'ratio':>7}  target")
    for name, measured, baseline, target in run():
        ratio = measured / baseline if baseline else float("nan")
        print(f"{name:<66} {measured:>10} {baseline:>10} {ratio:>6.1f}x  {target}")
