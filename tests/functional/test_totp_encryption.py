"""TOTP secrets at rest: AES-GCM under the totp ring, rotation by CLI, tampering fails closed."""

from __future__ import annotations

from sqlalchemy import text

from app.platform.clock import FrozenClock
from app.platform.db import db
from tests.support import Api
from tests.two_factor_support import enable_2fa, ticket_for, verify_login


def stored(api: Api, user_id: str) -> str:
    """The raw column, read behind the application's back (SQLite or PostgreSQL)."""
    with api.client.application.app_context(), db.engines["identity"].connect() as connection:
        return str(connection.execute(
            text("SELECT secret_encrypted FROM identity_two_factor WHERE user_id = :u"),
            {"u": user_id}).scalar_one())


def store(api: Api, user_id: str, value: str) -> None:
    with api.client.application.app_context(), db.engines["identity"].begin() as connection:
        connection.execute(
            text("UPDATE identity_two_factor SET secret_encrypted = :v WHERE user_id = :u"),
            {"v": value, "u": user_id})


def events(api: Api) -> list[str]:
    with api.client.application.app_context():
        return [e["event"] for e in api.services.audit.recent(20)]


def test_secret_is_stored_as_gcm_ciphertext_with_key_id(api: Api, clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    value = stored(api, user.id)
    assert value.startswith("v1.") and user.secret not in value


def test_rotate_field_reencrypts_and_logins_keep_working(api: Api, clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    old_kid = stored(api, user.id).split(".")[1]
    runner = api.client.application.test_cli_runner()
    result = runner.invoke(args=["keys", "rotate-field", "totp"])
    assert result.exit_code == 0, result.output
    assert "1 rows re-encrypted" in result.output
    new_kid = stored(api, user.id).split(".")[1]
    assert new_kid != old_kid and new_kid in result.output
    assert verify_login(api, ticket_for(api), user.code(clock)).status_code == 200
    again = runner.invoke(args=["keys", "rotate-field", "totp", "--reencrypt-only"])
    assert "0 rows re-encrypted" in again.output, "idempotent"
    unknown = runner.invoke(args=["keys", "rotate-field", "nothing"])
    assert unknown.exit_code != 0


def test_tampered_secret_fails_closed_with_an_audit_event(api: Api, clock: FrozenClock) -> None:
    """Attack: editing the stored ciphertext (bit flip) to make the check accept anything."""
    user = enable_2fa(api, clock)
    value = stored(api, user.id)
    flipped = value[:12] + ("A" if value[12] != "A" else "B") + value[13:]
    store(api, user.id, flipped)
    answer = verify_login(api, ticket_for(api), user.code(clock))
    assert answer.status_code == 500
    assert "access" not in (answer.get_json() or {})
    with api.client.application.app_context():
        failures = [e for e in api.services.audit.recent(20)
                    if e["event"] == "crypt_decrypt_fail"]
        assert failures and failures[0]["target"] == api.services.audit.pseudonym(user.id)


def test_secret_copied_to_another_user_does_not_decrypt(api: Api, clock: FrozenClock) -> None:
    """Attack: copying my ciphertext into a victim's row to log in with my authenticator."""
    mallory = enable_2fa(api, clock, "mallory")
    victim = enable_2fa(api, clock, "victim")
    store(api, victim.id, stored(api, mallory.id))
    answer = verify_login(api, ticket_for(api, "victim"), mallory.code(clock))
    assert answer.status_code == 500
    assert "crypt_decrypt_fail" in events(api)
