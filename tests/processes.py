"""Helpers for tests that start real shop processes (servers, containers) on loopback."""

from __future__ import annotations

import http.client
import socket
import subprocess
import time

# Every field-key ring the production profile requires (FIELD_KEYS_<PURPOSE>).
FIELD_KEY_PURPOSES = ("totp", "order_user", "order_user_index", "device_proof")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http_ready(port: int, process: subprocess.Popen[bytes] | None = None, *,
                    path: str = "/healthz", headers: dict[str, str] | None = None,
                    seconds: float = 60) -> None:
    """Wait until ``GET path`` answers 200; fail at once if ``process`` has exited."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process is None or process.poll() is None, "the server exited"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", path, headers=headers or {})
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            conn.close()
    raise AssertionError(f"the server on port {port} did not come up in {seconds:.0f} s")
