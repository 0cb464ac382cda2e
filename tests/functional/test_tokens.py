"""Refresh rotation, reuse detection, races, family expiry, logout and global revocation."""

from __future__ import annotations

import threading

from flask import Flask

from app.platform.clock import FrozenClock
from tests.support import GOOD_PASSWORD, Api

ME = "/api/users/me/"


def refresh(api: Api, token: str):  # type: ignore[no-untyped-def]
    return api.client.post("/api/token/refresh/", json={"refresh": token})


def test_login_returns_rs256_pair_with_spec_claims(api: Api) -> None:
    user = api.user()
    assert user["token_type"] == "Bearer" and user["expires_in"] == 900
    principal = api.services.verifier.verify(user["access"])
    assert principal.user_id == user["id"] and principal.amr == ("pwd",)
    assert len(user["refresh"]) >= 43  # 256 bits, base64url


def test_refresh_rotates_and_the_old_token_is_spent(api: Api) -> None:
    user = api.user()
    first = refresh(api, user["refresh"])
    assert first.status_code == 200
    pair = first.get_json()
    assert pair["refresh"] != user["refresh"] and pair["access"] != user["access"]
    assert api.get(ME, pair["access"]).status_code == 200
    assert refresh(api, pair["refresh"]).status_code == 200


def test_attack_refresh_reuse_revokes_the_whole_family(api: Api) -> None:
    user = api.user()
    stolen = user["refresh"]
    legit = refresh(api, stolen).get_json()  # the real client rotates first
    replay = refresh(api, stolen)  # the attacker replays the stolen token
    assert replay.status_code == 401
    assert replay.mimetype == "application/problem+json"
    # Every token descended from that login is dead now, access tokens included.
    assert refresh(api, legit["refresh"]).status_code == 401
    assert api.get(ME, legit["access"]).status_code == 401
    assert api.get(ME, user["access"]).status_code == 401
    events = [e["event"] for e in api.services.audit.recent(10)]
    assert "authn_token_reuse" in events


def test_reuse_does_not_touch_other_sessions(api: Api) -> None:
    api.user()
    other = api.login().get_json()
    first = api.login().get_json()
    refresh(api, first["refresh"])
    refresh(api, first["refresh"])
    assert api.get(ME, other["access"]).status_code == 200


def test_concurrent_refresh_with_one_token_at_most_one_succeeds(app: Flask, api: Api) -> None:
    user = api.user()
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def race() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/api/token/refresh/",
                                    json={"refresh": user["refresh"]}).status_code)

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(200) <= 1
    assert set(statuses) <= {200, 401}


def test_family_lives_at_most_24_hours_from_login(api: Api, clock: FrozenClock) -> None:
    user = api.user()
    token = user["refresh"]
    for _ in range(3):  # keeping the session busy does not extend it
        clock.advance(8 * 3600 - 60)
        response = refresh(api, token)
        assert response.status_code == 200
        token = response.get_json()["refresh"]
    clock.advance(3 * 60 + 1)
    assert refresh(api, token).status_code == 401


def test_logout_kills_the_unexpired_access_token_and_the_family(api: Api) -> None:
    user = api.user()
    assert api.get(ME, user["access"]).status_code == 200
    out = api.post("/api/token/revoke/", user["access"], json={"refresh": user["refresh"]})
    assert out.status_code == 204
    assert api.get(ME, user["access"]).status_code == 401
    assert refresh(api, user["refresh"]).status_code == 401


def test_log_out_everywhere(api: Api) -> None:
    user = api.user()
    sessions = [api.login().get_json() for _ in range(3)]
    assert api.post("/api/token/revoke-all/", user["access"]).status_code == 204
    for session in [user, *sessions]:
        assert api.get(ME, session["access"]).status_code == 401
        assert refresh(api, session["refresh"]).status_code == 401
    fresh = api.login().get_json()  # a new login right after works at once
    assert api.get(ME, fresh["access"]).status_code == 200


def test_password_change_ends_other_sessions_and_keeps_this_one(api: Api) -> None:
    user = api.user()
    other = api.login().get_json()
    new_password = "a completely different passphrase"
    response = api.post("/api/users/me/password/", user["access"], json={
        "current_password": GOOD_PASSWORD, "new_password": new_password})
    assert response.status_code == 204
    assert api.get(ME, other["access"]).status_code == 401
    assert refresh(api, other["refresh"]).status_code == 401
    assert api.get(ME, user["access"]).status_code == 200
    assert api.login(password=GOOD_PASSWORD).status_code == 401
    assert api.login(password=new_password).status_code == 200


def test_password_change_requires_the_current_password(api: Api) -> None:
    user = api.user()
    response = api.post("/api/users/me/password/", user["access"], json={
        "current_password": "not it at all", "new_password": "another fine passphrase"})
    assert response.status_code == 401
    assert api.login().status_code == 200


def test_deactivation_invalidates_every_token_and_blocks_login(api: Api) -> None:
    admin = api.admin()
    user = api.user("erin")
    response = api.patch(f"/api/users/{user['id']}/", admin["access"],
                         json={"is_active": False})
    assert response.status_code == 200 and response.get_json()["is_active"] is False
    assert api.get(ME, user["access"]).status_code == 401
    assert refresh(api, user["refresh"]).status_code == 401
    assert api.login("erin").status_code == 401


def test_admin_revoke_tokens_of_a_user(api: Api) -> None:
    admin = api.admin()
    user = api.user("frank")
    assert api.post(f"/api/users/{user['id']}/revoke-tokens/", admin["access"]).status_code == 204
    assert api.get(ME, user["access"]).status_code == 401
    assert api.post("/api/users/nope/revoke-tokens/", admin["access"]).status_code == 404


def test_admin_routes_as_user_are_forbidden_and_anonymous_unauthorized(api: Api) -> None:
    user = api.user()
    routes = [("get", "/api/users/"), ("patch", f"/api/users/{user['id']}/"),
              ("post", f"/api/users/{user['id']}/revoke-tokens/")]
    for method, path in routes:
        kwargs = {"json": {"role": "admin"}} if method == "patch" else {}
        assert getattr(api, method)(path, user["access"], **kwargs).status_code == 403
        assert getattr(api, method)(path, None, **kwargs).status_code == 401
    assert api.get(ME, user["access"]).get_json()["role"] == "user"
    assert "authz_fail" in [e["event"] for e in api.services.audit.recent(10)]


def test_role_change_takes_effect_and_old_tokens_die(api: Api) -> None:
    admin = api.admin()
    user = api.user("gina")
    api.patch(f"/api/users/{user['id']}/", admin["access"], json={"role": "admin"})
    assert api.get(ME, user["access"]).status_code == 401
    promoted = api.login("gina").get_json()
    assert api.get("/api/users/", promoted["access"]).status_code == 200


def test_admin_list_users_paginates(api: Api) -> None:
    admin = api.admin()
    for name in ("u1x", "u2x", "u3x"):
        api.register(name)
    page = api.get("/api/users/?page=1&page_size=2", admin["access"]).get_json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    assert api.get("/api/users/?page_size=101", admin["access"]).status_code == 400
    assert api.get("/api/users/?bogus=1", admin["access"]).status_code == 400
