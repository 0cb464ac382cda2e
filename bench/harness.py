"""Serve an app with gunicorn on loopback, drive it with a load generator, read worker memory.

The load generator is wrk when installed (Debian package ``wrk``: a C program, so it takes
little of the 2 cores away from the server); otherwise a small threaded Python client, whose
figures are lower but still comparable side by side within one run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def worker_rss_mb(self) -> tuple[float, float]:
        """(current RSS, peak RSS) of the largest worker, in MB."""
        current = peak = 0.0
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
            hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
            current, peak = max(current, rss), max(peak, hwm)
        return current, peak


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int = 2,
             ready_path: str = "/healthz") -> Iterator[Server]:
    port = free_port()
    full_env = {**os.environ, **env, "PORT": str(port), "WEB_CONCURRENCY": str(workers),
                "LOG_LEVEL": env.get("LOG_LEVEL", "WARNING")}
    process = subprocess.Popen(
        [str(GUNICORN), "--config", str(ROOT / "deploy" / "gunicorn.conf.py"), app],
        cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    server = Server(process, port)
    try:
        wait_ready(server, ready_path)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def wait_ready(server: Server, path: str = "/healthz", seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}")
        try:
            urllib.request.urlopen(server.base + path, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not become ready")


def post_json(url: str, body: dict[str, object], token: str | None = None) -> dict[str, object]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers,
                                     method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return dict(json.loads(response.read()))


@dataclass
class LoadResult:
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int


def load(url: str, seconds: float = 8, connections: int = 16,
         headers: dict[str, str] | None = None, script: str | None = None) -> LoadResult:
    """GET ``url`` (or what the wrk Lua ``script`` says) as fast as the server answers."""
    if shutil.which("wrk"):
        return _wrk(url, seconds, connections, headers or {}, script)
    if script:
        raise RuntimeError("scripted scenarios need wrk (Debian package wrk)")
    return _python_load(url, seconds, connections, headers or {})


# Appended to every wrk script: wrk prints p50/p75/p90/p99 by itself, not p95.
_PERCENTILES = """
done = function(summary, latency, requests)
  io.write(string.format("shop-p50-us %d\\n", latency:percentile(50)))
  io.write(string.format("shop-p95-us %d\\n", latency:percentile(95)))
end
"""


def _wrk(url: str, seconds: float, connections: int, headers: dict[str, str],
         script: str | None) -> LoadResult:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", url]
    for key, value in headers.items():
        args[1:1] = ["-H", f"{key}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write((script or "") + _PERCENTILES)
        lua.flush()
        args[1:1] = ["-s", lua.name]
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", out))
    return LoadResult(rps, _us(out, "p50") / 1000, _us(out, "p95") / 1000, errors)


def _us(out: str, name: str) -> float:
    match = re.search(rf"shop-{name}-us (\d+)", out)
    return float(match.group(1)) if match else float("nan")


def _python_load(url: str, seconds: float, connections: int,
                 headers: dict[str, str]) -> LoadResult:
    host, port_path = url.split("//", 1)[1].split(":", 1)
    port, path = port_path.split("/", 1)
    latencies: list[float] = []
    errors = [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def worker() -> None:
        conn = HTTPConnection(host, int(port), timeout=10)
        mine = []
        while time.monotonic() < stop:
            start = time.perf_counter()
            conn.request("GET", "/" + path, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            if response.status >= 300:
                errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    pick = lambda q: latencies[int(q * (len(latencies) - 1))] * 1000  # noqa: E731
    return LoadResult(len(latencies) / seconds, pick(0.5), pick(0.95), errors[0])
