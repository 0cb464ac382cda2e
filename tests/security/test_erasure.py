"""GDPR export and erasure (DELETE /api/users/me/, `users erase U`).

After erasure, an attacker holding a dump of every database, the whole log and the user's
old tokens must find nothing that links back to the person (username, e-mail, user id), and
every old token must fail. Orders stay for the books, unlinked.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask

from app.platform import logging as shop_logging
from app.platform.audit import verify_chain
from app.platform.clock import FrozenClock
from tests.security.test_database_dump import dump_database
from tests.shop_helpers import add_product, make_admin, order
from tests.support import GOOD_PASSWORD, Api
from tests.two_factor_support import enable_2fa

NAME, EMAIL = "zelda_q7", "zelda.q7@example.org"


@pytest.fixture
def log_stream() -> io.StringIO:
    stream = io.StringIO()
    shop_logging.configure("INFO", stream=stream)
    return stream


def busy_user(api: Api, app: Flask) -> dict[str, str]:
    """A user with a history: orders, a cancelled one, a refresh, a failed login."""
    created = api.register(NAME, email=EMAIL).get_json()
    tokens = api.login(NAME).get_json()
    product = add_product(app, api.services, "ERASE-1", stock=20)
    first = order(api, tokens["access"], (product, 2)).get_json()
    order(api, tokens["access"], (product, 1))
    assert api.post(f"/api/orders/{first['id']}/cancel/", tokens["access"]).status_code == 200
    pair = api.client.post("/api/token/refresh/", json={"refresh": tokens["refresh"]}).get_json()
    api.login(NAME, "not my password at all")
    return {"id": created["id"], "access": pair["access"], "refresh": pair["refresh"],
            "first_access": tokens["access"]}


def test_export_holds_profile_orders_sessions_and_events_but_no_secret(api: Api,
                                                                       app: Flask) -> None:
    user = busy_user(api, app)
    answer = api.get("/api/users/me/export/", user["access"])
    assert answer.status_code == 200, answer.get_json()
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.headers["Cache-Control"] == "no-store"
    data = answer.get_json()
    assert data["profile"]["username"] == NAME and data["profile"]["email"] == EMAIL
    assert data["two_factor"] == {"enabled": False, "backup_codes_remaining": 0}
    assert len(data["orders"]) == 2 and all(o["items"] for o in data["orders"])
    assert {o["status"] for o in data["orders"]} == {"pending", "cancelled"}
    assert data["sessions"] and data["sessions"][0]["active"] is True
    events = {e["event"] for e in data["security_events"]}
    assert {"user_created", "authn_login_success", "authn_login_fail",
            "order_cancelled"} <= events
    text = json.dumps(data)
    for secret in (GOOD_PASSWORD, "pbkdf2", user["refresh"], user["access"]):
        assert secret not in text


def test_export_is_only_ever_the_callers_own(api: Api, app: Flask) -> None:
    busy_user(api, app)
    bob = api.user("bob")
    data = api.get("/api/users/me/export/", bob["access"]).get_json()
    assert data["orders"] == [] and NAME not in json.dumps(data)
    assert api.get("/api/users/me/export/").status_code == 401


def test_erasure_needs_the_password(api: Api, app: Flask) -> None:
    """Attack: a stolen access token alone must not erase the account."""
    user = busy_user(api, app)
    wrong = api.delete("/api/users/me/", user["access"], json={"password": "guessing 12345"})
    assert wrong.status_code == 401
    assert api.delete("/api/users/me/", user["access"], json={}).status_code == 400
    assert api.get("/api/users/me/", user["access"]).status_code == 200  # nothing happened


def test_after_erasure_nothing_links_back_and_old_tokens_fail(
        api: Api, app: Flask, log_stream: io.StringIO) -> None:
    user = busy_user(api, app)
    admin = make_admin(api, app)
    before = api.get("/api/orders/", admin["access"]).get_json()["count"]
    # An administrator's requests name the user in their paths (request log lines).
    assert api.get(f"/api/orders/user/{user['id']}/", admin["access"]).status_code == 200
    assert api.post(f"/api/users/{user['id']}/unlock/", admin["access"]).status_code == 204
    erased = api.delete("/api/users/me/", user["access"], json={"password": GOOD_PASSWORD})
    assert erased.status_code == 204, erased.get_json()

    for token in (user["access"], user["first_access"]):
        for path in ("/api/users/me/", "/api/orders/", "/api/users/me/export/"):
            assert api.get(path, token).status_code == 401, path
    assert api.client.post("/api/token/refresh/",
                           json={"refresh": user["refresh"]}).status_code == 401

    orders = api.get("/api/orders/", admin["access"]).get_json()
    assert orders["count"] == before, "orders are kept for the books"
    assert all(o["user_id"] != user["id"] for o in orders["results"])
    with app.app_context():
        dump = dump_database(app.extensions["shop.services"].database)
        assert verify_chain()[1] is None, "erasure keeps the audit chain intact"
    assert "ERASE-1" in dump and "user_deleted" in dump  # the dump really holds the rows
    logs = log_stream.getvalue()
    assert "user_deleted" in logs
    for trace in (NAME, EMAIL, user["id"]):
        assert trace not in dump, f"the database still links back: {trace}"
        assert trace not in logs, f"the log still links back: {trace}"
    # (after the scan: a failed login records the unknown name that someone typed, anew)
    assert api.login(NAME).status_code == 401


def test_erasure_with_2fa_needs_a_code(api: Api, app: Flask, clock: FrozenClock) -> None:
    user = enable_2fa(api, clock, "yuki_2fa")
    no_code = api.delete("/api/users/me/", user.access, json={"password": GOOD_PASSWORD})
    assert no_code.status_code == 401
    assert api.get("/api/users/me/", user.access).status_code == 200
    done = api.delete("/api/users/me/", user.access,
                      json={"password": GOOD_PASSWORD, "code": user.code(clock)})
    assert done.status_code == 204
    assert api.login("yuki_2fa").status_code == 401


def test_operator_erases_by_username(api: Api, app: Flask) -> None:
    user = busy_user(api, app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "erase", NAME, "--yes"])
    assert result.exit_code == 0 and "2 orders unlinked" in result.output, result.output
    assert api.get("/api/users/me/", user["access"]).status_code == 401
    again = runner.invoke(args=["users", "erase", NAME, "--yes"])
    assert again.exit_code != 0 and "no user" in again.output
    with app.app_context():
        assert user["id"] not in dump_database(app.extensions["shop.services"].database)


def test_rate_limit_refusals_name_no_username(app: Flask) -> None:
    """A per-username limit's refusal is logged and audited by a keyed digest only."""
    from app.config import Settings
    from tests.conftest import dispose, make_app

    settings: Settings = app.config["SHOP_SETTINGS"]
    limited = make_app(settings.with_(ratelimit_limits={"login_user": "1 per minute"}),
                       app.extensions["shop.services"].clock)
    try:
        refused, logged = refuse_a_login(limited)
    finally:
        dispose(limited)
    assert refused and refused[0]["target"].startswith("h:")
    assert "rate_limited" in logged
    assert NAME not in logged and NAME not in json.dumps(refused)


def refuse_a_login(limited: Flask) -> tuple[list[dict[str, object]], str]:
    client = limited.test_client()
    client.post("/api/users/", json={"username": NAME, "email": EMAIL,
                                     "password": GOOD_PASSWORD})
    stream = io.StringIO()
    shop_logging.configure("INFO", stream=stream)
    for _ in range(2):
        answer = client.post("/api/token/", json={"username": NAME, "password": "x" * 12})
    assert answer.status_code == 429
    with limited.app_context():
        refused = [e for e in limited.extensions["shop.services"].audit.recent(5)
                   if e["event"] == "excess_rate_limit_exceeded"]
    return refused, stream.getvalue()


def test_erasure_interrupted_by_an_ordering_fault_is_finished_by_the_operator(
        api: Api, app: Flask) -> None:
    """Fault: ordering's table is gone mid-saga (SQLite reports it as an operational error,
    503; PostgreSQL as a programming error, 500). Either way the account is already closed
    (no session, no login) and `users erase` completes the job."""
    user = busy_user(api, app)
    with ordering_table_away(app):
        answer = api.delete("/api/users/me/", user["access"], json={"password": GOOD_PASSWORD})
    assert answer.status_code in (500, 503), answer.get_json()
    assert api.get("/api/users/me/", user["access"]).status_code == 401
    assert api.login(NAME).status_code == 401
    result = app.test_cli_runner().invoke(args=["users", "erase", NAME, "--yes"])
    assert result.exit_code == 0 and "2 orders unlinked" in result.output, result.output
    with app.app_context():
        assert user["id"] not in dump_database(app.extensions["shop.services"].database)


@contextmanager
def ordering_table_away(app: Flask) -> Iterator[None]:
    from sqlalchemy import text

    from app.platform.db import engine_for

    with app.app_context(), engine_for("ordering").begin() as connection:
        connection.execute(text("ALTER TABLE ordering_orders RENAME TO ordering_orders_away"))
    try:
        yield
    finally:
        with app.app_context(), engine_for("ordering").begin() as connection:
            connection.execute(text("ALTER TABLE ordering_orders_away RENAME TO ordering_orders"))
