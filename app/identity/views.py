"""Identity rows as the contract's data objects."""

from __future__ import annotations

from typing import Any

from app.identity.contract import UserView


def to_view(user: Any) -> UserView:
    """A view of a User entity, or of a Core row with its columns."""
    return UserView(id=user.id, username=user.username, email=user.email, role=user.role,
                    is_active=user.is_active, two_factor_enabled=user.two_factor_enabled,
                    created_at=user.created_at.isoformat())
