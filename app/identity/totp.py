"""TOTP (RFC 6238) with pyotp: ±1 step window and a replay guard.

Codes are strings: ``^[0-9]{6}$`` (the SPEC's ``^\\d{6}$`` in ASCII: Python's ``\\d`` also
matches Arabic-Indic and other digits) is checked before any HMAC is computed, so ``123456 ``,
``12345``, ``١٢٣٤٥٦`` or an integer never reach pyotp, and leading zeros are kept.
``match_step`` returns the time step a code belongs to; the caller stores it and accepts only
later steps afterwards (RFC 6238 section 5.2), atomically, so one code cannot be used twice
even by racing requests.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass

import pyotp

DIGITS = 6
INTERVAL = 30
WINDOW = 1  # steps accepted on each side of the current one
SECRET_BYTES = 20  # 160 bits, as RFC 4226 recommends

DIGESTS: dict[str, Callable[..., object]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
}


def new_secret() -> str:
    """A fresh 160-bit secret, base32 without padding (what authenticator apps expect)."""
    return pyotp.random_base32(length=32)


@dataclass(frozen=True)
class Totp:
    secret: str
    digits: int = DIGITS
    digest: str = "sha1"
    interval: int = INTERVAL

    def _otp(self) -> pyotp.TOTP:
        return pyotp.TOTP(self.secret, digits=self.digits, digest=DIGESTS[self.digest],
                          interval=self.interval)

    def step_at(self, when: float) -> int:
        return int(when // self.interval)

    def code_at_step(self, step: int) -> str:
        return self._otp().generate_otp(step)

    def is_well_formed(self, code: object) -> bool:
        return isinstance(code, str) and re.fullmatch(rf"[0-9]{{{self.digits}}}", code) is not None

    def match_step(self, code: str, when: float) -> int | None:
        """The step within ±WINDOW of ``when`` whose code is ``code``, or None.

        Every candidate is compared (constant-time each), so timing does not reveal which
        step matched.
        """
        if not self.is_well_formed(code):
            return None
        now = self.step_at(when)
        found = None
        for step in range(now - WINDOW, now + WINDOW + 1):
            if hmac.compare_digest(self.code_at_step(step), code):
                found = step
        return found

    def provisioning_uri(self, username: str, issuer: str) -> str:
        return self._otp().provisioning_uri(name=username, issuer_name=issuer)
