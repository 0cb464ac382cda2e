"""Signing keys, the security dashboard and blocked addresses in the console."""

from __future__ import annotations

import re

from app.kernel import Principal
from app.platform import audit as audit_context
from tests.admin_support import AdminBrowser, flashed, named
from tests.support import Api
from tests.ui_support import text_of

SYSTEM = Principal.system("test")


def kids(api: Api) -> list[tuple[str, str]]:
    return [(k.kid, k.status) for k in api.services.signing_keys.signing_keys(SYSTEM)]


def test_rotating_keeps_old_sessions_and_removing_ends_them(admin: AdminBrowser,
                                                            api: Api) -> None:
    shopper = api.user("kim")
    (old_kid, _status), = kids(api)
    rotated = admin.step_up(admin.post("/admin/keys", "/admin/keys/rotate"))
    assert rotated.status_code == 303
    assert [s for _k, s in kids(api)] == ["active", "retired"]
    assert api.get("/api/users/me/", shopper["access"]).status_code == 200, "still works"
    confirm = text_of(admin.client.get(f"/admin/keys/{old_kid}/remove"))
    assert f"Remove signing key <code>{old_kid}</code>?" in confirm
    wrong = admin.post(f"/admin/keys/{old_kid}/remove", f"/admin/keys/{old_kid}/remove",
                       {"confirm_kid": "something else"})
    assert wrong.status_code == 400 and old_kid in [k for k, _s in kids(api)]
    removed = admin.post(f"/admin/keys/{old_kid}/remove", f"/admin/keys/{old_kid}/remove",
                         {"confirm_kid": old_kid})
    assert removed.status_code == 303
    assert old_kid not in [k for k, _s in kids(api)]
    assert api.get("/api/users/me/", shopper["access"]).status_code == 401, "its tokens end"
    assert admin.client.get("/admin/keys/nope/remove").status_code == 404


def test_key_changes_need_a_step_up(admin: AdminBrowser, api: Api) -> None:
    before = kids(api)
    asked = admin.post("/admin/keys", "/admin/keys/rotate")
    assert "Confirm it is you" in text_of(asked) and kids(api) == before


def test_dashboard_chart_table_suggestions_and_chain_check(admin: AdminBrowser,
                                                          api: Api) -> None:
    audit_context.bind_context(ip="203.0.113.66")
    for _ in range(12):
        api.services.audit.record("authn_login_fail", outcome="failure", actor="", target="x")
    audit_context.clear_context()
    response = admin.client.get("/admin/security")
    html = text_of(response)
    nonce = re.search(r"style-src[^;]*'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert nonce and f'<style type="text/css" nonce="{nonce.group(1)}">' in html
    assert "<svg" in html and "<script" not in html
    assert re.search(r"<td>12</td>", html), "the table shows this hour's failures"
    assert 'href="/admin/blocked?network=203.0.113.66"' in html
    assert "Not checked yet." in html
    checked = admin.post("/admin/security", "/admin/security/verify")
    after = text_of(admin.client.get(checked.headers["Location"]))
    assert "The audit chain is intact" in after and "intact</strong>" in after
    peers = api.client.application.extensions["shop.services"].peers
    if peers is None:
        assert "Every module runs in this process." in after
    else:  # over gRPC: what /readyz knows, per remote module
        for module in ("identity", "catalog", "ordering"):
            assert f"<td>{module}</td>" in after
        assert "SERVING" in after and "closed" in after and "days)" in after


def test_audit_events_filter_and_page(admin: AdminBrowser, api: Api) -> None:
    for i in range(60):
        api.services.audit.record("authn_login_fail", outcome="failure", actor="", target=f"t{i}")
    first = text_of(admin.client.get("/admin/security/events?event=authn_login_fail"))
    assert "60 events" in first and "Page 1 of 2" in first
    second = text_of(admin.client.get("/admin/security/events?event=authn_login_fail&page=2"))
    assert "Page 2 of 2" in second and ">t0<" in second
    by_actor = text_of(admin.client.get(f"/admin/security/events?actor={admin.id}"))
    rows = by_actor.split("<tbody>", 1)[1]
    assert "<td>authn_login_success</td>" in rows and "authn_login_fail" not in rows
    assert admin.client.get("/admin/security/events?outcome=maybe").status_code == 400


def test_block_and_unblock_an_address_from_the_console(admin: AdminBrowser, api: Api) -> None:
    blocked = admin.post("/admin/blocked", "/admin/blocked", {
        "network": "198.51.100.0/24", "reason": "credential stuffing", "expires_in": "3600"})
    assert blocked.status_code == 303
    page = text_of(admin.client.get("/admin/blocked"))
    assert "198.51.100.0/24" in page and "credential stuffing" in page and admin.id in page
    assert api.client.get("/api/products/", environ_base={
        "REMOTE_ADDR": "198.51.100.9"}).status_code == 403
    own = admin.post("/admin/blocked", "/admin/blocked", {
        "network": "127.0.0.0/8", "reason": "oops", "expires_in": ""})
    assert own.status_code == 400 and "your own address" in text_of(own)
    broad = admin.post("/admin/blocked", "/admin/blocked", {
        "network": "0.0.0.0/0", "reason": "everyone", "expires_in": ""})
    assert broad.status_code == 400 and 'id="network-error"' in text_of(broad)
    unblocked = admin.post("/admin/blocked", "/admin/blocked/unblock",
                           {"network": "198.51.100.0/24"})
    assert "Unblocked 198.51.100.0/24." in flashed(admin.client.get(unblocked.headers["Location"]))
    assert api.client.get("/api/products/", environ_base={
        "REMOTE_ADDR": "198.51.100.9"}).status_code == 401
    events = [(e["event"], e["actor"]) for e in api.services.audit.recent(10)]
    assert ("authz_address_blocked", named(api, admin.id)) in events
    assert ("authz_address_unblocked", named(api, admin.id)) in events
