"""An account's end of life and its data: operator lock, GDPR export, GDPR erasure.

Erasure is a small saga. The person proves it is them (password, plus a code when 2FA is on;
an operator acts as a system principal instead), the account is deactivated and every token
dies, the other modules unlink their data (``on_erase`` hooks, e.g. ordering's
``forget_user``), and only then are the identity rows deleted and the audit pseudonym link
destroyed. A hook that fails reactivates nothing it should not: the account stays
deactivated with its sessions ended, and ``users erase`` (or the user, after an operator
unlock) finishes the job; every step is idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.identity import login_tickets
from app.identity.contract import (
    AccountExport,
    ErasedAccount,
    InvalidCredentials,
    SecurityEventView,
    SessionView,
    UserNotFound,
)
from app.identity.lockout import LockoutPolicy
from app.identity.models import RefreshToken, User
from app.identity.passwords import PasswordHasher
from app.identity.tokens import TokenIssuer
from app.identity.two_factor import TwoFactorManager
from app.identity.views import to_view
from app.kernel import PermissionDenied, Principal
from app.platform.audit import AuditTrail, SecurityEvent, Subject
from app.platform.clock import Clock
from app.platform.db import unit_of_work

BIND = "identity"
EraseHook = Callable[[str], int]


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


class AccountLifecycle:
    def __init__(self, *, hasher: PasswordHasher, issuer: TokenIssuer, audit: AuditTrail,
                 clock: Clock, two_factor: TwoFactorManager, lockout: LockoutPolicy,
                 on_revoked: Callable[[], None]) -> None:
        self.hasher, self.issuer, self.audit, self.clock = hasher, issuer, audit, clock
        self.two_factor, self.lockout, self._on_revoked = two_factor, lockout, on_revoked
        self.erase_hooks: list[EraseHook] = []

    # -- operator lock ------------------------------------------------------------------

    def lock(self, principal: Principal, user_id: str) -> bool:
        """For an administrator or a system principal (the account service checks)."""
        with unit_of_work(BIND) as session:
            user = _user(session, user_id, lock=True)
            changed = not user.operator_locked
            user.operator_locked = True
            login_tickets.discard_for(session, user_id)
            self.issuer.revoke_user(session, user_id, "operator lock")
        self._on_revoked()
        self.audit.record(SecurityEvent.ACCOUNT_LOCKED, actor=Subject(principal.user_id),
                          target=Subject(user_id), changed=changed)
        return changed

    # -- export -------------------------------------------------------------------------

    def export(self, principal: Principal) -> AccountExport:
        user_id = principal.user_id
        with unit_of_work(BIND, readonly=True) as session:
            view = to_view(_user(session, user_id))
            sessions = _sessions(session, user_id, int(self.clock.time()))
        events = tuple(SecurityEventView(
            occurred_at=e["occurred_at"], event=e["event"], outcome=e["outcome"], ip=e["ip"],
            user_agent=e["user_agent"], details=json.dumps(e["details"], sort_keys=True))
            for e in self.audit.for_subject(user_id))
        export = AccountExport(user=view, two_factor=self.two_factor.status(user_id),
                               sessions=sessions, security_events=events)
        self.audit.record(SecurityEvent.USER_EXPORTED, actor=Subject(user_id),
                          target=Subject(user_id), events=len(events))
        return export

    # -- erasure ------------------------------------------------------------------------

    def erase(self, principal: Principal, user_id: str, password: str,
              code: str) -> ErasedAccount:
        if principal.is_system:
            with unit_of_work(BIND, readonly=True) as session:
                _user(session, user_id)
        elif principal.user_id == user_id:
            self._confirm(principal, password, code)
        else:
            raise PermissionDenied("An account can be erased only by its owner or an operator.")
        self._shut(user_id)
        unlinked = sum(hook(user_id) for hook in self.erase_hooks)
        with unit_of_work(BIND) as session:
            session.execute(delete(User).where(User.id == user_id))
        self.audit.record(SecurityEvent.USER_DELETED, actor=Subject(principal.user_id),
                          target=Subject(user_id), module="identity", orders_unlinked=unlinked)
        self.audit.forget_subject(user_id)
        return ErasedAccount(user_id=user_id, orders_unlinked=unlinked)

    def _confirm(self, principal: Principal, password: str, code: str) -> None:
        """Password (one hash, outside any write transaction; counted by the lockout like a
        failed login), then the 2FA code when 2FA is on."""
        now = int(self.clock.time())
        with unit_of_work(BIND, readonly=True) as session:
            user = _user(session, principal.user_id)
            refused = self.lockout.refuses(user, now)
            encoded, two_factor = user.password_hash, user.two_factor_enabled
        if not self.hasher.verify(password, None if refused else encoded) or refused:
            with unit_of_work(BIND) as session:
                locked_user = _user(session, principal.user_id, lock=True)
                if not refused:
                    self.lockout.record_failure(locked_user, now)
            self.audit.record(SecurityEvent.LOGIN_FAIL, outcome="failure",
                              target=Subject(principal.user_id), purpose="erasure")
            raise InvalidCredentials("The password is not correct.",
                                     field_errors={"password": "incorrect"})
        if two_factor:
            self.two_factor.confirm_code(principal.user_id, code, "erasure")

    def _shut(self, user_id: str) -> None:
        """Deactivate and end every session first, so nothing new happens meanwhile."""
        with unit_of_work(BIND) as session:
            user = _user(session, user_id, lock=True)
            user.is_active = False
            login_tickets.discard_for(session, user_id)
            self.issuer.revoke_user(session, user_id, "erasure")
        self._on_revoked()


def _user(session: Session, user_id: str, *, lock: bool = False) -> User:
    user = session.get(User, user_id, with_for_update=lock)
    if user is None:
        raise UserNotFound("No such user.")
    return user


def _sessions(session: Session, user_id: str, now: int) -> tuple[SessionView, ...]:
    rows = session.scalars(select(RefreshToken).where(RefreshToken.user_id == user_id)
                           .order_by(RefreshToken.issued_at))
    families: dict[str, list[RefreshToken]] = {}
    for row in rows:
        families.setdefault(row.family_id, []).append(row)
    return tuple(SessionView(
        session_id=family, started_at=_iso(tokens[0].issued_at),
        last_used_at=_iso(tokens[-1].issued_at), expires_at=_iso(tokens[0].family_expires_at),
        amr=tuple(tokens[0].amr.split()),
        active=any(t.used_at is None and t.revoked_at is None for t in tokens)
        and tokens[0].family_expires_at > now)
        for family, tokens in families.items())
