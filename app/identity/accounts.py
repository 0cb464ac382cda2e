"""``DatabaseAccounts``: the account contract over the identity tables (registration, profile,
password, administration; lock, export and erasure live in lifecycle.py)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import NoReturn

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.identity import login_tickets
from app.identity.administration import Administration
from app.identity.contract import (
    ROLES,
    AccountExists,
    AccountExport,
    ErasedAccount,
    InactiveUser,
    InvalidCredentials,
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
from app.identity.step_up import StepUp
from app.identity.tokens import TokenIssuer
from app.identity.views import to_view
from app.kernel import InvalidInput, Page, Principal
from app.platform import authz
from app.platform.audit import AuditTrail, SecurityEvent, Subject
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


def end_pending_logins(devices: DeviceProofs, session: Session, user_id: str) -> None:
    """Device proofs and half-done 2FA logins die with the user's sessions."""
    devices.revoke_all(session, user_id)
    login_tickets.discard_for(session, user_id)


def find_user(session: Session, user_id: str, for_update: bool = False) -> User:
    user = session.get(User, user_id, with_for_update=for_update)
    if user is None:
        raise UserNotFound("No such user.")
    return user


class DatabaseAccounts:
    def __init__(self, *, hasher: PasswordHasher, issuer: TokenIssuer, audit: AuditTrail,
                 clock: Clock, devices: DeviceProofs, lockout: LockoutPolicy,
                 administration: Administration, lifecycle: AccountLifecycle,
                 step_up: StepUp, on_revoked: Callable[[], None]) -> None:
        self.hasher, self.issuer, self.audit, self.clock = hasher, issuer, audit, clock
        self.devices, self.lockout, self.step_up = devices, lockout, step_up
        self.administration, self.lifecycle = administration, lifecycle
        self._on_revoked = on_revoked

    # -- registration and profile -------------------------------------------------------

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

    def get_user(self, principal: Principal | None, user_id: str) -> UserView:
        authz.require_owner_or_admin(principal, user_id)
        return self._view(user_id)

    @staticmethod
    def _view(user_id: str) -> UserView:
        with reading(BIND) as connection:
            row = connection.execute(USER_VIEW_BY_ID, {"id": user_id}).first()
        if row is None:
            raise UserNotFound("No such user.")
        return to_view(row)

    def ensure_active(self, principal: Principal | None) -> UserView:
        view = self._view(authz.require_user(principal).user_id)
        if not view.is_active:
            raise InactiveUser("This account is deactivated.")
        return view

    def update_email(self, principal: Principal | None, email: str) -> UserView:
        user_id = authz.require_user(principal).user_id
        email = normalize_email(email)
        with unit_of_work(BIND) as session:
            user = find_user(session, user_id)
            self._ensure_unique(session, None, email, exclude=user_id)
            user.email, user.email_key, user.updated_at = email, email.casefold(), utc(self.clock)
            view = to_view(user)
        self.audit.record(SecurityEvent.USER_UPDATED, actor=Subject(user_id),
                          target=Subject(user_id), fields=["email"])
        return view

    # -- password -----------------------------------------------------------------------

    def change_password(self, principal: Principal | None, current: str, new: str) -> None:
        principal = authz.require_user(principal)
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
            user = find_user(session, user_id, for_update=True)
            self.lockout.record_success(user)  # the provisional failure was not one
            user.password_check_until = 0
            if user.password_hash != encoded:  # changed meanwhile: the check above is stale
                raise InvalidCredentials("The current password is not correct.",
                                         field_errors={"current_password": "incorrect"})
            user.password_hash, user.updated_at = new_hash, utc(self.clock)
            self.issuer.revoke_user(session, user.id, "password change",
                                    keep_family=principal.session_id)
            end_pending_logins(self.devices, session, user.id)
        self._on_revoked()
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
            user = find_user(session, user_id, for_update=True)
            username, email = user.username, user.email
            if self.lockout.refuses(user, now) or user.password_check_until > now:
                return None, username, email, 0
            user.password_check_until = now + CHECK_SECONDS
            return user.password_hash, username, email, self.lockout.record_failure(user, now)

    def _end_password_check(self, user_id: str, *, right: bool) -> None:
        with unit_of_work(BIND) as session:
            user = find_user(session, user_id, for_update=True)
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

    # -- administration -----------------------------------------------------------------

    def find_users(self, principal: Principal | None, search: str, page: int,
                   page_size: int) -> Page[UserView]:
        return self.administration.find_users(principal, search, page, page_size)

    def user_account(self, principal: Principal | None, user_id: str) -> UserAccountView:
        return self.administration.user_account(principal, user_id)

    def admin_update_user(self, principal: Principal | None, user_id: str,
                          changes: UserChanges) -> UserView:
        admin = authz.require_admin_or_system(principal)  # an operator command, too
        if changes.role is not None and changes.role not in ROLES:
            raise InvalidInput("Unknown role.", field_errors={"role": "must be user or admin"})
        if admin.user_id == user_id and (changes.role == "user" or changes.is_active is False):
            raise InvalidInput("Administrators cannot demote or deactivate themselves.")
        if changes.role is not None or changes.is_active is False:  # SPEC §1: not re-activation
            self.step_up.require_recent(admin, "update_user")
        with unit_of_work(BIND) as session:
            user = find_user(session, user_id)
            if changes.role is not None:
                user.role = changes.role
            if changes.is_active is not None:
                user.is_active = changes.is_active
            if changes.is_active is False or changes.role is not None:
                self.issuer.revoke_user(session, user.id, "admin change")
            if changes.is_active is False:
                end_pending_logins(self.devices, session, user.id)
            user.updated_at = utc(self.clock)
            view = to_view(user)
        self._on_revoked()
        self.audit.record(SecurityEvent.ADMIN_ACTION, actor=Subject(admin.user_id),
                          target=Subject(user_id),
                          action="update_user", role=changes.role, is_active=changes.is_active)
        return view

    def unlock(self, principal: Principal | None, user_id: str) -> bool:
        acting = authz.require_admin_or_system(principal)
        with unit_of_work(BIND) as session:
            changed = self.lockout.unlock(find_user(session, user_id))
        self.audit.record(SecurityEvent.ACCOUNT_UNLOCKED, actor=Subject(acting.user_id),
                          target=Subject(user_id), changed=changed)
        return changed

    # -- lifecycle (lifecycle.py) --------------------------------------------------------

    def lock(self, principal: Principal | None, user_id: str) -> bool:
        return self.lifecycle.lock(authz.require_admin_or_system(principal), user_id)

    def export_account(self, principal: Principal | None) -> AccountExport:
        return self.lifecycle.export(authz.require_user(principal))

    def erase_account(self, principal: Principal | None, user_id: str, password: str,
                      code: str) -> ErasedAccount:
        return self.lifecycle.erase(authz.require_any(principal), user_id, password, code)
