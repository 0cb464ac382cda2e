"""Access-token verification, done locally by every module and by the web layer.

Built on Authlib's RFC 9068 resource-server validator, tightened where its defaults fall short:

* algorithms: exactly ``RS256`` (Authlib would let joserfc accept any algorithm of the key);
* key: chosen by ``kid`` from the local key set only; a token without ``kid``, with an unknown
  one, or carrying ``jku``/``x5u``/``jwk``/``x5c`` is refused before any signature check;
* the key set is parsed once and reloaded only when the identity provider says so (rotation,
  removal) or when an unknown ``kid`` appears, at most once per ``reload_interval``;
* header ``typ`` must be ``at+jwt`` (Authlib lets a missing ``typ`` through);
* ``exp``, ``iat``, ``nbf``, ``iss``, ``aud``, ``sub``, ``jti``, ``client_id`` are essential;
  leeway at most 30 s; the compact token is size-capped before parsing;
* revocation (one token, one session, every token of a user) from a feed that the verifier
  follows, so no call to the identity provider is made per request;
* a token already verified is remembered (exact string, bounded LRU, like Envoy's JWT cache):
  a repeat presentation re-checks only expiry and revocation; removing a key forgets them all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from authlib.oauth2.rfc6750.errors import InvalidTokenError
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from authlib.oauth2.rfc9068.claims import JWTAccessTokenClaims
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from app.kernel import Principal, Revocation, Unauthenticated
from app.platform.clock import Clock, SystemClock

ALGORITHM = "RS256"
TOKEN_TYPE = "at+jwt"
FORBIDDEN_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "crit"})


class KeyRing:
    """The verifier's copy of the identity provider's public key set (JWKS)."""

    def __init__(self, jwks_source: Callable[[], dict[str, Any]], clock: Clock,
                 reload_interval: float = 5.0) -> None:
        self._source = jwks_source
        self._clock = clock
        self._reload_interval = reload_interval
        self._lock = threading.Lock()
        self._keys: dict[str, RSAKey] = {}
        self._loaded_at = float("-inf")

    def reload(self) -> None:
        keyset = KeySet.import_key_set(self._source())  # type: ignore[arg-type]
        keys = {
            key.kid: key for key in keyset.keys
            if isinstance(key, RSAKey) and key.kid and key.get("alg", ALGORITHM) == ALGORITHM
        }
        with self._lock:
            self._keys = keys
            self._loaded_at = self._clock.time()

    def invalidate(self) -> None:
        with self._lock:
            self._loaded_at = float("-inf")
            self._keys = {}

    def get(self, kid: str) -> RSAKey | None:
        key = self._keys.get(kid)
        if key is None and self._clock.time() - self._loaded_at >= self._reload_interval:
            self.reload()
            key = self._keys.get(kid)
        return key


class RevocationList:
    """Follows the identity provider's revocation feed; answers ``is_revoked`` from memory."""

    def __init__(self, feed: Callable[[int], list[Revocation]], clock: Clock,
                 poll_interval: float = 1.0,
                 on_key_removed: Callable[[], None] | None = None) -> None:
        self._feed = feed
        self._clock = clock
        self._poll_interval = poll_interval
        self._on_key_removed = on_key_removed
        self._lock = threading.Lock()
        self._cursor = 0
        self._polled_at = float("-inf")
        self._jti: dict[str, int] = {}
        self._sid: dict[str, int] = {}
        self._user_not_before: dict[str, int] = {}

    def invalidate(self) -> None:
        """Poll again on the next check (called in-process right after a revocation)."""
        self._polled_at = float("-inf")

    def sync(self) -> None:
        """Follow the feed if the last poll is older than the poll interval."""
        self._poll()

    def _poll(self) -> None:
        now = self._clock.time()
        if now - self._polled_at < self._poll_interval:
            return
        with self._lock:
            if now - self._polled_at < self._poll_interval:
                return
            entries = self._feed(self._cursor)
            for entry in entries:
                self._apply(entry)
                self._cursor = max(self._cursor, entry.seq)
            self._forget_expired(int(now))
            self._polled_at = now

    def _apply(self, entry: Revocation) -> None:
        if entry.kind == "jti":
            self._jti[entry.value] = entry.expires_at
        elif entry.kind == "sid":
            self._sid[entry.value] = entry.expires_at
        elif entry.kind == "user":
            previous = self._user_not_before.get(entry.value, 0)
            self._user_not_before[entry.value] = max(previous, entry.not_before)
        elif entry.kind == "kid" and self._on_key_removed:
            self._on_key_removed()

    def _forget_expired(self, now: int) -> None:
        for table in (self._jti, self._sid):
            for value in [v for v, expires in table.items() if expires < now]:
                del table[value]

    def is_revoked(self, principal: Principal) -> bool:
        self._poll()
        return (
            principal.jti in self._jti
            or principal.session_id in self._sid
            or principal.issued_at < self._user_not_before.get(principal.user_id, 0)
        )


class VerifiedTokens:
    """A bounded LRU of token strings whose signature and claims have been fully checked."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._items: OrderedDict[str, JWTAccessTokenClaims] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> JWTAccessTokenClaims | None:
        with self._lock:
            claims = self._items.get(token)
            if claims is not None:
                self._items.move_to_end(token)
            return claims

    def put(self, token: str, claims: JWTAccessTokenClaims) -> None:
        with self._lock:
            self._items[token] = claims
            if len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class AccessTokenValidator(JWTBearerTokenValidator):
    """Authlib's RFC 9068 validator with every option spelled out (see the module docstring)."""

    def __init__(self, *, issuer: str, audience: str, keys: KeyRing, clock: Clock,
                 revocations: RevocationList, leeway: int = 30, max_bytes: int = 8192,
                 verified: VerifiedTokens | None = None) -> None:
        super().__init__(issuer=issuer, resource_server=audience, realm="shop")
        self.revocations = revocations
        if not 0 <= leeway <= 30:
            raise ValueError("leeway must be at most 30 seconds")
        self.keys = keys
        self.clock = clock
        self.leeway = leeway
        self.max_bytes = max_bytes
        self.verified = verified or VerifiedTokens()

    def _resolve_key(self, token: Any) -> RSAKey:
        header = token.headers()
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or FORBIDDEN_HEADERS & header.keys():
            raise InvalidTokenError()
        if header.get("typ", "").lower() not in (TOKEN_TYPE, f"application/{TOKEN_TYPE}"):
            raise InvalidTokenError()
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidTokenError()
        return key

    def authenticate_token(self, token_string: str) -> JWTAccessTokenClaims:
        if not token_string or len(token_string) > self.max_bytes:
            raise InvalidTokenError()
        # Follow the feed first: a key removal must reach the remembered tokens below.
        self.revocations.sync()
        known = self.verified.get(token_string)
        if known is not None:
            return known
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": self.resource_server},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "nbf": {"essential": True},
            "jti": {"essential": True},
            "client_id": {"essential": True},
            "sid": {"essential": True},
            "role": {"essential": True, "values": ["user", "admin"]},
        }
        try:
            decoded = jwt.decode(token_string, key=self._resolve_key, algorithms=[ALGORITHM])
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise InvalidTokenError() from exc
        claims = JWTAccessTokenClaims(decoded.claims, decoded.header, options)
        claims.params["raw"] = token_string
        return claims

    def validate_token(self, token: JWTAccessTokenClaims, scopes: Any, request: Any,
                       **_: Any) -> None:
        principal: Principal | None = token.params.get("principal")
        if principal is None:
            principal = self._first_validation(token)
        elif principal.expires_at + self.leeway < self.clock.time():
            # Seen before: signature, issuer, audience and nbf cannot change; expiry can.
            raise InvalidTokenError()
        if self.revocations.is_revoked(principal):
            raise InvalidTokenError()

    def _first_validation(self, token: JWTAccessTokenClaims) -> Principal:
        try:
            token.validate(now=int(self.clock.time()), leeway=self.leeway)
            if not all(isinstance(token.get(k), int) for k in ("exp", "iat", "nbf")):
                raise InvalidTokenError()
            principal = to_principal(token, raw=token.params["raw"])
        except (JoseError, ValueError, TypeError, Unauthenticated) as exc:
            raise InvalidTokenError() from exc
        token.params["principal"] = principal
        self.verified.put(token.params["raw"], token)
        return principal


class AccessTokenVerifier:
    """``verify(token) -> Principal``: the one verifier used by the web layer and gRPC hosts."""

    def __init__(self, validator: AccessTokenValidator) -> None:
        self.validator = validator
        self.revocations = validator.revocations
        self.keys = validator.keys

    def verify(self, token_string: str) -> Principal:
        try:
            claims = self.validator.authenticate_token(token_string)
            self.validator.validate_token(claims, None, None)
        except InvalidTokenError as exc:
            raise Unauthenticated("The access token is invalid, expired or revoked.") from exc
        return principal_of(claims)


def principal_of(claims: JWTAccessTokenClaims) -> Principal:
    """The principal of claims that passed ``validate_token``."""
    principal: Principal = claims.params["principal"]
    return principal


def to_principal(claims: dict[str, Any], raw: str | None = None) -> Principal:
    """The principal of verified ``claims``; ``raw`` is the token they came from, carried on
    so a remote call made for this principal sends exactly that token."""
    amr = claims.get("amr") or []
    if not isinstance(amr, list) or not all(isinstance(a, str) for a in amr):
        raise Unauthenticated("The access token is invalid or expired.")
    values = (claims.get(k) for k in ("sub", "role", "jti", "sid"))
    sub, role, jti, sid = values
    if not all(isinstance(v, str) and v for v in (sub, role, jti, sid)):
        raise Unauthenticated("The access token is invalid or expired.")
    return Principal(user_id=str(sub), role=str(role), jti=str(jti), session_id=str(sid),
                     issued_at=int(claims["iat"]), expires_at=int(claims["exp"]),
                     amr=tuple(amr), token=raw)


def build_verifier(*, jwks_source: Callable[[], dict[str, Any]],
                   revocation_feed: Callable[[int], list[Revocation]], issuer: str,
                   audience: str, clock: Clock | None = None, leeway: int = 30,
                   max_bytes: int = 8192, poll_interval: float = 1.0) -> AccessTokenVerifier:
    clock = clock or SystemClock()
    keys = KeyRing(jwks_source, clock)
    verified = VerifiedTokens()

    def key_removed() -> None:
        keys.invalidate()
        verified.clear()

    revocations = RevocationList(revocation_feed, clock, poll_interval,
                                 on_key_removed=key_removed)
    validator = AccessTokenValidator(issuer=issuer, audience=audience, keys=keys, clock=clock,
                                     revocations=revocations, leeway=leeway, max_bytes=max_bytes,
                                     verified=verified)
    return AccessTokenVerifier(validator)
