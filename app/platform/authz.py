"""Who may do what: the small checks every service makes before it acts.

Services decide every permission and nothing else does: web guards only authenticate (turn
a bearer token or a session cookie into a ``Principal`` or ``None``), gRPC servicers only
translate (pass on the principal the host verified). Each check returns the principal it was
given, so a service can write ``admin = require_admin(principal)``, and raises a kernel error
otherwise: ``Unauthenticated`` when there is no caller, ``PermissionDenied`` when the caller
may not. Stdlib only, so contracts' implementations may use it in any module.
"""

from __future__ import annotations

from app.kernel import PermissionDenied, Principal, Unauthenticated


def require_any(principal: Principal | None) -> Principal:
    """Any authenticated caller: a user, an administrator or a system principal."""
    if principal is None:
        raise Unauthenticated("This action needs an authenticated caller.")
    return principal


def require_user(principal: Principal | None) -> Principal:
    """A person acting by their own consent; a system principal never acts as a user."""
    principal = require_any(principal)
    if principal.is_system:
        raise PermissionDenied("A system principal cannot act for a user.")
    return principal


def require_admin(principal: Principal | None) -> Principal:
    principal = require_any(principal)
    if not principal.is_admin:
        raise PermissionDenied("This action needs an administrator.")
    return principal


def require_system(principal: Principal | None) -> Principal:
    """An operator command or a background sweep (``Principal.system(name)``)."""
    principal = require_any(principal)
    if not principal.is_system:
        raise PermissionDenied("This action runs as the system only.")
    return principal


def require_admin_or_system(principal: Principal | None) -> Principal:
    principal = require_any(principal)
    if not (principal.is_admin or principal.is_system):
        raise PermissionDenied("This action needs an administrator.")
    return principal


def require_owner_or_admin(principal: Principal | None, owner_user_id: str) -> Principal:
    """The owner of the data, or an administrator. Services that must not reveal whether the
    data exists raise ``NotFound`` themselves instead."""
    principal = require_user(principal)
    if principal.user_id != owner_user_id and not principal.is_admin:
        raise PermissionDenied("Only the owner or an administrator may do this.")
    return principal
