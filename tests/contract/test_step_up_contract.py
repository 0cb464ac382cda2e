"""Step-up re-authentication (``reauthenticate``): the same answers in-process and over gRPC.

The principal is the one of a real access token (over gRPC the host takes it from the call's
metadata, never from the message); the clock is controlled, so TOTP steps are exact.
"""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from app.bootstrap import Services
from app.identity.contract import (
    InvalidCredentials,
    InvalidTwoFactorCode,
    StepUpRequired,
    UserChanges,
)
from app.kernel import PermissionDenied, Principal
from app.platform.clock import FrozenClock
from tests.contract.conftest import Identity

PASSWORD = "correct horse battery staple"


def signed_in(identity: Identity, services: Services, name: str) -> Principal:
    """The principal of a real login (it carries its access token to a remote call)."""
    identity.accounts.register(name, f"{name}@example.com", PASSWORD)
    return services.verifier.verify(identity.sessions.login(name, PASSWORD).tokens.access)


def step_up(identity: Identity, principal: Principal, password: str,
            code: str = "") -> int:
    return int(identity.sessions.reauthenticate(principal, password, code))


def step_up_events(services: Services) -> list[dict[str, Any]]:
    return [e for e in services.audit.recent(100) if e["event"] == "authn_step_up"]


def test_the_password_proves_it_and_a_wrong_one_counts_toward_the_lockout(
        identity: Identity, services: Services, clock: FrozenClock) -> None:
    principal = signed_in(identity, services, "ada")
    assert step_up(identity, principal, PASSWORD) == int(clock.time())
    for _ in range(5):
        with pytest.raises(InvalidCredentials) as caught:
            step_up(identity, principal, "a guessed password")
        assert "password" in caught.value.field_errors
    with pytest.raises(InvalidCredentials):
        step_up(identity, principal, PASSWORD)  # locked: the right one fails too
    events = step_up_events(services)
    assert [e["outcome"] for e in events] == ["failure"] * 6 + ["success"]
    assert events[-1]["actor"] == services.audit.known_pseudonym(principal.user_id)
    assert events[-1]["details"]["session"] == principal.session_id
    assert any(e["event"] == "authn_login_lock" for e in services.audit.recent(50))


def test_with_two_factor_on_a_code_is_needed_once(identity: Identity, services: Services,
                                                  clock: FrozenClock) -> None:
    """Attack: a stolen session with a known password but no second factor; code replay."""
    principal = signed_in(identity, services, "grace")
    secret = identity.two_factor.setup_two_factor(principal, PASSWORD).secret
    backup = identity.two_factor.confirm_two_factor(
        principal, pyotp.TOTP(secret).at(int(clock.time())))
    clock.advance(30)
    token = identity.sessions.verify_login(
        identity.sessions.login("grace", PASSWORD).login_ticket,
        pyotp.TOTP(secret).at(int(clock.time()))).tokens.access
    principal = services.verifier.verify(token)
    clock.advance(30)
    with pytest.raises(InvalidTwoFactorCode) as caught:
        step_up(identity, principal, PASSWORD)
    assert "code" in caught.value.field_errors
    code = pyotp.TOTP(secret).at(int(clock.time()))
    assert step_up(identity, principal, PASSWORD, code) == int(clock.time())
    with pytest.raises(InvalidTwoFactorCode):
        step_up(identity, principal, PASSWORD, code)  # replay of a spent step
    assert step_up(identity, principal, PASSWORD, backup.codes[0]) > 0
    with pytest.raises(InvalidTwoFactorCode):
        step_up(identity, principal, PASSWORD, backup.codes[0])  # spent
    outcomes = [(e["outcome"], e["details"].get("amr")) for e in step_up_events(services)]
    assert outcomes.count(("success", ["pwd", "otp"])) == 2


def signed_in_admin(identity: Identity, services: Services, name: str) -> Principal:
    identity.accounts.register(name, f"{name}@example.com", PASSWORD)
    user_id = services.accounts.find_users(Principal.system("cli"), name, 1, 1).items[0].id
    services.accounts.admin_update_user(Principal.system("cli"), user_id,
                                        UserChanges(role="admin"))
    return services.verifier.verify(identity.sessions.login(name, PASSWORD).tokens.access)


def sensitive_actions(identity: Identity, admin: Principal, target: str) -> dict[str, Any]:
    """Each sensitive action of the identity contracts, as ``admin`` against ``target``."""
    return {
        "update_user": lambda: identity.accounts.admin_update_user(
            admin, target, UserChanges(role="admin")),
        "end_sessions": lambda: identity.sessions.end_sessions(admin, target),
        "rotate_signing_key": lambda: identity.signing_keys.rotate_signing_key(admin),
        "remove_signing_key": lambda: identity.signing_keys.remove_signing_key(
            admin, identity.signing_keys.signing_keys(admin)[0].kid),  # the active key
    }


def test_sensitive_actions_need_an_authentication_of_this_session_in_5_minutes(
        identity: Identity, services: Services, clock: FrozenClock) -> None:
    """Attack: a stolen access token of an administrator, used after its owner signed in."""
    admin = signed_in_admin(identity, services, "root")
    target = identity.accounts.register("carol", "carol@example.com", PASSWORD).id
    clock.advance(299)
    identity.sessions.end_sessions(admin, target)  # the login itself is still recent
    clock.advance(2)
    for action, call in sensitive_actions(identity, admin, target).items():
        with pytest.raises(StepUpRequired):
            call()
        refused = step_up_events(services)[0]  # newest first
        assert (refused["outcome"], refused["details"]["action"]) == ("failure", action)
        assert refused["details"]["session"] == admin.session_id
    assert identity.accounts.get_user(admin, target).role == "user"
    step_up(identity, admin, PASSWORD)
    for call in sensitive_actions(identity, admin, target).values():
        call()
    assert identity.accounts.get_user(admin, target).role == "admin"
    clock.advance(301)
    with pytest.raises(StepUpRequired):
        identity.signing_keys.rotate_signing_key(admin)


def test_a_step_up_counts_only_for_its_own_session(identity: Identity, services: Services,
                                                   clock: FrozenClock) -> None:
    """Attack: a second, stolen session of the administrator rides on the owner's step-up."""
    owner = signed_in_admin(identity, services, "root")
    stolen = services.verifier.verify(identity.sessions.login("root", PASSWORD).tokens.access)
    clock.advance(301)
    step_up(identity, owner, PASSWORD)
    with pytest.raises(StepUpRequired):
        identity.signing_keys.rotate_signing_key(stolen)
    assert identity.signing_keys.rotate_signing_key(owner)


def test_the_code_step_of_a_2fa_login_is_an_authentication_too(
        identity: Identity, services: Services, clock: FrozenClock) -> None:
    admin = signed_in_admin(identity, services, "root")
    secret = identity.two_factor.setup_two_factor(admin, PASSWORD).secret
    identity.two_factor.confirm_two_factor(admin, pyotp.TOTP(secret).at(int(clock.time())))
    clock.advance(301)
    ticket = identity.sessions.login("root", PASSWORD).login_ticket
    tokens = identity.sessions.verify_login(ticket, pyotp.TOTP(secret).at(int(clock.time())))
    assert identity.signing_keys.rotate_signing_key(services.verifier.verify(tokens.tokens.access))


def test_system_principals_need_no_step_up(identity: Identity, services: Services,
                                           clock: FrozenClock) -> None:
    """Operator commands have no login session to re-authenticate; they stay exempt."""
    target = identity.accounts.register("carol", "carol@example.com", PASSWORD).id
    clock.advance(3600)
    system = Principal.system("cli")
    assert identity.signing_keys.rotate_signing_key(system)
    identity.accounts.admin_update_user(system, target, UserChanges(is_active=False))
    identity.sessions.end_sessions(system, target)


def test_a_system_principal_cannot_step_up(identity: Identity) -> None:
    """Over gRPC even the operator certificate may not assert the system here."""
    with pytest.raises(PermissionDenied):
        identity.sessions.reauthenticate(Principal.system("cli"), PASSWORD, "")
