"""Helpers for 2FA tests: enable 2FA through the API and compute codes at the frozen clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyotp

from app.platform.clock import FrozenClock
from tests.support import GOOD_PASSWORD, Api


@dataclass
class TwoFactorUser:
    id: str
    username: str
    secret: str
    backup_codes: list[str]
    access: str

    def code(self, clock: FrozenClock, steps: int = 0) -> str:
        """The TOTP code ``steps`` time steps from now (strings: leading zeros kept)."""
        return pyotp.TOTP(self.secret).at(int(clock.time()) + 30 * steps)


def enable_2fa(api: Api, clock: FrozenClock, username: str = "alice") -> TwoFactorUser:
    user = api.user(username)
    setup = api.post("/api/users/2fa/setup/", user["access"], json={"password": GOOD_PASSWORD})
    assert setup.status_code == 200, setup.get_json()
    secret = setup.get_json()["secret"]
    code = pyotp.TOTP(secret).at(int(clock.time()))
    confirmed = api.post("/api/users/2fa/verify-setup/", user["access"], json={"code": code})
    assert confirmed.status_code == 200, confirmed.get_json()
    # The activation code's step is now spent: move on so the next code is a later step.
    clock.advance(30)
    return TwoFactorUser(user["id"], username, secret, confirmed.get_json()["backup_codes"],
                         user["access"])


def ticket_for(api: Api, username: str = "alice", password: str = GOOD_PASSWORD) -> str:
    answer = api.login(username, password)
    assert answer.status_code == 200, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    assert body["requires_2fa"] is True and "access" not in body
    return str(body["login_ticket"])


def verify_login(api: Api, ticket: str, code: str) -> Any:
    return api.post("/api/users/2fa/verify-login/", json={"login_ticket": ticket, "code": code})
