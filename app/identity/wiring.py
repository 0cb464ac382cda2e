"""Builds the identity module's real services from settings (called by the composition root)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.config import Settings
from app.identity.accounts import DatabaseAccounts
from app.identity.administration import Administration
from app.identity.devices import PURPOSE as DEVICE_PURPOSE
from app.identity.devices import DeviceProofs
from app.identity.lifecycle import AccountLifecycle
from app.identity.lockout import LockoutPolicy
from app.identity.passwords import PasswordHasher
from app.identity.service import DatabaseRevocationFeed, DatabaseSigningKeys, DatabaseTwoFactor
from app.identity.sessions import DatabaseSessions
from app.identity.signing import SigningKeyStore
from app.identity.step_up import StepUp
from app.identity.tokens import TokenIssuer, TokenSettings
from app.identity.two_factor import SecretBox, TwoFactorManager
from app.identity.views import to_view
from app.platform.audit import AuditTrail
from app.platform.clock import Clock
from app.platform.crypto import KeyRingLoader


@dataclass(frozen=True)
class IdentityServices:
    """One implementation per identity contract, over the same tables and key store."""

    accounts: DatabaseAccounts
    sessions: DatabaseSessions
    two_factor: DatabaseTwoFactor
    signing_keys: DatabaseSigningKeys
    revocations: DatabaseRevocationFeed


def build_identity(settings: Settings, *, audit: AuditTrail, clock: Clock,
                   keyrings: KeyRingLoader,
                   on_revoked: Callable[[], None],
                   erase_hooks: list[Callable[[str], int]] | None = None
                   ) -> IdentityServices:
    """``erase_hooks``: what the other modules do when a user is erased (see lifecycle.py);
    the composition root appends to the list once those modules exist."""
    keys = SigningKeyStore(settings.keys_dir, clock,
                           retire_grace=settings.access_token_ttl + settings.jwt_leeway)
    keys.ensure(create=not settings.is_production)
    token_settings = TokenSettings(
        issuer=settings.jwt_issuer, audience=settings.jwt_audience,
        client_id=settings.jwt_client_id, access_ttl=settings.access_token_ttl,
        family_ttl=settings.refresh_family_ttl, leeway=settings.jwt_leeway,
    )
    hasher = PasswordHasher(settings.password_hash_iterations)
    issuer = TokenIssuer(keys, token_settings, clock)
    devices = DeviceProofs(keyrings.blind_index(DEVICE_PURPOSE))
    lockout = LockoutPolicy()
    two_factor = TwoFactorManager(
        box=SecretBox(lambda: keyrings.ring("totp")), hasher=hasher, issuer=issuer,
        devices=devices,
        audit=audit, clock=clock, shop_name=settings.shop_name, on_revoked=on_revoked,
    )
    lifecycle = AccountLifecycle(hasher=hasher, issuer=issuer, audit=audit, clock=clock,
                                 two_factor=two_factor, lockout=lockout, on_revoked=on_revoked)
    if erase_hooks is not None:
        lifecycle.erase_hooks = erase_hooks  # filled by the composition root
    administration = Administration(keys, to_view)
    step_up = StepUp(hasher=hasher, lockout=lockout, two_factor=two_factor, audit=audit,
                     clock=clock)
    return IdentityServices(
        accounts=DatabaseAccounts(hasher=hasher, issuer=issuer, audit=audit, clock=clock,
                                  devices=devices, lockout=lockout,
                                  administration=administration, lifecycle=lifecycle,
                                  step_up=step_up, on_revoked=on_revoked),
        sessions=DatabaseSessions(hasher=hasher, issuer=issuer, audit=audit, clock=clock,
                                  two_factor=two_factor, devices=devices, lockout=lockout,
                                  step_up=step_up, on_revoked=on_revoked),
        two_factor=DatabaseTwoFactor(two_factor),
        signing_keys=DatabaseSigningKeys(keys=keys, issuer=issuer, audit=audit,
                                         administration=administration,
                                         step_up=step_up, on_revoked=on_revoked),
        revocations=DatabaseRevocationFeed(issuer),
    )
