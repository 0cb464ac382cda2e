"""Readiness tells anyone whether the shop is ready, and only operators why; the API
description is public only where API_DOCS_PUBLIC says so."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from flask import Flask

from app.config import Settings
from app.platform.clock import FrozenClock
from tests.conftest import dispose, make_app
from tests.support import Api

METRICS_TOKEN = "metrics-" + "Qm4vT8rZ2wXk9pLs" * 2


@pytest.fixture
def build(settings: Settings, clock: FrozenClock) -> Iterator[object]:
    apps: list[Flask] = []

    def _build(**changes: object) -> Api:
        app = make_app(dataclasses.replace(settings, metrics_token=METRICS_TOKEN, **changes),
                       clock)
        apps.append(app)
        return Api(app.test_client(), app.extensions["shop.services"])

    yield _build
    for app in apps:
        dispose(app)


def test_readiness_details_are_for_operators_only(build) -> None:  # type: ignore[no-untyped-def]
    """Attack: reconnaissance. Module targets, certificate expiry and breaker states tell an
    outsider where to aim; anonymous callers and plain users get the status alone."""
    api: Api = build()
    assert api.get("/readyz").get_json() == {"status": "ready"}
    assert api.get("/readyz", "not.a.token").get_json() == {"status": "ready"}
    assert api.get("/readyz", api.user()["access"]).get_json() == {"status": "ready"}
    for token in (api.admin()["access"], METRICS_TOKEN):
        body = api.get("/readyz", token).get_json()
        assert body["status"] == "ready" and body["checks"]["databases"]["ok"] is True


def test_readiness_never_500s_with_rate_limits_off(build) -> None:  # type: ignore[no-untyped-def]
    api: Api = build(ratelimit_enabled=False)
    assert api.get("/readyz").status_code == 200
    body = api.get("/readyz", METRICS_TOKEN).get_json()
    assert body["checks"]["ratelimit_storage"] == {"ok": True, "required": False,
                                                   "enabled": False}


def test_a_failing_check_is_reported_not_a_500(build, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.web import health

    def broken() -> dict[str, object]:
        raise RuntimeError("database driver exploded")

    monkeypatch.setattr(health, "_databases", broken)
    api: Api = build()
    answer = api.get("/readyz", METRICS_TOKEN)
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["databases"] == {"ok": False, "error": "RuntimeError"}


@pytest.mark.parametrize("path", ["/api/openapi.json", "/api/docs/"])
def test_private_api_docs_need_an_operator(build, path: str) -> None:  # type: ignore[no-untyped-def]
    api: Api = build(api_docs_public=False)
    assert api.get(path).status_code == 401
    assert api.get(path, api.user()["access"]).status_code == 403
    assert api.get(path, api.admin()["access"]).status_code == 200
    assert api.get(path, METRICS_TOKEN).status_code == 200
    assert api.get("/apidoc/openapi.json").status_code == 404  # no second copy elsewhere


def test_api_docs_setting_defaults(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert Settings.from_env({"SHOP_INSTANCE_PATH": str(tmp_path)}).api_docs_public is True
    env = {"SHOP_INSTANCE_PATH": str(tmp_path), "API_DOCS_PUBLIC": "false"}
    assert Settings.from_env(env).api_docs_public is False
    from tests.unit.test_config import production_env

    assert Settings.from_env(production_env(tmp_path)).api_docs_public is False
