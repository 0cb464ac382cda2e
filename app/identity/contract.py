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


class InvalidTwoFactorCode(Unauthenticated):
    """A TOTP or backup code that is wrong, malformed, already used or outside the window."""

    code = "invalid_2fa_code"


class InvalidLoginTicket(Unauthenticated):
    """A login ticket that is unknown, expired, used, out of attempts, or whose user is gone
    or inactive (one answer for all, so the cause is not revealed)."""

    code = "invalid_login_ticket"


class TwoFactorAlreadyEnabled(Conflict):
    code = "2fa_already_enabled"


class TwoFactorNotEnabled(Conflict):
    code = "2fa_not_enabled"


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
class UserAccountView:
    """What an administrator sees of an account beyond its profile."""

    user: UserView
    locked_until: int  # epoch seconds; 0 or past = not locked
    failed_logins: int  # consecutive failed passwords since the last success


@dataclass(frozen=True, slots=True)
class SigningKeyView:
    """One key of the signing key set (never its material)."""

    kid: str
    status: str  # "active" or "retired"
    created_at: int  # epoch seconds
    retired_at: int | None
    published: bool  # still in the JWKS (tokens it signed may be unexpired)


@dataclass(frozen=True, slots=True)
class TokenPair:
    access: str
    refresh: str
    expires_in: int
    token_type: str = "Bearer"


@dataclass(frozen=True, slots=True)
class LoginResult:
    """Either ``tokens``, or a second step: ``login_ticket`` valid for ``expires_in`` seconds.

    With tokens comes ``device_token``: this device's proof of a successful login (OWASP
    device cookie), for the client to keep and present with later logins."""

    tokens: TokenPair | None = None
    login_ticket: str | None = None
    expires_in: int = 0
    device_token: str | None = None

    @property
    def requires_2fa(self) -> bool:
        return self.tokens is None


@dataclass(frozen=True, slots=True)
class SecondFactorLogin:
    """The tokens of a completed 2FA login; ``backup_codes_remaining`` is set when the code
    was a backup code (so the user sees how many are left)."""

    tokens: TokenPair
    backup_codes_remaining: int | None = None
    device_token: str | None = None


@dataclass(frozen=True, slots=True)
class TwoFactorSetup:
    """A pending TOTP secret: shown once, active only after ``confirm_two_factor``."""

    secret: str
    otpauth_uri: str
    qr_svg: str


@dataclass(frozen=True, slots=True)
class TwoFactorStatus:
    enabled: bool
    backup_codes_remaining: int


@dataclass(frozen=True, slots=True)
class BackupCodes:
    """A fresh set of backup codes, readable only in this answer."""

    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SessionView:
    """One login session (refresh-token family); ``active`` while it can still refresh."""

    session_id: str
    started_at: str
    last_used_at: str
    expires_at: str
    amr: tuple[str, ...]
    active: bool


@dataclass(frozen=True, slots=True)
class SecurityEventView:
    """One audit event about the user (``details`` is a JSON object as text)."""

    occurred_at: str
    event: str
    outcome: str
    ip: str
    user_agent: str
    details: str


@dataclass(frozen=True, slots=True)
class AccountExport:
    """Everything identity holds about a user (GDPR access): never a secret or a hash."""

    user: UserView
    two_factor: TwoFactorStatus
    sessions: tuple[SessionView, ...]
    security_events: tuple[SecurityEventView, ...]


@dataclass(frozen=True, slots=True)
class ErasedAccount:
    """The outcome of an erasure: whose account it was and how many orders were unlinked."""

    user_id: str
    orders_unlinked: int


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

    def login(self, username: str, password: str, device: str | None = None) -> LoginResult:
        """Password step: the token pair (with a device proof), or for a user with 2FA on a
        login ticket (valid 5 minutes) for ``verify_login``. Same answer and cost for unknown
        users, wrong passwords, inactive and locked accounts (InvalidCredentials); counts
        toward the lockout, unless ``device`` is a valid device proof of this user: such an
        attempt is exempt from the lockout and its failures count on the proof instead (5
        revoke it). Not idempotent."""
        ...

    def device_trusted(self, username: str, device: str) -> bool:
        """Whether ``device`` is a valid, unrevoked device proof for ``username`` (the web
        layer exempts such logins from the per-username rate limit). Read-only; never raises
        for an unknown user or a malformed proof."""
        ...

    def verify_login(self, login_ticket: str, code: str) -> SecondFactorLogin:
        """Code step of a 2FA login: a live ticket plus a TOTP or unused backup code gives the
        token pair with ``amr`` ``["pwd", "otp"]`` (and, for a backup code, how many remain).
        Each call spends one of the ticket's 5 attempts; success spends the ticket. Never
        accepts anything but a ticket.

        Raises InvalidLoginTicket (unknown, expired, used, out of attempts, inactive user) or
        InvalidTwoFactorCode. Not idempotent: a ticket yields tokens once.
        """
        ...

    def login_ticket_owner(self, login_ticket: str) -> str | None:
        """The user id a live login ticket belongs to, or None (for per-user rate limits).
        Spends nothing; never raises for a bad ticket."""
        ...

    def setup_two_factor(self, principal: Principal, password: str) -> TwoFactorSetup:
        """Start (or restart) the caller's 2FA setup with a fresh 160-bit secret, stored
        encrypted. Needs the caller's password (a stolen access token alone must not enrol
        an attacker's authenticator).

        Raises InvalidCredentials (wrong password), TwoFactorAlreadyEnabled when 2FA is
        active, UserNotFound. Not idempotent (each call makes a new secret).
        """
        ...

    def confirm_two_factor(self, principal: Principal, code: str) -> BackupCodes:
        """Activate 2FA with a code from the pending secret; returns the 10 backup codes
        (shown once) and ends the user's other sessions.

        Raises TwoFactorNotEnabled (no pending setup), TwoFactorAlreadyEnabled,
        InvalidTwoFactorCode.
        """
        ...

    def two_factor_status(self, user_id: str) -> TwoFactorStatus:
        """Whether 2FA is on and how many backup codes are unused. Raises UserNotFound."""
        ...

    def disable_two_factor(self, principal: Principal, password: str, code: str) -> None:
        """Turn 2FA off (password plus a TOTP or backup code); deletes the secret and the
        backup codes and ends the user's other sessions.

        Raises InvalidCredentials, InvalidTwoFactorCode, TwoFactorNotEnabled.
        """
        ...

    def regenerate_backup_codes(self, principal: Principal, password: str,
                                code: str) -> BackupCodes:
        """A new set of 10 backup codes (password plus a TOTP code); the old set dies.

        Raises InvalidCredentials, InvalidTwoFactorCode, TwoFactorNotEnabled.
        """
        ...

    def reauthenticate(self, principal: Principal, password: str, code: str = "") -> int:
        """Step-up: the caller confirms their password and, when their 2FA is on, a TOTP or
        unused backup code, before a sensitive action. Returns the time of the proof (epoch
        seconds), which the caller keeps bound to its session. Audited (``authn_step_up``);
        a wrong password counts toward the lockout; a locked or inactive account answers like
        a wrong password. Not idempotent (a code is spent).

        Raises PermissionDenied (system principal), InvalidCredentials, InvalidTwoFactorCode.
        """
        ...

    def unlock(self, user_id: str, actor: str) -> bool:
        """Clear a login lockout; True when the account was locked or had failures.

        Raises UserNotFound. Idempotent.
        """
        ...

    def lock(self, principal: Principal, user_id: str) -> bool:
        """Incident response (operators, administrators): lock the account until ``unlock``
        and end every session and pending login now. True when it was not locked before.

        Raises PermissionDenied (anyone else), UserNotFound. Idempotent.
        """
        ...

    def export_account(self, principal: Principal) -> AccountExport:
        """GDPR access: the caller's profile, 2FA state (no secrets), sessions and own
        security events (newest first, at most 1,000). Audited. Raises UserNotFound.
        Read-only apart from the audit event."""
        ...

    def erase_account(self, principal: Principal, user_id: str, password: str,
                      code: str) -> ErasedAccount:
        """GDPR erasure. The owner proves it with ``password`` (plus a TOTP or backup
        ``code`` when 2FA is on; a wrong password counts toward the lockout); a system
        principal (an operator) needs neither. Every token dies, the other modules unlink
        the user's data (orders stay, no longer linkable), the identity rows are deleted and
        the audit pseudonym link is destroyed.

        Raises PermissionDenied (anyone else, admins included), InvalidCredentials,
        InvalidTwoFactorCode, UserNotFound (also when already erased), Unavailable (a module
        could not unlink: the account stays deactivated; erasing again finishes it).
        """
        ...

    def reencrypt_totp_secrets(self, principal: Principal | None) -> int:
        """Operator (an administrator or the system): re-encrypt every stored TOTP secret
        under the totp ring's primary key; returns how many changed. Idempotent (values
        already under the primary are kept)."""
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

    def find_users(self, principal: Principal, search: str, page: int,
                   page_size: int) -> Page[UserView]:
        """Users whose username or e-mail contains ``search`` (case-insensitive, ``%`` and
        ``_`` literal; empty: everyone), by username (admin or system). Read-only.

        Raises PermissionDenied, InvalidInput (page, page size 1-100, search over 100).
        """
        ...

    def user_account(self, principal: Principal, user_id: str) -> UserAccountView:
        """An account as administrators see it: profile, lockout state (admin or system).
        Read-only. Raises PermissionDenied, UserNotFound."""
        ...

    def signing_keys(self, principal: Principal) -> tuple[SigningKeyView, ...]:
        """The signing key set, active key first (admin or system). Read-only.
        Raises PermissionDenied."""
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

    def rotate_signing_key(self, principal: Principal | None) -> str:
        """Operator (an administrator or the system): make a new active signing key;
        returns its kid."""
        ...

    def remove_signing_key(self, principal: Principal | None, kid: str) -> None:
        """Operator (an administrator or the system): drop a key at once; tokens it signed
        fail everywhere within seconds."""
        ...
