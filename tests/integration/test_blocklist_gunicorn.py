"""A block reaches every gunicorn worker within seconds, and an expired block lifts by itself.

A real gunicorn with 2 sync workers on a free loopback port over one SQLite database. Both
workers first serve requests (so each holds a cached, empty block list); then an operator blocks
the loopback address with ``flask ips block`` from another process. Every worker must start
refusing (the access log names the worker pid of each 403) within the cache time, and serve
again once the block expires, without anyone lifting it.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.processes import free_port, wait_http_ready

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEADLINE = 40.0  # generous on a loaded machine; the cache time is 1 s


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[int, Path, dict[str, str]]]:
    env = {**os.environ, "SHOP_PROFILE": "test", "SHOP_INSTANCE_PATH": str(tmp_path),
           "LOG_LEVEL": "WARNING", "BLOCKLIST_CACHE_SECONDS": "1"}
    flask(env, "schema", "upgrade")
    port, log = free_port(), tmp_path / "access.log"
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", str(log), "--access-logformat", "%(p)s %(r)s %(s)s", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http_ready(port)
        yield port, log, env
    finally:
        server.terminate()
        server.wait(timeout=30)


def flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True, timeout=120)
    return done.stdout


def status(port: int, path: str = "/api/categories/") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        return conn.getresponse().status
    finally:
        conn.close()


def statuses_by_worker(port: int, log: Path, rounds: int = 12) -> dict[str, set[str]]:
    """Fire concurrent requests; which statuses each worker pid answered since the mark."""
    mark = log.stat().st_size if log.exists() else 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _i: status(port), range(rounds)))
    time.sleep(0.3)  # let the access log flush
    seen: dict[str, set[str]] = {}
    with log.open() as handle:
        handle.seek(mark)
        for line in handle:
            pid, *_rest, code = line.split()
            if "/api/categories/" in line:
                seen.setdefault(pid, set()).add(code)
    return seen


def wait_until_every_worker_answers(port: int, log: Path, code: str) -> dict[str, set[str]]:
    deadline = time.monotonic() + DEADLINE
    while True:
        seen = statuses_by_worker(port, log)
        if len(seen) == 2 and all(codes == {code} for codes in seen.values()):
            return seen
        assert time.monotonic() < deadline, f"workers still answer {seen}, expected {code}"


def test_a_block_reaches_every_worker_and_expires_by_itself(
        shop: tuple[int, Path, dict[str, str]]) -> None:
    port, log, env = shop
    before = wait_until_every_worker_answers(port, log, "401")
    assert len(before) == 2, "both workers served (and cached an empty list) before the block"
    out = flask(env, "ips", "block", "127.0.0.1", "--reason", "integration test",
                "--expires-in", "15s")
    assert "blocked 127.0.0.1" in out
    wait_until_every_worker_answers(port, log, "403")
    assert status(port, "/healthz") == 200
    assert "127.0.0.1" in flask(env, "ips", "list")
    wait_until_every_worker_answers(port, log, "401")
    assert "127.0.0.1" not in flask(env, "ips", "list"), "the expired block is no longer listed"
    audit = flask(env, "audit", "verify")
    assert "intact" in audit
