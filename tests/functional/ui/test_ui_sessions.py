"""Browser sessions through the Flask test client: cookies, refresh, reuse, logout, CSRF."""

from __future__ import annotations

import pytest

from app.platform.clock import FrozenClock
from tests.ui_support import Shopper, text_of

ACCESS, REFRESH = "shop_access", "shop_refresh"


@pytest.fixture
def shopper(client) -> Shopper:  # type: ignore[no-untyped-def]
    return Shopper(client)


def test_register_signs_in_with_httponly_lax_cookies(shopper: Shopper) -> None:
    response = shopper.register()
    assert response.status_code == 303
    cookies = response.headers.getlist("Set-Cookie")
    for name in (ACCESS, REFRESH):
        line = next(c for c in cookies if c.startswith(name + "="))
        assert "HttpOnly" in line and "SameSite=Lax" in line and "Path=/" in line
        assert "Secure" not in line  # development/test profile serves plain HTTP
    page = shopper.client.get("/products/")
    assert "Log out" in text_of(page)
    assert page.headers["Cache-Control"] == "no-store"


def test_wrong_password_shows_the_error_summary_and_sets_no_cookie(shopper: Shopper) -> None:
    shopper.register()
    shopper.client.delete_cookie(ACCESS)
    shopper.client.delete_cookie(REFRESH)
    response = shopper.login(password="not the password")
    assert response.status_code == 400
    assert "There is a problem" in text_of(response)
    assert "Enter a correct username and password." in text_of(response)
    assert shopper.cookie(ACCESS) is None


def test_expired_access_cookie_is_refreshed_server_side(shopper: Shopper,
                                                        clock: FrozenClock) -> None:
    shopper.register()
    old_access, old_refresh = shopper.cookie(ACCESS), shopper.cookie(REFRESH)
    clock.advance(16 * 60)  # the access token (15 minutes) has expired
    page = shopper.client.get("/products/")
    assert "Log out" in text_of(page)
    assert shopper.cookie(ACCESS) not in (None, old_access)
    assert shopper.cookie(REFRESH) not in (None, old_refresh)


def test_reused_refresh_cookie_ends_the_session(shopper: Shopper, clock: FrozenClock) -> None:
    """Attack: a stolen refresh cookie is replayed after the owner's browser rotated it."""
    shopper.register()
    stolen = shopper.cookie(REFRESH)
    clock.advance(16 * 60)
    shopper.client.get("/products/")  # the owner's browser refreshes (rotation)
    clock.advance(60)  # beyond the in-process grace for racing requests
    shopper.client.set_cookie(ACCESS, "")
    shopper.client.set_cookie(REFRESH, stolen or "")
    page = shopper.client.get("/products/")
    assert "Log out" not in text_of(page)
    assert shopper.cookie(REFRESH) is None  # cleared
    # The reuse revoked the whole family: the owner's rotated cookie is dead too.
    assert shopper.client.get("/orders/").status_code in (303, 404)


def test_logout_revokes_the_session_family(shopper: Shopper, services) -> None:  # type: ignore[no-untyped-def]
    from app.identity.contract import InvalidRefreshToken

    shopper.register()
    refresh = shopper.cookie(REFRESH)
    response = shopper.form_post("/products/", "/logout")
    assert response.status_code == 303
    assert shopper.cookie(ACCESS) is None and shopper.cookie(REFRESH) is None
    with pytest.raises(InvalidRefreshToken):
        services.sessions.refresh(refresh)


def test_logout_without_csrf_token_is_refused(shopper: Shopper, services) -> None:  # type: ignore[no-untyped-def]
    """Attack: cross-site request forgery of the logout form."""
    shopper.register()
    refresh = shopper.cookie(REFRESH)
    response = shopper.client.post("/logout")
    assert response.status_code == 400
    assert "text/html" in response.headers["Content-Type"]
    assert shopper.cookie(REFRESH) == refresh
    assert services.sessions.refresh(refresh).access  # the session still lives


def test_login_next_is_local_only(shopper: Shopper) -> None:
    """Attack: open redirect through the login form's ``next``."""
    shopper.register("bob")
    shopper.client.delete_cookie(ACCESS)
    shopper.client.delete_cookie(REFRESH)
    response = shopper.form_post("/login", "/login", {
        "username": "bob", "password": "correct horse battery staple",
        "next": "//evil.example/steal"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/products/"


def test_api_still_refuses_cookie_authentication(shopper: Shopper) -> None:
    shopper.register()
    assert shopper.client.get("/api/users/me/").status_code == 401

