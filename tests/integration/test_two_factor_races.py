"""Racing requests against single-use 2FA state, on SQLite and on PostgreSQL.

Concurrency is real: threads behind a barrier, each with its own test client, against one app
(and one database). Every single-use rule must hold: one TOTP code, one backup code, one
ticket's five attempts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from app.config import Settings
from app.platform.clock import FrozenClock
from tests.conftest import dispose, make_app
from tests.support import Api
from tests.two_factor_support import enable_2fa, ticket_for


@pytest.fixture(params=["sqlite", "postgres"])
def race_api(request: pytest.FixtureRequest, settings: Settings,
             clock: FrozenClock) -> Iterator[Api]:
    chosen = request.getfixturevalue("pg_settings") if request.param == "postgres" else settings
    app = make_app(chosen, clock)
    yield Api(app.test_client(), app.extensions["shop.services"])
    dispose(app)


def race(app: Flask, payloads: list[dict[str, str]]) -> list[Any]:
    barrier = threading.Barrier(len(payloads))
    results: list[Any] = [None] * len(payloads)

    def run(index: int, payload: dict[str, str]) -> None:
        client = app.test_client()
        barrier.wait()
        answer = client.post("/api/users/2fa/verify-login/", json=payload)
        results[index] = (answer.status_code, (answer.get_json() or {}).get("type", ""))

    threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(payloads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


Racer = Callable[[Api], None]


def test_one_totp_code_used_by_two_racing_logins_wins_once(race_api: Api,
                                                           clock: FrozenClock) -> None:
    """Attack: replaying a phished code at the same instant as the victim."""
    user = enable_2fa(race_api, clock)
    code = user.code(clock)
    payloads = [{"login_ticket": ticket_for(race_api), "code": code} for _ in range(4)]
    statuses = [status for status, _ in race(race_api.client.application, payloads)]
    assert sorted(statuses) == [200, 401, 401, 401]


def test_one_backup_code_racing_on_four_tickets_wins_once(race_api: Api,
                                                          clock: FrozenClock) -> None:
    """Attack: double spend of a backup code."""
    user = enable_2fa(race_api, clock)
    payloads = [{"login_ticket": ticket_for(race_api), "code": user.backup_codes[0]}
                for _ in range(4)]
    statuses = [status for status, _ in race(race_api.client.application, payloads)]
    assert sorted(statuses) == [200, 401, 401, 401]


def test_a_ticket_gives_five_attempts_even_to_racing_guesses(race_api: Api,
                                                             clock: FrozenClock) -> None:
    """Attack: firing many guesses at once to beat the attempt counter."""
    user = enable_2fa(race_api, clock)
    ticket = ticket_for(race_api)
    wrong = f"{(int(user.code(clock)) + 500_000) % 1_000_000:06d}"
    results = race(race_api.client.application,
                   [{"login_ticket": ticket, "code": wrong} for _ in range(10)])
    kinds = [kind.rsplit("/", 1)[-1] for _, kind in results]
    assert kinds.count("invalid_2fa_code") == 5
    assert kinds.count("invalid_login_ticket") == 5
