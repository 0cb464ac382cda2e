"""The identity contract: the same results and the same errors in-process and over gRPC."""

from __future__ import annotations

from typing import Any

import pytest

from app.bootstrap import Services
from app.identity.contract import (
    AccountExists,
    InactiveUser,
    InvalidCredentials,
    InvalidRefreshToken,
    UserChanges,
    UserNotFound,
    WeakPassword,
)
from app.kernel import PermissionDenied, Principal, Unauthenticated
from app.platform import call_context
from tests.contract.conftest import Identity

PASSWORD = "correct horse battery staple"


SYSTEM = Principal.system("cli")  # in-process set-up only: over gRPC the web may not assert it


def _register(identity: Identity, name: str = "alice") -> Any:
    return identity.accounts.register(name, f"{name}@example.com", PASSWORD)


def _admin(identity: Identity, services: Services) -> Principal:
    """A signed-in administrator (promoted in-process, signed in over the transport)."""
    root = _register(identity, "root")
    services.accounts.admin_update_user(SYSTEM, root.id, UserChanges(role="admin"))
    return services.verifier.verify(_login(identity, "root").access)


def _acting(services: Services, token: str) -> tuple[Any, Principal]:
    principal = services.verifier.verify(token)
    return call_context.acting_for(token, principal), principal


def test_register_get_and_ensure_active(identity: Identity, services: Services) -> None:
    user = _register(identity)
    scope, principal = _acting(services, _login(identity).access)
    # created_at is left out: the service formats it with a zone on create and without one
    # after an SQLite read (a finding reported to the identity owner), whatever the transport.
    with scope:
        found_both = (identity.accounts.get_user(principal, user.id),
                      identity.accounts.ensure_active(principal))
    for found in found_both:
        assert (found.id, found.username, found.email, found.role) == (
            user.id, user.username, user.email, user.role)
    assert user.username == "alice" and user.role == "user" and user.is_active


def test_errors_cross_as_the_same_contract_class(identity: Identity, services: Services) -> None:
    _register(identity)
    with pytest.raises(AccountExists):
        _register(identity)
    scope, admin = _acting(services, _admin(identity, services).token or "")
    with scope, pytest.raises(UserNotFound):
        identity.accounts.get_user(admin, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(WeakPassword) as weak:
        identity.accounts.register("bob", "bob@example.com", "password")
    assert weak.value.detail
    with pytest.raises(InvalidCredentials):
        identity.sessions.login("alice", "wrong password!")


def _login(identity: Identity, name: str = "alice", password: str = PASSWORD) -> Any:
    return identity.sessions.login(name, password).tokens


def test_login_refresh_and_refresh_reuse(identity: Identity) -> None:
    _register(identity)
    result = identity.sessions.login("alice", PASSWORD)
    assert not result.requires_2fa and result.tokens.token_type == "Bearer"
    rotated = identity.sessions.refresh(result.tokens.refresh)
    assert rotated.refresh != result.tokens.refresh
    with pytest.raises(InvalidRefreshToken):
        identity.sessions.refresh(result.tokens.refresh)


def test_key_set_public_key_and_revocation_feed(identity: Identity, services: Services) -> None:
    user = _register(identity)
    admin = _admin(identity, services)
    jwks = identity.signing_keys.jwks()
    key = identity.signing_keys.public_key()
    assert key.kid in {k["kid"] for k in jwks["keys"]} and key.alg == "RS256"
    token = _login(identity).access
    session_id = services.verifier.verify(token).session_id
    before = identity.revocations.revocations_since(0)
    with _acting(services, admin.token or "")[0]:
        identity.sessions.end_sessions(admin, user.id)
    after = identity.revocations.revocations_since(0)
    assert len(after) == len(before) + 1
    assert (after[-1].kind, after[-1].value) == ("sid", session_id)
    assert identity.revocations.revocations_since(after[-1].seq) == []


def test_admin_changes_act_for_the_verified_token(identity: Identity, services: Services,
                                                  transport: str) -> None:
    admin = _admin(identity, services)
    user = _register(identity, "carol")
    carol_scope, carol = _acting(services, _login(identity, "carol").access)
    scope, principal = _acting(services, admin.token or "")
    with scope:
        changed = identity.accounts.admin_update_user(principal, user.id,
                                                      UserChanges(is_active=False))
        page = identity.accounts.find_users(principal, "", 1, 10)
    assert not changed.is_active
    # Deactivation revoked carol's tokens: a host that verifies the token refuses it first.
    refused = InactiveUser if transport == "inprocess" else Unauthenticated
    with carol_scope, pytest.raises(refused):
        identity.accounts.ensure_active(carol)
    assert page.total == 2 and {u.username for u in page.items} == {"root", "carol"}


def test_a_user_token_cannot_make_admin_changes(identity: Identity, services: Services) -> None:
    _register(identity)
    other = _register(identity, "dave")
    scope, principal = _acting(services, _login(identity).access)
    with scope, pytest.raises(PermissionDenied):
        identity.accounts.admin_update_user(principal, other.id, UserChanges(role="admin"))
    scope, admin = _acting(services, _admin(identity, services).token or "")
    with scope:
        assert identity.accounts.get_user(admin, other.id).role == "user"


def test_change_password_and_logout(identity: Identity, services: Services) -> None:
    _register(identity)
    scope, principal = _acting(services, _login(identity).access)
    with scope:
        with pytest.raises(InvalidCredentials):
            identity.accounts.change_password(principal, "not the password",
                                              "another long passphrase")
        identity.accounts.change_password(principal, PASSWORD, "another long passphrase")
    tokens = _login(identity, password="another long passphrase")
    scope, principal = _acting(services, tokens.access)
    with scope:
        identity.sessions.logout(principal, tokens.refresh)
    with pytest.raises(InvalidRefreshToken):
        identity.sessions.refresh(tokens.refresh)
