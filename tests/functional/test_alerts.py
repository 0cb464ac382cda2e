"""Alerts on the monitoring thresholds: audit event, metric, webhook; each fires once."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from flask import Flask

from app.config import Settings
from app.platform.alerts import AlertMonitor
from app.platform.audit import SecurityEvent
from app.platform.clock import FrozenClock
from tests.conftest import dispose, make_app
from tests.support import Api


def alerts(api: Api) -> list[dict[str, Any]]:
    return api.services.audit.recent(200, event_prefix="sys_alert")


def test_account_brute_force_alerts_once(api: Api) -> None:
    api.register("victim")
    for _ in range(5):
        api.login("victim", "wrong guess here")
    assert alerts(api) == []
    api.login("victim", "wrong guess here")  # the 6th failure in 5 minutes
    raised = alerts(api)
    assert len(raised) == 1 and raised[0]["details"]["kind"] == "account_brute_force"
    api.login("victim", "wrong guess here")
    assert len(alerts(api)) == 1, "one alert per crossing, not one per failure"


def test_failures_spread_over_time_do_not_alert(api: Api, clock: FrozenClock) -> None:
    api.register("slowpoke")
    for _ in range(8):
        api.login("slowpoke", "wrong guess here")
        clock.advance(61)
    assert alerts(api) == []


def test_invalid_token_flood_alerts(api: Api) -> None:
    for _ in range(11):
        api.get("/api/users/me/", "garbage-token")
    raised = alerts(api)
    assert [a["details"]["kind"] for a in raised] == ["invalid_tokens"]


def test_breaker_opening_alerts(api: Api) -> None:
    api.services.audit.record(SecurityEvent.BREAKER_CHANGED, outcome="failure",
                              actor="system", target="catalog", old="closed", new="open")
    assert [a["details"]["kind"] for a in alerts(api)] == ["breaker_open"]


def test_server_error_ratio_over_five_percent(api: Api) -> None:
    monitor = AlertMonitor(api.services.audit)
    for n in range(19):
        monitor.on_response(200, now=1000.0 + n)
    monitor.on_response(500, now=1020.0)
    assert alerts(api) == []  # 1 of 20 is exactly 5%: not more
    monitor.on_response(500, now=1021.0)
    assert [a["details"]["kind"] for a in alerts(api)] == ["server_errors"]
    monitor.on_response(500, now=1022.0)
    assert len(alerts(api)) == 1


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]], threading.Event]]:
    received: list[dict[str, Any]] = []
    arrived = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()
            arrived.set()

        def log_message(self, *_: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received, arrived
    server.shutdown()
    server.server_close()


def test_alert_is_posted_to_the_webhook(settings: Settings, clock: FrozenClock,
                                        webhook: tuple[str, list[dict[str, Any]],
                                                       threading.Event]) -> None:
    url, received, arrived = webhook
    app: Flask = make_app(dataclasses.replace(settings, alert_webhook_url=url), clock)
    try:
        client = app.test_client()
        for _ in range(11):
            client.get("/api/users/me/", headers={"Authorization": "Bearer nope"})
        assert arrived.wait(10)
        assert received[0]["alert"] == "invalid_tokens"
    finally:
        dispose(app)


def test_error_window_memory_is_bounded_by_time_not_traffic(api: Api) -> None:
    monitor = AlertMonitor(api.services.audit)
    for n in range(20_000):
        monitor.on_response(200, now=5000.0 + n / 50)  # 50 requests a second for 400 s
    assert len(monitor._buckets) <= 300
