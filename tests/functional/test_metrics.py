"""Prometheus metrics: not public, and they count what operators alert on."""

from __future__ import annotations

import dataclasses

from flask import Flask

from app.config import Settings
from app.platform.clock import FrozenClock
from tests.conftest import dispose, make_app
from tests.support import Api


def sample(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_are_not_public(api: Api) -> None:
    assert api.get("/metrics").status_code == 401
    user = api.user()
    assert api.get("/metrics", user["access"]).status_code == 403
    assert api.get("/metrics", "forged.token.value").status_code == 403


def test_admin_sees_requests_and_login_failures(api: Api) -> None:
    admin = api.admin()
    before = api.get("/metrics", admin["access"]).get_data(as_text=True)
    for _ in range(3):
        api.login("root", "definitely not it")
    api.get("/healthz")
    after = api.get("/metrics", admin["access"])
    assert after.status_code == 200 and after.mimetype == "text/plain"
    text = after.get_data(as_text=True)
    assert sample(text, "shop_login_failures_total") - sample(
        before, "shop_login_failures_total") == 3
    assert sample(text, "shop_http_requests_total", endpoint="/healthz", status="200") >= 1
    assert sample(text, "shop_http_request_duration_seconds_count", endpoint="/api/token/") >= 3


def test_metrics_token_and_constant_time_check(settings: Settings, clock: FrozenClock) -> None:
    app: Flask = make_app(dataclasses.replace(settings, metrics_token="m" * 40), clock)
    try:
        client = app.test_client()
        ok = client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 40})
        assert ok.status_code == 200
        wrong = client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 39})
        assert wrong.status_code == 403
    finally:
        dispose(app)
