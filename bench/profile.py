"""Where a request's time goes: cProfile of one HTTP scenario through the whole Flask stack.

``python -m bench.profile [products|detail|me|orders] [N]`` builds the shop in-process (the
development profile, as ``make bench`` serves it, rate limits off, no list cache), sends N
requests through Flask's test client and prints the top functions by cumulative and by own
time, with the mean in-process cost per request, on stderr (the shop's JSON request log,
at the shipped INFO level, goes to stdout). Deterministic enough to compare before and
after a change on a noisy machine (function call counts do not depend on load).
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from app import create_app
from app.config import Settings
from app.platform.db import db

PASSWORD = "correct horse battery staple"


def build(instance: Path) -> tuple[Any, dict[str, str], list[str]]:
    settings = Settings(profile="development", instance_path=instance, log_level="INFO",
                        password_hash_iterations=1_000, ratelimit_enabled=False,
                        catalog_list_cache_seconds=0)
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    client.post("/api/users/", json={"username": "bencher", "email": "b@example.com",
                                     "password": PASSWORD})
    token = client.post("/api/token/", json={"username": "bencher", "password": PASSWORD})
    user = {"Authorization": f"Bearer {token.get_json()['access']}"}
    ids = _products(app)
    return client, user, ids


def _products(app: Any) -> list[str]:
    from decimal import Decimal

    from app.catalog.contract import ProductDraft
    from app.kernel import Principal

    admin = Principal(user_id="bench", role="admin", jti="bench", session_id="bench",
                      issued_at=0, expires_at=0)
    catalog = app.extensions["shop.services"].catalog
    with app.app_context():
        return [catalog.create_product(admin, ProductDraft(
            sku=f"BENCH-{n}", name=f"Bench {n}", category="bench", price=Decimal("9.99"),
            stock=10_000_000)).id for n in range(20)]


def scenario(name: str, client: Any, user: dict[str, str], ids: list[str]) -> Any:
    if name == "products":
        return lambda: client.get("/api/products/", headers=user)
    if name == "detail":
        return lambda: client.get(f"/api/products/{ids[0]}/", headers=user)
    if name == "me":
        return lambda: client.get("/api/users/me/", headers=user)
    if name == "orders":
        body = json.dumps({"items": [{"product_id": ids[0], "quantity": 1},
                                     {"product_id": ids[1], "quantity": 1}]})
        return lambda: client.post("/api/orders/", headers={**user, "Content-Type":
                                                            "application/json"}, data=body)
    raise SystemExit(f"unknown scenario {name}")


def main(args: list[str]) -> None:
    name = args[0] if args else "products"
    count = int(args[1]) if len(args) > 1 else 300
    with tempfile.TemporaryDirectory() as tmp:
        client, user, ids = build(Path(tmp))
        call = scenario(name, client, user, ids)
        for _ in range(20):
            assert call().status_code < 300
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(count):
            call()
        profiler.disable()
        elapsed = (time.perf_counter() - started) / count * 1000
    print(f"{name}: {elapsed:.2f} ms per request in-process under cProfile ({count} requests)",
          file=sys.stderr)
    stats = pstats.Stats(profiler, stream=sys.stderr).strip_dirs()
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main(sys.argv[1:])
