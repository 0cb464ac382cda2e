"""Account lockout through the API with a controlled clock, and admin/CLI unlock."""

from __future__ import annotations

from typing import Any

from app.platform.clock import FrozenClock
from tests.support import GOOD_PASSWORD, Api

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


def test_lock_doubles_and_ends_at_most_fifteen_minutes_after_the_attacker_stops(
        api: Api, clock: FrozenClock) -> None:
    """Attack: guessing as fast as the lock allows, for an hour; then the attacker stops."""
    api.user()
    fail(api, 5)
    for wait in (60, 120, 240):  # each try right when the lock ends: the lock doubles
        clock.advance(wait - 1)
        assert api.login().status_code == 401
        clock.advance(1)
        fail(api, 1)
    for _ in range(3600 // 60):
        clock.advance(60)
        fail(api, 1)  # evaluated only when unlocked; otherwise not counted
    clock.advance(900)
    assert api.login().status_code == 200


def test_a_slow_attacker_cannot_keep_an_account_locked(api: Api, clock: FrozenClock) -> None:
    """Attack from the report: 9 failures, then one wrong password every 15 minutes kept the
    account locked for ever. Failures now age out, so the owner gets in between tries."""
    api.user()
    fail(api, 5)
    for wait in (60, 120, 240, 480):
        clock.advance(wait)
        fail(api, 1)
    owner = []
    for i in range(8):  # two hours: the attacker every 15 minutes, the owner a minute later
        clock.advance(900 if i == 0 else 840)
        fail(api, 1)
        clock.advance(60)
        owner.append(api.login().status_code)
    assert 200 in owner, owner


def test_a_known_device_gets_the_owner_into_a_locked_account(
        api: Api, clock: FrozenClock) -> None:
    """OWASP device cookies: the attacker's failures lock the account for unknown clients
    only; the owner's device, which logged in before, still gets in."""
    device = api.user()["device"]
    assert device and device.startswith("dv1.")
    fail(api, 9)
    assert api.login().status_code == 401, "locked for a client without the proof"
    known = api.client.post("/api/token/", json={
        "username": "alice", "password": GOOD_PASSWORD, "device": device})
    assert known.status_code == 200
    assert known.get_json()["device"] == device


def test_device_proofs_are_per_user_signed_and_revocable(api: Api, clock: FrozenClock) -> None:
    alice = api.user()
    bob_device = api.user("bob")["device"]
    fail(api, 5)

    def with_device(device: str, username: str = "alice") -> int:
        return api.client.post("/api/token/", json={
            "username": username, "password": GOOD_PASSWORD, "device": device}).status_code

    assert with_device(bob_device) == 401, "bob's proof does not open alice's account"
    prefix, nonce, signature = alice["device"].split(".")
    assert with_device(f"{prefix}.{nonce}.{'0' * len(signature)}") == 401, "forged signature"
    assert api.post("/api/token/revoke-all/", alice["access"]).status_code == 204
    assert with_device(alice["device"]) == 401, "log out everywhere revokes the device"


def test_a_stolen_device_proof_buys_five_guesses_then_dies(api: Api, clock: FrozenClock) -> None:
    device = api.user()["device"]
    fail(api, 5)  # the account is locked for clients without a proof

    def guess(password: str) -> int:
        return api.client.post("/api/token/", json={
            "username": "alice", "password": password, "device": device}).status_code

    assert [guess(WRONG) for _ in range(5)] == [401] * 5
    assert guess(GOOD_PASSWORD) == 401, "the proof was revoked by its 5 failures"


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


def change_password(api: Api, token: str, current: str) -> Any:
    return api.post("/api/users/me/password/", token, json={
        "current_password": current, "new_password": "a brand new passphrase 42"})


def test_wrong_current_passwords_on_password_change_count_like_failed_logins(
        api: Api, clock: FrozenClock) -> None:
    """Attack: a stolen access token used as an unthrottled oracle to guess the password."""
    token = api.user()["access"]
    answers = [change_password(api, token, WRONG) for _ in range(5)]
    assert [a.status_code for a in answers] == [401] * 5
    assert api.login().status_code == 401, "the guesses locked the account"
    locked = change_password(api, token, GOOD_PASSWORD)
    assert locked.status_code == 401, "while locked even the right password is refused"
    assert locked.get_json() == answers[-1].get_json()
    with api.client.application.app_context():
        failures = [e["details"].get("reason") for e in api.services.audit.recent(50)
                    if e["event"] == "authn_login_fail"
                    and e["details"].get("purpose") == "password change"]
    assert failures == ["not evaluated"] + ["password"] * 5
    assert "authn_login_lock" in events(api)
    clock.advance(61)
    assert change_password(api, token, GOOD_PASSWORD).status_code == 204
