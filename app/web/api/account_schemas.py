"""Request and response models of the caller's data rights: export and erasure (GDPR)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.web.api.order_schemas import OrderOut
from app.web.api.schemas import Strict, TwoFactorStatusOut, UserOut


class EraseIn(Strict):
    password: str = Field(min_length=1, max_length=1024)
    code: str = Field(default="", max_length=64,
                      description="A TOTP or backup code; required when 2FA is on.")


class SessionOut(BaseModel):
    session_id: str
    started_at: str
    last_used_at: str
    expires_at: str
    amr: list[str]
    active: bool


class SecurityEventOut(BaseModel):
    occurred_at: str
    event: str
    outcome: str
    ip: str
    user_agent: str
    details: dict[str, Any]


class ExportOut(BaseModel):
    exported_at: str
    profile: UserOut
    two_factor: TwoFactorStatusOut
    sessions: list[SessionOut]
    orders: list[OrderOut]
    security_events: list[SecurityEventOut]
