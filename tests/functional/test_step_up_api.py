"""Step-up over the REST API (SPEC §1: sensitive changes re-authenticate): an administrator's
role change, deactivation and ending a user's sessions need an authentication of the same
login session within the last 5 minutes; ``POST /api/users/me/reauthenticate/`` gives one."""

from __future__ import annotations

from typing import Any

from app.platform.clock import FrozenClock
from tests.support import GOOD_PASSWORD, Api


def reauthenticate(api: Api, token: str, password: str = GOOD_PASSWORD) -> Any:
    return api.post("/api/users/me/reauthenticate/", token, json={"password": password})


def events(api: Api, name: str) -> list[dict[str, Any]]:
    return [e for e in api.services.audit.recent(50) if e["event"] == name]


def test_a_stale_admin_session_must_reauthenticate_for_role_changes(
        api: Api, clock: FrozenClock) -> None:
    """Attack: an administrator's access token, stolen and used minutes after the login."""
    admin, user = api.admin(), api.user()
    assert api.patch(f"/api/users/{user['id']}/", admin["access"],
                     json={"role": "user"}).status_code == 200  # just logged in
    clock.advance(301)
    refused = api.patch(f"/api/users/{user['id']}/", admin["access"], json={"role": "admin"})
    assert refused.status_code == 403
    assert refused.get_json()["type"].endswith("step_up_required")
    assert events(api, "authn_step_up")[0]["outcome"] == "failure"
    assert events(api, "authz_fail")[0]["target"] == "api_users.admin_update"
    assert reauthenticate(api, admin["access"], "not the password").status_code == 401
    proof = reauthenticate(api, admin["access"])
    assert proof.status_code == 200 and "no-store" in proof.headers["Cache-Control"]
    assert proof.get_json() == {"verified_at": int(clock.time()), "expires_in": 300}
    changed = api.patch(f"/api/users/{user['id']}/", admin["access"], json={"role": "admin"})
    assert changed.status_code == 200 and changed.get_json()["role"] == "admin"


def test_deactivation_and_ending_sessions_need_it_too(api: Api, clock: FrozenClock) -> None:
    admin, user = api.admin(), api.user()
    clock.advance(301)
    revoke = f"/api/users/{user['id']}/revoke-tokens/"
    assert api.post(revoke, admin["access"]).status_code == 403
    assert api.patch(f"/api/users/{user['id']}/", admin["access"],
                     json={"is_active": False}).status_code == 403
    assert api.get("/api/users/me/", user["access"]).status_code == 200, "nothing happened"
    assert api.patch(f"/api/users/{user['id']}/", admin["access"],
                     json={"is_active": True}).status_code == 200, "re-activation is no risk"
    reauthenticate(api, admin["access"])
    assert api.post(revoke, admin["access"]).status_code == 204
    assert api.get("/api/users/me/", user["access"]).status_code == 401


def test_a_step_up_in_one_session_does_not_count_for_another(
        api: Api, clock: FrozenClock) -> None:
    """Attack: a second, stolen session of the administrator after the owner stepped up."""
    owner, user = api.admin(), api.user()
    stolen = api.login("root").get_json()["access"]
    clock.advance(301)
    assert reauthenticate(api, owner["access"]).status_code == 200
    assert api.post(f"/api/users/{user['id']}/revoke-tokens/", stolen).status_code == 403


def test_reauthenticate_needs_a_caller(api: Api) -> None:
    assert api.post("/api/users/me/reauthenticate/",
                    json={"password": GOOD_PASSWORD}).status_code == 401


def test_openapi_documents_the_step_up(api: Api) -> None:
    paths = api.get("/api/openapi.json").get_json()["paths"]
    answers = paths["/api/users/me/reauthenticate/"]["post"]["responses"]
    assert {"200", "401", "429"} <= set(answers)
    assert "403" in paths["/api/users/{user_id}/"]["patch"]["responses"]


def test_the_record_keeps_one_row_per_session_and_drops_stale_ones(
        api: Api, clock: FrozenClock) -> None:
    """Logins and step-ups must not grow the table without bound."""
    from sqlalchemy import select

    from app.identity.models import RecentAuthentication

    def rows() -> list[tuple[str, int]]:
        with api.services.database.unit_of_work("identity", readonly=True) as session:
            return [(sid, at) for sid, at in session.execute(
                select(RecentAuthentication.session_id, RecentAuthentication.verified_at))]

    token = api.user()["access"]
    for _ in range(3):
        api.login()
    clock.advance(10)
    reauthenticate(api, token)
    assert len(rows()) == 4 and max(at for _, at in rows()) == int(clock.time())
    clock.advance(301)
    reauthenticate(api, token)
    assert [at for _, at in rows()] == [int(clock.time())], "only the fresh session is left"
