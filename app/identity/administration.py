"""Read-side administration of identity: finding users, an account's lockout state, the
signing key set. Administrators and system principals only; the service decides."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, or_, select

from app.identity.contract import SigningKeyView, UserAccountView, UserNotFound, UserView
from app.identity.models import User
from app.identity.signing import SigningKeyStore
from app.kernel import InvalidInput, Page, Principal
from app.platform.authz import require_admin_or_system
from app.platform.db import unit_of_work

BIND = "identity"
MAX_SEARCH = 100


class Administration:
    def __init__(self, keys: SigningKeyStore, to_view: Callable[[User], UserView]) -> None:
        self._keys = keys
        self._to_view = to_view

    def find_users(self, principal: Principal | None, search: str, page: int,
                   page_size: int) -> Page[UserView]:
        require_admin_or_system(principal)
        if not (1 <= page <= 100_000 and 1 <= page_size <= 100):
            raise InvalidInput("page or page_size out of range",
                               field_errors={"page_size": "1 to 100"})
        if len(search) > MAX_SEARCH:
            raise InvalidInput("The search is too long.",
                               field_errors={"search": f"at most {MAX_SEARCH} characters"})
        conditions = []
        if search.strip():
            needle = search.strip().casefold()
            conditions.append(or_(User.username_key.contains(needle, autoescape=True),
                                  User.email_key.contains(needle, autoescape=True)))
        with unit_of_work(BIND, readonly=True) as session:
            total = session.scalar(select(func.count()).select_from(User).where(*conditions))
            rows = session.scalars(select(User).where(*conditions).order_by(User.username_key)
                                   .offset((page - 1) * page_size).limit(page_size))
            items = tuple(self._to_view(u) for u in rows)
        return Page(items, int(total or 0), page, page_size)

    def user_account(self, principal: Principal | None, user_id: str) -> UserAccountView:
        require_admin_or_system(principal)
        with unit_of_work(BIND, readonly=True) as session:
            user = session.get(User, user_id)
            if user is None:
                raise UserNotFound("No such user.")
            return UserAccountView(user=self._to_view(user),
                                   locked_until=user.locked_until,
                                   failed_logins=user.failed_logins)

    def signing_keys(self, principal: Principal | None) -> tuple[SigningKeyView, ...]:
        require_admin_or_system(principal)
        keys = []
        for row in self._keys.describe():
            retired = row.get("retired_at")
            keys.append(SigningKeyView(
                kid=row["kid"], status=row["status"], created_at=_created(row["kid"]),
                retired_at=int(retired) if retired is not None else None,
                published=bool(row.get("published", True))))
        return tuple(keys)


def _created(kid: str) -> int:
    """Key ids start with their creation time (``<epoch>-<random>``, see signing.rotate)."""
    head = kid.split("-", 1)[0]
    return int(head) if head.isdigit() else 0
