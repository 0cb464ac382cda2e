"""Stock hoarding: pending orders expire, one user cannot hold more than the cap.

Attack: the shop takes no payment, so an order stays pending until an administrator confirms
it. Before, one account could place orders for the whole store and keep the stock for ever.
Now a pending order older than ``ORDER_PENDING_TTL`` is cancelled by the sweep (stock back,
audited), and ``ORDER_MAX_PENDING_UNITS`` caps what one user holds. Time is the test clock.
The sweep is called through the web shop's ordering contract, so over gRPC it crosses the
boundary like any other call.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from app.bootstrap import Services, as_operator
from app.kernel import PermissionDenied, Principal
from app.ordering.contract import OrderingService, SweepReport
from app.platform.audit import AuditTrail
from app.platform.clock import FrozenClock
from app.platform.db import db
from tests.shop_helpers import add_product, make_admin, order, principal, stock_of
from tests.support import Api

DAY = 86_400
SYSTEM = Principal.system("test-sweep")


def web_ordering(app: Flask) -> OrderingService:
    """The web shop's ordering contract as an operator command holds it (over gRPC, the sweep
    is an operator method: the system principal goes with the operator certificate)."""
    ordering = as_operator(app.extensions["shop.services"]).ordering
    assert ordering is not None
    return ordering  # type: ignore[no-any-return]


def sweep(app: Flask) -> SweepReport:
    with app.app_context():
        return web_ordering(app).sweep(SYSTEM)


def expiry_events() -> list[dict[str, Any]]:
    return AuditTrail().recent(event_prefix="order_expired")


def count_rows(app: Flask, table: str) -> int:
    with app.app_context(), db.engines["ordering"].connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.fixture
def hoarder(api: Api) -> dict[str, Any]:
    return api.user("hoarder")


@pytest.fixture
def crate(app: Flask, services: Services) -> str:
    return add_product(app, services, "CRATE", stock=500)


def test_a_pending_order_older_than_the_ttl_expires_and_its_stock_returns(
        api: Api, app: Flask, services: Services, clock: FrozenClock,
        hoarder: dict[str, Any], crate: str) -> None:
    placed = order(api, hoarder["access"], (crate, 100))
    assert placed.status_code == 201
    assert stock_of(app, services, crate) == 400
    clock.advance(DAY - 60)
    assert sweep(app).expired_orders == 0  # not yet
    clock.advance(61)
    report = sweep(app)
    assert (report.ran, report.expired_orders, report.releases_done) == (True, 1, 1)
    assert stock_of(app, services, crate) == 500
    fresh = api.login("hoarder").get_json()["access"]  # a day later: log in again
    mine = api.get(f"/api/orders/{placed.get_json()['id']}/", fresh).get_json()
    assert mine["status"] == "cancelled"
    events = expiry_events()
    assert [(e["target"], e["actor"]) for e in events] == [
        (placed.get_json()["id"], "system:order-sweep")]
    # Idempotent: a second sweep finds nothing, returns no more stock and audits nothing.
    assert sweep(app).expired_orders == 0
    assert stock_of(app, services, crate) == 500
    assert len(expiry_events()) == 1


def test_confirmed_and_young_orders_do_not_expire(
        api: Api, app: Flask, services: Services, clock: FrozenClock,
        hoarder: dict[str, Any], crate: str) -> None:
    admin = make_admin(api, app)
    confirmed = order(api, hoarder["access"], (crate, 5)).get_json()["id"]
    assert api.patch(f"/api/orders/{confirmed}/status/", admin["access"],
                     json={"status": "confirmed"}).status_code == 200
    clock.advance(DAY + 1)
    young = order(api, api.login("hoarder").get_json()["access"], (crate, 7)).get_json()["id"]
    assert sweep(app).expired_orders == 0
    statuses = {o["id"]: o["status"] for o in
                api.get("/api/orders/", api.login("hoarder").get_json()["access"])
                .get_json()["results"]}
    assert statuses == {confirmed: "confirmed", young: "pending"}
    assert stock_of(app, services, crate) == 488


def test_only_the_system_may_run_the_sweep(app: Flask, services: Services,
                                          hoarder: dict[str, Any]) -> None:
    """The service decides (a user's token over gRPC would reach the same check)."""
    assert services.ordering is not None
    for who in (principal(hoarder["id"]), principal(hoarder["id"], role="admin")):
        with app.app_context(), pytest.raises(PermissionDenied):
            services.ordering.sweep(who)


def test_one_user_cannot_hold_more_than_the_pending_cap(
        api: Api, app: Flask, services: Services, hoarder: dict[str, Any], crate: str) -> None:
    """The attack from the report: one account reserving all stock with pending orders."""
    first = order(api, hoarder["access"], (crate, 100))
    assert order(api, hoarder["access"], (crate, 100)).status_code == 201
    refused = order(api, hoarder["access"], (crate, 1))
    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert "You hold 200 units in pending orders" in problem["detail"]
    assert "at most 200" in problem["detail"]
    assert stock_of(app, services, crate) == 300  # the refused order took nothing
    # Cancelling a pending order frees its units; another user is not affected at all.
    assert api.post(f"/api/orders/{first.get_json()['id']}/cancel/",
                    hoarder["access"]).status_code == 200
    assert order(api, hoarder["access"], (crate, 100)).status_code == 201
    assert order(api, api.user("bob")["access"], (crate, 100)).status_code == 201


def test_sweep_prunes_old_idempotency_keys_and_stale_reservations(
        api: Api, app: Flask, services: Services, clock: FrozenClock,
        hoarder: dict[str, Any], crate: str) -> None:
    from app.catalog.contract import ReservationLine

    assert order(api, hoarder["access"], (crate, 1), key="k-1").status_code == 201
    with app.app_context():  # a reservation whose order never came (its placer crashed)
        assert services.catalog is not None
        services.catalog.reserve(SYSTEM, "abandoned", (ReservationLine(crate, 3),))
    assert stock_of(app, services, crate) == 496
    clock.advance(901)
    report = sweep(app)
    assert report.stale_reservations_released == 1
    assert stock_of(app, services, crate) == 499
    assert count_rows(app, "ordering_idempotency_keys") == 1  # younger than a day: kept
    clock.advance(DAY)
    assert sweep(app).idempotency_keys_pruned == 1
    assert count_rows(app, "ordering_idempotency_keys") == 0
