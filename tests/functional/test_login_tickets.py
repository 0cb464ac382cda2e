"""The login ticket between the password step and the code step: every way to misuse it fails."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.identity.contract import UserChanges
from app.platform.clock import FrozenClock
from app.seed import SEED
from tests.support import GOOD_PASSWORD, Api, setup_2fa
from tests.two_factor_support import TwoFactorUser, enable_2fa, ticket_for, verify_login


def test_expired_ticket_is_refused(api: Api, clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    ticket = ticket_for(api)
    clock.advance(301)
    answer = verify_login(api, ticket, user.code(clock))
    assert answer.status_code == 401
    assert answer.get_json()["type"].endswith("invalid_login_ticket")


def test_ticket_lives_five_minutes(api: Api, clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    ticket = ticket_for(api)
    clock.advance(290)
    assert verify_login(api, ticket, user.code(clock)).status_code == 200


def test_reused_ticket_is_refused(api: Api, clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    ticket = ticket_for(api)
    assert verify_login(api, ticket, user.code(clock)).status_code == 200
    clock.advance(30)
    assert verify_login(api, ticket, user.code(clock)).status_code == 401


def test_ticket_is_bound_to_its_user(api: Api, clock: FrozenClock) -> None:
    """Attack: my ticket with another user's code (or their backup code) logs nobody in."""
    alice = enable_2fa(api, clock, "alice")
    bob = enable_2fa(api, clock, "bob")
    ticket = ticket_for(api, "alice")
    assert verify_login(api, ticket, bob.code(clock)).status_code == 401
    assert verify_login(api, ticket, bob.backup_codes[0]).status_code == 401
    pair = verify_login(api, ticket, alice.code(clock)).get_json()
    me = api.get("/api/users/me/", pair["access"]).get_json()
    assert me["username"] == "alice"


def test_sixth_attempt_is_refused_even_with_the_right_code(api: Api, clock: FrozenClock) -> None:
    """Attack: guessing codes against one ticket; it dies after 5 wrong ones."""
    user = enable_2fa(api, clock)
    ticket = ticket_for(api)
    right = user.code(clock)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    for _ in range(5):
        assert verify_login(api, ticket, wrong).status_code == 401
    sixth = verify_login(api, ticket, right)
    assert sixth.status_code == 401
    assert sixth.get_json()["type"].endswith("invalid_login_ticket")


def test_inactive_user_cannot_finish_the_code_step(api: Api, clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    ticket = ticket_for(api)
    with api.client.application.app_context():
        api.services.accounts.admin_update_user(SEED, user.id,
                                                UserChanges(is_active=False))
    assert verify_login(api, ticket, user.code(clock)).status_code == 401
    assert verify_login(api, ticket, user.backup_codes[0]).status_code == 401


def test_username_in_place_of_a_ticket_is_refused(api: Api, clock: FrozenClock) -> None:
    """The earlier version issued tokens from a username and a code alone."""
    user = enable_2fa(api, clock)
    as_field = api.post("/api/users/2fa/verify-login/",
                        json={"username": "alice", "code": user.code(clock)})
    assert as_field.status_code == 400
    both = api.post("/api/users/2fa/verify-login/",
                    json={"username": "alice", "login_ticket": "x" * 43, "code": user.code(clock)})
    assert both.status_code == 400
    as_ticket = verify_login(api, "alice" + " " * 11, user.code(clock))
    assert as_ticket.status_code == 401
    as_user_id = verify_login(api, user.id, user.code(clock))
    assert as_user_id.status_code == 401


def test_password_step_for_a_2fa_user_gives_no_tokens(api: Api, clock: FrozenClock) -> None:
    enable_2fa(api, clock)
    body = api.login().get_json()
    assert set(body) == {"requires_2fa", "login_ticket", "expires_in"}
    assert body["expires_in"] == 300


def test_2fa_setup_needs_the_password(api: Api, clock: FrozenClock) -> None:
    """Attack: with only a stolen access token, enrol the attacker's authenticator (and get
    the backup codes), locking the owner out of their own account."""
    stolen = api.user()["access"]
    assert setup_2fa(api, stolen, password="a guess at the password").status_code == 401
    assert api.post("/api/users/2fa/setup/", stolen).status_code in (400, 415)
    assert api.get("/api/users/2fa/status/", stolen).get_json()["enabled"] is False
    assert setup_2fa(api, stolen).status_code == 200, "the owner, who knows it, can"


def _password_change(api: Api, user: TwoFactorUser, clock: FrozenClock) -> None:
    assert api.post("/api/users/me/password/", user.access, json={
        "current_password": GOOD_PASSWORD,
        "new_password": "a brand new passphrase 42"}).status_code == 204


def _log_out_everywhere(api: Api, user: TwoFactorUser, clock: FrozenClock) -> None:
    assert api.post("/api/token/revoke-all/", user.access).status_code == 204


def _deactivate_and_reactivate(api: Api, user: TwoFactorUser, clock: FrozenClock) -> None:
    admin = api.admin()["access"]
    for active in (False, True):
        assert api.patch(f"/api/users/{user.id}/", admin,
                         json={"is_active": active}).status_code == 200


def _disable_2fa(api: Api, user: TwoFactorUser, clock: FrozenClock) -> None:
    assert api.post("/api/users/2fa/disable/", user.access, json={
        "password": GOOD_PASSWORD, "code": user.code(clock)}).status_code == 204


@pytest.mark.parametrize("event", [_password_change, _log_out_everywhere,
                                   _deactivate_and_reactivate, _disable_2fa])
def test_a_pending_login_ticket_dies_with_the_owners_security_change(
        api: Api, clock: FrozenClock, event: Callable[..., None]) -> None:
    """Attack: someone who has the password sits at the code step with a live ticket; the
    owner reacts (new password, log out everywhere, an admin deactivates the account for a
    while, 2FA turned off). The ticket must not survive to finish the login afterwards."""
    user = enable_2fa(api, clock)
    ticket = ticket_for(api)
    event(api, user, clock)
    clock.advance(30)  # a fresh TOTP step, so only the ticket can be the reason for a refusal
    late = verify_login(api, ticket, user.code(clock))
    assert late.status_code == 401
    assert late.get_json()["type"].endswith("invalid_login_ticket")
