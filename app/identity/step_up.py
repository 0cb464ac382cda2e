"""Step-up re-authentication: the signed-in person proves again that they are at the keyboard
before a sensitive action (an admin changing a role, deactivating a user, ending sessions,
managing signing keys).

The proof is the caller's password and, when their 2FA is on, a TOTP code (replay-guarded) or
an unused backup code. One password hash per attempt, also for a locked or inactive account,
which answers exactly like a wrong password. A wrong password counts toward the lockout like a
failed login, so step-up is no way around it. Every attempt is audited (``authn_step_up``).
A success is recorded for the caller's session (recent_auth.py); ``require_recent`` is the
check the services make before a sensitive action.
"""

from __future__ import annotations

from app.identity import recent_auth
from app.identity.contract import InvalidCredentials, InvalidTwoFactorCode, StepUpRequired
from app.identity.lockout import LockoutPolicy
from app.identity.models import User
from app.identity.passwords import PasswordHasher
from app.identity.two_factor import TwoFactorManager
from app.kernel import Principal
from app.platform.audit import AuditTrail, SecurityEvent, Subject
from app.platform.clock import Clock
from app.platform.db import unit_of_work

BIND = "identity"


class StepUp:
    def __init__(self, *, hasher: PasswordHasher, lockout: LockoutPolicy,
                 two_factor: TwoFactorManager, audit: AuditTrail, clock: Clock) -> None:
        self._hasher, self._lockout, self._two_factor = hasher, lockout, two_factor
        self._audit, self._clock = audit, clock

    def reauthenticate(self, principal: Principal, password: str, code: str) -> int:
        """For a person (the session service refuses a system principal first)."""
        now = int(self._clock.time())
        with unit_of_work(BIND, readonly=True) as session:
            user = session.get(User, principal.user_id)
        evaluated = user is not None and user.is_active and not self._lockout.refuses(user, now)
        if not self._hasher.verify(password, user.password_hash if evaluated and user else None):
            self._count_failure(principal.user_id if evaluated else "", now)
            self._record(principal, "failure", reason="password")
            raise InvalidCredentials("The password is not correct.",
                                     field_errors={"password": "The password is not correct."})
        assert user is not None
        factors = ["pwd"]
        if user.two_factor_enabled:
            if not self._two_factor.verify_code(user.id, code.strip(), purpose="step-up"):
                self._record(principal, "failure", reason="code")
                raise InvalidTwoFactorCode("The code is not valid.", field_errors={
                    "code": "Enter a current code from your app, or an unused backup code."})
            factors.append("otp")
        with unit_of_work(BIND) as session:
            recent_auth.record(session, principal.session_id, user.id, now)
        self._record(principal, "success", amr=factors)
        return now

    def require_recent(self, principal: Principal, action: str) -> Principal:
        """``principal`` (an administrator, or a system principal: exempt), if it authenticated
        in its own session within the step-up window; else audited and StepUpRequired."""
        if principal.is_system:
            return principal
        now = int(self._clock.time())
        with unit_of_work(BIND, readonly=True) as session:
            fresh = recent_auth.is_fresh(session, principal.session_id, principal.user_id, now)
        if not fresh:
            self._record(principal, "failure", reason="required", action=action)
            raise StepUpRequired("Confirm your password to do this: the last sign-in of "
                                 "this session is more than 5 minutes old.")
        return principal

    def _count_failure(self, user_id: str, now: int) -> None:
        if not user_id:
            return
        with unit_of_work(BIND) as session:
            user = session.get(User, user_id, with_for_update=True)
            locked_for = self._lockout.record_failure(user, now) if user else 0
        if locked_for:
            self._audit.record(SecurityEvent.LOGIN_LOCKED, outcome="failure", actor="",
                               target=Subject(user_id), seconds=locked_for)

    def _record(self, principal: Principal, outcome: str, **details: object) -> None:
        self._audit.record(SecurityEvent.STEP_UP, outcome=outcome,
                           actor=Subject(principal.user_id), target=Subject(principal.user_id),
                           session=principal.session_id, **details)
