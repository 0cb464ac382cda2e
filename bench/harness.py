"""Serve an app as bin/start does (Granian; gunicorn for comparison) on loopback, drive it with
a load generator, read worker memory.

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
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
ASGI_OF = {"wsgi:app": "asgi:app", "bench.hello:app": "bench.hello:asgi_app"}


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


# granian: what bin/start ships (ASGI, bodies buffered before a thread, asgi.py);
# granian-wsgi: Granian's own WSGI threads; gunicorn: gthread, the server shipped before.
SERVERS = ("granian", "granian-wsgi", "gunicorn")


def server_command(kind: str, app: str) -> list[str]:
    """The command line for ``kind`` serving the WSGI ``app`` (``module:name``), with its
    settings from the environment, as ``bin/start`` would run it."""
    serve = [sys.executable, str(ROOT / "deploy" / "granian_serve.py")]
    if kind == "gunicorn":
        return [str(GUNICORN), "--config", str(ROOT / "deploy" / "gunicorn.conf.py"), app]
    if kind == "granian":
        return [*serve, "asgi", ASGI_OF.get(app, app)]
    if kind == "granian-wsgi":
        return [*serve, "wsgi", app]
    raise ValueError(f"unknown server {kind!r}")


@contextmanager
def serve(app: str, env: dict[str, str], workers: int = 2, ready_path: str = "/healthz",
          kind: str = "granian") -> Iterator[Server]:
    """``app`` served by ``kind`` exactly as shipped (its settings file), on a free port."""
    port = free_port()
    full_env = {**os.environ, **env, "PORT": str(port), "WEB_CONCURRENCY": str(workers),
                "LOG_LEVEL": env.get("LOG_LEVEL", "WARNING")}
    process = subprocess.Popen(
        server_command(kind, app), cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
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
            raise RuntimeError(f"the server exited with {server.process.returncode}")
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
    errors: int  # responses that were not 2xx, plus socket errors (connect, read, timeout)
    p99_ms: float = float("nan")
    by_wrk: bool = False


def load(url: str, seconds: float = 8, connections: int = 16,
         headers: dict[str, str] | None = None, script: str | None = None) -> LoadResult:
    """GET ``url`` (or what the wrk Lua ``script`` says) as fast as the server answers."""
    if shutil.which("wrk"):
        return _wrk(url, seconds, connections, headers or {}, script)
    if script:
        raise RuntimeError("scripted scenarios need wrk (Debian package wrk)")
    return _python_load(url, seconds, connections, headers or {})


# Appended to every wrk script: wrk prints p50/p75/p90/p99 by itself, not p95, and counts
# only 4xx/5xx as errors; every thread counts its responses outside 2xx itself.
_COUNTERS = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) not2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then not2xx = not2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("not2xx") end
  local e = summary.errors
  io.write(string.format("shop-not2xx %d\\n", bad))
  io.write(string.format("shop-socket-errors %d\\n", e.connect + e.read + e.write + e.timeout))
  io.write(string.format("shop-p50-us %d\\n", latency:percentile(50)))
  io.write(string.format("shop-p95-us %d\\n", latency:percentile(95)))
  io.write(string.format("shop-p99-us %d\\n", latency:percentile(99)))
end
"""


def _wrk(url: str, seconds: float, connections: int, headers: dict[str, str],
         script: str | None) -> LoadResult:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", url]
    for key, value in headers.items():
        args[1:1] = ["-H", f"{key}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write((script or "") + _COUNTERS)
        lua.flush()
        args[1:1] = ["-s", lua.name]
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = int(_us(out, "not2xx")) + int(_us(out, "socket-errors"))
    return LoadResult(rps, _us(out, "p50-us") / 1000, _us(out, "p95-us") / 1000, errors,
                      _us(out, "p99-us") / 1000, by_wrk=True)


def _us(out: str, name: str) -> float:
    match = re.search(rf"shop-{name} (\d+)", out)
    if match is None:
        raise RuntimeError(f"wrk printed no {name}: {out[-500:]}")
    return float(match.group(1))


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


def environment() -> str:
    """The facts a reader needs to compare two reports: cores, commit, load generator."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout
        commit += " (with uncommitted changes)" if dirty.strip() else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown (not a git checkout)"
    usable = len(os.sched_getaffinity(0))
    generator = shutil.which("wrk") or "none (wrk missing: no ratios)"
    return (f"cores: {os.cpu_count()} ({usable} usable), load average "
            f"{os.getloadavg()[0]:.2f}; commit {commit}; load generator {generator}")


def interleave(runs: dict[str, Callable[[], LoadResult]], rounds: int,
               warm_up: bool = True) -> dict[str, list[LoadResult]]:
    """Run every scenario once per round, in order (A, B, A, B, ...), after one warm-up pass
    that is not counted: machine noise then hits every scenario alike."""
    if warm_up:
        for run in runs.values():
            run()
    results: dict[str, list[LoadResult]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            results[name].append(run())
    return results


@dataclass
class Ratio:
    """One scenario against its baseline, round by round (the same round's figures)."""

    name: str
    measured: list[LoadResult]
    baseline: list[LoadResult]
    target: str

    def refusal(self) -> str | None:
        every = self.measured + self.baseline
        if not all(result.by_wrk for result in every):
            return "no ratio: wrk missing (a Python client measures itself)"
        failed = sum(result.errors for result in every)
        return f"no ratio: {failed} responses were not 2xx" if failed else None

    def ratios(self) -> list[float]:
        return [m.rps / b.rps for m, b in zip(self.measured, self.baseline, strict=True)]

    def render(self, width: int) -> str:
        rps = [m.rps for m in self.measured]
        p99 = statistics.median(m.p99_ms for m in self.measured)
        head = (f"{self.name:<{width}}{statistics.median(rps):>9.0f} "
                f"[{min(rps):.0f}-{max(rps):.0f}]  p99 {p99:6.1f} ms  ")
        refused = self.refusal()
        if refused:
            return head + refused
        ratios = self.ratios()
        return (head + f"ratio {statistics.median(ratios):.3f} "
                f"[{min(ratios):.3f}-{max(ratios):.3f}]  target {self.target}")
