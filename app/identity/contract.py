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
# How long an authentication (login or step-up) counts for a session's sensitive actions.
STEP_UP_WINDOW = 300  # seconds


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


class StepUpRequired(PermissionDenied):
    """A sensitive action without an authentication of the caller's session in the last
    5 minutes (login or ``SessionService.reauthenticate``)."""

    code = "step_up_required"


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


class AccountService(Protocol):
    """Accounts: registration, profile, password, administration, lock, export and erasure.
    Every method is one transaction; errors are contract errors. The service decides who may
    do what (owner, administrator, system principal); the principal is always the first
    argument."""

    def register(self, username: str, email: str, password: str) -> UserView:
        """Create a ``user`` (public). Raises WeakPassword, AccountExists, InvalidInput."""
        ...

    def get_user(self, principal: Principal | None, user_id: str) -> UserView:
        """A profile: the owner's own, or any for an administrator.
        Raises Unauthenticated, PermissionDenied, UserNotFound."""
        ...

    def ensure_active(self, principal: Principal | None) -> UserView:
        """The caller's own account, if it exists and is active (a module acting for the
        user, e.g. ordering placing the user's order). Raises Unauthenticated,
        PermissionDenied (system principal), UserNotFound or InactiveUser."""
        ...

    def update_email(self, principal: Principal | None, email: str) -> UserView:
        """Change the caller's own e-mail. Raises Unauthenticated, PermissionDenied (system
        principal), AccountExists, InvalidInput, UserNotFound."""
        ...

    def change_password(self, principal: Principal | None, current: str, new: str) -> None:
        """Requires the current password; ends every other session of the user.

        Raises Unauthenticated, PermissionDenied (system principal), InvalidCredentials,
        WeakPassword.
        """
        ...

    def find_users(self, principal: Principal | None, search: str, page: int,
                   page_size: int) -> Page[UserView]:
        """Users whose username or e-mail contains ``search`` (case-insensitive, ``%`` and
        ``_`` literal; empty: everyone), by username (admin or system). Read-only.

        Raises Unauthenticated, PermissionDenied, InvalidInput (page, page size 1-100,
        search over 100).
        """
        ...

    def user_account(self, principal: Principal | None, user_id: str) -> UserAccountView:
        """An account as administrators see it: profile, lockout state (admin or system).
        Read-only. Raises Unauthenticated, PermissionDenied, UserNotFound."""
        ...

    def admin_update_user(self, principal: Principal | None, user_id: str,
                          changes: UserChanges) -> UserView:
        """Change role or active flag (admins only; deactivation revokes every token). An
        administrator changing the role or deactivating must have authenticated in this session
        within the last 5 minutes (system principals are exempt; re-activation needs no step-up).

        Raises Unauthenticated, PermissionDenied, StepUpRequired, UserNotFound, InvalidInput.
        """
        ...

    def lock(self, principal: Principal | None, user_id: str) -> bool:
        """Incident response (operators, administrators): lock the account until ``unlock``
        and end every session and pending login now. True when it was not locked before.

        Raises Unauthenticated, PermissionDenied (anyone else), UserNotFound. Idempotent.
        """
        ...

    def unlock(self, principal: Principal | None, user_id: str) -> bool:
        """Clear a login lockout (administrators, operators); True when the account was
        locked or had failures. Raises Unauthenticated, PermissionDenied, UserNotFound.
        Idempotent.
        """
        ...

    def export_account(self, principal: Principal | None) -> AccountExport:
        """GDPR access: the caller's profile, 2FA state (no secrets), sessions and own
        security events (newest first, at most 1,000). Audited. Raises Unauthenticated,
        PermissionDenied (system principal), UserNotFound. Read-only apart from the audit
        event."""
        ...

    def erase_account(self, principal: Principal | None, user_id: str, password: str,
                      code: str) -> ErasedAccount:
        """GDPR erasure. The owner proves it with ``password`` (plus a TOTP or backup
        ``code`` when 2FA is on; a wrong password counts toward the lockout); a system
        principal (an operator) needs neither. Every token dies, the other modules unlink
        the user's data (orders stay, no longer linkable), the identity rows are deleted and
        the audit pseudonym link is destroyed.

        Raises Unauthenticated, PermissionDenied (anyone else, admins included),
        InvalidCredentials, InvalidTwoFactorCode, UserNotFound (also when already erased),
        Unavailable (a module could not unlink: the account stays deactivated; erasing again
        finishes it).
        """
        ...


class SessionService(Protocol):
    """Login (password, then a second factor), token refresh, logout, step-up."""

    def login(self, username: str, password: str, device: str | None = None) -> LoginResult:
        """Password step (public): the token pair (with a device proof), or for a user with
        2FA on a login ticket (valid 5 minutes) for ``verify_login``. Same answer and cost
        for unknown users, wrong passwords, inactive and locked accounts
        (InvalidCredentials); counts toward the lockout, unless ``device`` is a valid device
        proof of this user: such an attempt is exempt from the lockout and its failures count
        on the proof instead (5 revoke it). Not idempotent."""
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

    def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate a refresh token (single use). A retired token revokes its whole family.

        Raises InvalidRefreshToken.
        """
        ...

    def logout(self, principal: Principal | None, refresh_token: str | None) -> None:
        """Revoke the caller's session (refresh family) and the presented access token.
        Raises Unauthenticated, PermissionDenied (system principal). Idempotent."""
        ...

    def logout_everywhere(self, principal: Principal | None) -> None:
        """Invalidate every token of the caller at once (every device, pending logins too).

        Raises Unauthenticated, PermissionDenied (system principal), UserNotFound. Idempotent.
        """
        ...

    def end_sessions(self, principal: Principal | None, user_id: str) -> None:
        """Invalidate every token of a user at once (administrators, operators; audited as
        the acting principal). An administrator must have authenticated in this session within
        the last 5 minutes. Raises Unauthenticated, PermissionDenied, StepUpRequired,
        UserNotFound. Idempotent."""
        ...

    def reauthenticate(self, principal: Principal | None, password: str,
                       code: str = "") -> int:
        """Step-up: the caller confirms their password and, when their 2FA is on, a TOTP or
        unused backup code, before a sensitive action. Returns the time of the proof (epoch
        seconds), which is also recorded for the caller's session: for 5 minutes the services
        accept that session's sensitive actions. Audited (``authn_step_up``);
        a wrong password counts toward the lockout; a locked or inactive account answers like
        a wrong password. Not idempotent (a code is spent).

        Raises Unauthenticated, PermissionDenied (system principal), InvalidCredentials,
        InvalidTwoFactorCode.
        """
        ...


class TwoFactorService(Protocol):
    """The caller's own second factor (TOTP and backup codes); re-encryption for operators."""

    def setup_two_factor(self, principal: Principal | None, password: str) -> TwoFactorSetup:
        """Start (or restart) the caller's 2FA setup with a fresh 160-bit secret, stored
        encrypted. Needs the caller's password (a stolen access token alone must not enrol
        an attacker's authenticator).

        Raises Unauthenticated, PermissionDenied (system principal), InvalidCredentials
        (wrong password), TwoFactorAlreadyEnabled when 2FA is active, UserNotFound. Not
        idempotent (each call makes a new secret).
        """
        ...

    def confirm_two_factor(self, principal: Principal | None, code: str) -> BackupCodes:
        """Activate 2FA with a code from the pending secret; returns the 10 backup codes
        (shown once) and ends the user's other sessions.

        Raises Unauthenticated, PermissionDenied (system principal), TwoFactorNotEnabled (no
        pending setup), TwoFactorAlreadyEnabled, InvalidTwoFactorCode.
        """
        ...

    def two_factor_status(self, principal: Principal | None) -> TwoFactorStatus:
        """Whether the caller's 2FA is on and how many backup codes are unused.
        Raises Unauthenticated, PermissionDenied (system principal), UserNotFound."""
        ...

    def disable_two_factor(self, principal: Principal | None, password: str,
                           code: str) -> None:
        """Turn 2FA off (password plus a TOTP or backup code); deletes the secret and the
        backup codes and ends the user's other sessions.

        Raises Unauthenticated, PermissionDenied (system principal), InvalidCredentials,
        InvalidTwoFactorCode, TwoFactorNotEnabled.
        """
        ...

    def regenerate_backup_codes(self, principal: Principal | None, password: str,
                                code: str) -> BackupCodes:
        """A new set of 10 backup codes (password plus a TOTP code); the old set dies.

        Raises Unauthenticated, PermissionDenied (system principal), InvalidCredentials,
        InvalidTwoFactorCode, TwoFactorNotEnabled.
        """
        ...

    def reencrypt_totp_secrets(self, principal: Principal | None) -> int:
        """Re-encrypt every stored TOTP secret under the totp ring's primary key (operators
        and administrators); returns how many changed. Idempotent (values already under the
        primary are kept). Raises Unauthenticated, PermissionDenied."""
        ...


class SigningKeyService(Protocol):
    """The token signing key set: public halves for everyone, management for operators."""

    def public_key(self) -> PublicKey:
        """The active signing key's public half (public)."""
        ...

    def jwks(self) -> dict[str, Any]:
        """The public key set (public): the active key and retired keys whose tokens may be
        unexpired."""
        ...

    def signing_keys(self, principal: Principal | None) -> tuple[SigningKeyView, ...]:
        """The signing key set, active key first (admin or system). Read-only.
        Raises Unauthenticated, PermissionDenied."""
        ...

    def rotate_signing_key(self, principal: Principal | None) -> str:
        """Make a new active signing key (admin or system); returns its kid. An administrator
        must have authenticated in this session within the last 5 minutes.
        Raises Unauthenticated, PermissionDenied, StepUpRequired."""
        ...

    def remove_signing_key(self, principal: Principal | None, kid: str) -> None:
        """Drop a key at once (admin or system); tokens it signed fail everywhere within
        seconds. An administrator must have authenticated in this session within the last
        5 minutes. Raises Unauthenticated, PermissionDenied, StepUpRequired, NotFound."""
        ...


class RevocationFeed(Protocol):
    """What every token verifier follows: revoked tokens, sessions, users and keys."""

    def revocations_since(self, cursor: int) -> list[Revocation]:
        """Entries of the revocation feed after ``cursor`` (0 = every entry still in force).
        Public to every module (it names no one: ids and token ids only)."""
        ...
