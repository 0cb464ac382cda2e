"""The decorators that API views use to require a caller (built once per app)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.platform.ratelimit import RateLimits
from app.web.api.auth import BearerProtector, make_guards


@dataclass(frozen=True)
class Guards:
    protector: BearerProtector
    authenticated: Callable[[Any], Any]
    # Named rate limits: ``@guards.limits.named("login_ip")`` (see app/platform/ratelimit.py).
    limits: RateLimits

    @classmethod
    def build(cls, protector: BearerProtector, limits: RateLimits) -> Guards:
        return cls(protector, make_guards(protector), limits)
