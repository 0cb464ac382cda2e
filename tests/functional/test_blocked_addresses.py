"""Blocked addresses: refused at the edge (403) for the API and pages, CLI, expiry, proxies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from app.config import Settings
from app.kernel import InvalidInput, NotFound, PermissionDenied, Principal
from app.platform.blocklist import Blocklist
from app.platform.clock import FrozenClock
from tests.conftest import dispose, make_app
from tests.support import Api

OPERATOR = Principal.system("test")
SHOPPER = Principal(user_id="u1", role="user", jti="j", session_id="s", issued_at=0,
                    expires_at=0)


def get(api: Api, path: str, ip: str, **headers: str) -> Any:
    return api.client.get(path, environ_base={"REMOTE_ADDR": ip}, headers=headers)


def blocked_rows(api: Api) -> list[dict[str, Any]]:
    return [e for e in api.services.audit.recent(500) if e["event"] == "authz_blocked_request"]


def block(api: Api, network: str, **kw: Any) -> None:
    api.services.blocklist.block(OPERATOR, network, kw.pop("reason", "credential stuffing"), **kw)


def test_a_blocked_address_gets_403_on_the_api_and_pages_before_any_other_work(
        api: Api) -> None:
    """Attack: a credential-stuffing source keeps trying after the incident was noticed."""
    block(api, "198.51.100.23")
    refused = api.client.post("/api/token/", json={"username": "a", "password": "b"},
                              environ_base={"REMOTE_ADDR": "198.51.100.23"})
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["type"].endswith("/address_blocked")
    events = [e["event"] for e in api.services.audit.recent(50)]
    assert "authn_login_fail" not in events, "the login was never attempted"
    page = get(api, "/", "198.51.100.23")
    assert page.status_code == 403 and page.mimetype == "text/html"
    assert get(api, "/", "198.51.100.24").status_code == 200
    assert get(api, "/api/products/", "198.51.100.24").status_code == 401, "others pass"
    assert get(api, "/healthz", "198.51.100.23").status_code == 200, "liveness is exempt"


def test_a_cidr_range_blocks_every_address_in_it_also_ipv4_mapped(api: Api) -> None:
    block(api, "203.0.113.0/24")
    block(api, "2001:db8:1::/48")
    for ip in ("203.0.113.1", "203.0.113.254", "::ffff:203.0.113.9", "2001:db8:1:ff::7"):
        assert get(api, "/api/products/", ip).status_code == 403, ip
    for ip in ("203.0.114.1", "2001:db8:2::1"):
        assert get(api, "/api/products/", ip).status_code == 401, ip


def test_refusals_are_audited_once_per_address_per_minute(api: Api, clock: FrozenClock) -> None:
    """A flood from a blocked address must not become one audit row per request."""
    block(api, "198.51.100.0/24")
    for _ in range(5):
        assert get(api, "/api/products/", "198.51.100.5").status_code == 403
    assert get(api, "/api/products/", "198.51.100.6").status_code == 403
    rows = blocked_rows(api)
    assert sorted(r["target"] for r in rows) == ["198.51.100.5", "198.51.100.6"]
    assert rows[0]["details"]["network"] == "198.51.100.0/24"
    assert rows[0]["outcome"] == "failure" and rows[0]["ip"] == rows[0]["target"]
    clock.advance(61)
    assert get(api, "/api/products/", "198.51.100.5").status_code == 403
    assert len(blocked_rows(api)) == 3


def test_an_expired_block_lifts_by_itself(api: Api, clock: FrozenClock) -> None:
    now = datetime.fromtimestamp(clock.time(), UTC)
    block(api, "192.0.2.77", expires_at=now + timedelta(minutes=10))
    assert get(api, "/api/products/", "192.0.2.77").status_code == 403
    clock.advance(599)
    assert get(api, "/api/products/", "192.0.2.77").status_code == 403
    clock.advance(2)
    assert get(api, "/api/products/", "192.0.2.77").status_code == 401
    assert api.services.blocklist.blocks(OPERATOR) == []
    assert len(api.services.blocklist.blocks(OPERATOR, include_expired=True)) == 1


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(api: Api) -> None:
    """Attack: a blocked client claims another address; a client frames a blocked one."""
    block(api, "198.51.100.23")
    escaped = get(api, "/api/products/", "198.51.100.23", **{"X-Forwarded-For": "192.0.2.1"})
    assert escaped.status_code == 403
    framed = get(api, "/api/products/", "192.0.2.1", **{"X-Forwarded-For": "198.51.100.23"})
    assert framed.status_code == 401


@pytest.fixture
def proxied(settings: Settings, clock: FrozenClock) -> Iterator[Api]:
    app = make_app(settings.with_(trusted_proxy_hops=1), clock)
    yield Api(app.test_client(), app.extensions["shop.services"])
    dispose(app)


def test_behind_one_trusted_proxy_the_proxy_written_address_counts(proxied: Api) -> None:
    """Attack: prepending addresses to X-Forwarded-For behind a real proxy (10.0.0.2)."""
    block(proxied, "198.51.100.23")
    direct = get(proxied, "/api/products/", "10.0.0.2", **{"X-Forwarded-For": "198.51.100.23"})
    assert direct.status_code == 403
    escaped = get(proxied, "/api/products/", "10.0.0.2",
                  **{"X-Forwarded-For": "192.0.2.1, 198.51.100.23"})
    assert escaped.status_code == 403, "the spoofed left-hand entry must not escape the block"
    framed = get(proxied, "/api/products/", "10.0.0.2",
                 **{"X-Forwarded-For": "198.51.100.23, 192.0.2.1"})
    assert framed.status_code == 401, "naming a blocked address must not get you refused"


def test_blocking_is_for_admins_and_operators_only(api: Api) -> None:
    with pytest.raises(PermissionDenied):
        api.services.blocklist.block(SHOPPER, "198.51.100.1", "mine")
    with pytest.raises(PermissionDenied):
        api.services.blocklist.blocks(SHOPPER)
    with pytest.raises(PermissionDenied):
        api.services.blocklist.unblock(SHOPPER, "198.51.100.1")


@pytest.mark.parametrize(("network", "reason", "field"), [
    ("0.0.0.0/0", "everyone", "network"),
    ("10.0.0.0/7", "too broad", "network"),
    ("2001:db8::/16", "too broad", "network"),
    ("198.51.100.7/24", "host bits", "network"),
    ("not-an-ip", "typo", "network"),
    ("198.51.100.7", "   ", "reason"),
    ("198.51.100.7", "x" * 201, "reason"),
])
def test_invalid_blocks_are_refused_naming_the_field(api: Api, network: str, reason: str,
                                                     field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        api.services.blocklist.block(OPERATOR, network, reason)
    assert field in caught.value.field_errors


def test_an_expiry_in_the_past_and_blocking_your_own_address_are_refused(
        api: Api, clock: FrozenClock) -> None:
    past = datetime.fromtimestamp(clock.time() - 1, UTC)
    with pytest.raises(InvalidInput) as caught:
        block(api, "198.51.100.7", expires_at=past)
    assert "expires_at" in caught.value.field_errors
    with pytest.raises(InvalidInput) as caught:
        block(api, "198.51.100.0/24", keep_reachable="198.51.100.200")
    assert "own address" in caught.value.detail
    block(api, "198.51.100.0/24", keep_reachable="192.0.2.1")


def test_blocking_again_replaces_reason_and_expiry_and_unblock_lifts_it(
        api: Api, clock: FrozenClock) -> None:
    later = datetime.fromtimestamp(clock.time() + 3600, UTC)
    block(api, "198.51.100.7", reason="first", expires_at=later)
    block(api, "198.51.100.7", reason="second")
    (entry,) = api.services.blocklist.blocks(OPERATOR)
    assert (entry.reason, entry.expires_at, entry.created_by) == ("second", None, "system:test")
    api.services.blocklist.unblock(OPERATOR, "198.51.100.7")
    assert get(api, "/api/products/", "198.51.100.7").status_code == 401
    with pytest.raises(NotFound):
        api.services.blocklist.unblock(OPERATOR, "198.51.100.7")
    events = [(e["event"], e["actor"], e["target"]) for e in api.services.audit.recent(10)]
    assert ("authz_address_unblocked", "system:test", "198.51.100.7") in events
    assert ("authz_address_blocked", "system:test", "198.51.100.7") in events


def test_a_block_made_by_another_process_shows_within_the_cache_time(app: Flask,
                                                                     clock: FrozenClock) -> None:
    """Two Blocklists on one database stand for two workers; time is controlled."""
    services = app.extensions["shop.services"]
    now = [100.0]
    worker = Blocklist(services.audit, clock, cache_seconds=2.0, monotonic=lambda: now[0])
    other = Blocklist(services.audit, clock, cache_seconds=2.0)
    assert worker.match("198.51.100.9") is None
    other.block(OPERATOR, "198.51.100.9", "seen elsewhere")
    now[0] += 1.9
    assert worker.match("198.51.100.9") is None, "cached at most 2 s"
    now[0] += 0.2
    hit = worker.match("198.51.100.9")
    assert hit is not None and hit.reason == "seen elsewhere"
    other.unblock(OPERATOR, "198.51.100.9")
    now[0] += 2.1
    assert worker.match("198.51.100.9") is None


def test_cli_blocks_lists_and_unblocks(app: Flask, api: Api) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ips", "block", "198.51.100.0/24", "--reason", "scanner",
                                 "--expires-in", "2h"])
    assert result.exit_code == 0, result.output
    assert get(api, "/api/products/", "198.51.100.50").status_code == 403
    listed = runner.invoke(args=["ips", "list"])
    assert "198.51.100.0/24" in listed.output and "scanner" in listed.output
    assert "system:cli" in listed.output
    bad = runner.invoke(args=["ips", "block", "0.0.0.0/0", "--reason", "oops"])
    assert bad.exit_code != 0 and "too broad" in bad.output
    bad = runner.invoke(args=["ips", "block", "192.0.2.1", "--reason", "x", "--expires-in", "soon"])
    assert bad.exit_code != 0
    assert runner.invoke(args=["ips", "unblock", "198.51.100.0/24"]).exit_code == 0
    assert get(api, "/api/products/", "198.51.100.50").status_code == 401
    again = runner.invoke(args=["ips", "unblock", "198.51.100.0/24"])
    assert again.exit_code != 0 and "not blocked" in again.output
