"""The TOTP window and replay guard at the code step, with a controlled clock."""

from __future__ import annotations

from typing import Any

from app.platform.clock import FrozenClock
from tests.support import Api
from tests.two_factor_support import TwoFactorUser, enable_2fa, ticket_for, verify_login


def events(api: Api) -> list[str]:
    with api.client.application.app_context():
        return [e["event"] for e in api.services.audit.recent(20)]


def fresh(api: Api, clock: FrozenClock) -> TwoFactorUser:
    user = enable_2fa(api, clock)
    clock.advance(90)  # well past the activation step
    return user


def code_step(api: Api, user: TwoFactorUser, clock: FrozenClock, steps: int) -> Any:
    return verify_login(api, ticket_for(api), user.code(clock, steps))


def test_totp_replay_current_code_accepted_once_then_refused(api: Api,
                                                             clock: FrozenClock) -> None:
    """Attack: replaying an intercepted code within its 30 s step."""
    user = fresh(api, clock)
    assert code_step(api, user, clock, 0).status_code == 200
    replay = code_step(api, user, clock, 0)
    assert replay.status_code == 401
    assert "authn_mfa_replay" in events(api)


def test_previous_step_is_accepted(api: Api, clock: FrozenClock) -> None:
    user = fresh(api, clock)
    assert code_step(api, user, clock, -1).status_code == 200


def test_next_step_is_accepted(api: Api, clock: FrozenClock) -> None:
    user = fresh(api, clock)
    assert code_step(api, user, clock, 1).status_code == 200


def test_steps_two_away_are_refused(api: Api, clock: FrozenClock) -> None:
    user = fresh(api, clock)
    for steps in (-2, 2):
        if user.code(clock, steps) in {user.code(clock, s) for s in (-1, 0, 1)}:
            continue  # a 1-in-a-million collision with a valid code; nothing to learn
        answer = code_step(api, user, clock, steps)
        assert answer.status_code == 401, steps
    assert "authn_mfa_fail" in events(api)


def test_older_step_after_a_newer_one_is_refused(api: Api, clock: FrozenClock) -> None:
    """Attack: a code captured earlier, used after the user already logged in with a newer one."""
    user = fresh(api, clock)
    assert code_step(api, user, clock, 1).status_code == 200
    assert code_step(api, user, clock, 0).status_code == 401
    assert code_step(api, user, clock, -1).status_code == 401
    clock.advance(60)  # the next step after the accepted one is accepted again
    assert code_step(api, user, clock, 0).status_code == 200
