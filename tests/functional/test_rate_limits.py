"""Named rate limits with their real values (memory storage), 429 answers, configuration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from app.config import ConfigError, Settings
from app.platform.clock import FrozenClock
from tests.conftest import dispose, make_app
from tests.support import GOOD_PASSWORD, Api
from tests.two_factor_support import enable_2fa, ticket_for

WRONG = "not the password at all"
AppFactory = Callable[..., Api]


@pytest.fixture
def limited(settings: Settings, clock: FrozenClock) -> Any:
    """An Api over an app with the real named limits (plus any overrides)."""
    apps: list[Flask] = []

    def build(**changes: Any) -> Api:
        changes.setdefault("ratelimit_limits", {})
        app = make_app(settings.with_(**changes), clock)
        apps.append(app)
        return Api(app.test_client(), app.extensions["shop.services"])

    yield build
    for app in apps:
        dispose(app)


def login_from(api: Api, ip: str, username: str = "alice", password: str = WRONG,
               **headers: str) -> Any:
    return api.client.post("/api/token/", json={"username": username, "password": password},
                           environ_base={"REMOTE_ADDR": ip}, headers=headers)


def audit_events(api: Api) -> list[dict[str, Any]]:
    with api.client.application.app_context():
        return api.services.audit.recent(100)


def test_login_brute_force_from_one_ip_gets_429_with_retry_after(limited: AppFactory) -> None:
    """Attack: password spraying from one address over many usernames."""
    api = limited()
    for i in range(10):
        assert login_from(api, "198.51.100.7", f"user{i}").status_code == 401
    blocked = login_from(api, "198.51.100.7", "user99")
    assert blocked.status_code == 429
    assert blocked.mimetype == "application/problem+json"
    assert 0 < int(blocked.headers["Retry-After"]) <= 301
    assert blocked.get_json()["status"] == 429
    assert login_from(api, "198.51.100.8", "user99").status_code == 401, "per IP"
    hits = [e for e in audit_events(api) if e["event"] == "excess_rate_limit_exceeded"]
    assert hits and hits[0]["details"]["limit"] == "login_ip"


def test_login_brute_force_on_one_username_from_many_ips(limited: AppFactory) -> None:
    """Attack: a botnet guessing one account's password from many addresses."""
    api = limited()
    for i in range(10):
        assert login_from(api, f"203.0.113.{i}", "Alice").status_code == 401
    blocked = login_from(api, "203.0.113.200", "ALICE")
    assert blocked.status_code == 429, "the username key is case-insensitive"
    assert login_from(api, "203.0.113.201", "bob").status_code == 401


def test_spoofed_x_forwarded_for_does_not_reset_the_limit(limited: AppFactory) -> None:
    """Attack: rotating X-Forwarded-For to look like a new client on every request."""
    api = limited()
    for i in range(10):
        login_from(api, "192.0.2.1", f"u{i}", **{"X-Forwarded-For": f"10.9.8.{i}"})
    blocked = login_from(api, "192.0.2.1", "u50", **{"X-Forwarded-For": "10.9.8.250"})
    assert blocked.status_code == 429


def test_behind_one_trusted_proxy_spoofed_entries_are_ignored(limited: AppFactory) -> None:
    """Attack: prepending fake addresses to X-Forwarded-For behind a real proxy."""
    api = limited(trusted_proxy_hops=1)
    for i in range(10):
        login_from(api, "10.0.0.2", f"u{i}", **{"X-Forwarded-For": f"6.6.6.{i}, 198.51.100.20"})
    blocked = login_from(api, "10.0.0.2", "u50",
                         **{"X-Forwarded-For": "6.6.6.250, 198.51.100.20"})
    assert blocked.status_code == 429
    other = login_from(api, "10.0.0.2", "u51", **{"X-Forwarded-For": "198.51.100.21"})
    assert other.status_code == 401, "the proxy's client address is the key"


def test_registration_is_limited_per_ip(limited: AppFactory) -> None:
    api = limited()
    for i in range(5):
        created = api.client.post("/api/users/", json={
            "username": f"shopper{i}", "email": f"s{i}@example.com", "password": GOOD_PASSWORD},
            environ_base={"REMOTE_ADDR": "198.51.100.30"})
        assert created.status_code == 201
    sixth = api.client.post("/api/users/", json={
        "username": "shopper9", "email": "s9@example.com", "password": GOOD_PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.30"})
    assert sixth.status_code == 429


def test_2fa_code_guessing_is_limited_per_user_across_tickets_and_ips(
        limited: AppFactory, clock: FrozenClock) -> None:
    """Attack: with a stolen password, fresh tickets from fresh IPs to guess codes."""
    api = limited()
    user = enable_2fa(api, clock)
    wrong = f"{(int(user.code(clock)) + 500_000) % 1_000_000:06d}"
    statuses = []
    for i in range(6):
        ticket = ticket_for(api)
        answer = api.client.post("/api/users/2fa/verify-login/",
                                 json={"login_ticket": ticket, "code": wrong},
                                 environ_base={"REMOTE_ADDR": f"203.0.113.{50 + i}"})
        statuses.append(answer.status_code)
    # Activation spent one of the user's 5: one 2FA budget across every code check.
    assert statuses == [401, 401, 401, 401, 429, 429]


def test_2fa_code_step_is_limited_per_ip(limited: AppFactory) -> None:
    api = limited()
    statuses = [api.client.post("/api/users/2fa/verify-login/",
                                json={"login_ticket": f"forged-ticket-{i:04d}", "code": "123456"},
                                environ_base={"REMOTE_ADDR": "198.51.100.40"}).status_code
                for i in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


def test_refresh_is_limited_per_ip(limited: AppFactory) -> None:
    api = limited(ratelimit_limits={"refresh_ip": "3 per minute"})
    codes = [api.post("/api/token/refresh/", json={"refresh": "x" * 43}).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_global_default_covers_the_rest_of_the_api_not_health(limited: AppFactory) -> None:
    api = limited(ratelimit_limits={"default": "3 per minute"})
    user = api.user()
    codes = [api.get("/api/users/me/", user["access"]).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert all(api.get("/healthz").status_code == 200 for _ in range(5))


def test_ratelimit_enabled_false_switches_limits_off_but_not_lockout(
        limited: AppFactory) -> None:
    api = limited(ratelimit_enabled=False)
    api.user()
    codes = [login_from(api, "198.51.100.60", "alice").status_code for _ in range(12)]
    assert 429 not in codes
    assert login_from(api, "198.51.100.60", "alice", GOOD_PASSWORD).status_code == 401, \
        "the account is locked all the same"


def test_each_named_limit_is_overridable_from_the_environment() -> None:
    settings = Settings.from_env({"SHOP_PROFILE": "test", "RATELIMIT_LOGIN_IP": "2 per minute",
                                  "RATELIMIT_ENABLED": "false",
                                  "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/3"})
    assert settings.ratelimit_limits == {"login_ip": "2 per minute"}
    assert settings.ratelimit_enabled is False
    assert settings.ratelimit_storage_uri == "redis://127.0.0.1:6379/3"


@pytest.mark.parametrize("overrides", [{"login_ipp": "1 per minute"}, {"login_ip": "often"}])
def test_unknown_or_malformed_limits_refuse_to_start(settings: Settings, clock: FrozenClock,
                                                     overrides: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        make_app(settings.with_(ratelimit_limits=overrides), clock)


@pytest.mark.parametrize(("variable", "value"), [("RATELIMIT_ENABLED", "false"),
                                                  ("RATELIMIT_STORAGE_URI", "memory://")])
def test_production_refuses_limits_off_or_per_process(variable: str, value: str) -> None:
    env = {"SHOP_PROFILE": "production", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
           variable: value}
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(env)


def test_attack_a_flood_of_refused_requests_writes_one_audit_row(limited: AppFactory) -> None:
    """Attack: flooding a limited route to turn every cheap 429 into a database write."""
    from prometheus_client import REGISTRY

    def refused_total() -> float:
        return sum(sample.value for metric in REGISTRY.collect()
                   if metric.name == "shop_rate_limit_hits" for sample in metric.samples
                   if sample.name.endswith("_total"))

    api = limited()
    counted = refused_total()
    for i in range(10):
        login_from(api, "192.0.2.9", f"user{i}")
    for _ in range(25):
        assert login_from(api, "192.0.2.9", "someone").status_code == 429
    hits = [e for e in audit_events(api) if e["event"] == "excess_rate_limit_exceeded"
            and e["details"]["limit"] == "login_ip"]
    assert len(hits) == 1
    assert refused_total() - counted == 25, "the metric still counts every refusal"


def test_a_known_device_is_exempt_from_the_per_username_limit_only(
        limited: AppFactory) -> None:
    """Attack: exhausting a victim's per-username login budget from many addresses kept the
    owner out (429 to the right password). Their device proof skips that limit, never the
    per-IP one."""
    api = limited(ratelimit_limits={"login_user": "3 per 5 minutes",
                                    "login_ip": "6 per 5 minutes"})
    assert api.register().status_code == 201
    device = login_from(api, "192.0.2.1", password=GOOD_PASSWORD).get_json()["device"]
    for i in range(3):
        login_from(api, f"203.0.113.{i}")
    assert login_from(api, "203.0.113.50", password=GOOD_PASSWORD).status_code == 429

    def owner(ip: str, proof: str) -> Any:
        return api.client.post("/api/token/", json={
            "username": "alice", "password": GOOD_PASSWORD, "device": proof},
            environ_base={"REMOTE_ADDR": ip})

    assert owner("192.0.2.1", device).status_code == 200
    assert owner("192.0.2.1", device + "x").status_code == 429, "a broken proof is no proof"
    for _ in range(4):  # the per-IP budget (6) of the owner's address runs out
        owner("192.0.2.1", device)
    limited_ip = owner("192.0.2.1", device)
    assert limited_ip.status_code == 429, "the per-IP limit still applies"


def test_password_change_has_its_own_named_limit(limited: AppFactory) -> None:
    """Attack: guessing the password through the password-change endpoint; the default API
    limit (300 per minute) was all that stood in the way."""
    api = limited()
    token = api.user()["access"]
    body = {"current_password": WRONG, "new_password": "a brand new passphrase 42"}
    statuses = [api.post("/api/users/me/password/", token, json=body).status_code
                for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    hits = [e for e in audit_events(api) if e["event"] == "excess_rate_limit_exceeded"]
    assert hits and hits[0]["details"]["limit"] == "password_user"


def test_step_up_shares_the_password_check_limit(limited: AppFactory) -> None:
    """Attack: guessing the password through the step-up endpoint."""
    api = limited()
    token = api.user()["access"]
    statuses = [api.post("/api/users/me/reauthenticate/", token,
                         json={"password": WRONG}).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    hits = [e for e in audit_events(api) if e["event"] == "excess_rate_limit_exceeded"]
    assert hits and hits[0]["details"]["limit"] == "password_user"
