"""The permission checks services make (app/platform/authz.py) and the gRPC policy's rule for
who may assert a system principal."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.kernel import ContractError, PermissionDenied, Principal, Unauthenticated
from app.platform import authz
from app.platform.grpc.server import Policy


def person(role: str, user_id: str = "u1") -> Principal:
    return Principal(user_id=user_id, role=role, jti="j", session_id="s", issued_at=0,
                     expires_at=0, token="the.token")


USER, ADMIN, SYSTEM = person("user"), person("admin", "a1"), Principal.system("cli")
CHECKS: dict[str, Callable[[Principal | None], Principal]] = {
    "any": authz.require_any, "user": authz.require_user, "admin": authz.require_admin,
    "system": authz.require_system, "admin_or_system": authz.require_admin_or_system,
    "owner_or_admin": lambda p: authz.require_owner_or_admin(p, "u1"),
}
# check -> (user u1, admin a1, system): None = allowed, else the error raised
EXPECTED: dict[str, tuple[type[ContractError] | None, ...]] = {
    "any": (None, None, None),
    "user": (None, None, PermissionDenied),
    "admin": (PermissionDenied, None, PermissionDenied),
    "system": (PermissionDenied, PermissionDenied, None),
    "admin_or_system": (PermissionDenied, None, None),
    "owner_or_admin": (None, None, PermissionDenied),
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_each_check_refuses_the_anonymous_caller(name: str) -> None:
    with pytest.raises(Unauthenticated):
        CHECKS[name](None)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_each_check_allows_exactly_its_callers(name: str) -> None:
    for principal, expected in zip((USER, ADMIN, SYSTEM), EXPECTED[name], strict=True):
        if expected is None:
            assert CHECKS[name](principal) is principal
        else:
            with pytest.raises(expected):
                CHECKS[name](principal)


def test_another_user_is_not_the_owner() -> None:
    with pytest.raises(PermissionDenied):
        authz.require_owner_or_admin(person("user", "u2"), "u1")


def test_the_token_is_carried_but_never_shown_or_compared() -> None:
    assert "the.token" not in repr(USER)
    assert Principal(user_id="u1", role="user", jti="j", session_id="s", issued_at=0,
                             expires_at=0) == USER


def test_a_system_principal_is_accepted_only_from_the_callers_named_for_the_method() -> None:
    """Attack: any certificate allowed to call EraseAccount used to be able to assert the
    system principal there (the web certificate included)."""
    policy = Policy("shop.x.v1.X", {"EraseAccount": frozenset({"web", "operator"})},
                    system={"EraseAccount": frozenset({"operator"})})
    method = "/shop.x.v1.X/EraseAccount"
    assert policy.allows(method, "web") and not policy.allows_system(method, "web")
    assert policy.allows_system(method, "operator")
    assert not policy.allows_system("/shop.x.v1.X/Other", "operator")
    assert not policy.allows_system(method, None)
