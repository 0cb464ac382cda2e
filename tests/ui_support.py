"""A page-level client for UI tests: the Flask test client plus the CSRF token of a form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support import GOOD_PASSWORD

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return unescape(match.group(1) or match.group(2))


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


@dataclass
class Shopper:
    client: FlaskClient

    def form_post(self, page: str, action: str, data: dict[str, Any] | None = None,
                  **kw: Any) -> TestResponse:
        """Open ``page``, take its CSRF token, POST ``data`` to ``action`` as the form would."""
        token = csrf_of(text_of(self.client.get(page)))
        return self.client.post(action, data={"csrf_token": token, **(data or {})}, **kw)

    def register(self, username: str = "alice", password: str = GOOD_PASSWORD) -> TestResponse:
        return self.form_post("/register", "/register", {
            "username": username, "email": f"{username}@example.com", "password": password})

    def login(self, username: str = "alice", password: str = GOOD_PASSWORD) -> TestResponse:
        return self.form_post("/login", "/login", {"username": username, "password": password})

    def cookie(self, name: str) -> str | None:
        found = self.client.get_cookie(name)
        return found.value if found else None
