"""Security dashboard data: hourly counts equal the audit trail, the SVG chart, suspects,
the audit event list and the on-demand chain check."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from app.bootstrap import Services
from app.kernel import InvalidInput, PermissionDenied, Principal
from app.platform import audit as audit_context
from app.platform.clock import FrozenClock
from app.platform.security_stats import SERIES
from app.web.charts import LABELS, security_chart

ADMIN = Principal(user_id="admin-1", role="admin", jti="j", session_id="s", issued_at=0,
                  expires_at=0)
SHOPPER = Principal(user_id="u1", role="user", jti="j", session_id="s", issued_at=0,
                    expires_at=0)
SVG = "{http://www.w3.org/2000/svg}"
HOUR = 3600

# (hours before the current hour, minute, event, how many)
HISTORY = [
    (24, 50, "authn_login_fail", 4),  # before the window: never counted
    (23, 5, "authn_login_fail", 3),
    (23, 59, "authn_login_success", 2),
    (20, 0, "authn_mfa_fail", 1),
    (20, 30, "authn_login_lock", 1),
    (12, 10, "excess_rate_limit_exceeded", 2),
    (12, 11, "authn_token_refreshed", 5),  # not on the chart
    # hours 11 .. 1 hold nothing at all
    (0, 0, "authn_login_fail", 6),
    (0, 1, "authn_login_lock", 1),
    (0, 2, "authn_login_success", 1),
]


def seed(services: Services, clock: FrozenClock) -> float:
    """Record HISTORY on the controlled clock; returns the start of the current hour."""
    current_hour = clock.time() // HOUR * HOUR
    for hours_back, minute, event, count in HISTORY:
        clock.set(current_hour - hours_back * HOUR + minute * 60)
        for _ in range(count):
            services.audit.record(event, outcome="failure" if "fail" in event else "success",
                                  actor="", target="someone")
    clock.set(current_hour + 25 * 60)
    return current_hour


def expected_series() -> dict[str, list[int]]:
    series = {name: [0] * 24 for name in SERIES}
    for hours_back, _minute, event, count in HISTORY:
        if hours_back > 23:
            continue
        for name, events in SERIES.items():
            if event in events:
                series[name][23 - hours_back] += count
    return series


def test_hourly_counts_equal_the_audit_trail_including_empty_hours(
        services: Services, clock: FrozenClock) -> None:
    current_hour = seed(services, clock)
    counts = services.security.hourly(ADMIN)
    assert len(counts.hours) == 24
    assert counts.hours[-1].timestamp() == current_hour
    assert counts.hours[0].timestamp() == current_hour - 23 * HOUR
    expected = expected_series()
    assert {k: list(v) for k, v in counts.series.items()} == expected
    assert expected["failed_logins"][0] == 3 and expected["failed_logins"][3] == 1
    assert all(counts.series[name][i] == 0 for name in SERIES for i in range(12, 23))


def chart_values(svg: str) -> dict[str, list[int]]:
    root = ET.fromstring(svg)  # noqa: S314 (the shop's own output, not untrusted input)
    assert root.tag == f"{SVG}svg" and root.get("viewBox") and root.get("width") is None
    titles = [t for t in root.iter() if t.tag in (f"{SVG}title",)]
    assert titles and "per hour" in (titles[0].text or "")
    values: dict[str, list[int]] = {}
    names = list(LABELS.values())
    for group in root.iter(f"{SVG}g"):
        classes = (group.get("class") or "").split()
        if "series" in classes and any(c.startswith("serie-") for c in classes):
            index = int(next(c for c in classes if c.startswith("serie-")).split("-")[1])
            found = [int(d.text or "0") for d in group.iter(f"{SVG}desc")
                     if d.get("class") == "value"]
            if found:
                values[names[index]] = found
    return values


def test_the_chart_is_valid_inert_svg_with_the_trail_numbers(
        services: Services, clock: FrozenClock) -> None:
    seed(services, clock)
    svg = security_chart(services.security.hourly(ADMIN), nonce="n0nce")
    drawn = chart_values(svg)
    expected = {LABELS[name]: values for name, values in expected_series().items()}
    assert drawn == expected
    root = ET.fromstring(svg)  # noqa: S314 (the shop's own output, not untrusted input)
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert "script" not in tags and "foreignObject" not in tags
    assert all(element.get("style") is None for element in root.iter()), "CSP: no style attrs"
    styles = [e for e in root.iter(f"{SVG}style")]
    assert styles and all(s.get("nonce") == "n0nce" for s in styles)
    assert "http://" not in svg.replace("http://www.w3.org/2000/svg", "").split("-->")[-1]
    assert "https://" not in svg


def failures_from(services: Services, ip: str, count: int) -> None:
    audit_context.bind_context(ip=ip)
    for _ in range(count):
        services.audit.record("authn_login_fail", outcome="failure", actor="", target="x")
    audit_context.clear_context()


def test_suspects_are_addresses_with_many_failures_in_the_last_hour(
        services: Services, clock: FrozenClock) -> None:
    failures_from(services, "198.51.100.1", 30)  # an hour and more ago: forgotten
    clock.advance(HOUR + 1)
    failures_from(services, "198.51.100.2", 12)
    failures_from(services, "198.51.100.3", 9)
    failures_from(services, "198.51.100.4", 25)
    suspects = services.security.suspects(ADMIN)
    assert [(s.address, s.failures) for s in suspects] == [("198.51.100.4", 25),
                                                           ("198.51.100.2", 12)]
    assert suspects[0].last_seen.timestamp() == pytest.approx(clock.time())


def test_audit_events_filter_and_page(services: Services) -> None:
    for i in range(7):
        services.audit.record("authn_login_fail", outcome="failure", actor="", target=f"t{i}")
    services.audit.record("authz_admin", actor="admin-1", target="user-9", action="role")
    page = services.security.events(ADMIN, event="authn_", outcome="failure", page=2,
                                    page_size=3)
    assert page.total == 7 and [e["target"] for e in page.items] == ["t3", "t2", "t1"]
    by_actor = services.security.events(ADMIN, actor="admin-1")
    assert [e["target"] for e in by_actor.items] == ["user-9"]
    assert services.security.events(ADMIN, event="authn_login_fai%").total == 0, "% literal"
    with pytest.raises(InvalidInput):
        services.security.events(ADMIN, outcome="maybe")
    with pytest.raises(InvalidInput):
        services.security.events(ADMIN, page=0)


def test_chain_check_on_demand_is_audited_and_remembered(services: Services) -> None:
    assert services.security.last_verification(ADMIN) is None
    services.audit.record("authn_login_fail", outcome="failure", actor="", target="x")
    result = services.security.verify(ADMIN)
    assert result.intact and result.events == 1
    last = services.security.last_verification(ADMIN)
    assert last is not None and last.intact and last.events == 1
    assert last.actor == services.audit.known_pseudonym("admin-1")
    assert last.checked_at == result.checked_at


def test_a_broken_chain_is_reported(services: Services) -> None:
    from sqlalchemy import update

    from app.platform.audit import AuditRecord
    for i in range(3):
        services.audit.record("authn_login_fail", outcome="failure", actor="", target=f"t{i}")
    # An intruder edits a row to hide their tracks.
    with services.database.unit_of_work(None) as session:
        session.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(target="x"))
    result = services.security.verify(ADMIN)
    assert not result.intact and result.broken_at == 2
    last = services.security.last_verification(ADMIN)
    assert last is not None and last.broken_at == 2


@pytest.mark.parametrize("call", [
    lambda s: s.hourly(SHOPPER), lambda s: s.suspects(SHOPPER), lambda s: s.events(SHOPPER),
    lambda s: s.verify(SHOPPER), lambda s: s.last_verification(SHOPPER),
])
def test_shoppers_see_none_of_it(services: Services, call: Any) -> None:
    with pytest.raises(PermissionDenied):
        call(services.security)
