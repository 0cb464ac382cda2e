"""HTTP scenarios against the shop and the hello-world ceiling, under one gunicorn setting."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.harness import ROOT, gunicorn, load, post_json

Row = tuple[str, float, float, str]


def shop_env(instance: Path) -> dict[str, str]:
    return {"SHOP_INSTANCE_PATH": str(instance), "SHOP_PROFILE": "development",
            "RATELIMIT_ENABLED": "false"}


def prepare(instance: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, **shop_env(instance), "LOG_LEVEL": "WARNING"}
    flask = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi"]
    subprocess.run([*flask, "schema", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)


def run(seconds: float = 8) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        prepare(instance)
        with gunicorn("bench.hello:app", {}, ready_path="/hello") as hello:
            ceiling = load(hello.base + "/hello", seconds)
        with gunicorn("wsgi:app", shop_env(instance)) as shop:
            password = "load test passphrase 2026"
            post_json(shop.base + "/api/users/", {"username": "bencher", "password": password,
                                                   "email": "bench@example.com"})
            token = str(post_json(shop.base + "/api/token/",
                                  {"username": "bencher", "password": password})["access"])
            auth = {"Authorization": f"Bearer {token}"}
            me = load(shop.base + "/api/users/me/", seconds, headers=auth)
            _rss, peak = shop.worker_rss_mb()
        rows.append(("GET /api/users/me/ req/s vs hello-world req/s", me.rps, ceiling.rps,
                     ">= 0.50"))
        rows.append(("  (non-2xx responses during the run)", me.errors, 0, "0"))
        rows.append(("worker peak RSS MB vs 150 MB budget", peak, 150.0, "< 1.00"))
    return rows
