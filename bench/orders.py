"""Order lookup benchmark: a user's orders with 1,000 vs 100,000 orders in the table.

The lookup goes through the ordering contract in-process (blind index -> composite index on
``(user_index, created_at)``, then one decrypt per returned order), so its cost should not
depend on how many other orders exist. Rows are bulk-inserted with real ciphertexts and
blind-index values. Target (SPEC section 10): p50 at 100k at most 1.5 times p50 at 1k.

``python -m bench.orders`` prints the table; ``run()`` returns its rows as
``(name, measured, baseline, target)``. ``BENCH_DATABASE_URL`` (e.g. a PostgreSQL URL)
replaces the temporary SQLite file.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from app import create_app
from app.config import Settings
from app.kernel import Principal
from app.ordering.models import Order, OrderLine
from app.ordering.references import UserReferences
from app.platform.db import current, db

TARGET_ORDERS = 20  # the looked-up user has as many orders in both runs
SAMPLES = 300
CHUNK = 5_000


def _owner(user_id: str) -> Principal:
    return Principal(user_id=user_id, role="user", jti="bench", session_id="bench",
                     issued_at=0, expires_at=0)


def _rows(refs: UserReferences, owners: list[str], start: datetime) -> tuple[list, list]:
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for n, user_id in enumerate(owners):
        order_id = str(uuid.uuid4())
        orders.append({"id": order_id, "user_ref": refs.seal(user_id, order_id),
                       "user_index": refs.index(user_id), "status": "pending",
                       "total": Decimal("9.98"), "created_at": start + timedelta(seconds=n),
                       "updated_at": start + timedelta(seconds=n)})
        lines.append({"order_id": order_id, "product_id": str(uuid.UUID(int=n % 500)),
                      "product_name": "Bench product", "unit_price": Decimal("4.99"),
                      "quantity": 2, "subtotal": Decimal("9.98")})
    return orders, lines


def bulk_insert(refs: UserReferences, owners: list[str], start: datetime) -> None:
    """Insert one order (with one line) per entry of ``owners`` in large batches."""
    with db.engines["ordering"].begin() as conn:
        for offset in range(0, len(owners), CHUNK):
            orders, lines = _rows(refs, owners[offset:offset + CHUNK],
                                  start + timedelta(seconds=offset))
            conn.execute(insert(Order.__table__), orders)
            conn.execute(insert(OrderLine.__table__), lines)
    if db.engines["ordering"].dialect.name == "postgresql":
        # What autovacuum does shortly after a bulk load; without it the planner still
        # believes the table holds 1,000 rows.
        with db.engines["ordering"].connect().execution_options(
                isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE ordering_orders")
            conn.exec_driver_sql("ANALYZE ordering_order_lines")


def p50_lookup_ms(ordering: Any, who: Principal) -> float:
    ordering.list_orders(who, 1, 20)  # warm caches and the connection pool
    samples = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        page = ordering.list_orders(who, 1, 20)
        samples.append((time.perf_counter() - started) * 1000)
        assert page.total == TARGET_ORDERS
    return statistics.median(samples)


def _owners(total: int, target: str, others: list[str]) -> list[str]:
    """``total`` owners with TARGET_ORDERS slots for ``target`` spread evenly through time."""
    step = total // TARGET_ORDERS
    return [target if n % step == 0 and n // step < TARGET_ORDERS else others[n % len(others)]
            for n in range(total)]


def orders_per_second(services: Any, count: int = 300) -> float:
    """Sequential order creations with 2 lines (3 units) through the ordering contract (the
    whole saga: identity check, one reservation, insert, confirm), round-robin over enough
    shoppers that none passes the shipped cap on units in pending orders."""
    from app.catalog.contract import ProductDraft
    from app.ordering.contract import OrderItem

    admin = Principal(user_id="bench", role="admin", jti="b", session_id="b", issued_at=0,
                      expires_at=0)
    cap = services.settings.order_max_pending_units
    shoppers = []
    for _ in range(count * 3 // cap + 1):
        name = f"bench{uuid.uuid4().hex[:8]}"
        user = services.accounts.register(name, f"{name}@example.com",
                                          "correct horse battery staple")
        shoppers.append(_owner(user.id))
    ids = [services.catalog.create_product(admin, ProductDraft(
        sku=f"BENCH-{uuid.uuid4().hex[:8]}", name="Bench", category="bench",
        price=Decimal("4.99"), stock=1_000_000)).id for _ in range(2)]
    items = (OrderItem(ids[0], 1), OrderItem(ids[1], 2))
    started = time.perf_counter()
    for n in range(count):
        services.ordering.place_order(shoppers[n % len(shoppers)], items)
    return count / (time.perf_counter() - started)


def run(small: int = 1_000, large: int = 100_000) -> list[tuple[str, float, float, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(profile="development", instance_path=Path(tmp),
                            database_url=os.environ.get("BENCH_DATABASE_URL") or None,
                            password_hash_iterations=1_000, log_level="WARNING")
        app = create_app(settings)
        with app.app_context():
            db.create_all()
            services = app.extensions["shop.services"]
            refs = UserReferences(services.keyrings, services.audit)
            target = str(uuid.uuid4())
            others = [str(uuid.uuid4()) for _ in range(1_000)]
            start = datetime(2026, 1, 1, tzinfo=UTC)
            bulk_insert(refs, _owners(small, target, others), start)
            at_small = p50_lookup_ms(services.ordering, _owner(target))
            # The rest never belongs to the target: its order count stays TARGET_ORDERS.
            bulk_insert(refs, [others[n % len(others)] for n in range(large - small)],
                        start + timedelta(days=30))
            at_large = p50_lookup_ms(services.ordering, _owner(target))
            rate = orders_per_second(services)
            current().dispose()
    return [(f"order lookup p50 ms, {large:,} vs {small:,} orders", round(at_large, 3),
             round(at_small, 3), "<= 1.5x"),
            ("order creation in-process, 2 lines (orders/s)", round(rate, 1), 75.0,
             ">= 75/s (seed's Django, over HTTP)")]


def main() -> None:
    print(f"{'scenario':<50} {'measured':>10} {'baseline':>10} {'ratio':>7}  target")
    for name, measured, baseline, target in run():
        ratio = measured / baseline if baseline else float("nan")
        print(f"{name:<50} {measured:>10.3f} {baseline:>10.3f} {ratio:>7.2f}  {target}")


if __name__ == "__main__":
    main()
