"""The limits hold across two gunicorn workers when the storage is Redis.

A real gunicorn with 2 sync workers on a free loopback port, limits in Redis under a unique key
prefix. Concurrent login attempts are spread over both workers (the access log names the
worker pid); exactly the configured budget gets through. With per-process storage the two
workers would each allow the budget.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.processes import free_port, wait_http_ready

pytestmark = [pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set: the multi-worker limit test needs Redis "
                    "(CI: TEST_REDIS_URL=redis://127.0.0.1:6379/0)")
    return REDIS_URL


@pytest.fixture
def shop(tmp_path: Path, redis_url: str) -> Iterator[tuple[int, Path, str]]:
    prefix = "test-" + uuid.uuid4().hex[:12]
    env = {**os.environ, "SHOP_PROFILE": "test", "SHOP_INSTANCE_PATH": str(tmp_path),
           "PASSWORD_HASH_ITERATIONS": "200000", "LOG_LEVEL": "WARNING",
           "RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": prefix}
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "schema", "upgrade"], cwd=ROOT,
                   env=env, check=True, capture_output=True, timeout=120)
    port, log = free_port(), tmp_path / "access.log"
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", str(log), "--access-logformat", "%(p)s %(r)s %(s)s", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http_ready(port)
        yield port, log, prefix
    finally:
        server.terminate()
        server.wait(timeout=30)
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
        client.close()


def login(port: int, i: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"username": f"nobody{i}", "password": "wrong password"})
    conn.request("POST", "/api/token/", body, {"Content-Type": "application/json"})
    status = conn.getresponse().status
    conn.close()
    return status


def test_login_limit_holds_across_two_gunicorn_workers(shop: tuple[int, Path, str]) -> None:
    port, log, _prefix = shop
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda i: login(port, i), range(24)))
    assert statuses.count(401) == 10, statuses
    assert statuses.count(429) == 14, statuses
    time.sleep(0.5)  # let the access log flush
    pids = {line.split()[0] for line in log.read_text().splitlines()
            if re.search(r"POST /api/token/ ", line)}
    assert len(pids) == 2, f"both workers must have served logins (pids: {pids})"
