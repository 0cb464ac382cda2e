"""Product list cost against the catalogue's size: one page at 1,000 products vs at 20.

A page should cost a page, however many products match: the rows come in the order an index
gives and the total from a count (``app/catalog/listing.py``). A window count in the page's
statement made the database build and sort every matching product first (8.5 times the
cost at 1,000 products on SQLite, measured with this module). The list goes through the
catalog contract in-process, without the list cache. Ratio: p50 at 1,000 over p50 at 20;
informative target 1.5x, as for the order lookup. ``BENCH_DATABASE_URL`` (e.g. PostgreSQL)
replaces the temporary SQLite file.

``python -m bench bench.catalog_size``.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from app import create_app
from app.catalog.contract import ProductDraft, ProductQuery
from app.config import Settings
from app.kernel import Principal
from app.platform.db import current, db

ADMIN = Principal(user_id="bench", role="admin", jti="bench", session_id="bench", issued_at=0,
                  expires_at=0)
SAMPLES = 500


def add_products(catalog: Any, start: int, stop: int) -> None:
    for n in range(start, stop):
        catalog.create_product(ADMIN, ProductDraft(
            sku=f"SIZE-{n:05d}", name=f"Product {n:05d}", category=f"c{n % 4}",
            price=Decimal("9.99"), stock=10, description="A product description. " * 12))


def p50_list_ms(catalog: Any) -> float:
    query = ProductQuery()  # the default list: by name, 20 per page
    catalog.list_products(None, query)
    samples = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        catalog.list_products(None, query)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def run(small: int = 20, large: int = 1_000) -> list[tuple[str, float, float, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(profile="development", instance_path=Path(tmp),
                            database_url=os.environ.get("BENCH_DATABASE_URL") or None,
                            password_hash_iterations=1_000, log_level="WARNING",
                            catalog_list_cache_seconds=0)
        app = create_app(settings)
        with app.app_context():
            db.create_all()
            catalog = app.extensions["shop.services"].catalog
            add_products(catalog, 0, small)
            at_small = p50_list_ms(catalog)
            add_products(catalog, small, large)
            at_large = p50_list_ms(catalog)
            current().dispose()
    return [(f"product list p50 ms, {large:,} vs {small:,} products", round(at_large, 3),
             round(at_small, 3), "<= 1.5x (informative)")]
