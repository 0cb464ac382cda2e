"""Memory under sustained load: a worker stays under 150 MB RSS and grows less than 5% over a
``BENCH_SOAK_SECONDS`` run (default 300 s, as the target says), measured after a warm-up.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from bench.harness import load, serve
from bench.http_scenarios import login, prepare, shop_env

Row = tuple[str, float, float, str]
WARM_UP = 30


def mixed_load(base: str, seconds: float, user: dict[str, str]) -> None:
    side = threading.Thread(target=load, args=(base + "/api/products/", seconds),
                            kwargs={"connections": 4, "headers": user})
    side.start()
    load(base + "/api/users/me/", seconds, connections=8, headers=user)
    side.join()


def run() -> list[Row]:
    seconds = float(os.environ.get("BENCH_SOAK_SECONDS", "300"))
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        creds = prepare(instance)
        with serve("wsgi:app", shop_env(instance)) as shop:
            user = login(shop, "demo", creds["demo"])
            mixed_load(shop.base, WARM_UP, user)  # the same mix: caches and pools fill up
            start_rss, _ = shop.worker_rss_mb()
            mixed_load(shop.base, seconds, user)
            end_rss, peak = shop.worker_rss_mb()
    return [
        (f"worker RSS MB after {seconds:.0f} s at load vs after warm-up", end_rss, start_rss,
         "< 1.05"),
        ("worker peak RSS MB during the soak vs 150 MB budget", peak, 150.0, "< 1.00"),
    ]
