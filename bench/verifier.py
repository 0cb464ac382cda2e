"""JWT verification per request vs one bare ``cryptography`` RS256 verify (target <= 1.5x)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.identity.signing import generate_private_pem
from app.platform.access_tokens import build_verifier
from app.platform.clock import SystemClock

Row = tuple[str, float, float, str]


def _timeit(func: Callable[[], object], seconds: float = 2.0) -> float:
    """Mean seconds per call over a fixed wall time (after a warm-up)."""
    for _ in range(50):
        func()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            func()
        count += 50
    return (time.perf_counter() - start) / count


def run(seconds: float = 2.0) -> list[Row]:
    key = RSAKey.import_key(generate_private_pem(), {"kid": "k1", "alg": "RS256"})
    now = int(time.time())
    claims = {"iss": "i", "aud": "a", "sub": "u", "client_id": "c", "iat": now, "nbf": now,
              "exp": now + 900, "jti": uuid.uuid4().hex, "sid": "s", "role": "user",
              "amr": ["pwd"]}
    token = jwt.encode({"alg": "RS256", "kid": "k1", "typ": "at+jwt"}, claims, key)
    jwks = {"keys": [key.as_dict(private=False)]}
    verifier = build_verifier(jwks_source=lambda: jwks, revocation_feed=lambda _c: [],
                              issuer="i", audience="a", clock=SystemClock())
    public = key.get_op_key("verify")
    signing_input, signature = token.rsplit(".", 1)
    raw_signature = _unb64(signature)

    def bare() -> None:
        public.verify(raw_signature, signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())

    def first_sight() -> None:
        verifier.validator.verified.clear()
        verifier.verify(token)

    first = _timeit(first_sight, seconds)
    repeat = _timeit(lambda: verifier.verify(token), seconds)
    baseline = _timeit(bare, seconds)
    return [
        ("JWT verify per request us (token seen before) vs bare RS256 us", repeat * 1e6,
         baseline * 1e6, "<= 1.50"),
        ("JWT verify us (first sight of a token) vs bare RS256 us", first * 1e6,
         baseline * 1e6, "(informative)"),
    ]


def _unb64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
