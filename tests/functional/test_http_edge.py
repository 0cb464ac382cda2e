"""Edge checks: JSON only, size limits, malformed bodies, problem+json, no stack traces."""

from __future__ import annotations

import pytest

from app.config import Settings
from app.platform.clock import FrozenClock
from tests.conftest import dispose, make_app
from tests.support import Api


def test_other_content_type_is_415(api: Api) -> None:
    response = api.client.post("/api/users/", data="username=a&password=b",
                               content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert set(body) >= {"type", "title", "status", "detail"} and body["status"] == 415


def test_oversized_body_is_413(api: Api) -> None:
    payload = '{"username": "' + "a" * 2_000_000 + '"}'
    response = api.client.post("/api/users/", data=payload, content_type="application/json")
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("raw", [b"{", b'{"a": }', b"\xff\xfe\x00", b'{"username": "\xc3\x28"}',
                                 b"[1, 2", b"nul"])
def test_malformed_json_or_invalid_utf8_is_400(api: Api, raw: bytes) -> None:
    response = api.client.post("/api/token/", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("body", [[], "text", 12, None, {"username": 5, "password": []},
                                  {"username": "a" * 10_000, "password": "x"}])
def test_wrong_types_are_400_naming_fields(api: Api, body: object) -> None:
    response = api.client.post("/api/token/", json=body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


def test_missing_fields_are_named(api: Api) -> None:
    response = api.client.post("/api/users/", json={"username": "alice"})
    assert response.status_code == 400
    assert {"email", "password"} <= set(response.get_json()["errors"])


def test_unknown_route_and_method_are_problems(api: Api) -> None:
    missing = api.get("/api/nope/")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    wrong = api.client.delete("/api/token/")
    assert wrong.status_code == 405 and wrong.mimetype == "application/problem+json"
    assert "POST" in wrong.headers["Allow"]


class ExplodingLogin:
    """The real identity module, except that logging in fails unexpectedly."""

    def __init__(self, real: object) -> None:
        self._real = real

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)

    def login(self, *_args: object, **_kwargs: object) -> None:
        raise RuntimeError("SELECT secret FROM keys -- /home/shop/app.py line 12")



def test_internal_errors_never_leak_a_stack_trace(settings: Settings,
                                                  clock: FrozenClock) -> None:
    app = make_app(settings, clock, overrides={"sessions": ExplodingLogin})
    try:
        response = Api(app.test_client(), app.extensions["shop.services"]).login()
    finally:
        dispose(app)
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "SELECT" not in text and "app.py" not in text
    assert response.mimetype == "application/problem+json"


def test_request_id_is_echoed_or_made(api: Api) -> None:
    assert len(api.get("/healthz").headers["X-Request-ID"]) >= 16
    given = api.client.get("/healthz", headers={"X-Request-ID": "abc12345-trace"})
    assert given.headers["X-Request-ID"] == "abc12345-trace"
    forged = api.client.get("/healthz", headers={"X-Request-ID": "bad id\"},{\"x\":1"})
    assert forged.headers["X-Request-ID"] != "bad id\"},{\"x\":1"


def test_public_keys_are_cacheable_and_complete(api: Api) -> None:
    jwks = api.get("/.well-known/jwks.json")
    assert "max-age" in jwks.headers["Cache-Control"]
    keys = jwks.get_json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256"
    assert "d" not in keys[0] and "p" not in keys[0], "private parts must never be published"
    assert int.bit_length(int.from_bytes(_b64(keys[0]["n"]), "big")) == 4096
    public = api.get("/api/auth/public-key/").get_json()
    assert public["alg"] == "RS256" and public["kid"] == keys[0]["kid"]
    assert public["public_key"].startswith("-----BEGIN PUBLIC KEY-----")


def _b64(value: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def test_openapi_document_and_docs_page(api: Api) -> None:
    doc = api.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/users/", "/api/token/", "/api/token/refresh/", "/api/users/me/"):
        assert path in doc["paths"]
    page = api.get("/api/docs/")
    assert page.status_code == 200 and b"/api/token/refresh/" in page.data


def test_authenticated_answers_are_never_cached(api: Api) -> None:
    user = api.user()
    assert api.get("/api/users/me/", user["access"]).headers["Cache-Control"] == "no-store"
    assert api.get("/api/products/", user["access"]).headers["Cache-Control"] == "no-store"
    assert api.get("/api/users/me/", "bad").headers["Cache-Control"] == "no-store"


DEEP = b"[" * 1000 + b"]" * 1000  # 2 KB: Python's json parser recurses once per level


@pytest.mark.parametrize("path", ["/api/token/", "/api/users/", "/api/token/refresh/",
                                  "/api/orders/"])
def test_deeply_nested_json_is_400_before_any_work(api: Api, path: str) -> None:
    """Attack: a small body nested 1,000 deep blew the parser's recursion limit (a 500 that
    also fed the server-error alert). It is refused from the raw bytes, before parsing."""
    from tests.functional.test_alerts import alerts

    for body in (DEEP, b'{"items": ' + DEEP + b"}", b'{"a":' * 40 + b"1" + b"}" * 40):
        for _ in range(8):  # more than the alert's minimum of 20 requests in all
            response = api.client.post(path, data=body, content_type="application/json")
            assert response.status_code == 400, response.get_data(as_text=True)
            assert response.mimetype == "application/problem+json"
            assert "nest" in response.get_json()["detail"]
    assert alerts(api) == []


def test_brackets_inside_strings_do_not_count_as_nesting(api: Api) -> None:
    api.user()
    answer = api.client.post("/api/token/", json={"username": "alice",
                                                  "password": "[" * 200 + "{" * 200})
    assert answer.status_code == 401


def test_json_body_over_the_json_size_limit_is_413(api: Api) -> None:
    from app.platform.json_limits import MAX_JSON_BYTES

    body = b'{"username": "' + b"a" * MAX_JSON_BYTES + b'", "password": "x"}'
    response = api.client.post("/api/token/", data=body, content_type="application/json")
    assert response.status_code == 413 and response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", ["/account", "/", "/products/", "/api/products/"])
def test_attack_host_header_injection_gets_a_plain_400_on_pages_too(settings, clock,
                                                                     path: str) -> None:
    """A Host outside SHOP_HOSTS is refused with 400 before any work, also on a page: no
    HTML error page (it would link to URLs built for the attacker's host), no redirect."""
    from tests.conftest import dispose, make_app

    app = make_app(settings.with_(hosts=("shop.example",)), clock)
    try:
        response = app.test_client().get(path, headers={"Host": "evil.example"})
        assert response.status_code == 400
        assert response.content_type == "application/problem+json"
        assert "Location" not in response.headers
        assert b"evil.example" not in response.data
        ok = app.test_client().get("/healthz", headers={"Host": "shop.example"})
        assert ok.status_code == 200
    finally:
        dispose(app)
