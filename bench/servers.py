"""The shop under each server, side by side: Granian as shipped vs gunicorn gthread.

Both serve the same shop (same database, same settings: ``WEB_CONCURRENCY`` workers with
``WEB_THREADS`` threads each) at the same time, and the scenarios alternate between them
(A, B, A, B, ...): the ratio is Granian's figure over gunicorn's in the same round. p99 and
worker peak RSS are reported for each. ``python -m bench bench.servers`` runs it.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from contextlib import ExitStack
from functools import partial
from pathlib import Path

from bench.harness import Ratio, interleave, load, serve
from bench.http_scenarios import bench_products, login, order_script, prepare, shop_env

KINDS = ("granian", "gunicorn")


def run(rounds: int | None = None, seconds: float | None = None) -> list[object]:
    rounds = rounds or int(os.environ.get("BENCH_ROUNDS", "3"))
    seconds = seconds or float(os.environ.get("BENCH_SECONDS", "3"))
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        instance = Path(tmp)
        creds = prepare(instance)
        env = {**shop_env(instance), "CATALOG_LIST_CACHE_SECONDS": "0"}
        shops = {kind: stack.enter_context(serve("wsgi:app", env, kind=kind)) for kind in KINDS}
        user = login(shops["granian"], "demo", creds["demo"])
        ids = bench_products(shops["granian"], login(shops["granian"], "admin", creds["admin"]))
        script = order_script(shops["granian"], ids)  # one database: buyers registered once
        runs = {}
        for kind, shop in shops.items():
            get = partial(load, seconds=seconds, headers=user)
            runs[f"{kind} detail"] = partial(get, f"{shop.base}/api/products/{ids[0]}/")
            runs[f"{kind} orders"] = partial(load, shop.base + "/api/orders/", seconds,
                                             script=script)
        results = interleave(runs, rounds)
        peaks = {kind: shop.worker_rss_mb()[1] for kind, shop in shops.items()}
    rows: list[object] = []
    for scenario in ("detail", "orders"):
        granian, gunicorn = results[f"granian {scenario}"], results[f"gunicorn {scenario}"]
        rows.append(Ratio(f"shop {scenario}: Granian (shipped) vs gunicorn gthread req/s",
                          granian, gunicorn, "> 1.00 to adopt"))
        rows.append((f"shop {scenario}: p99 ms, Granian vs gunicorn",
                     statistics.median(r.p99_ms for r in granian),
                     statistics.median(r.p99_ms for r in gunicorn), "<= 1.00"))
    rows += [(f"{kind} worker peak RSS MB vs 150 MB budget", peak, 150.0, "< 1.00")
             for kind, peak in peaks.items()]
    return rows
