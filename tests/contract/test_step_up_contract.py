"""Step-up re-authentication (``reauthenticate``): the same answers in-process and over gRPC.

The principal is the one of a real access token (over gRPC the host takes it from the call's
metadata, never from the message); the clock is controlled, so TOTP steps are exact.
"""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from app.bootstrap import Services
from app.identity.contract import InvalidCredentials, InvalidTwoFactorCode
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


def test_a_system_principal_cannot_step_up(identity: Identity) -> None:
    """Over gRPC even the operator certificate may not assert the system here."""
    with pytest.raises(PermissionDenied):
        identity.sessions.reauthenticate(Principal.system("cli"), PASSWORD, "")
