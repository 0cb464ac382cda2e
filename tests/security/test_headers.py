"""Security headers on every answer; HTTPS required in production, not forgeable by headers."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from flask import Flask

from app.config import Settings
from app.platform.clock import FrozenClock
from app.platform.crypto import format_keys, new_key
from tests.conftest import dispose, make_app
from tests.support import Api


@pytest.mark.parametrize("path", ["/healthz", "/api/products/", "/api/docs/", "/nope"])
def test_headers_on_every_response(api: Api, path: str) -> None:
    response = api.get(path)
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in csp, (path, csp)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_docs_page_styles_carry_the_csp_nonce(api: Api) -> None:
    response = api.get("/api/docs/")
    csp = response.headers["Content-Security-Policy"]
    nonce = csp.split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'nonce="{nonce}"'.encode() in response.data


def test_every_page_gets_its_own_nonce(api: Api) -> None:
    """Attack on a reused nonce: one seen in an earlier page must not admit a script later."""
    nonces = set()
    for _ in range(3):
        csp = api.get("/api/docs/").headers["Content-Security-Policy"]
        nonces.add(csp.split("'nonce-", 1)[1].split("'", 1)[0])
    assert len(nonces) == 3 and all(len(nonce) >= 32 for nonce in nonces)


def test_json_answers_name_no_nonce(api: Api) -> None:
    """No template, no inline script or style: the policy admits none by nonce either."""
    csp = api.get("/api/products/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "nonce-" not in csp


@pytest.fixture
def production(settings: Settings, clock: FrozenClock) -> Iterator[Flask]:
    keys = {f"FIELD_KEYS_{p.upper()}": format_keys([new_key()])
            for p in ("totp", "order_user", "order_user_index", "device_proof")}
    prod = dataclasses.replace(settings, profile="production", extra={**settings.extra, **keys})
    app = make_app(prod, clock)
    yield app
    dispose(app)


def test_production_api_refuses_plain_http(production: Flask) -> None:
    client = production.test_client()
    response = client.get("/api/products/")
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    secure = client.get("/api/products/", base_url="https://shop.example")
    assert secure.status_code == 401  # past the HTTPS check, on to authentication
    assert "max-age=31536000; includeSubDomains" in secure.headers["Strict-Transport-Security"]


def test_production_pages_redirect_to_https_and_probes_answer(production: Flask) -> None:
    client = production.test_client()
    page = client.get("/some/page")
    assert page.status_code == 301 and page.headers["Location"].startswith("https://")
    assert client.get("/healthz").status_code == 200


def test_attack_forged_forwarded_proto_does_not_pass_for_https(production: Flask) -> None:
    client = production.test_client()
    response = client.get("/api/products/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 403
