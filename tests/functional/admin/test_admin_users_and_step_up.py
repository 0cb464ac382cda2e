"""Users in the console, and step-up re-authentication before the sensitive actions."""

from __future__ import annotations

import re

import pyotp

from app.kernel import Principal
from app.platform.clock import FrozenClock
from tests.admin_support import AdminBrowser, flashed, named
from tests.support import GOOD_PASSWORD, Api
from tests.ui_support import csrf_of, text_of


def role_of(api: Api, user: dict[str, str]) -> str:
    return str(api.services.accounts.user_account(Principal.system("test"), user["id"]).user.role)


def test_a_role_change_asks_for_step_up_then_carries_on(admin: AdminBrowser, api: Api,
                                                       clock: FrozenClock) -> None:
    victim = api.user("bob")
    detail = f"/admin/users/{victim['id']}"
    asked = admin.post(detail, f"{detail}/role", {"role": "admin"})
    assert asked.status_code == 200 and "Confirm it is you" in text_of(asked)
    assert role_of(api, victim) == "user", "refused without a fresh re-authentication"
    wrong = admin.step_up(asked, password="not my password")
    assert wrong.status_code == 400 and "The password is not correct." in text_of(wrong)
    assert role_of(api, victim) == "user"
    done = admin.step_up(wrong)
    assert done.status_code == 303, text_of(done)[:2000]
    assert role_of(api, victim) == "admin", "the original action carried on"
    events = api.services.audit.recent(20)
    change = next(e for e in events if e["event"] == "authz_admin")
    assert (change["actor"], change["target"], change["details"]["role"]) == (
        named(api, admin.id), named(api, victim["id"]), "admin")
    steps = [e for e in events if e["event"] == "authn_step_up"]
    assert [s["outcome"] for s in steps] == ["success", "failure"]
    # Within 5 minutes no question; after them, asked again (controlled clock).
    clock.advance(299)
    assert admin.post(detail, f"{detail}/role", {"role": "user"}).status_code == 303
    assert role_of(api, victim) == "user"
    clock.advance(2)
    again = admin.post(detail, f"{detail}/role", {"role": "admin"})
    assert "Confirm it is you" in text_of(again) and role_of(api, victim) == "user"


def test_step_up_needs_the_code_when_the_admin_has_2fa(admin: AdminBrowser, api: Api,
                                                       clock: FrozenClock) -> None:
    """Attack: a stolen admin session plus a phished password, without the second factor."""
    setup = text_of(admin.post("/account/2fa/", "/account/2fa/setup",
                                {"password": GOOD_PASSWORD}))
    secret = re.search(r'id="manual-key">([A-Z2-7]+)<', setup).group(1)  # type: ignore[union-attr]
    confirm = admin.client.post("/account/2fa/confirm", data={
        "csrf_token": csrf_of(setup), "code": pyotp.TOTP(secret).at(int(clock.time()))})
    assert confirm.status_code == 200 and "backup" in text_of(confirm).lower()
    clock.advance(30)
    assert "has no two-factor authentication" not in text_of(admin.client.get("/admin/users"))
    victim = api.user("carol")
    detail = f"/admin/users/{victim['id']}"
    asked = admin.post(detail, f"{detail}/deactivate")
    no_code = admin.step_up(asked)
    assert no_code.status_code == 400 and api.login("carol").status_code == 200
    done = admin.step_up(no_code, code=pyotp.TOTP(secret).at(int(clock.time())))
    assert done.status_code == 303
    assert api.login("carol").status_code == 401, "deactivated"


def test_end_sessions_and_unlock(admin: AdminBrowser, api: Api) -> None:
    victim = api.user("dave")
    detail = f"/admin/users/{victim['id']}"
    ended = admin.step_up(admin.post(detail, f"{detail}/sessions/end"))
    assert ended.status_code == 303
    assert api.get("/api/users/me/", victim["access"]).status_code == 401
    for _ in range(5):
        api.login("dave", "wrong password")
    page = text_of(admin.client.get(detail))
    assert "Until" in page and "5 failed logins in a row" in page
    unlocked = admin.post(detail, f"{detail}/unlock")
    assert "Unlocked." in flashed(admin.client.get(unlocked.headers["Location"]))
    assert api.login("dave").status_code == 200
    event = next(e for e in api.services.audit.recent(10) if e["event"] == "authn_login_unlock")
    assert (event["actor"], event["target"]) == (named(api, admin.id), named(api, victim["id"]))


def test_user_list_searches_and_pages_and_the_detail_shows_last_login(
        admin: AdminBrowser, api: Api) -> None:
    for i in range(22):
        api.register(f"shopper{i:02d}")
    first = text_of(admin.client.get("/admin/users"))
    assert "23 users." in first and "Page 1 of 2" in first, re.findall(r"<p>[^<]*users.</p>", first)
    found = text_of(admin.client.get("/admin/users?search=SHOPPER1"))
    assert "10 users." in found and "shopper15" in found and "shopper20" not in found
    one = text_of(admin.client.get("/admin/users?search=shopper07"))
    assert "1 user." in one and "1 users." not in one
    literal = text_of(admin.client.get("/admin/users?search=shopper_"))
    assert "No users match." in literal, "_ is taken literally"
    user = api.user("erin")
    detail = text_of(admin.client.get(f"/admin/users/{user['id']}"))
    assert "Last login" in detail and "Never" not in detail.split("Last login", 1)[1][:200]


def test_an_admin_cannot_demote_themselves(admin: AdminBrowser) -> None:
    detail = f"/admin/users/{admin.id}"
    done = admin.step_up(admin.post(detail, f"{detail}/role", {"role": "user"}))
    assert done.status_code == 303
    assert "cannot demote" in flashed(admin.client.get(done.headers["Location"]))
