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


def test_random_methods_and_paths_do_not_grow_metrics(api: Api) -> None:
    """Attack: 1,000 requests with made-up methods and paths, each a new label value, would
    grow every scrape (and the multiprocess files) without bound."""
    import random
    import string

    admin = api.admin()
    for _ in range(20):  # every known series exists once before the baseline
        api.client.open("/api/no-such-thing/", method="BREW")
        api.client.open("/healthz", method="BREW")
    before = api.get("/metrics", admin["access"]).get_data(as_text=True)
    rng = random.Random(6)
    for i in range(1000):
        method = "".join(rng.choices(string.ascii_uppercase, k=8))
        path = "/healthz" if i % 2 else f"/api/{rng.getrandbits(64):x}/"
        assert api.client.open(path, method=method).status_code in (404, 405)
    after = api.get("/metrics", admin["access"]).get_data(as_text=True)
    methods = {line.split('method="', 1)[1].split('"', 1)[0] for line in after.splitlines()
               if line.startswith("shop_http_requests_total{")}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    assert len(after) - len(before) < 2_000, (len(before), len(after))
    assert sample(after, "shop_http_requests_total", method="other", endpoint="unmatched") - sample(
        before, "shop_http_requests_total", method="other", endpoint="unmatched") == 1000
