"""The administrators' read methods (find_users, user_account, signing_keys): the same results
and refusals in-process and over gRPC."""

from __future__ import annotations

import pytest

from app.bootstrap import Services
from app.identity.contract import InvalidCredentials, UserNotFound
from app.kernel import InvalidInput, PermissionDenied, Principal
from tests.contract.conftest import Identity

PASSWORD = "correct horse battery staple"


def signed_in(identity: Identity, services: Services, name: str) -> Principal:
    """The principal of a real login (it carries its access token to a remote call)."""
    identity.accounts.register(name, f"{name}@example.com", PASSWORD)
    return services.verifier.verify(identity.sessions.login(name, PASSWORD).tokens.access)


def as_admin(identity: Identity, services: Services) -> Principal:
    from app.identity.contract import UserChanges

    principal = signed_in(identity, services, "boss")
    services.accounts.admin_update_user(Principal.system("cli"), principal.user_id,
                                        UserChanges(role="admin"))
    return services.verifier.verify(identity.sessions.login("boss", PASSWORD).tokens.access)


def test_admins_find_users_see_accounts_and_the_key_set(identity: Identity,
                                                        services: Services) -> None:
    alice = signed_in(identity, services, "alice_w")
    signed_in(identity, services, "bob_w")
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            identity.sessions.login("alice_w", "wrong password")
    admin = as_admin(identity, services)
    found = identity.accounts.find_users(admin, "ALICE_", 1, 10)
    assert [u.username for u in found.items] == ["alice_w"] and found.total == 1
    assert identity.accounts.find_users(admin, "", 1, 2).total == 3
    assert identity.accounts.find_users(admin, "%", 1, 10).total == 0, "% is literal"
    account = identity.accounts.user_account(admin, alice.user_id)
    assert account.user.username == "alice_w" and account.failed_logins == 2
    with pytest.raises(UserNotFound):
        identity.accounts.user_account(admin, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(InvalidInput):
        identity.accounts.find_users(admin, "", 1, 1000)
    keys = identity.signing_keys.signing_keys(admin)
    assert [k.status for k in keys] == ["active"] and keys[0].created_at > 0


def test_shoppers_are_refused(identity: Identity, services: Services) -> None:
    shopper = signed_in(identity, services, "carol_w")
    for call in (lambda: identity.accounts.find_users(shopper, "", 1, 10),
                 lambda: identity.accounts.user_account(shopper, shopper.user_id),
                 lambda: identity.signing_keys.signing_keys(shopper)):
        with pytest.raises(PermissionDenied):
            call()
