"""Slow-client attack (slowloris, slow POST) against the shipped server, started by bin/start.

Fifty connections trickle their headers or their request body one byte at a time, far more
connections than the server has worker threads (2 workers x 4 threads). A server that hands a
connection to a worker thread before the request is complete has every thread waiting on
them, and ``/healthz`` stops answering. The shipped server must keep answering: every probe
gets its 200 while all fifty attackers are still connected and trickling.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_start_script import ROOT, free_port, wait_for

pytestmark = pytest.mark.slow

ATTACKERS = 50
TRICKLE_EVERY = 0.5  # seconds between two bytes of one attacker
# Generous for a shared, loaded machine: a starved server never answers while the attack
# lasts, a healthy one answers in milliseconds.
PROBE_TIMEOUT = 5
PROBES = 8
HEADERS = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 4000
BODY_HEAD = (b"POST /api/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
             b"\r\nContent-Length: 4000\r\n\r\n")


@pytest.fixture
def shipped_server(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    env = {**os.environ, "SHOP_INSTANCE_PATH": str(tmp_path), "PORT": str(port),
           "WEB_CONCURRENCY": "2", "WEB_THREADS": "4", "PASSWORD_HASH_ITERATIONS": "1000",
           "LOG_LEVEL": "WARNING", "MODULE_TRANSPORT": "inprocess"}
    env.pop("SHOP_PROFILE", None)
    process = subprocess.Popen([str(ROOT / "bin" / "start")], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", process)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


class Trickle:
    """Attackers that send the start of a request, then one more byte every so often."""

    def __init__(self, port: int) -> None:
        self.stop = threading.Event()
        self.sockets: list[socket.socket] = []
        self.rest: list[bytes] = []
        for n in range(ATTACKERS):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            whole = HEADERS if n % 2 == 0 else BODY_HEAD + b"{" + b" " * 3999
            start = len(BODY_HEAD) + 1 if n % 2 else 20
            sock.sendall(whole[:start])
            self.sockets.append(sock)
            self.rest.append(whole[start:])
            self.stop.wait(0.02)  # one at a time, as the workers' accept loops take them
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        sent = 0
        while not self.stop.wait(TRICKLE_EVERY):
            for sock, rest in zip(self.sockets, self.rest, strict=True):
                try:
                    sock.send(rest[sent:sent + 1])
                except OSError:
                    continue  # the server gave up on this one: allowed
            sent += 1

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def probe(port: int) -> int | str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",
                                    timeout=PROBE_TIMEOUT) as response:
            return int(response.status)
    except OSError as exc:  # a timeout: no thread was free to answer
        return repr(exc)


def test_fifty_slow_clients_leave_healthz_answering(shipped_server: int) -> None:
    attack = Trickle(shipped_server)
    try:
        # Let the server accept every attacker (and hand it to a thread, if it does that).
        attack.stop.wait(2)
        statuses = []
        for _ in range(PROBES):
            statuses.append(probe(shipped_server))
            attack.stop.wait(0.3)
        assert attack.thread.is_alive()  # the attackers were trickling all along
    finally:
        attack.close()
    assert statuses == [200] * PROBES
