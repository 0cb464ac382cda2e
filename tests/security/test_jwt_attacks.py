"""Forged access tokens against a protected endpoint: every class gets 401, none a 5xx.

``test_forging_helper_makes_valid_tokens`` proves the helper signs tokens the shop accepts, so
each attack below fails only because of the one thing it changes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from app.bootstrap import Services
from tests.support import Api

PROTECTED = "/api/users/me/"


def b64(data: bytes | str | dict[str, Any]) -> str:
    if isinstance(data, dict):
        data = json.dumps(data, separators=(",", ":"))
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rs_sign(key: rsa.RSAPrivateKey, signing_input: str, digest: Any = None) -> str:
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), digest or hashes.SHA256())
    return b64(signature)


@functools.cache
def _load(pem: bytes) -> Any:
    return serialization.load_pem_private_key(pem, password=None)


class Forge:
    """Builds compact JWTs by hand so that every byte of an attack is under the test's control."""

    def __init__(self, services: Services, signing_pem: bytes, user_id: str, sid: str) -> None:
        self.services = services
        self.key = _load(signing_pem)
        self.kid = services.signing_keys.public_key().kid
        self.user_id = user_id
        self.sid = sid

    def header(self, **changes: Any) -> dict[str, Any]:
        header = {"alg": "RS256", "typ": "at+jwt", "kid": self.kid}
        header.update(changes)
        return {k: v for k, v in header.items() if v is not None}

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = int(self.services.clock.time())
        settings = self.services.settings
        claims = {
            "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "sub": self.user_id,
            "client_id": settings.jwt_client_id, "iat": now, "nbf": now, "exp": now + 600,
            "jti": uuid.uuid4().hex, "sid": self.sid, "role": "user", "amr": ["pwd"],
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, header: dict[str, Any] | None = None, claims: dict[str, Any] | None = None,
              sign: Callable[[str], str] | None = None) -> str:
        signing_input = f"{b64(header or self.header())}.{b64(claims or self.claims())}"
        signature = (sign or (lambda data: rs_sign(self.key, data)))(signing_input)  # type: ignore[arg-type]
        return f"{signing_input}.{signature}"


@pytest.fixture
def forge(api: Api, services: Services, signing_pem: bytes) -> Forge:
    user = api.user()
    sid = services.verifier.verify(user["access"]).session_id
    return Forge(services, signing_pem, user["id"], sid)


def assert_refused(api: Api, token: str) -> None:
    response = api.get(PROTECTED, token)
    assert response.status_code == 401, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_forging_helper_makes_valid_tokens(api: Api, forge: Forge) -> None:
    assert api.get(PROTECTED, forge.token()).status_code == 200


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_attack_alg_none_and_case_variants(api: Api, forge: Forge, alg: str) -> None:
    assert_refused(api, forge.token(forge.header(alg=alg), sign=lambda _: ""))
    assert_refused(api, f"{b64(forge.header(alg=alg))}.{b64(forge.claims())}.")


def test_attack_hs256_signed_with_the_public_key(api: Api, forge: Forge) -> None:
    public_pem = api.services.signing_keys.public_key().pem.encode()

    def hmac_sign(data: str) -> str:
        return b64(hmac.new(public_pem, data.encode(), hashlib.sha256).digest())

    assert_refused(api, forge.token(forge.header(alg="HS256"), sign=hmac_sign))


@pytest.mark.parametrize("alg,digest", [("RS384", hashes.SHA384()), ("RS512", hashes.SHA512())])
def test_attack_other_rsa_algorithm_with_the_real_key(api: Api, forge: Forge, alg: str,
                                                      digest: Any) -> None:
    token = forge.token(forge.header(alg=alg), sign=lambda d: rs_sign(forge.key, d, digest))
    assert_refused(api, token)


@pytest.mark.parametrize("kid", ["unknown", "../../../../dev/null", "' OR '1'='1", "", None])
def test_attack_unknown_injected_or_missing_kid(api: Api, forge: Forge, kid: str | None) -> None:
    header = forge.header()
    header.pop("kid")
    if kid is not None:
        header["kid"] = kid
    assert_refused(api, forge.token(header))


def _attacker_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_attack_embedded_jwk_of_the_attackers_key(api: Api, forge: Forge) -> None:
    from joserfc.jwk import RSAKey

    attacker = _attacker_key()
    jwk = RSAKey.import_key(attacker.public_key()).as_dict()
    token = forge.token(forge.header(jwk=jwk, kid=None), sign=lambda d: rs_sign(attacker, d))
    assert_refused(api, token)
    # Even with our kid next to it, the embedded key must never be used.
    token = forge.token(forge.header(jwk=jwk), sign=lambda d: rs_sign(attacker, d))
    assert_refused(api, token)


@pytest.mark.parametrize("header", ["jku", "x5u"])
def test_attack_key_url_headers(api: Api, forge: Forge, header: str) -> None:
    attacker = _attacker_key()
    token = forge.token(forge.header(**{header: "https://attacker.example/jwks.json"}),
                        sign=lambda d: rs_sign(attacker, d))
    assert_refused(api, token)
    # Signed with the real key, a token that points elsewhere is still refused.
    assert_refused(api, forge.token(forge.header(**{header: "https://attacker.example/k"})))


def test_attack_x5c_certificate_chain_header(api: Api, forge: Forge) -> None:
    assert_refused(api, forge.token(forge.header(x5c=["MIIB"])))


def test_attack_same_kid_signed_by_another_key(api: Api, forge: Forge) -> None:
    attacker = _attacker_key()
    assert_refused(api, forge.token(sign=lambda d: rs_sign(attacker, d)))


def test_attack_stripped_signature(api: Api, forge: Forge) -> None:
    head, body, _sig = forge.token().split(".")
    assert_refused(api, f"{head}.{body}.")
    assert_refused(api, f"{head}.{body}")


def test_attack_flipped_signature_byte(api: Api, forge: Forge) -> None:
    head, body, sig = forge.token().split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[10] ^= 0x01
    assert_refused(api, f"{head}.{body}.{b64(bytes(raw))}")


def test_attack_modified_claims_keep_old_signature(api: Api, forge: Forge) -> None:
    head, _body, sig = forge.token().split(".")
    assert_refused(api, f"{head}.{b64(forge.claims(role='admin'))}.{sig}")


def test_expired_token_refused_beyond_leeway(api: Api, forge: Forge) -> None:
    now = int(api.services.clock.time())
    within = forge.claims(iat=now - 700, nbf=now - 700, exp=now - 20)
    assert api.get(PROTECTED, forge.token(claims=within)).status_code == 200
    assert_refused(api, forge.token(claims=forge.claims(iat=now - 700, nbf=now - 700,
                                                        exp=now - 31)))


def test_not_yet_valid_token_refused(api: Api, forge: Forge) -> None:
    now = int(api.services.clock.time())
    assert_refused(api, forge.token(claims=forge.claims(nbf=now + 120)))
    assert_refused(api, forge.token(claims=forge.claims(iat=now + 120, nbf=now + 120)))


@pytest.mark.parametrize("claim,value", [
    ("aud", "https://another-service.example"), ("aud", None),
    ("iss", "https://attacker.example"), ("iss", None),
    ("sub", None), ("jti", None), ("exp", None), ("iat", None), ("nbf", None),
    ("client_id", None), ("sid", None), ("role", "superuser"), ("role", None),
    ("exp", "9999999999"), ("amr", "pwd"),
])
def test_attack_wrong_or_missing_claims(api: Api, forge: Forge, claim: str,
                                        value: Any) -> None:
    claims = forge.claims()
    claims.pop(claim)
    if value is not None:
        claims[claim] = value
    assert_refused(api, forge.token(claims=claims))


@pytest.mark.parametrize("typ", [None, "JWT", "application/jwt"])
def test_attack_wrong_token_type(api: Api, forge: Forge, typ: str | None) -> None:
    header = forge.header()
    header.pop("typ")
    if typ:
        header["typ"] = typ
    assert_refused(api, forge.token(header))


def test_attack_refresh_token_used_as_access_token(api: Api) -> None:
    user = api.user("bob")
    assert_refused(api, user["refresh"])


def test_attack_oversized_token_refused_before_parsing(api: Api, forge: Forge) -> None:
    assert_refused(api, forge.token(forge.header(pad="A" * 9000)))
    assert_refused(api, forge.token(claims=forge.claims(pad="A" * 9000)))


@pytest.mark.parametrize("garbage", ["a", "a.b.c", "....", "eyJ.eyJ.eyJ", "\u00e9t\u00e9.x.y",
                                     "a" * 100])
def test_garbage_tokens(api: Api, garbage: str) -> None:
    assert_refused(api, garbage)


def test_api_never_authenticates_by_cookie(api: Api) -> None:
    user = api.user("carol")
    api.client.set_cookie("access_token", user["access"])
    api.client.set_cookie("__Host-access", user["access"])
    assert api.get(PROTECTED).status_code == 401


@pytest.mark.parametrize("scheme", ["Basic", "Token", "bearer-ish"])
def test_other_authorization_schemes(api: Api, scheme: str) -> None:
    user = api.user("dave")
    response = api.client.get(PROTECTED, headers={"Authorization": f"{scheme} {user['access']}"})
    assert response.status_code == 401


def test_many_invalid_tokens_are_audited(api: Api, forge: Forge) -> None:
    for _ in range(3):
        api.get(PROTECTED, "not-a-token")
    events = [e["event"] for e in api.services.audit.recent(20)]
    assert events.count("authn_token_invalid") >= 3
