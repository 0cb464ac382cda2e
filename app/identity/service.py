"""The smaller identity contracts implemented over the identity tables and the key store:
the caller's own second factor, the signing key set and the revocation feed (accounts.py
and sessions.py hold the larger two)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.identity.administration import Administration
from app.identity.contract import (
    BackupCodes,
    PublicKey,
    SigningKeyView,
    TwoFactorSetup,
    TwoFactorStatus,
)
from app.identity.signing import KeyStoreError, SigningKeyStore
from app.identity.step_up import StepUp
from app.identity.tokens import TokenIssuer
from app.identity.two_factor import TwoFactorManager
from app.kernel import NotFound, Principal, Revocation
from app.platform import authz
from app.platform.audit import AuditTrail, SecurityEvent, Subject
from app.platform.db import unit_of_work

BIND = "identity"


class DatabaseTwoFactor:
    """Each method acts on the caller's own account (a person, never a system principal),
    except re-encryption (administrators and operators)."""

    def __init__(self, manager: TwoFactorManager) -> None:
        self.manager = manager

    def setup_two_factor(self, principal: Principal | None, password: str) -> TwoFactorSetup:
        return self.manager.setup(authz.require_user(principal), password)

    def confirm_two_factor(self, principal: Principal | None, code: str) -> BackupCodes:
        return self.manager.confirm(authz.require_user(principal), code)

    def two_factor_status(self, principal: Principal | None) -> TwoFactorStatus:
        return self.manager.status(authz.require_user(principal).user_id)

    def disable_two_factor(self, principal: Principal | None, password: str,
                           code: str) -> None:
        self.manager.disable(authz.require_user(principal), password, code)

    def regenerate_backup_codes(self, principal: Principal | None, password: str,
                                code: str) -> BackupCodes:
        return self.manager.regenerate(authz.require_user(principal), password, code)

    def reencrypt_totp_secrets(self, principal: Principal | None) -> int:
        return self.manager.reencrypt(authz.require_admin_or_system(principal))


class DatabaseSigningKeys:
    def __init__(self, *, keys: SigningKeyStore, issuer: TokenIssuer, audit: AuditTrail,
                 administration: Administration, step_up: StepUp,
                 on_revoked: Callable[[], None]) -> None:
        self.keys, self.issuer, self.audit, self.step_up = keys, issuer, audit, step_up
        self.administration, self._on_revoked = administration, on_revoked

    def public_key(self) -> PublicKey:
        kid, pem = self.keys.active_public()
        return PublicKey(kid=kid, alg="RS256", pem=pem)

    def jwks(self) -> dict[str, Any]:
        return self.keys.jwks()

    def signing_keys(self, principal: Principal | None) -> tuple[SigningKeyView, ...]:
        return self.administration.signing_keys(principal)

    def rotate_signing_key(self, principal: Principal | None) -> str:
        acting = self.step_up.require_recent(authz.require_admin_or_system(principal),
                                             "rotate_signing_key")
        kid = self.keys.rotate()
        self.audit.record(SecurityEvent.KEY_ROTATED, actor=Subject(acting.user_id), target=kid,
                          key="jwt")
        return kid

    def remove_signing_key(self, principal: Principal | None, kid: str) -> None:
        acting = self.step_up.require_recent(authz.require_admin_or_system(principal),
                                             "remove_signing_key")
        try:
            self.keys.remove(kid)
        except KeyStoreError as exc:
            raise NotFound(f"There is no signing key {kid!r}.") from exc
        with unit_of_work(BIND) as session:
            self.issuer.feed(session, "kid", kid)
        self._on_revoked()
        self.audit.record(SecurityEvent.KEY_REMOVED, actor=Subject(acting.user_id), target=kid,
                          key="jwt")


class DatabaseRevocationFeed:
    def __init__(self, issuer: TokenIssuer) -> None:
        self.issuer = issuer

    def revocations_since(self, cursor: int) -> list[Revocation]:
        with unit_of_work(BIND, readonly=True) as session:
            return self.issuer.revocations_since(session, cursor)
