"""Step-up proofs kept in the browser session, bound to the login session they were made in.

After ``identity.reauthenticate`` succeeds, the page stores ``{sid, at}`` in Flask's signed
session cookie. A proof counts only for the same login session (the access token's ``sid``):
copied into another session, or kept after signing in again, it is worthless. It lasts
``MAX_AGE`` seconds (SPEC: a re-authentication within the last 5 minutes) on the shop's clock.
Ending the login session ends the proof with it, since its ``sid`` no longer verifies.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from app.kernel import Principal
from app.platform.clock import Clock

MAX_AGE = 300
KEY = "step_up"


class StepUpProofs:
    def __init__(self, clock: Clock, max_age: int = MAX_AGE) -> None:
        self._clock, self._max_age = clock, max_age

    def grant(self, store: MutableMapping[str, Any], principal: Principal,
              verified_at: int) -> None:
        store[KEY] = {"sid": principal.session_id, "at": int(verified_at)}

    def remaining(self, store: MutableMapping[str, Any], principal: Principal) -> int:
        """Seconds the proof still counts for this principal's session (0: none or stale)."""
        proof = store.get(KEY)
        if not isinstance(proof, dict) or proof.get("sid") != principal.session_id:
            return 0
        at = proof.get("at")
        if not isinstance(at, int):
            return 0
        age = int(self._clock.time()) - at
        return max(0, self._max_age - age) if age >= 0 else 0

    def fresh(self, store: MutableMapping[str, Any], principal: Principal) -> bool:
        return self.remaining(store, principal) > 0

    @staticmethod
    def drop(store: MutableMapping[str, Any]) -> None:
        store.pop(KEY, None)
