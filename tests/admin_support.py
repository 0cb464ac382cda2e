"""Helpers for admin console tests: a signed-in administrator's browser and form posts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support import GOOD_PASSWORD, Api
from tests.ui_support import Shopper, csrf_of, text_of

ADMIN_PAGES = ("/admin/security", "/admin/security/events", "/admin/products",
               "/admin/products/new", "/admin/orders", "/admin/users", "/admin/keys",
               "/admin/blocked")


@dataclass
class AdminBrowser(Shopper):
    id: str = ""

    def post(self, page: str, action: str, data: dict[str, Any] | None = None,
             **kw: Any) -> TestResponse:
        return self.form_post(page, action, data, **kw)

    def step_up(self, response: TestResponse, password: str = GOOD_PASSWORD,
                code: str = "") -> TestResponse:
        """Answer a step-up page: post its form (original fields carried) with the password."""
        html = text_of(response)
        assert "Confirm it is you" in html, html[:2000]
        forms = re.findall(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
        action = unescape(next(a for a, body in forms if "step_up_password" in body))
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
        fields = {k: unescape(v) for k, v in fields.items()}
        fields.update(csrf_token=csrf_of(html), step_up_password=password, step_up_code=code)
        return self.client.post(action, data=fields)


def admin_browser(client: FlaskClient, api: Api, username: str = "root") -> AdminBrowser:
    admin = api.admin(username)
    browser = AdminBrowser(client, id=admin["id"])
    assert browser.login(username).status_code == 303
    return browser


def named(api: Api, user_id: str) -> str | None:
    """How the audit trail names a person (their pseudonym)."""
    return api.services.audit.known_pseudonym(user_id)


def flashed(response: TestResponse) -> str:
    return " ".join(re.findall(r'<p class="notice[^"]*">([^<]*)</p>', text_of(response)))
