"""Signing-key rotation and emergency removal, through the operator CLI."""

from __future__ import annotations

from flask import Flask

from app.platform.clock import FrozenClock
from tests.support import Api

ME = "/api/users/me/"


def test_rotation_keeps_old_tokens_valid_and_publishes_both(app: Flask, api: Api,
                                                            clock: FrozenClock) -> None:
    user = api.user()
    old_kid = api.services.signing_keys.public_key().kid
    result = app.test_cli_runner().invoke(args=["keys", "rotate-jwt"])
    assert result.exit_code == 0, result.output
    new_kid = api.services.signing_keys.public_key().kid
    assert new_kid != old_kid
    kids = {k["kid"] for k in api.get("/.well-known/jwks.json").get_json()["keys"]}
    assert kids == {old_kid, new_kid}
    assert api.get(ME, user["access"]).status_code == 200  # signed by the retired key
    fresh = api.login().get_json()
    assert api.services.verifier.verify(fresh["access"]) and _kid(fresh["access"]) == new_kid
    clock.advance(900 + 30 + 1)  # every token of the retired key has expired now
    kids = {k["kid"] for k in api.get("/.well-known/jwks.json").get_json()["keys"]}
    assert kids == {new_kid}


def test_removing_a_compromised_key_kills_its_tokens_at_once(app: Flask, api: Api) -> None:
    user = api.user()
    old_kid = api.services.signing_keys.public_key().kid
    runner = app.test_cli_runner()
    runner.invoke(args=["keys", "rotate-jwt"])
    result = runner.invoke(args=["keys", "remove-jwt", old_kid])
    assert result.exit_code == 0, result.output
    assert api.get(ME, user["access"]).status_code == 401
    kids = {k["kid"] for k in api.get("/.well-known/jwks.json").get_json()["keys"]}
    assert old_kid not in kids
    assert api.get(ME, api.login().get_json()["access"]).status_code == 200
    assert runner.invoke(args=["keys", "remove-jwt", "no-such-kid"]).exit_code != 0


def test_removing_the_active_key_rotates_first(app: Flask, api: Api) -> None:
    user = api.user()
    active = api.services.signing_keys.public_key().kid
    assert app.test_cli_runner().invoke(args=["keys", "remove-jwt", active]).exit_code == 0
    assert api.services.signing_keys.public_key().kid != active
    assert api.get(ME, user["access"]).status_code == 401


def test_key_files_are_private(api: Api) -> None:
    keys_dir = api.services.settings.keys_dir
    for pem in keys_dir.glob("*.pem"):
        assert pem.stat().st_mode & 0o077 == 0, pem


def _kid(token: str) -> str:
    import base64
    import json

    head = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"])


def test_a_remembered_token_still_expires_and_dies_with_its_key(app: Flask, api: Api,
                                                              clock: FrozenClock) -> None:
    user = api.user()
    assert api.get(ME, user["access"]).status_code == 200  # verified once, now remembered
    clock.advance(900 + 29)
    assert api.get(ME, user["access"]).status_code == 200  # inside the 30 s leeway
    clock.advance(2)
    assert api.get(ME, user["access"]).status_code == 401
    fresh = api.login().get_json()
    assert api.get(ME, fresh["access"]).status_code == 200
    old_kid = api.services.signing_keys.public_key().kid
    runner = app.test_cli_runner()
    runner.invoke(args=["keys", "rotate-jwt"])
    assert runner.invoke(args=["keys", "remove-jwt", old_kid]).exit_code == 0
    assert api.get(ME, fresh["access"]).status_code == 401
