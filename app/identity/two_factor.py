"""Two-factor use cases: setup, activation, the login code step, disable, new backup codes.

The TOTP secret is sealed with the ``totp`` key ring (AES-256-GCM, the user id bound in as
associated data, so a secret copied to another user's row does not decrypt). A value that
fails to decrypt fails closed: the operation is refused with an internal error and a
``crypt_decrypt_fail`` audit event, never a guess. Every audit event is recorded after its
transaction commits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import segno
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.identity import backup_codes, login_tickets
from app.identity.contract import (
    BackupCodes,
    InvalidCredentials,
    InvalidLoginTicket,
    InvalidTwoFactorCode,
    LoginResult,
    SecondFactorLogin,
    TwoFactorAlreadyEnabled,
    TwoFactorNotEnabled,
    TwoFactorSetup,
    TwoFactorStatus,
    UserNotFound,
)
from app.identity.devices import DeviceProofs
from app.identity.login_tickets import changed_rows
from app.identity.models import TwoFactor, User
from app.identity.passwords import PasswordHasher
from app.identity.tokens import TokenIssuer
from app.identity.totp import Totp, new_secret
from app.kernel import InternalError, Principal
from app.platform.audit import AuditTrail, SecurityEvent, Subject
from app.platform.clock import Clock
from app.platform.crypto import DecryptionError, KeyRing
from app.platform.db import unit_of_work

BIND = "identity"
OTP_AMR = ["pwd", "otp"]


class UnreadableSecret(DecryptionError):
    def __init__(self, user_id: str) -> None:
        super().__init__(f"cannot decrypt the totp secret of {user_id}")
        self.user_id = user_id


class SecretBox:
    """Seals TOTP secrets; reloads the ring once when a value names a key it does not hold
    (a key added by rotation after this process started)."""

    def __init__(self, load: Callable[[], KeyRing]) -> None:
        self._load = load
        self.ring = load()

    def seal(self, user_id: str, secret: str) -> str:
        return self.ring.encrypt(secret, context=user_id)

    def open(self, user_id: str, sealed: str) -> str:
        try:
            return self.ring.decrypt(sealed, context=user_id)
        except DecryptionError:
            self.ring = self._load()
        try:
            return self.ring.decrypt(sealed, context=user_id)
        except DecryptionError:
            raise UnreadableSecret(user_id) from None

    def reload(self) -> KeyRing:
        self.ring = self._load()
        return self.ring


@dataclass(frozen=True)
class Outcome:
    """What a code check found: ``totp``, ``backup``, ``replay`` or ``wrong``."""

    kind: str
    remaining: int | None = None

    @property
    def ok(self) -> bool:
        return self.kind in ("totp", "backup")


class TwoFactorManager:
    def __init__(self, *, box: SecretBox, hasher: PasswordHasher, issuer: TokenIssuer,
                 devices: DeviceProofs, audit: AuditTrail, clock: Clock, shop_name: str,
                 on_revoked: Callable[[], None]) -> None:
        self.box = box
        self.devices = devices
        self.hasher = hasher
        self.issuer = issuer
        self.audit = audit
        self.clock = clock
        self.shop_name = shop_name
        self._on_revoked = on_revoked

    def _now(self) -> int:
        return int(self.clock.time())

    @contextlib.contextmanager
    def _fail_closed(self, user_id: str) -> Iterator[None]:
        try:
            yield
        except DecryptionError as error:
            self.audit.record(SecurityEvent.DECRYPT_FAIL, outcome="failure", actor="",
                              target=Subject(getattr(error, "user_id", user_id)), purpose="totp")
            raise InternalError("The two-factor secret cannot be read.") from None

    # -- the code check shared by every use case ----------------------------------------

    def _check(self, session: Session, row: TwoFactor, code: str, *,
               allow_backup: bool) -> Outcome:
        now = self._now()
        totp = Totp(self.box.open(row.user_id, row.secret_encrypted))
        if totp.is_well_formed(code):
            step = totp.match_step(code, now)
            if step is None:
                return Outcome("wrong")
            # Only a later step than the last accepted one; atomic, so racing requests with
            # one code cannot both pass.
            won = changed_rows(session, update(TwoFactor).where(
                TwoFactor.user_id == row.user_id, TwoFactor.last_step < step,
            ).values(last_step=step))
            return Outcome("totp" if won == 1 else "replay")
        if allow_backup and backup_codes.consume(session, row.user_id, code, now):
            return Outcome("backup", backup_codes.remaining(session, row.user_id))
        return Outcome("wrong")

    def _audit_code(self, user_id: str, outcome: Outcome, purpose: str) -> None:
        if outcome.kind == "totp":
            self.audit.record(SecurityEvent.MFA_SUCCESS, actor=Subject(user_id),
                              target=Subject(user_id),
                              purpose=purpose)
        elif outcome.kind == "backup":
            self.audit.record(SecurityEvent.BACKUP_CODE_USED, actor=Subject(user_id),
                              target=Subject(user_id),
                              purpose=purpose, remaining=outcome.remaining)
        elif outcome.kind == "replay":
            self.audit.record(SecurityEvent.MFA_REPLAY, outcome="failure", actor=Subject(user_id),
                              target=Subject(user_id), purpose=purpose)
        else:
            self.audit.record(SecurityEvent.MFA_FAIL, outcome="failure", actor=Subject(user_id),
                              target=Subject(user_id), purpose=purpose)

    def verify_code(self, user_id: str, code: str, purpose: str) -> bool:
        """A current TOTP code (later than the last accepted step) or an unused backup code
        (spent) of a user with 2FA on; audited as the code step of ``purpose``."""
        with self._fail_closed(user_id), unit_of_work(BIND) as session:
            row = session.get(TwoFactor, user_id)
            outcome = (self._check(session, row, code, allow_backup=True) if row is not None
                       else Outcome("wrong"))
        self._audit_code(user_id, outcome, purpose)
        return outcome.ok

    # -- the password step hands over to the code step ----------------------------------

    def start_login(self, session: Session, user: User) -> LoginResult:
        ticket = login_tickets.issue(session, user.id, self._now())
        return LoginResult(login_ticket=ticket, expires_in=login_tickets.TTL)

    def verify_login(self, ticket: str, code: str) -> SecondFactorLogin:
        now = self._now()
        with self._fail_closed(""), unit_of_work(BIND) as session:
            user_id = login_tickets.take_attempt(session, ticket, now) or ""
            user = session.get(User, user_id) if user_id else None
            row = session.get(TwoFactor, user_id) if user_id else None
            usable = user is not None and user.is_active and user.two_factor_enabled
            outcome = self._check(session, row, code, allow_backup=True) \
                if usable and row is not None else None
            pair, device = None, None
            if user is not None and outcome is not None and outcome.ok \
                    and login_tickets.redeem(session, ticket, now):
                pair = self.issuer.start_family(session, user, OTP_AMR)
                device = self.devices.issue(session, user.id, now)
        if outcome is None:
            self.audit.record(SecurityEvent.MFA_FAIL, outcome="failure", actor="",
                              target=Subject(user_id), purpose="login", reason="login ticket")
            raise InvalidLoginTicket("The login ticket is invalid or expired; log in again.")
        self._audit_code(user_id, outcome, "login")
        if pair is None and outcome.ok:  # a racing request with this ticket won first
            raise InvalidLoginTicket("The login ticket is invalid or expired; log in again.")
        if pair is None:
            raise InvalidTwoFactorCode("The code is not valid.")
        self.audit.record(SecurityEvent.LOGIN_SUCCESS, actor=Subject(user_id),
                          target=Subject(user_id),
                          amr=OTP_AMR)
        return SecondFactorLogin(pair, outcome.remaining, device_token=device)

    def ticket_owner(self, ticket: str) -> str | None:
        with unit_of_work(BIND, readonly=True) as session:
            return login_tickets.owner(session, ticket, self._now())

    # -- setup and management -----------------------------------------------------------

    def setup(self, principal: Principal, password: str) -> TwoFactorSetup:
        """Needs the password: a stolen access token alone must not enrol the thief's app."""
        user_id = principal.user_id
        self._check_password(principal, password, "2fa setup")
        secret = new_secret()
        with unit_of_work(BIND) as session:
            user = _user(session, user_id)
            if user.two_factor_enabled:
                raise TwoFactorAlreadyEnabled("Two-factor authentication is already on.")
            row = session.get(TwoFactor, user_id)
            if row is None:
                row = TwoFactor(user_id=user_id, created_at=self._now())
                session.add(row)
            row.secret_encrypted, row.last_step = self.box.seal(user_id, secret), 0
            username = user.username
        self.audit.record(SecurityEvent.MFA_SETUP, actor=Subject(user_id), target=Subject(user_id))
        uri = Totp(secret).provisioning_uri(username, self.shop_name)
        qr_svg = segno.make(uri, error="m").svg_inline(scale=4, title="2FA QR code")
        return TwoFactorSetup(secret=secret, otpauth_uri=uri, qr_svg=qr_svg)

    def confirm(self, principal: Principal, code: str) -> BackupCodes:
        user_id = principal.user_id
        with self._fail_closed(user_id), unit_of_work(BIND) as session:
            user, row = _user(session, user_id), session.get(TwoFactor, user_id)
            if user.two_factor_enabled:
                raise TwoFactorAlreadyEnabled("Two-factor authentication is already on.")
            if row is None:
                raise TwoFactorNotEnabled("Start the two-factor setup first.")
            outcome = self._check(session, row, code, allow_backup=False)
            codes: list[str] = []
            if outcome.ok:
                user.two_factor_enabled = True
                codes = backup_codes.replace_set(session, user_id)
                self.issuer.revoke_user(session, user_id, "2fa enabled",
                                        keep_family=principal.session_id)
                # A password-only login started before must not finish on the old terms.
                login_tickets.discard_for(session, user_id)
        self._audit_code(user_id, outcome, "setup")
        if not outcome.ok:
            raise InvalidTwoFactorCode("The code is not valid.", field_errors={"code": "invalid"})
        self._on_revoked()
        self.audit.record(SecurityEvent.MFA_ENABLED, actor=Subject(user_id),
                          target=Subject(user_id))
        return BackupCodes(tuple(codes))

    def status(self, user_id: str) -> TwoFactorStatus:
        with unit_of_work(BIND, readonly=True) as session:
            user = _user(session, user_id)
            remaining = backup_codes.remaining(session, user_id) if user.two_factor_enabled else 0
            return TwoFactorStatus(enabled=user.two_factor_enabled,
                                   backup_codes_remaining=remaining)

    def _check_password(self, principal: Principal, password: str, purpose: str) -> bool:
        """Re-authentication (the hash runs outside any write transaction); returns whether
        2FA is on. Raises InvalidCredentials, audited like a failed login."""
        with unit_of_work(BIND, readonly=True) as session:
            user = _user(session, principal.user_id)
            encoded, enabled = user.password_hash, user.two_factor_enabled
        if not self.hasher.verify(password, encoded):
            self.audit.record(SecurityEvent.LOGIN_FAIL, outcome="failure",
                              actor=Subject(principal.user_id), target=Subject(principal.user_id),
                              purpose=purpose)
            raise InvalidCredentials("The password is not correct.",
                                     field_errors={"password": "incorrect"})
        return enabled

    def _reauthenticate(self, principal: Principal, password: str) -> None:
        if not self._check_password(principal, password, "2fa change"):
            raise TwoFactorNotEnabled("Two-factor authentication is not on.")

    def _change(self, principal: Principal, password: str, code: str, *, allow_backup: bool,
                apply: Callable[[Session], Any], purpose: str) -> Any:
        self._reauthenticate(principal, password)
        user_id = principal.user_id
        with self._fail_closed(user_id), unit_of_work(BIND) as session:
            row = session.get(TwoFactor, user_id)
            if row is None:
                raise TwoFactorNotEnabled("Two-factor authentication is not on.")
            outcome = self._check(session, row, code, allow_backup=allow_backup)
            result = apply(session) if outcome.ok else None
        self._audit_code(user_id, outcome, purpose)
        if not outcome.ok:
            raise InvalidTwoFactorCode("The code is not valid.", field_errors={"code": "invalid"})
        return result

    def confirm_code(self, user_id: str, code: str, purpose: str) -> None:
        """Check (and spend) a TOTP or backup code of a user with 2FA on (re-authentication
        for a sensitive change). Raises TwoFactorNotEnabled, InvalidTwoFactorCode."""
        with self._fail_closed(user_id), unit_of_work(BIND) as session:
            row = session.get(TwoFactor, user_id)
            if row is None:
                raise TwoFactorNotEnabled("Two-factor authentication is not on.")
            outcome = self._check(session, row, code, allow_backup=True)
        self._audit_code(user_id, outcome, purpose)
        if not outcome.ok:
            raise InvalidTwoFactorCode("The code is not valid.", field_errors={"code": "invalid"})

    def disable(self, principal: Principal, password: str, code: str) -> None:
        def apply(session: Session) -> None:
            _user(session, principal.user_id).two_factor_enabled = False
            session.delete(session.get(TwoFactor, principal.user_id))
            backup_codes.discard(session, principal.user_id)
            login_tickets.discard_for(session, principal.user_id)
            self.issuer.revoke_user(session, principal.user_id, "2fa disabled",
                                    keep_family=principal.session_id)

        self._change(principal, password, code, allow_backup=True, apply=apply,
                     purpose="disable")
        self._on_revoked()
        self.audit.record(SecurityEvent.MFA_DISABLED, actor=Subject(principal.user_id),
                          target=Subject(principal.user_id))

    def regenerate(self, principal: Principal, password: str, code: str) -> BackupCodes:
        codes = self._change(
            principal, password, code, allow_backup=False, purpose="regenerate",
            apply=lambda session: backup_codes.replace_set(session, principal.user_id))
        self.audit.record(SecurityEvent.BACKUP_CODES_REGENERATED, actor=Subject(principal.user_id),
                          target=Subject(principal.user_id))
        return BackupCodes(tuple(codes))

    def reencrypt(self, principal: Principal) -> int:
        """For an administrator or a system principal (the two-factor service checks)."""
        ring, changed, failed = self.box.reload(), 0, []
        with unit_of_work(BIND) as session:
            for row in session.scalars(select(TwoFactor)):
                if not ring.needs_reencryption(row.secret_encrypted):
                    continue
                try:
                    secret = ring.decrypt(row.secret_encrypted, context=row.user_id)
                except DecryptionError:
                    failed.append(row.user_id)  # left as is: never overwrite with a guess
                    continue
                row.secret_encrypted = ring.encrypt(secret, context=row.user_id)
                changed += 1
        for user_id in failed:
            self.audit.record(SecurityEvent.DECRYPT_FAIL, outcome="failure",
                              actor=Subject(principal.user_id), target=Subject(user_id),
                              purpose="totp")
        self.audit.record(SecurityEvent.KEY_ROTATED, actor=Subject(principal.user_id),
                          target=ring.primary_kid,
                          key="totp", reencrypted=changed, failed=len(failed))
        return changed


def _user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound("No such user.")
    return user
