"""HTML error pages for page requests (never a trace); the API keeps problem+json."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.config import Settings
from app.kernel import Unavailable
from app.platform.clock import FrozenClock
from tests.conftest import dispose, make_app
from tests.ui_support import Shopper, csrf_of, text_of


def test_404_and_405_pages(client: Any) -> None:
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    assert "Page not found" in text_of(missing)
    wrong = client.put("/login")
    assert wrong.status_code == 405 and wrong.mimetype == "text/html"
    assert "GET" in wrong.headers["Allow"]
    api = client.get("/api/no/such/thing/")
    assert api.mimetype == "application/problem+json"


def test_413_page_for_an_oversized_form(client: Any, app: Flask) -> None:
    token = csrf_of(text_of(client.get("/login")))
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    response = client.post("/login", data={"csrf_token": token, "username": "x" * size})
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert "That was too large" in text_of(response)


def test_500_page_hides_the_trace(client: Any, services: Any, monkeypatch: Any) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail /srv/app.py line 42")

    monkeypatch.setattr(services.catalog, "list_categories", broken)
    response = client.get("/")
    assert response.status_code == 500 and response.mimetype == "text/html"
    html = text_of(response)
    assert "Sorry, there is a problem with the shop" in html
    assert "secret internal detail" not in html and "Traceback" not in html


def test_503_page_when_a_module_is_unavailable(client: Any, services: Any,
                                               monkeypatch: Any) -> None:
    def down(*_args: Any, **_kwargs: Any) -> Any:
        raise Unavailable("catalog host unreachable at 10.0.0.7:50052")

    monkeypatch.setattr(services.catalog, "list_products", down)
    response = client.get("/products/")
    assert response.status_code == 503 and "the shop is busy" in text_of(response)
    assert "10.0.0.7" not in text_of(response)


@pytest.fixture
def limited_app(settings: Settings, clock: FrozenClock) -> Iterator[Flask]:
    app = make_app(settings.with_(ratelimit_limits={}), clock)  # the real named limits
    yield app
    dispose(app)


def test_429_page_shows_the_wait_and_shares_the_api_login_budget(limited_app: Flask) -> None:
    """Attack: password guessing through the page after the API's budget is spent."""
    client = limited_app.test_client()
    for _ in range(10):  # login_ip: 10 per 5 minutes, shared by the API and the page
        client.post("/api/token/", json={"username": "alice", "password": "wrong guess"})
    response = Shopper(client).login("alice", "another wrong guess")
    assert response.status_code == 429 and response.mimetype == "text/html"
    assert "Too many attempts" in text_of(response)
    assert "You can try again in" in text_of(response)
    assert int(response.headers["Retry-After"]) > 0
