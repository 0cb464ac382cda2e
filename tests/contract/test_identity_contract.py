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
from app.kernel import PermissionDenied, Principal

PASSWORD = "correct horse battery staple"


def _register(identity: Any, name: str = "alice") -> Any:
    return identity.register(name, f"{name}@example.com", PASSWORD)


def _acting(services: Services, token: str) -> Principal:
    """The principal the token verifies as (it carries the token to a remote call)."""
    return services.verifier.verify(token)


def test_register_get_and_ensure_active(identity: Any) -> None:
    user = _register(identity)
    # created_at is left out: the service formats it with a zone on create and without one
    # after an SQLite read (a finding reported to the identity owner), whatever the transport.
    for found in (identity.get_user(user.id), identity.ensure_active(user.id)):
        assert (found.id, found.username, found.email, found.role) == (
            user.id, user.username, user.email, user.role)
    assert user.username == "alice" and user.role == "user" and user.is_active


def test_errors_cross_as_the_same_contract_class(identity: Any) -> None:
    _register(identity)
    with pytest.raises(AccountExists):
        _register(identity)
    with pytest.raises(UserNotFound):
        identity.get_user("00000000-0000-0000-0000-000000000000")
    with pytest.raises(WeakPassword) as weak:
        identity.register("bob", "bob@example.com", "password")
    assert weak.value.detail
    with pytest.raises(InvalidCredentials):
        identity.login("alice", "wrong password!")


def test_login_refresh_and_refresh_reuse(identity: Any) -> None:
    _register(identity)
    result = identity.login("alice", PASSWORD)
    assert not result.requires_2fa and result.tokens.token_type == "Bearer"
    rotated = identity.refresh(result.tokens.refresh)
    assert rotated.refresh != result.tokens.refresh
    with pytest.raises(InvalidRefreshToken):
        identity.refresh(result.tokens.refresh)


def test_key_set_public_key_and_revocation_feed(identity: Any, services: Services) -> None:
    user = _register(identity)
    jwks = identity.jwks()
    key = identity.public_key()
    assert key.kid in {k["kid"] for k in jwks["keys"]} and key.alg == "RS256"
    token = identity.login("alice", PASSWORD).tokens.access
    session_id = services.verifier.verify(token).session_id
    before = identity.revocations_since(0)
    identity.logout_everywhere(user.id, actor="test")
    after = identity.revocations_since(0)
    assert len(after) == len(before) + 1
    assert (after[-1].kind, after[-1].value) == ("sid", session_id)
    assert identity.revocations_since(after[-1].seq) == []


def test_admin_changes_act_for_the_verified_token(identity: Any, services: Services) -> None:
    admin = _register(identity, "root")
    services.identity.admin_update_user(
        Principal("operator", "admin", "x", "x", 0, 0), admin.id, UserChanges(role="admin"))
    user = _register(identity, "carol")
    token = identity.login("root", PASSWORD).tokens.access
    principal = _acting(services, token)
    changed = identity.admin_update_user(principal, user.id, UserChanges(is_active=False))
    assert not changed.is_active
    with pytest.raises(InactiveUser):
        identity.ensure_active(user.id)
    page = identity.list_users(1, 10)
    assert page.total == 2 and {u.username for u in page.items} == {"root", "carol"}


def test_a_user_token_cannot_make_admin_changes(identity: Any, services: Services) -> None:
    user = _register(identity)
    other = _register(identity, "dave")
    token = identity.login("alice", PASSWORD).tokens.access
    principal = _acting(services, token)
    with pytest.raises(PermissionDenied):
        identity.admin_update_user(principal, other.id, UserChanges(role="admin"))
    assert identity.get_user(user.id).role == "user"


def test_change_password_and_logout(identity: Any, services: Services) -> None:
    _register(identity)
    tokens = identity.login("alice", PASSWORD).tokens
    principal = _acting(services, tokens.access)
    with pytest.raises(InvalidCredentials):
        identity.change_password(principal, "not the password", "another long passphrase")
    identity.change_password(principal, PASSWORD, "another long passphrase")
    tokens = identity.login("alice", "another long passphrase").tokens
    principal = _acting(services, tokens.access)
    identity.logout(principal, tokens.refresh)
    with pytest.raises(InvalidRefreshToken):
        identity.refresh(tokens.refresh)
