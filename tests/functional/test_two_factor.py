"""Two-factor authentication through the API: setup, two-step login, backup codes, disable."""

from __future__ import annotations

import base64
import json
import re
import threading
from typing import Any

import pyotp
import pytest

from app.identity import backup_codes as backup_module
from app.platform.clock import FrozenClock
from tests.support import GOOD_PASSWORD, Api, setup_2fa
from tests.two_factor_support import enable_2fa, ticket_for, verify_login


def recent(api: Api, limit: int) -> list[dict[str, Any]]:
    with api.client.application.app_context():
        return api.services.audit.recent(limit)


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_setup_returns_secret_uri_and_inline_svg_qr(api: Api) -> None:
    user = api.user()
    body = setup_2fa(api, user["access"]).get_json()
    assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"]), "160 bits in base32"
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert "alice" in body["otpauth_uri"] and "issuer=" in body["otpauth_uri"]
    assert body["qr_svg"].lstrip().startswith("<svg")
    status = api.get("/api/users/2fa/status/", user["access"]).get_json()
    assert status == {"enabled": False, "backup_codes_remaining": 0}, "active only once confirmed"


def test_activation_returns_ten_grouped_backup_codes_and_status(api: Api,
                                                                clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    assert len(user.backup_codes) == 10
    assert len(set(user.backup_codes)) == 10
    for code in user.backup_codes:
        assert re.fullmatch(r"([a-z0-9]{4}-){4}[a-z0-9]{4}", code), "grouped for reading"
    token = api.login().get_json()
    assert token["requires_2fa"] is True
    assert api.get("/api/users/me/", user.access).status_code == 200, "own session kept"


def test_activating_2fa_ends_the_other_sessions(api: Api, clock: FrozenClock) -> None:
    user = api.user()
    other = api.login().get_json()
    secret = setup_2fa(api, user["access"]).get_json()["secret"]
    code = pyotp.TOTP(secret).at(int(clock.time()))
    assert api.post("/api/users/2fa/verify-setup/", user["access"],
                    json={"code": code}).status_code == 200
    assert api.get("/api/users/me/", other["access"]).status_code == 401
    assert api.post("/api/token/refresh/", json={"refresh": other["refresh"]}).status_code == 401


def test_setup_again_while_active_is_refused(api: Api, clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    session = verify_login(api, ticket_for(api), user.code(clock)).get_json()
    again = setup_2fa(api, session["access"])
    assert again.status_code == 409


def test_two_step_login_gives_tokens_with_pwd_and_otp_amr(api: Api, clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    ticket = ticket_for(api)
    answer = verify_login(api, ticket, user.code(clock))
    assert answer.status_code == 200, answer.get_json()
    pair = answer.get_json()
    assert claims(pair["access"])["amr"] == ["pwd", "otp"]
    me = api.get("/api/users/me/", pair["access"]).get_json()
    assert me["two_factor_enabled"] is True
    refreshed = api.post("/api/token/refresh/", json={"refresh": pair["refresh"]}).get_json()
    assert claims(refreshed["access"])["amr"] == ["pwd", "otp"], "refresh keeps the amr"


def test_backup_code_logs_in_once_and_status_counts_down(api: Api, clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    code = user.backup_codes[3]
    first = verify_login(api, ticket_for(api), code.upper().replace("-", " "))
    assert first.status_code == 200, "case and separators do not matter"
    assert first.get_json()["backup_codes_remaining"] == 9
    again = verify_login(api, ticket_for(api), code)
    assert again.status_code == 401, "a backup code works once"
    status = api.get("/api/users/2fa/status/", first.get_json()["access"]).get_json()
    assert status == {"enabled": True, "backup_codes_remaining": 9}
    events = [e["event"] for e in recent(api, 30)]
    assert "authn_mfa_backup_code_used" in events


def test_every_backup_code_works_exactly_once(api: Api, clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    for code in user.backup_codes:
        assert verify_login(api, ticket_for(api), code).status_code == 200
    for code in user.backup_codes[:2]:
        assert verify_login(api, ticket_for(api), code).status_code == 401


def test_backup_code_double_spend_by_two_concurrent_requests(api: Api,
                                                            clock: FrozenClock) -> None:
    """Attack: two requests race with the same backup code; exactly one may win."""
    user = enable_2fa(api, clock)
    tickets = [ticket_for(api) for _ in range(2)]
    results: list[int] = []
    barrier = threading.Barrier(2)

    def attempt(ticket: str) -> None:
        client = api.client.application.test_client()
        barrier.wait()
        answer = client.post("/api/users/2fa/verify-login/",
                             json={"login_ticket": ticket, "code": user.backup_codes[0]})
        results.append(answer.status_code)

    threads = [threading.Thread(target=attempt, args=(t,)) for t in tickets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 401]


def test_wrong_backup_code_computes_at_most_one_hash(api: Api, clock: FrozenClock,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Attack on cost: the earlier version tried ten 600k-iteration hashes per wrong code."""
    user = enable_2fa(api, clock)
    calls: list[int] = []
    real = backup_module._digest

    def counting(salt: str, secret: str) -> str:
        calls.append(1)
        return real(salt, secret)

    monkeypatch.setattr(backup_module, "_digest", counting)
    right_prefix = user.backup_codes[0][:4] + "-zzzz-zzzz-zzzz-zzzz"
    last = user.backup_codes[1][-1]
    one_letter_off = user.backup_codes[1][:-1] + ("1" if last == "0" else "0")
    for wrong in (right_prefix, "zzzz-zzzz-zzzz-zzzz-zzzz", one_letter_off):
        calls.clear()
        answer = verify_login(api, ticket_for(api), wrong)
        assert answer.status_code == 401
        assert len(calls) <= 1, f"{len(calls)} hashes for one wrong code"
    calls.clear()
    assert verify_login(api, ticket_for(api), user.backup_codes[2]).status_code == 200
    assert len(calls) == 1


def test_regenerated_backup_codes_void_the_old_set(api: Api, clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    session = verify_login(api, ticket_for(api), user.code(clock)).get_json()
    clock.advance(30)
    answer = api.post("/api/users/2fa/backup-codes/", session["access"],
                      json={"password": GOOD_PASSWORD, "code": user.code(clock)})
    assert answer.status_code == 200, answer.get_json()
    fresh = answer.get_json()["backup_codes"]
    assert len(fresh) == 10 and not set(fresh) & set(user.backup_codes)
    assert verify_login(api, ticket_for(api), user.backup_codes[0]).status_code == 401
    assert verify_login(api, ticket_for(api), fresh[0]).status_code == 200
    events = [e["event"] for e in recent(api, 40)]
    assert "authn_mfa_backup_codes_regenerated" in events


def test_regenerate_needs_the_password_and_a_current_code(api: Api, clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    session = verify_login(api, ticket_for(api), user.code(clock)).get_json()
    clock.advance(30)
    wrong_password = api.post("/api/users/2fa/backup-codes/", session["access"],
                              json={"password": "not the password", "code": user.code(clock)})
    assert wrong_password.status_code == 401
    wrong_code = api.post("/api/users/2fa/backup-codes/", session["access"],
                          json={"password": GOOD_PASSWORD, "code": "000000"})
    assert wrong_code.status_code in (400, 401)
    assert verify_login(api, ticket_for(api), user.backup_codes[0]).status_code == 200


def test_disable_needs_password_and_code_then_login_is_one_step(api: Api,
                                                                clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    session = verify_login(api, ticket_for(api), user.code(clock)).get_json()
    refused = api.post("/api/users/2fa/disable/", session["access"],
                       json={"password": "not the password", "code": user.backup_codes[0]})
    assert refused.status_code == 401
    done = api.post("/api/users/2fa/disable/", session["access"],
                    json={"password": GOOD_PASSWORD, "code": user.backup_codes[0]})
    assert done.status_code == 204, done.get_json()
    login = api.login().get_json()
    assert "access" in login and claims(login["access"])["amr"] == ["pwd"]
    status = api.get("/api/users/2fa/status/", login["access"]).get_json()
    assert status == {"enabled": False, "backup_codes_remaining": 0}
    events = [e["event"] for e in recent(api, 40)]
    assert {"authn_mfa_setup", "authn_mfa_enabled", "authn_mfa_disabled"} <= set(events)


def test_activation_with_a_wrong_code_is_refused(api: Api, clock: FrozenClock) -> None:
    user = api.user()
    secret = setup_2fa(api, user["access"]).get_json()["secret"]
    wrong = f"{(int(pyotp.TOTP(secret).at(int(clock.time()))) + 1) % 1_000_000:06d}"
    answer = api.post("/api/users/2fa/verify-setup/", user["access"], json={"code": wrong})
    assert answer.status_code == 401
    assert api.get("/api/users/2fa/status/", user["access"]).get_json()["enabled"] is False


@pytest.mark.parametrize("code", ["12345", "1234567", "12345a", " 123456", "١٢٣٤٥٦"])
def test_malformed_totp_codes_are_rejected_before_verification(api: Api, code: str) -> None:
    user = api.user()
    setup_2fa(api, user["access"])
    answer = api.post("/api/users/2fa/verify-setup/", user["access"], json={"code": code})
    assert answer.status_code == 400


def test_integer_code_is_rejected(api: Api) -> None:
    user = api.user()
    setup_2fa(api, user["access"])
    answer = api.post("/api/users/2fa/verify-setup/", user["access"], json={"code": 123456})
    assert answer.status_code == 400


def test_openapi_documents_the_2fa_routes_and_429(api: Api) -> None:
    doc = api.get("/api/openapi.json").get_json()
    for path in ("/api/users/2fa/setup/", "/api/users/2fa/verify-setup/",
                 "/api/users/2fa/verify-login/", "/api/users/2fa/status/",
                 "/api/users/2fa/disable/", "/api/users/2fa/backup-codes/",
                 "/api/users/{user_id}/unlock/"):
        assert path in doc["paths"], path
    assert "429" in doc["paths"]["/api/token/"]["post"]["responses"]
