"""Registration, profile, enumeration resistance, mass assignment, one hash per login."""

from __future__ import annotations

import pytest

from app.identity import passwords
from tests.support import GOOD_PASSWORD, Api, count_password_hashes


def test_register_and_profile(api: Api) -> None:
    created = api.register("Alice.Smith")
    assert created.status_code == 201
    body = created.get_json()
    assert body["username"] == "Alice.Smith" and body["role"] == "user" and body["is_active"]
    assert "password" not in str(body) and "hash" not in str(body)


@pytest.mark.parametrize("username", ["ab", "x" * 41, "bad name", "semi;colon", "ünï"])
def test_invalid_usernames(api: Api, username: str) -> None:
    response = api.register(username)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_usernames_and_emails_unique_case_insensitively(api: Api) -> None:
    assert api.register("alice").status_code == 201
    assert api.register("ALICE", email="other@example.com").status_code == 409
    assert api.register("bob", email="ALICE@EXAMPLE.COM").status_code == 409


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@b.com", "a b@c.com"])
def test_invalid_email(api: Api, email: str) -> None:
    response = api.register("alice", email=email)
    assert response.status_code == 400


def test_weak_passwords_refused_at_registration(api: Api) -> None:
    for weak in ("short", "password123", "alice-rules-ok"):
        response = api.register("alice", password=weak)
        assert response.status_code == 400, weak
        assert "password" in response.get_json()["errors"]


@pytest.mark.parametrize("field,value", [("role", "admin"), ("is_active", False),
                                         ("id", "00000000-0000-0000-0000-000000000000")])
def test_attack_mass_assignment_on_registration(api: Api, field: str, value: object) -> None:
    response = api.client.post("/api/users/", json={
        "username": "mallory", "email": "m@example.com", "password": GOOD_PASSWORD,
        field: value})
    assert response.status_code == 400
    assert field in response.get_json()["errors"]
    assert api.login("mallory").status_code == 401  # nothing was created


@pytest.mark.parametrize("field,value", [("role", "admin"), ("is_active", False),
                                         ("id", "x"), ("username", "root")])
def test_attack_mass_assignment_on_profile(api: Api, field: str, value: object) -> None:
    user = api.user()
    response = api.patch("/api/users/me/", user["access"],
                         json={"email": "new@example.com", field: value})
    assert response.status_code == 400
    me = api.get("/api/users/me/", user["access"]).get_json()
    assert me["role"] == "user" and me["is_active"] and me["email"] == "alice@example.com"


def test_email_change(api: Api) -> None:
    user = api.user()
    response = api.patch("/api/users/me/", user["access"], json={"email": "New@Example.com"})
    assert response.status_code == 200 and response.get_json()["email"] == "New@example.com"


def test_no_user_enumeration_by_message(api: Api) -> None:
    api.user()
    unknown = api.login("nobody-here", GOOD_PASSWORD)
    wrong = api.login("alice", "not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_json() == wrong.get_json()


def test_deactivated_user_login_looks_like_a_wrong_password(api: Api) -> None:
    admin = api.admin()
    user = api.user("hank")
    api.patch(f"/api/users/{user['id']}/", admin["access"], json={"is_active": False})
    assert api.login("hank").get_json() == api.login("hank", "wrong password").get_json()


def test_login_costs_one_hash_for_known_unknown_and_wrong(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.user()
    calls = count_password_hashes(monkeypatch)
    for username, password in (("alice", GOOD_PASSWORD), ("nobody", GOOD_PASSWORD),
                               ("alice", "wrong password")):
        calls.clear()
        api.login(username, password)
        assert len(calls) == 1, (username, calls)


def test_login_with_older_parameters_rehashes(api: Api) -> None:
    from sqlalchemy import select

    from app.identity.models import User

    api.register()
    old = passwords.PasswordHasher(500).hash(GOOD_PASSWORD)
    with api.services.database.unit_of_work("identity") as session:
        session.scalar(select(User)).password_hash = old
    assert api.login().status_code == 200
    with api.services.database.unit_of_work("identity") as session:
        stored = session.scalar(select(User)).password_hash
    assert stored.startswith("pbkdf2_sha256$1000$")
