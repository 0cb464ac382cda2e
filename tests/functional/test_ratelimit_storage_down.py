"""Rate-limit storage unreachable: login, 2FA and registration fail closed, the rest stays up.

Checks Flask-Limiter's real behaviour (see app/platform/ratelimit.py): the strict limiter does
not swallow storage errors and has no in-memory fallback, the lenient one swallows them.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from app.config import Settings
from app.platform.clock import FrozenClock
from tests.conftest import dispose, make_app
from tests.processes import free_port
from tests.support import GOOD_PASSWORD, Api

METRICS_TOKEN = "readiness-details-" + "k3Jq9vXw2LpZ7tRm" * 2


@pytest.fixture
def storage_api(settings: Settings, clock: FrozenClock) -> Iterator[Callable[[str], Api]]:
    """An Api whose rate limits live in the storage at ``uri``."""
    apps: list[Flask] = []

    def build(uri: str) -> Api:
        app = make_app(settings.with_(ratelimit_storage_uri=uri, ratelimit_limits={},
                                      metrics_token=METRICS_TOKEN), clock)
        apps.append(app)
        return Api(app.test_client(), app.extensions["shop.services"])

    yield build
    for app in apps:
        dispose(app)


def direct_tokens(api: Api) -> dict[str, Any]:
    """Tokens minted through the identity contract (the login route is down by design)."""
    with api.client.application.app_context():
        api.services.accounts.register("alice", "alice@example.com", GOOD_PASSWORD)
        tokens = api.services.sessions.login("alice", GOOD_PASSWORD).tokens
    assert tokens is not None
    return {"access": tokens.access, "refresh": tokens.refresh}


def assert_fail_closed_and_rest_open(api: Api, tokens: dict[str, Any]) -> None:
    login = api.login()
    assert login.status_code == 503, login.get_json()
    assert login.mimetype == "application/problem+json"
    assert api.register("bob").status_code == 503
    code_step = api.post("/api/users/2fa/verify-login/",
                         json={"login_ticket": "t" * 43, "code": "123456"})
    assert code_step.status_code == 503
    assert api.get("/api/users/me/", tokens["access"]).status_code == 200
    assert api.get("/api/products/", tokens["access"]).status_code == 200
    assert api.get("/api/orders/", tokens["access"]).status_code == 200
    assert api.get("/api/users/2fa/status/", tokens["access"]).status_code == 200
    refreshed = api.post("/api/token/refresh/", json={"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200, "refresh fails open"
    assert api.get("/healthz").status_code == 200


def test_unreachable_redis_login_503_rest_answers(storage_api: Callable[[str], Api],
                                                  caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()  # nothing listens there: connection refused
    api = storage_api(f"redis://127.0.0.1:{port}/0")
    tokens = direct_tokens(api)
    assert_fail_closed_and_rest_open(api, tokens)
    tracebacks = [r for r in caplog.records if r.name == "flask-limiter" and r.exc_info]
    assert not tracebacks, "failing open logs one line, not a traceback per request"


@pytest.fixture
def private_redis() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: cannot stop a Redis of our own")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port, process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def test_redis_stopped_mid_run_login_503_rest_answers(
        storage_api: Callable[[str], Api],
        private_redis: tuple[int, subprocess.Popen[bytes]]) -> None:
    port, process = private_redis
    api = storage_api(f"redis://127.0.0.1:{port}/0")
    tokens = direct_tokens(api)
    assert api.login(password="wrong password here").status_code == 401, "limits work first"
    process.terminate()
    process.wait(timeout=10)
    assert_fail_closed_and_rest_open(api, tokens)


def test_readiness_reports_the_storage_without_failing_the_instance(
        storage_api: Callable[[str], Api]) -> None:
    api = storage_api(f"redis://127.0.0.1:{free_port()}/0")
    ready = api.get("/readyz", METRICS_TOKEN)
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["ratelimit_storage"] == {"ok": False, "required": False}
