"""The container's start command, run for real outside Docker: migrate, seed, serve, answer."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> bytes:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bytes(response.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def assert_metrics_add_up_across_workers(port: int, admin_token: str) -> None:
    """Two workers answer these; a scrape on either one must count all of them."""
    for _ in range(30):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
    scrape = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                    headers={"Authorization": f"Bearer {admin_token}"})
    text = urllib.request.urlopen(scrape, timeout=10).read().decode()
    counted = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                  if line.startswith("shop_http_requests_total{")
                  and 'endpoint="/healthz"' in line and 'status="200"' in line)
    assert counted >= 30, counted


@pytest.mark.slow
@pytest.mark.parametrize("transport", ["inprocess", "grpc"])
def test_bin_start_migrates_seeds_and_serves(tmp_path: Path, transport: str) -> None:
    port = free_port()
    env = {**os.environ, "SHOP_INSTANCE_PATH": str(tmp_path), "PORT": str(port),
           "WEB_CONCURRENCY": "2", "PASSWORD_HASH_ITERATIONS": "1000", "LOG_LEVEL": "WARNING",
           "MODULE_TRANSPORT": transport}
    for module in ("IDENTITY", "CATALOG", "ORDERING"):
        env[f"{module}_GRPC_TARGET"] = f"127.0.0.1:{free_port()}"
    env.pop("SHOP_PROFILE", None)
    process = subprocess.Popen([str(ROOT / "bin" / "start")], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        health = json.loads(wait_for(f"http://127.0.0.1:{port}/readyz", process, seconds=150))
        assert health == {"status": "ready"}  # the details are for operators
        creds = json.loads((tmp_path / "demo_credentials.json").read_text())
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/token/", method="POST",
            data=json.dumps({"username": "admin", "password": creds["admin"]}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            token = json.loads(response.read())["access"]
        ready = urllib.request.Request(f"http://127.0.0.1:{port}/readyz",
                                       headers={"Authorization": f"Bearer {token}"})
        health = json.loads(urllib.request.urlopen(ready, timeout=10).read())
        assert ("grpc" in health["checks"]) == (transport == "grpc"), health
        assert_metrics_add_up_across_workers(port, token)
        assert (tmp_path / "jwt-keys" / "keyset.json").exists()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert "Demo accounts" in output and "Serving the shop" in output
    if transport == "grpc":
        pids = (tmp_path / "grpc-hosts.pids").read_text().split()
        assert len(pids) == 3
        time.sleep(1)
        for pid in pids:  # the module hosts stop with the shop
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(
                f"/proc/{pid}/status").read_text(), pid
