"""`make run` (bin/start in development, limits in per-process memory) enforces the documented
limits exactly.

Attack: with ``memory://`` storage and two gunicorn workers, each worker counted on its own, so
an attacker whose requests spread over both got twice every limit. Without a shared store the
server now runs one worker; asking for more prints a loud warning at start.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.processes import free_port, wait_http_ready

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 4


def start(tmp_path: Path, **extra: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    port, output = free_port(), tmp_path / "start.log"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RATELIMIT_", "WEB_", "SHOP_"))}
    env.update({"SHOP_INSTANCE_PATH": str(tmp_path), "PORT": str(port),
                "PASSWORD_HASH_ITERATIONS": "100000", "LOG_LEVEL": "WARNING",
                "MODULE_TRANSPORT": "inprocess", "RATELIMIT_LOGIN_IP": f"{LIMIT} per minute",
                **extra})
    with output.open("wb") as sink:
        process = subprocess.Popen([str(ROOT / "bin" / "start")], cwd=ROOT, env=env,
                                   stdout=sink, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return process, port, output


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def login(port: int, i: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"username": f"nobody{i}", "password": "wrong password"})
    # A new connection per attempt: gunicorn hands each to whichever worker accepts first.
    conn.request("POST", "/api/token/", body, {"Content-Type": "application/json"})
    status = conn.getresponse().status
    conn.close()
    return status


def test_make_run_enforces_the_login_limit_exactly(tmp_path: Path) -> None:
    process, port, output = start(tmp_path)
    try:
        wait_http_ready(port, process, seconds=120)
        # Hashes that take a while keep requests overlapping, so that with two workers both
        # would accept connections (the old default allowed twice the limit here).
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(lambda i: login(port, i), range(12 * LIMIT)))
    finally:
        stop(process)
    assert statuses.count(401) == LIMIT, statuses
    assert statuses.count(429) == 11 * LIMIT, statuses
    assert "WARNING" not in output.read_text()


def test_more_workers_on_memory_storage_warn_loudly(tmp_path: Path) -> None:
    process, port, output = start(tmp_path, WEB_CONCURRENCY="2")
    try:
        wait_http_ready(port, process, seconds=120)
    finally:
        stop(process)
    text = output.read_text()
    assert "WARNING: RATELIMIT_STORAGE_URI=memory:// with 2 workers" in text, text
