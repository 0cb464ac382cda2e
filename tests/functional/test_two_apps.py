"""Two shops in one process share nothing they could fight over: each app has its own engines,
its own OpenAPI document and its own in-process locks.

Before, the engines lived in a process-wide cache that the last app built replaced, so the
first app's services wrote into the second app's database; and one OpenAPI object, built from
whichever app asked first, described every app.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.bootstrap import Services
from app.config import Settings
from app.platform.clock import FrozenClock
from app.platform.db import current
from app.web.api.openapi import spec_of
from tests.conftest import dispose, make_app
from tests.shop_helpers import add_product
from tests.support import Api


@pytest.fixture
def two_apps(settings: Settings, clock: FrozenClock,
             tmp_path: Path) -> Iterator[tuple[Flask, Flask]]:
    first = make_app(settings.with_(database_url=f"sqlite:///{tmp_path / 'first.db'}"), clock)
    second = make_app(settings.with_(database_url=f"sqlite:///{tmp_path / 'second.db'}"), clock)
    yield first, second
    dispose(first)
    dispose(second)


def services_of(app: Flask) -> Services:
    return app.extensions["shop.services"]  # type: ignore[no-any-return]


def test_each_app_reads_and_writes_its_own_database(two_apps: tuple[Flask, Flask]) -> None:
    first, second = two_apps
    assert Api(first.test_client(), services_of(first)).register("alice").status_code == 201
    assert Api(first.test_client(), services_of(first)).login("alice").status_code == 200
    assert Api(second.test_client(), services_of(second)).login("alice").status_code == 401
    assert Api(second.test_client(), services_of(second)).register("alice").status_code == 201


def test_a_call_from_any_thread_uses_its_own_apps_database(
        two_apps: tuple[Flask, Flask]) -> None:
    """No app context in a plain thread: the in-process boundary binds its app's database."""
    first, second = two_apps
    add_product(first, services_of(first), "ONLY-FIRST")
    seen: dict[str, Any] = {}

    def read(name: str, app: Flask) -> None:
        seen[name] = services_of(app).catalog.list_categories()  # type: ignore[union-attr]

    threads = [threading.Thread(target=read, args=(name, app))
               for name, app in (("first", first), ("second", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [c.slug for c in seen["first"]] == ["misc"] and seen["second"] == ()


def test_the_bound_database_wins_over_another_apps_context(
        two_apps: tuple[Flask, Flask]) -> None:
    first, second = two_apps
    theirs, ours = services_of(first).database, services_of(second).database
    assert theirs.engine(None).url != ours.engine(None).url
    with first.app_context():
        assert current() is theirs
        with ours.bound():
            assert current() is ours
    assert theirs.local_lock("order-sweep") is not ours.local_lock("order-sweep")


def test_each_app_has_its_own_api_document(two_apps: tuple[Flask, Flask]) -> None:
    first, second = two_apps
    assert spec_of(first) is not spec_of(second)
    from spectree import Response as Resp

    from app.web.api import schemas

    @second.get("/api/only-second/")
    @spec_of(second).validate(resp=Resp(HTTP_200=schemas.UserOut), tags=["test"])
    def only_second() -> dict[str, str]:
        return {}

    first_doc = first.test_client().get("/api/openapi.json").get_json()
    second_doc = second.test_client().get("/api/openapi.json").get_json()
    assert "/api/only-second/" in second_doc["paths"]
    assert "/api/only-second/" not in first_doc["paths"]
    assert set(first_doc["paths"]) == set(second_doc["paths"]) - {"/api/only-second/"}


def test_each_app_keeps_its_own_security_headers(settings: Settings) -> None:
    """Flask-Talisman keeps its options on its own object: one shared by every app gave
    them all the options of the last app set up (HSTS of a production app on a test one)."""
    from app.platform import headers

    production = settings.with_()
    object.__setattr__(production, "profile", "production")
    plain, strict = Flask("plain"), Flask("strict")
    headers.init_app(plain, settings)
    headers.init_app(strict, production)
    for app in (plain, strict):
        app.get("/")(lambda: "ok")
    hsts = [app.test_client().get("/", base_url="https://shop.test").headers
            .get("Strict-Transport-Security") for app in (plain, strict)]
    assert hsts[0] is None and hsts[1] is not None and "max-age" in hsts[1]
