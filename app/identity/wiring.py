"""Builds the identity module's real service from settings (called by the composition root)."""

from __future__ import annotations

from collections.abc import Callable

from app.config import Settings
from app.identity.devices import PURPOSE as DEVICE_PURPOSE
from app.identity.devices import DeviceProofs
from app.identity.passwords import PasswordHasher
from app.identity.service import DatabaseIdentityService
from app.identity.signing import SigningKeyStore
from app.identity.tokens import TokenIssuer, TokenSettings
from app.identity.two_factor import SecretBox, TwoFactorManager
from app.platform.audit import AuditTrail
from app.platform.clock import Clock
from app.platform.crypto import KeyRingLoader


def build_identity(settings: Settings, *, audit: AuditTrail, clock: Clock,
                   keyrings: KeyRingLoader,
                   on_revoked: Callable[[], None],
                   erase_hooks: list[Callable[[str], int]] | None = None
                   ) -> DatabaseIdentityService:
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
    two_factor = TwoFactorManager(
        box=SecretBox(lambda: keyrings.ring("totp")), hasher=hasher, issuer=issuer,
        devices=devices,
        audit=audit, clock=clock, shop_name=settings.shop_name, on_revoked=on_revoked,
    )
    return DatabaseIdentityService(
        devices=devices,
        hasher=hasher,
        keys=keys,
        issuer=issuer,
        audit=audit,
        clock=clock,
        two_factor=two_factor,
        on_revoked=on_revoked,
        erase_hooks=erase_hooks,
    )
