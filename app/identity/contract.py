"""The identity module's public face: the service protocol, its data objects and errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from app.kernel import (
    Conflict,
    InvalidInput,
    NotFound,
    Page,
    PermissionDenied,
    Principal,
    Revocation,
    Unauthenticated,
)

ROLES = ("user", "admin")


class InvalidCredentials(Unauthenticated):
    """Wrong username or password (or a locked account: the answer is the same)."""

    code = "invalid_credentials"


class InvalidRefreshToken(Unauthenticated):
    code = "invalid_refresh_token"


class WeakPassword(InvalidInput):
    code = "weak_password"


class AccountExists(Conflict):
    code = "account_exists"


class UserNotFound(NotFound):
    code = "user_not_found"


class InactiveUser(PermissionDenied):
    code = "inactive_user"


@dataclass(frozen=True, slots=True)
class UserView:
    id: str
    username: str
    email: str
    role: str
    is_active: bool
    two_factor_enabled: bool
    created_at: str


@dataclass(frozen=True, slots=True)
class TokenPair:
    access: str
    refresh: str
    expires_in: int
    token_type: str = "Bearer"


@dataclass(frozen=True, slots=True)
class LoginResult:
    """Either ``tokens``, or a second step: ``login_ticket`` valid for ``expires_in`` seconds."""

    tokens: TokenPair | None = None
    login_ticket: str | None = None
    expires_in: int = 0

    @property
    def requires_2fa(self) -> bool:
        return self.tokens is None


@dataclass(frozen=True, slots=True)
class PublicKey:
    kid: str
    alg: str
    pem: str


@dataclass(frozen=True, slots=True)
class UserChanges:
    """What an admin may change on a user; ``None`` leaves a field as it is."""

    role: str | None = None
    is_active: bool | None = None


class IdentityService(Protocol):
    """Accounts, login, tokens. Every method is one transaction; errors are contract errors."""

    def register(self, username: str, email: str, password: str) -> UserView:
        """Create a ``user``. Raises WeakPassword, AccountExists, InvalidInput."""
        ...

    def get_user(self, user_id: str) -> UserView:
        """Raises UserNotFound."""
        ...

    def ensure_active(self, user_id: str) -> UserView:
        """The user, if it exists and is active. Raises UserNotFound or InactiveUser."""
        ...

    def update_email(self, user_id: str, email: str) -> UserView:
        """Raises AccountExists, InvalidInput, UserNotFound."""
        ...

    def change_password(self, principal: Principal, current: str, new: str) -> None:
        """Requires the current password; ends every other session of the user.

        Raises InvalidCredentials, WeakPassword.
        """
        ...

    def login(self, username: str, password: str) -> LoginResult:
        """Password step. Same answer and cost for unknown users, wrong passwords and locked
        accounts (InvalidCredentials)."""
        ...

    def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate a refresh token (single use). A retired token revokes its whole family.

        Raises InvalidRefreshToken.
        """
        ...

    def logout(self, principal: Principal, refresh_token: str | None) -> None:
        """Revoke the caller's session (refresh family) and the presented access token.
        Idempotent."""
        ...

    def logout_everywhere(self, user_id: str, actor: str | None = None) -> None:
        """Invalidate every token of the user at once (``actor``: who asked, for the audit).

        Raises UserNotFound. Idempotent.
        """
        ...

    def list_users(self, page: int, page_size: int) -> Page[UserView]:
        ...

    def admin_update_user(self, admin: Principal, user_id: str, changes: UserChanges) -> UserView:
        """Change role or active flag (admins only; deactivation revokes every token).

        Raises PermissionDenied, UserNotFound, InvalidInput.
        """
        ...

    def public_key(self) -> PublicKey:
        """The active signing key's public half."""
        ...

    def jwks(self) -> dict[str, Any]:
        """The public key set: the active key and retired keys whose tokens may be unexpired."""
        ...

    def revocations_since(self, cursor: int) -> list[Revocation]:
        """Entries of the revocation feed after ``cursor`` (0 = every entry still in force)."""
        ...

    def rotate_signing_key(self) -> str:
        """Operator: make a new active signing key; returns its kid."""
        ...

    def remove_signing_key(self, kid: str) -> None:
        """Operator: drop a key at once; tokens it signed fail everywhere within seconds."""
        ...
