"""Attack: a shared or browser cache keeps a response that carries tokens (RFC 6749 §5.1).

Every answer that carries an access token, a refresh token or a login ticket must say
``Cache-Control: no-store``, also when the request itself carried no ``Authorization`` header
(login, refresh and the 2FA code step are anonymous requests).
"""

from __future__ import annotations

from app.platform.clock import FrozenClock
from tests.support import Api
from tests.two_factor_support import enable_2fa, ticket_for, verify_login


def test_login_answer_is_not_cached(api: Api) -> None:
    api.user()
    answer = api.login()
    assert answer.status_code == 200 and "access" in answer.get_json()
    assert answer.headers["Cache-Control"] == "no-store"


def test_refresh_answer_is_not_cached(api: Api) -> None:
    tokens = api.user()
    answer = api.client.post("/api/token/refresh/", json={"refresh": tokens["refresh"]})
    assert answer.status_code == 200 and "refresh" in answer.get_json()
    assert answer.headers["Cache-Control"] == "no-store"


def test_login_ticket_and_second_step_are_not_cached(api: Api, clock: FrozenClock) -> None:
    user = enable_2fa(api, clock)
    first = api.login()
    assert first.get_json()["requires_2fa"] is True
    assert first.headers["Cache-Control"] == "no-store"
    answer = verify_login(api, ticket_for(api), user.code(clock))
    assert answer.status_code == 200 and "access" in answer.get_json()
    assert answer.headers["Cache-Control"] == "no-store"
