"""Test helpers that speak the API the way a client program would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.bootstrap import Services

GOOD_PASSWORD = "correct horse battery staple"


@dataclass
class Api:
    client: FlaskClient
    services: Services

    def register(self, username: str = "alice", password: str = GOOD_PASSWORD,
                 email: str | None = None) -> TestResponse:
        return self.client.post("/api/users/", json={
            "username": username, "password": password,
            "email": email or f"{username}@example.com"})

    def login(self, username: str = "alice", password: str = GOOD_PASSWORD) -> TestResponse:
        return self.client.post("/api/token/", json={"username": username, "password": password})

    def user(self, username: str = "alice", password: str = GOOD_PASSWORD) -> dict[str, Any]:
        """Register and log in; returns the token pair plus the user id."""
        created = self.register(username, password)
        assert created.status_code == 201, created.get_json()
        tokens = self.login(username, password).get_json()
        return {**tokens, "id": created.get_json()["id"]}

    def admin(self, username: str = "root") -> dict[str, Any]:
        from app.identity.contract import UserChanges
        from app.kernel import Principal

        created = self.register(username).get_json()
        with self.client.application.app_context():
            self.services.accounts.admin_update_user(Principal.system("test"), created["id"],
                                                     UserChanges(role="admin"))
        return {**self.login(username).get_json(), "id": created["id"]}

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def get(self, path: str, token: str | None = None, **kw: Any) -> TestResponse:
        return self.client.get(path, headers=self.bearer(token) if token else {}, **kw)

    def post(self, path: str, token: str | None = None, **kw: Any) -> TestResponse:
        return self.client.post(path, headers=self.bearer(token) if token else {}, **kw)

    def patch(self, path: str, token: str | None = None, **kw: Any) -> TestResponse:
        return self.client.patch(path, headers=self.bearer(token) if token else {}, **kw)

    def delete(self, path: str, token: str | None = None, **kw: Any) -> TestResponse:
        return self.client.delete(path, headers=self.bearer(token) if token else {}, **kw)


def count_password_hashes(monkeypatch: Any) -> list[int]:
    """Record the iteration count of every PBKDF2 hash computed from now on (test only)."""
    from app.identity import passwords

    calls: list[int] = []
    original = passwords.PasswordHasher._derive

    def counting(password: str, salt: bytes, iterations: int) -> bytes:
        calls.append(iterations)
        return original(password, salt, iterations)

    monkeypatch.setattr(passwords.PasswordHasher, "_derive", staticmethod(counting))
    return calls


def setup_2fa(api: Api, token: str, password: str = GOOD_PASSWORD) -> TestResponse:
    """Start 2FA setup (it needs the password since issue 10)."""
    return api.post("/api/users/2fa/setup/", token, json={"password": password})
