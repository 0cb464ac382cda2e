"""``DatabaseSessions``: the session contract (login, second factor, refresh, logout, step-up)
over the identity tables."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.identity.accounts import end_pending_logins, find_user
from app.identity.contract import (
    InvalidCredentials,
    InvalidRefreshToken,
    LoginResult,
    SecondFactorLogin,
    TokenPair,
)
from app.identity.devices import DeviceProofs
from app.identity.lockout import LockoutPolicy
from app.identity.models import User
from app.identity.passwords import PasswordHasher
from app.identity.step_up import StepUp
from app.identity.tokens import TokenIssuer
from app.identity.two_factor import TwoFactorManager
from app.kernel import Principal
from app.platform import authz
from app.platform.audit import AuditTrail, SecurityEvent, Subject
from app.platform.clock import Clock
from app.platform.db import unit_of_work

BIND = "identity"


class DatabaseSessions:
    def __init__(self, *, hasher: PasswordHasher, issuer: TokenIssuer, audit: AuditTrail,
                 clock: Clock, two_factor: TwoFactorManager, devices: DeviceProofs,
                 lockout: LockoutPolicy, step_up: StepUp,
                 on_revoked: Callable[[], None]) -> None:
        self.hasher, self.issuer, self.audit, self.clock = hasher, issuer, audit, clock
        self.two_factor, self.devices, self.lockout = two_factor, devices, lockout
        self.step_up = step_up
        self._on_revoked = on_revoked

    # -- login --------------------------------------------------------------------------

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

    # -- tokens -------------------------------------------------------------------------

    def refresh(self, refresh_token: str) -> TokenPair:
        with unit_of_work(BIND) as session:
            redeemed = self.issuer.redeem(session, refresh_token)
            if redeemed.reused_family:
                self.issuer.revoke_family(session, redeemed.reused_family, "refresh reuse")
            issued = self.issuer.successor(session, redeemed.row) if redeemed.row else None
        if redeemed.reused_family:
            self._on_revoked()
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

    def logout(self, principal: Principal | None, refresh_token: str | None) -> None:
        principal = authz.require_user(principal)
        with unit_of_work(BIND) as session:
            self.issuer.revoke_family(session, principal.session_id, "logout")
            self.issuer.feed(session, "jti", principal.jti, expires_at=principal.expires_at + 60)
        self._on_revoked()
        self.audit.record(SecurityEvent.TOKEN_REVOKED, actor=Subject(principal.user_id),
                          target=Subject(principal.user_id), scope="session")

    def logout_everywhere(self, principal: Principal | None) -> None:
        acting = authz.require_user(principal)
        self._end_all(acting, acting.user_id)

    def end_sessions(self, principal: Principal | None, user_id: str) -> None:
        acting = authz.require_admin_or_system(principal)
        self._end_all(self.step_up.require_recent(acting, "end_sessions"), user_id)

    def _end_all(self, acting: Principal, user_id: str) -> None:
        with unit_of_work(BIND) as session:
            find_user(session, user_id)
            self.issuer.revoke_user(session, user_id, "log out everywhere")
            end_pending_logins(self.devices, session, user_id)
        self._on_revoked()
        self.audit.record(SecurityEvent.TOKEN_REVOKED, actor=Subject(acting.user_id),
                          target=Subject(user_id), scope="all")

    def reauthenticate(self, principal: Principal | None, password: str,
                       code: str = "") -> int:
        return self.step_up.reauthenticate(authz.require_user(principal), password, code)
