"""The identity contracts: the same results and the same errors in-process and over gRPC.

Principals are verified from real access tokens and carry them, so over gRPC the host
verifies the same token again and the service decides for the same principal."""

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
from tests.contract.conftest import Identity

PASSWORD = "correct horse battery staple"
SYSTEM = Principal.system("cli")  # set-up, in-process


def _register(identity: Identity, name: str = "alice") -> Any:
    return identity.accounts.register(name, f"{name}@example.com", PASSWORD)


def _login(identity: Identity, name: str = "alice", password: str = PASSWORD) -> Any:
    return identity.sessions.login(name, password).tokens


def _signed_in(identity: Identity, services: Services, name: str = "alice") -> Principal:
    return services.verifier.verify(_login(identity, name).access)


def _admin(identity: Identity, services: Services) -> Principal:
    """A signed-in administrator (promoted in-process, signed in over the transport)."""
    root = _register(identity, "root")
    services.accounts.admin_update_user(SYSTEM, root.id, UserChanges(role="admin"))
    return _signed_in(identity, services, "root")


def test_register_get_and_ensure_active(identity: Identity, services: Services) -> None:
    user = _register(identity)
    alice = _signed_in(identity, services)
    # created_at is left out: the service formats it with a zone on create and without one
    # after an SQLite read (a finding reported to the identity owner), whatever the transport.
    for found in (identity.accounts.get_user(alice, user.id),
                  identity.accounts.ensure_active(alice)):
        assert (found.id, found.username, found.email, found.role) == (
            user.id, user.username, user.email, user.role)
    assert user.username == "alice" and user.role == "user" and user.is_active


def test_errors_cross_as_the_same_contract_class(identity: Identity, services: Services) -> None:
    _register(identity)
    with pytest.raises(AccountExists):
        _register(identity)
    with pytest.raises(UserNotFound):
        identity.accounts.get_user(_admin(identity, services),
                                   "00000000-0000-0000-0000-000000000000")
    with pytest.raises(WeakPassword) as weak:
        identity.accounts.register("bob", "bob@example.com", "password")
    assert weak.value.detail
    with pytest.raises(InvalidCredentials):
        identity.sessions.login("alice", "wrong password!")


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
    session_id = _signed_in(identity, services).session_id
    before = identity.revocations.revocations_since(0)
    identity.sessions.end_sessions(admin, user.id)
    after = identity.revocations.revocations_since(0)
    assert len(after) == len(before) + 1
    assert (after[-1].kind, after[-1].value) == ("sid", session_id)
    assert identity.revocations.revocations_since(after[-1].seq) == []


def test_admin_changes_act_for_the_verified_token(identity: Identity, services: Services,
                                                  transport: str) -> None:
    admin = _admin(identity, services)
    user = _register(identity, "carol")
    carol = _signed_in(identity, services, "carol")
    changed = identity.accounts.admin_update_user(admin, user.id, UserChanges(is_active=False))
    assert not changed.is_active
    # Deactivation revoked carol's tokens: a host that verifies the token refuses it first.
    with pytest.raises(InactiveUser if transport == "inprocess" else Unauthenticated):
        identity.accounts.ensure_active(carol)
    page = identity.accounts.find_users(admin, "", 1, 10)
    assert page.total == 2 and {u.username for u in page.items} == {"root", "carol"}


def test_a_user_token_cannot_make_admin_changes(identity: Identity, services: Services) -> None:
    _register(identity)
    other = _register(identity, "dave")
    with pytest.raises(PermissionDenied):
        identity.accounts.admin_update_user(_signed_in(identity, services), other.id,
                                            UserChanges(role="admin"))
    assert identity.accounts.get_user(_admin(identity, services), other.id).role == "user"


def test_change_password_and_logout(identity: Identity, services: Services) -> None:
    _register(identity)
    alice = _signed_in(identity, services)
    with pytest.raises(InvalidCredentials):
        identity.accounts.change_password(alice, "not the password", "another long passphrase")
    identity.accounts.change_password(alice, PASSWORD, "another long passphrase")
    tokens = _login(identity, password="another long passphrase")
    identity.sessions.logout(services.verifier.verify(tokens.access), tokens.refresh)
    with pytest.raises(InvalidRefreshToken):
        identity.sessions.refresh(tokens.refresh)
