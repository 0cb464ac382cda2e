from tests.support import Api


def test_register_login_me(api: Api) -> None:
    user = api.user()
    response = api.get("/api/users/me/", user["access"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["username"] == "alice"


def test_health(api: Api) -> None:
    assert api.get("/healthz").get_json() == {"status": "ok"}
    assert api.get("/readyz").get_json() == {"status": "ready"}  # details: operators only
    ready = api.get("/readyz", api.admin()["access"])
    assert ready.status_code == 200
    assert ready.get_json()["status"] == "ready"
    assert ready.get_json()["checks"]["ratelimit_storage"]["ok"] is True
