"""The container's start command, run for real outside Docker: migrate, seed, serve, answer."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


def wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 180) -> bytes:
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


def stop(process: subprocess.Popen[bytes], seconds: float) -> str:
    """SIGTERM to the whole group and its output; a server still running ``seconds`` later is
    killed (it must not live on into the rest of the run) and the test fails naming the
    processes that were left and with the server's last lines."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.communicate(timeout=seconds)[0].decode()
    except subprocess.TimeoutExpired:
        left = subprocess.run(["ps", "-o", "pid,ppid,etime,stat,args", "-g", str(process.pid)],
                              capture_output=True, text=True, check=False).stdout
        os.killpg(process.pid, signal.SIGKILL)
        tail = process.communicate(timeout=30)[0].decode()[-3000:]
        raise AssertionError(f"still running {seconds} s after SIGTERM:\n{left}\n{tail}") from None


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
    seen = ""
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
        seen = read_until(process, "Stop with Ctrl+C")  # the block follows the first answer
    finally:
        output = seen + stop(process, 30)
    assert "Demo accounts" in output and "==> Serving on" in output
    if transport == "grpc":
        pids = (tmp_path / "grpc-hosts.pids").read_text().split()
        assert len(pids) == 3
        time.sleep(1)
        for pid in pids:  # the module hosts stop with the shop
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(
                f"/proc/{pid}/status").read_text(), pid


def read_until(process: subprocess.Popen[bytes], needle: str, seconds: float = 120) -> str:
    """The output so far, once it contains ``needle`` (the process writes to a pipe)."""
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    deadline, seen = time.monotonic() + seconds, b""
    while time.monotonic() < deadline:
        chunk = process.stdout.read()
        seen += chunk or b""
        if needle.encode() in seen:
            return seen.decode()
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} not in the output:\n{seen.decode()[-4000:]}")


def test_a_newcomers_first_minute_one_line_per_phase_then_url_and_accounts(
        tmp_path: Path) -> None:
    """`make run` on a fresh clone: what happens, one plain line each (no seeding log lines),
    then, once the server answers, the URL and the two demo accounts to log in with."""
    port = free_port()
    env = {**os.environ, "SHOP_INSTANCE_PATH": str(tmp_path), "PORT": str(port),
           "PASSWORD_HASH_ITERATIONS": "1000"}
    for name in ("SHOP_PROFILE", "LOG_LEVEL", "MODULE_TRANSPORT"):
        env.pop(name, None)
    process = subprocess.Popen([str(ROOT / "bin" / "start")], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        output = read_until(process, "Stop with Ctrl+C")
    finally:
        stop(process, 30)
    lines = output.splitlines()
    phases = [line for line in lines if line.startswith("==>")]
    assert phases == ["==> Migrating the databases", "==> Seeding demo data",
                      f"==> Serving on 127.0.0.1:{port} (profile: development)"], output
    assert lines[:3] == phases, "nothing comes before or between the phase lines"
    assert "user_created" not in output and '"audit"' not in output, "seeding logged"
    block = output[output.index("The shop is ready"):]
    assert f"http://127.0.0.1:{port}/" in block
    creds = json.loads((tmp_path / "demo_credentials.json").read_text())
    for username in ("admin", "demo"):
        assert f"{username}" in block and creds[username] in block, block
    assert "shopper1" not in block, "the block stays short: two accounts, the file for more"
    server = [line for line in lines[3:] if line.startswith("{")]
    assert server and all(json.loads(line) for line in server), "the server's logs are JSON"


@pytest.mark.redis
def test_outside_development_every_line_is_json_including_the_server_and_grpc_hosts(
        tmp_path: Path) -> None:
    """Production profile, modules as gRPC hosts: the start script's own lines, the server's
    master and workers, the module hosts, requests (with their request id): all JSON."""
    from app.identity.signing import SigningKeyStore
    from app.platform.clock import SystemClock
    from app.platform.crypto import format_keys, new_key
    from app.platform.grpc.pki import Pki

    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("needs TEST_REDIS_URL (production keeps rate limits in Redis)")
    SigningKeyStore(tmp_path / "jwt", SystemClock(), 3600).ensure(create=True)
    Pki(tmp_path / "pki").ensure(["web", "identity", "catalog", "ordering"])
    port = free_port()
    env = {**os.environ, "SHOP_PROFILE": "production", "SHOP_INSTANCE_PATH": str(tmp_path),
           "PORT": str(port), "SECRET_KEY": secrets.token_urlsafe(48), "SHOP_HOSTS": "127.0.0.1",
           "JWT_KEYS_DIR": str(tmp_path / "jwt"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.sqlite3'}",
           "RATELIMIT_STORAGE_URI": redis_url, "MODULE_TRANSPORT": "grpc",
           "GRPC_PKI_DIR": str(tmp_path / "pki"), "TRUSTED_PROXY_HOPS": "1",
           **{f"FIELD_KEYS_{p.upper()}": format_keys([new_key()])
              for p in ("totp", "order_user", "order_user_index", "device_proof")},
           **{f"{m}_GRPC_TARGET": f"127.0.0.1:{free_port()}"
              for m in ("IDENTITY", "CATALOG", "ORDERING")}}
    env.pop("LOG_LEVEL", None)
    process = subprocess.Popen([str(ROOT / "bin" / "start")], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/readyz", process)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/products/", headers={"X-Forwarded-Proto": "https"})
        with pytest.raises(urllib.error.HTTPError):  # 401 without a token, through gRPC
            urllib.request.urlopen(request, timeout=10)
    finally:
        output = stop(process, 60)
    records = []
    for line in output.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}\n{output[-3000:]}") from None
    loggers = {str(r.get("logger")) for r in records}
    assert {"shop.start", "_granian", "shop.grpc.host", "shop.http"} <= loggers, loggers
    requests = [r for r in records if r.get("event") == "request"]
    assert requests and all(len(str(r["request_id"])) >= 16 for r in requests)
