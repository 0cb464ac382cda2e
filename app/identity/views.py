"""Identity rows as the contract's data objects."""

from __future__ import annotations

from app.identity.contract import UserView
from app.identity.models import User


def to_view(user: User) -> UserView:
    return UserView(id=user.id, username=user.username, email=user.email, role=user.role,
                    is_active=user.is_active, two_factor_enabled=user.two_factor_enabled,
                    created_at=user.created_at.isoformat())
