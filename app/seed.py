"""Idempotent demo data for development: who exists, with which password, kept in instance/."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from app.bootstrap import Services
from app.identity.contract import AccountExists, UserChanges
from app.kernel import Principal

SEED_OPERATOR = Principal(user_id="seed", role="admin", jti="seed", session_id="seed",
                          issued_at=0, expires_at=0)


def _credentials(instance: Path) -> dict[str, str]:
    path = instance / "demo_credentials.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    creds = {"admin": "", "demo": ""}
    for name in creds:
        creds[name] = "-".join(secrets.token_hex(3) for _ in range(4))
    instance.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(creds, handle)
    return creds


def seed_users(services: Services) -> dict[str, str]:
    """Create the demo admin and user if missing; returns ``{username: password}``."""
    creds = _credentials(services.settings.instance_path)
    identity = services.identity
    for username, password in creds.items():
        try:
            user = identity.register(username, f"{username}@shop.example", password)
        except AccountExists:
            continue
        if username == "admin":
            identity.admin_update_user(SEED_OPERATOR, user.id, UserChanges(role="admin"))
    return creds
