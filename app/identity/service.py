"""``DatabaseIdentityService``: the identity contract implemented over the identity tables."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any, NoReturn

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.identity import login_tickets
from app.identity.administration import Administration
from app.identity.contract import (
    ROLES,
    AccountExists,
    AccountExport,
    BackupCodes,
    ErasedAccount,
    InactiveUser,
    InvalidCredentials,
    InvalidRefreshToken,
    LoginResult,
    PublicKey,
    SecondFactorLogin,
    SigningKeyView,
    TokenPair,
    TwoFactorSetup,
    TwoFactorStatus,
    UserAccountView,
    UserChanges,
    UserNotFound,
    UserView,
)
from app.identity.devices import DeviceProofs
from app.identity.lifecycle import AccountLifecycle
from app.identity.lockout import LockoutPolicy
from app.identity.models import User
from app.identity.passwords import PasswordHasher, check_policy
from app.identity.signing import KeyStoreError, SigningKeyStore
from app.identity.step_up import StepUp
from app.identity.tokens import TokenIssuer
from app.identity.two_factor import TwoFactorManager
from app.identity.views import to_view
from app.kernel import InvalidInput, NotFound, Page, PermissionDenied, Principal, Revocation
from app.platform.audit import AuditTrail, SecurityEvent, Subject
from app.platform.authz import require_admin_or_system
from app.platform.clock import Clock, utc
from app.platform.db import reading, unit_of_work

CHECK_SECONDS = 30  # an in-flight password check blocks others this long at most
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")
BIND = "identity"

# The columns of a UserView, by id: a Core read, no ORM identity map (the hottest identity read).
USER_VIEW_BY_ID = select(User.id, User.username, User.email, User.role, User.is_active,
                         User.two_factor_enabled, User.created_at).where(
                             User.id == bindparam("id"))


def normalize_email(email: str) -> str:
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput("The e-mail address is not valid.",
                           field_errors={"email": str(exc)}) from exc


def _person(actor: str) -> str | Subject:
    """An ``actor`` string as the audit should name it: an administrator's user id by
    pseudonym; the operator (``operator``, ``system:...``) as it is."""
    return actor if actor == "operator" or actor.startswith("system:") else Subject(actor)


class DatabaseIdentityService:
    def __init__(self, *, hasher: PasswordHasher, keys: SigningKeyStore, issuer: TokenIssuer,
                 audit: AuditTrail, clock: Clock, two_factor: TwoFactorManager,
                 devices: DeviceProofs, lockout: LockoutPolicy | None = None,
                 on_revoked: Callable[[], None] = lambda: None,
                 erase_hooks: list[Callable[[str], int]] | None = None) -> None:
        self.two_factor = two_factor
        self.devices = devices
        self.lockout = lockout or LockoutPolicy()
        self.administration = Administration(keys, to_view)
        self.step_up = StepUp(hasher=hasher, lockout=self.lockout, two_factor=two_factor,
                              audit=audit, clock=clock)
        self.hasher = hasher
        self.keys = keys
        self.issuer = issuer
        self.audit = audit
        self.clock = clock
        self._on_revoked = on_revoked
        self.lifecycle = AccountLifecycle(hasher=hasher, issuer=issuer, audit=audit,
                                          clock=clock, two_factor=two_factor,
                                          lockout=self.lockout, on_revoked=on_revoked)
        if erase_hooks is not None:
            self.lifecycle.erase_hooks = erase_hooks  # filled by the composition root

    # -- accounts -----------------------------------------------------------------------

    def register(self, username: str, email: str, password: str, role: str = "user") -> UserView:
        if not USERNAME.match(username):
            raise InvalidInput("Usernames have 3 to 40 letters, digits, '_', '.' or '-'.",
                               field_errors={"username": "invalid"})
        email = normalize_email(email)
        check_policy(password, username=username, email=email)
        password_hash = self.hasher.hash(password)
        now = utc(self.clock)
        with unit_of_work(BIND) as session:
            self._ensure_unique(session, username, email)
            user = User(id=str(uuid.uuid4()), username=username, username_key=username.casefold(),
                        email=email, email_key=email.casefold(), password_hash=password_hash,
                        role=role, is_active=True, created_at=now, updated_at=now)
            session.add(user)
        self.audit.record(SecurityEvent.USER_CREATED, actor=Subject(user.id),
                          target=Subject(user.id), role=role)
        return to_view(user)

    @staticmethod
    def _ensure_unique(session: Session, username: str | None, email: str | None,
                       exclude: str | None = None) -> None:
        clauses = []
        if username is not None:
            clauses.append(User.username_key == username.casefold())
        if email is not None:
            clauses.append(User.email_key == email.casefold())
        for other in session.scalars(select(User).where(*clauses[:1]) if len(clauses) == 1
                                     else select(User).where(clauses[0] | clauses[1])):
            if other.id == exclude:
                continue
            field = "username" if username and other.username_key == username.casefold() \
                else "email"
            raise AccountExists(f"This {field} is already registered.",
                                field_errors={field: "already registered"})

    def get_user(self, user_id: str) -> UserView:
        with reading(BIND) as connection:
            row = connection.execute(USER_VIEW_BY_ID, {"id": user_id}).first()
        if row is None:
            raise UserNotFound("No such user.")
        return to_view(row)

    def ensure_active(self, user_id: str) -> UserView:
        view = self.get_user(user_id)
        if not view.is_active:
            raise InactiveUser("This account is deactivated.")
        return view

    @staticmethod
    def _user(session: Session, user_id: str, for_update: bool = False) -> User:
        user = session.get(User, user_id, with_for_update=for_update)
        if user is None:
            raise UserNotFound("No such user.")
        return user

    def update_email(self, user_id: str, email: str) -> UserView:
        email = normalize_email(email)
        with unit_of_work(BIND) as session:
            user = self._user(session, user_id)
            self._ensure_unique(session, None, email, exclude=user_id)
            user.email, user.email_key, user.updated_at = email, email.casefold(), utc(self.clock)
            view = to_view(user)
        self.audit.record(SecurityEvent.USER_UPDATED, actor=Subject(user_id),
                          target=Subject(user_id),
                          fields=["email"])
        return view

    def change_password(self, principal: Principal, current: str, new: str) -> None:
        user_id = principal.user_id
        encoded, username, email, locked_for = self._start_password_check(user_id)
        if encoded is None:  # locked, or another check in flight: not evaluated, no hash
            self._password_guess_failed(user_id, username, True, 0)
        verified = False
        try:
            # Hashes run outside any write transaction.
            verified = self.hasher.verify(current, encoded)
            if not verified:
                self._password_guess_failed(user_id, username, False, locked_for)
            check_policy(new, username=username, email=email)
            new_hash = self.hasher.hash(new)
        except BaseException:
            self._end_password_check(user_id, right=verified)
            raise
        with unit_of_work(BIND) as session:
            user = self._user(session, user_id, for_update=True)
            self.lockout.record_success(user)  # the provisional failure was not one
            user.password_check_until = 0
            if user.password_hash != encoded:  # changed meanwhile: the check above is stale
                raise InvalidCredentials("The current password is not correct.",
                                         field_errors={"current_password": "incorrect"})
            user.password_hash, user.updated_at = new_hash, utc(self.clock)
            self.issuer.revoke_user(session, user.id, "password change",
                                    keep_family=principal.session_id)
            self._end_pending_logins(session, user.id)
        self._revoked()
        self.audit.record(SecurityEvent.PASSWORD_CHANGED, actor=Subject(user_id),
                          target=Subject(user_id))

    def _start_password_check(self, user_id: str) -> tuple[str | None, str, str, int]:
        """``(hash to check or None when refused, username, email, lock seconds)``.

        A wrong current password is a guess at the password: it counts toward the lockout
        like a failed login. The failure is counted *before* the hash (undone on success),
        and one check per account runs at a time, so a flood of concurrent guesses cannot
        buy more than one hash at once: while locked, or while another check is in flight,
        the answer is the same 401 without a hash (the caller knows the account exists, so
        there is no timing to hide)."""
        now = int(self.clock.time())
        with unit_of_work(BIND) as session:
            user = self._user(session, user_id, for_update=True)
            username, email = user.username, user.email
            if self.lockout.refuses(user, now) or user.password_check_until > now:
                return None, username, email, 0
            user.password_check_until = now + CHECK_SECONDS
            return user.password_hash, username, email, self.lockout.record_failure(user, now)

    def _end_password_check(self, user_id: str, *, right: bool) -> None:
        with unit_of_work(BIND) as session:
            user = self._user(session, user_id, for_update=True)
            user.password_check_until = 0
            if right:  # the current password was right (the new one was refused)
                self.lockout.record_success(user)

    def _password_guess_failed(self, user_id: str, username: str, refused: bool,
                               locked_for: int) -> NoReturn:
        self.audit.record(SecurityEvent.LOGIN_FAIL, outcome="failure", actor=Subject(user_id),
                          target=Subject(user_id), purpose="password change",
                          reason="not evaluated" if refused else "password")
        if locked_for:
            self.audit.record(SecurityEvent.LOGIN_LOCKED, outcome="failure",
                              actor=Subject(user_id), target=Subject(user_id),
                              seconds=locked_for)
        raise InvalidCredentials("The current password is not correct.",
                                 field_errors={"current_password": "incorrect"})

    def _end_pending_logins(self, session: Session, user_id: str) -> None:
        """Device proofs and half-done 2FA logins die with the user's sessions."""
        self.devices.revoke_all(session, user_id)
        login_tickets.discard_for(session, user_id)

    # -- login and tokens ---------------------------------------------------------------

    def login(self, username: str, password: str, device: str | None = None) -> LoginResult:
        now = int(self.clock.time())
        with unit_of_work(BIND, readonly=True) as session:
            user = session.scalar(select(User).where(User.username_key == username.casefold()))
            trusted = user is not None and self.devices.find(session, user.id, device,
                                                             now) is not None
        # The hash runs outside any write transaction. A locked (or unknown) account is
        # checked against the dummy hash: same cost, same answer as a wrong password. A device
        # that logged in before (valid proof) is exempt from the per-username lockout.
        evaluated = user is not None and (trusted or not self.lockout.refuses(user, now))
        ok = self.hasher.verify(password, user.password_hash if evaluated and user else None)
        rehashed = self.hasher.hash(password) if ok and user is not None \
            and self.hasher.needs_rehash(user.password_hash) else None
        user_id = user.id if user else ""
        with unit_of_work(BIND) as session:
            result, reason, locked_for = self._finish_login(
                session, user_id, ok, now, device, rehashed)
        if result is None:
            self.audit.record(SecurityEvent.LOGIN_FAIL, outcome="failure", actor="",
                              target=Subject(user_id), reason=reason,
                              # an unknown name is kept for investigations; a known one is
                              # the user, named by pseudonym only
                              **({} if user_id else {"username": username[:40]}))
            if locked_for:
                self.audit.record(SecurityEvent.LOGIN_LOCKED, outcome="failure", actor="",
                                  target=Subject(user_id), seconds=locked_for)
            raise InvalidCredentials("The username or password is not correct.")
        self.audit.record(SecurityEvent.LOGIN_SUCCESS, actor=Subject(user_id),
                          target=Subject(user_id),
                          amr=["pwd"], second_factor_required=result.requires_2fa,
                          known_device=reason == "known device")
        return result

    def _finish_login(self, session: Session, user_id: str, ok: bool, now: int,
                      device: str | None, rehashed: str | None
                      ) -> tuple[LoginResult | None, str, int]:
        """``(result, failure reason, lock seconds)`` under the user's row lock."""
        user = session.get(User, user_id, with_for_update=True) if user_id else None
        if user is None:
            return None, "unknown user", 0
        proof = self.devices.find(session, user.id, device, now)
        if proof is None and self.lockout.refuses(user, now):
            return None, "locked", 0
        if not ok and proof is not None:  # counted on the device proof, not the account
            self.devices.failed(session, proof)
            return None, "password (known device)", 0
        if not ok:
            return None, "password", self.lockout.record_failure(user, now)
        if not user.is_active:
            return None, "inactive", 0
        self.lockout.record_success(user)
        if rehashed is not None:
            user.password_hash = rehashed
        if user.two_factor_enabled:
            return self.two_factor.start_login(session, user), "", 0
        if proof is not None:
            self.devices.succeeded(proof, now)
        token = device if proof is not None else self.devices.issue(session, user.id, now)
        return (LoginResult(tokens=self.issuer.start_family(session, user, ["pwd"]),
                            device_token=token),
                "known device" if proof is not None else "", 0)

    def device_trusted(self, username: str, device: str) -> bool:
        now = int(self.clock.time())
        with unit_of_work(BIND, readonly=True) as session:
            user = session.scalar(select(User).where(User.username_key == username.casefold()))
            return user is not None and self.devices.find(session, user.id, device,
                                                          now) is not None

    def verify_login(self, login_ticket: str, code: str) -> SecondFactorLogin:
        return self.two_factor.verify_login(login_ticket, code)

    def login_ticket_owner(self, login_ticket: str) -> str | None:
        return self.two_factor.ticket_owner(login_ticket)

    # -- two-factor management (two_factor.py) ------------------------------------------

    def setup_two_factor(self, principal: Principal, password: str) -> TwoFactorSetup:
        return self.two_factor.setup(principal, password)

    def confirm_two_factor(self, principal: Principal, code: str) -> BackupCodes:
        return self.two_factor.confirm(principal, code)

    def two_factor_status(self, user_id: str) -> TwoFactorStatus:
        return self.two_factor.status(user_id)

    def disable_two_factor(self, principal: Principal, password: str, code: str) -> None:
        self.two_factor.disable(principal, password, code)

    def regenerate_backup_codes(self, principal: Principal, password: str,
                                code: str) -> BackupCodes:
        return self.two_factor.regenerate(principal, password, code)

    def reauthenticate(self, principal: Principal, password: str, code: str = "") -> int:
        return self.step_up.reauthenticate(principal, password, code)

    # -- lifecycle (lifecycle.py) --------------------------------------------------------

    def lock(self, principal: Principal, user_id: str) -> bool:
        return self.lifecycle.lock(principal, user_id)

    def export_account(self, principal: Principal) -> AccountExport:
        return self.lifecycle.export(principal)

    def erase_account(self, principal: Principal, user_id: str, password: str,
                      code: str) -> ErasedAccount:
        return self.lifecycle.erase(principal, user_id, password, code)

    def reencrypt_totp_secrets(self, principal: Principal | None) -> int:
        require_admin_or_system(principal)
        return self.two_factor.reencrypt()

    def unlock(self, user_id: str, actor: str) -> bool:
        with unit_of_work(BIND) as session:
            changed = self.lockout.unlock(self._user(session, user_id))
        self.audit.record(SecurityEvent.ACCOUNT_UNLOCKED, actor=_person(actor),
                          target=Subject(user_id), changed=changed)
        return changed

    def refresh(self, refresh_token: str) -> TokenPair:
        with unit_of_work(BIND) as session:
            redeemed = self.issuer.redeem(session, refresh_token)
            if redeemed.reused_family:
                self.issuer.revoke_family(session, redeemed.reused_family, "refresh reuse")
            issued = self.issuer.successor(session, redeemed.row) if redeemed.row else None
        if redeemed.reused_family:
            self._revoked()
            self.audit.record(SecurityEvent.TOKEN_REUSE, outcome="failure", actor="",
                              target=Subject(redeemed.user_id or ""),
                              session=redeemed.reused_family)
        if issued is None:
            self.audit.record(SecurityEvent.TOKEN_INVALID, outcome="failure", kind="refresh")
            raise InvalidRefreshToken("The refresh token is invalid, expired or already used.")
        pair, user_id = issued
        self.audit.record(SecurityEvent.TOKEN_REFRESHED, actor=Subject(user_id),
                          target=Subject(user_id))
        return pair

    def logout(self, principal: Principal, refresh_token: str | None) -> None:
        with unit_of_work(BIND) as session:
            self.issuer.revoke_family(session, principal.session_id, "logout")
            self.issuer.feed(session, "jti", principal.jti, expires_at=principal.expires_at + 60)
        self._revoked()
        self.audit.record(SecurityEvent.TOKEN_REVOKED, actor=Subject(principal.user_id),
                          target=Subject(principal.user_id), scope="session")

    def logout_everywhere(self, user_id: str, actor: str | None = None) -> None:
        with unit_of_work(BIND) as session:
            self._user(session, user_id)
            self.issuer.revoke_user(session, user_id, "log out everywhere")
            self._end_pending_logins(session, user_id)
        self._revoked()
        self.audit.record(SecurityEvent.TOKEN_REVOKED, actor=_person(actor or user_id),
                          target=Subject(user_id),
                          scope="all")

    def _revoked(self) -> None:
        self._on_revoked()

    # -- administration -----------------------------------------------------------------

    def list_users(self, page: int, page_size: int) -> Page[UserView]:
        with unit_of_work(BIND, readonly=True) as session:
            total = session.scalar(select(func.count()).select_from(User)) or 0
            rows = session.scalars(select(User).order_by(User.username_key)
                                   .offset((page - 1) * page_size).limit(page_size))
            return Page(tuple(to_view(u) for u in rows), total, page, page_size)

    def find_users(self, principal: Principal, search: str, page: int,
                   page_size: int) -> Page[UserView]:
        return self.administration.find_users(principal, search, page, page_size)

    def user_account(self, principal: Principal, user_id: str) -> UserAccountView:
        return self.administration.user_account(principal, user_id)

    def signing_keys(self, principal: Principal) -> tuple[SigningKeyView, ...]:
        return self.administration.signing_keys(principal)

    def admin_update_user(self, admin: Principal, user_id: str, changes: UserChanges) -> UserView:
        if not admin.is_admin:
            raise PermissionDenied("Only administrators may change users.")
        if changes.role is not None and changes.role not in ROLES:
            raise InvalidInput("Unknown role.", field_errors={"role": "must be user or admin"})
        if admin.user_id == user_id and (changes.role == "user" or changes.is_active is False):
            raise InvalidInput("Administrators cannot demote or deactivate themselves.")
        with unit_of_work(BIND) as session:
            user = self._user(session, user_id)
            if changes.role is not None:
                user.role = changes.role
            if changes.is_active is not None:
                user.is_active = changes.is_active
            if changes.is_active is False or changes.role is not None:
                self.issuer.revoke_user(session, user.id, "admin change")
            if changes.is_active is False:
                self._end_pending_logins(session, user.id)
            user.updated_at = utc(self.clock)
            view = to_view(user)
        self._revoked()
        self.audit.record(SecurityEvent.ADMIN_ACTION, actor=Subject(admin.user_id),
                          target=Subject(user_id),
                          action="update_user", role=changes.role, is_active=changes.is_active)
        return view

    # -- keys and revocation feed -------------------------------------------------------

    def public_key(self) -> PublicKey:
        kid, pem = self.keys.active_public()
        return PublicKey(kid=kid, alg="RS256", pem=pem)

    def jwks(self) -> dict[str, Any]:
        return self.keys.jwks()

    def revocations_since(self, cursor: int) -> list[Revocation]:
        with unit_of_work(BIND, readonly=True) as session:
            return self.issuer.revocations_since(session, cursor)

    def rotate_signing_key(self, principal: Principal | None) -> str:
        require_admin_or_system(principal)
        kid = self.keys.rotate()
        self.audit.record(SecurityEvent.KEY_ROTATED, actor="operator", target=kid, key="jwt")
        return kid

    def remove_signing_key(self, principal: Principal | None, kid: str) -> None:
        require_admin_or_system(principal)
        try:
            self.keys.remove(kid)
        except KeyStoreError as exc:
            raise NotFound(f"There is no signing key {kid!r}.") from exc
        with unit_of_work(BIND) as session:
            self.issuer.feed(session, "kid", kid)
        self._revoked()
        self.audit.record(SecurityEvent.KEY_REMOVED, actor="operator", target=kid, key="jwt")
