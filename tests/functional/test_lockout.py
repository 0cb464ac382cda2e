"""Account lockout through the API with a controlled clock, and admin/CLI unlock."""

from __future__ import annotations

from typing import Any

from app.platform.clock import FrozenClock
from tests.support import Api

WRONG = "not the password at all"


def fail(api: Api, times: int) -> list[Any]:
    return [api.login(password=WRONG).get_json() for _ in range(times)]


def events(api: Api) -> list[str]:
    with api.client.application.app_context():
        return [e["event"] for e in api.services.audit.recent(50)]


def test_lockout_timeline(api: Api, clock: FrozenClock) -> None:
    """Attack: online password guessing against one account."""
    api.user()
    wrong_answers = fail(api, 5)
    locked = api.login()
    assert locked.status_code == 401, "the right password is refused while locked"
    assert locked.get_json() == wrong_answers[-1], "locked answers exactly like a wrong password"
    assert "authn_login_lock" in events(api)
    clock.advance(59)
    assert api.login().status_code == 401
    clock.advance(2)
    fail(api, 1)  # 6th consecutive failure: 2 minutes
    clock.advance(119)
    assert api.login().status_code == 401
    clock.advance(2)
    assert api.login().status_code == 200, "the lock ends; success resets the count"
    fail(api, 4)
    assert api.login().status_code == 200, "4 failures after a reset do not lock"


def test_lock_doubles_and_is_capped_at_fifteen_minutes(api: Api, clock: FrozenClock) -> None:
    api.user()
    fail(api, 5)
    for wait in (60, 120, 240, 480, 900, 900):
        clock.advance(wait + 1)
        fail(api, 1)
    clock.advance(899)
    assert api.login().status_code == 401
    clock.advance(2)
    assert api.login().status_code == 200


def test_attempts_while_locked_do_not_extend_the_lock(api: Api, clock: FrozenClock) -> None:
    api.user()
    fail(api, 5)
    for _ in range(20):
        clock.advance(2)
        fail(api, 1)
    clock.advance(21)  # 61 s after the lock began
    assert api.login().status_code == 200


def test_unknown_user_answers_like_a_wrong_password(api: Api) -> None:
    api.user()
    unknown = api.login("nobody-here", WRONG).get_json()
    wrong = api.login("alice", WRONG).get_json()
    assert unknown == wrong


def test_admin_unlocks_an_account(api: Api, clock: FrozenClock) -> None:
    admin = api.admin()
    user = api.user("bob")
    fail_bob = [api.login("bob", WRONG) for _ in range(5)]
    assert fail_bob[-1].status_code == 401
    assert api.login("bob").status_code == 401
    plain = api.post(f"/api/users/{user['id']}/unlock/", user["access"])
    assert plain.status_code == 403, "only admins unlock"
    done = api.post(f"/api/users/{user['id']}/unlock/", admin["access"])
    assert done.status_code == 204
    assert api.login("bob").status_code == 200
    assert "authn_login_unlock" in events(api)


def test_cli_unlock(api: Api, clock: FrozenClock) -> None:
    api.user()
    fail(api, 5)
    runner = api.client.application.test_cli_runner()
    result = runner.invoke(args=["users", "unlock", "alice"])
    assert result.exit_code == 0, result.output
    assert "unlocked alice" in result.output
    assert api.login().status_code == 200
