"""Builds the identity module's real service from settings (called by the composition root)."""

from __future__ import annotations

from collections.abc import Callable

from app.config import Settings
from app.identity.passwords import PasswordHasher
from app.identity.service import DatabaseIdentityService
from app.identity.signing import SigningKeyStore
from app.identity.tokens import TokenIssuer, TokenSettings
from app.platform.audit import AuditTrail
from app.platform.clock import Clock


def build_identity(settings: Settings, *, audit: AuditTrail, clock: Clock,
                   on_revoked: Callable[[], None]) -> DatabaseIdentityService:
    keys = SigningKeyStore(settings.keys_dir, clock,
                           retire_grace=settings.access_token_ttl + settings.jwt_leeway)
    keys.ensure(create=not settings.is_production)
    token_settings = TokenSettings(
        issuer=settings.jwt_issuer, audience=settings.jwt_audience,
        client_id=settings.jwt_client_id, access_ttl=settings.access_token_ttl,
        family_ttl=settings.refresh_family_ttl, leeway=settings.jwt_leeway,
    )
    return DatabaseIdentityService(
        hasher=PasswordHasher(settings.password_hash_iterations),
        keys=keys,
        issuer=TokenIssuer(keys, token_settings, clock),
        audit=audit,
        clock=clock,
        on_revoked=on_revoked,
    )
