"""Data protection of orders: no plaintext owner at rest, tampering fails closed, rotation.

These tests read and write the ordering tables directly, as an attacker with a database
dump (or write access) would.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from app.bootstrap import Services
from app.kernel import PermissionDenied, Principal
from app.platform.db import db
from tests.shop_helpers import add_product, order, principal
from tests.support import Api


@pytest.fixture
def placed(api: Api, app: Flask, services: Services) -> dict[str, Any]:
    product = add_product(app, services, "ENC", stock=50)
    alice, bob = api.user("alice"), api.user("bob")
    orders = [order(api, who["access"], (product, 1)).get_json()
              for who in (alice, alice, bob)]
    return {"alice": alice, "bob": bob, "orders": orders}


def dump(app: Flask) -> str:
    """Every value of every ordering table, as text (what a leaked dump would show)."""
    chunks = []
    with app.app_context(), db.engines["ordering"].connect() as conn:
        for table in ("ordering_orders", "ordering_order_lines", "ordering_idempotency_keys"):
            chunks += [repr(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {table}"))]
    return "\n".join(chunks)


def stored_ref(app: Flask, order_id: str) -> str:
    with app.app_context(), db.engines["ordering"].connect() as conn:
        return str(conn.execute(text("SELECT user_ref FROM ordering_orders WHERE id = :id"),
                                {"id": order_id}).scalar_one())


def write_ref(app: Flask, order_id: str, value: str) -> None:
    with app.app_context(), db.engines["ordering"].begin() as conn:
        conn.execute(text("UPDATE ordering_orders SET user_ref = :v WHERE id = :id"),
                     {"v": value, "id": order_id})


def test_database_dump_holds_no_plaintext_user_id(app: Flask, placed: dict) -> None:
    contents = dump(app)
    assert placed["orders"][0]["id"] in contents, "the dump must actually contain the orders"
    for who in ("alice", "bob"):
        assert placed[who]["id"] not in contents
        assert placed[who]["id"].replace("-", "") not in contents


def test_attack_flipped_byte_in_ciphertext_fails_closed_with_audit(
        api: Api, app: Flask, services: Services, placed: dict) -> None:
    target = placed["orders"][0]["id"]
    token = stored_ref(app, target)
    position = len(token) // 2
    write_ref(app, target, token[:position] + ("A" if token[position] != "A" else "B")
              + token[position + 1:])
    response = api.get(f"/api/orders/{target}/", placed["alice"]["access"])
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert placed["alice"]["id"] not in body and "Traceback" not in body
    with app.app_context():
        events = services.audit.recent(event_prefix="crypt_decrypt_fail")
    assert events and events[0]["target"] == target and events[0]["outcome"] == "failure"
    # The other orders stay readable.
    other = placed["orders"][2]["id"]
    assert api.get(f"/api/orders/{other}/", placed["bob"]["access"]).status_code == 200


def test_attack_ciphertext_copied_from_another_order_is_refused(
        api: Api, app: Flask, placed: dict) -> None:
    """Moving bob's encrypted reference onto alice's order must not make it bob's."""
    alices, bobs = placed["orders"][0]["id"], placed["orders"][2]["id"]
    write_ref(app, alices, stored_ref(app, bobs))
    assert api.get(f"/api/orders/{alices}/", placed["bob"]["access"]).status_code == 404
    assert api.get(f"/api/orders/{alices}/", placed["alice"]["access"]).status_code == 500


def test_key_rotation_keeps_every_order_readable_and_findable(
        api: Api, app: Flask, services: Services, placed: dict) -> None:
    before = {o["id"]: stored_ref(app, o["id"]) for o in placed["orders"]}
    old_kid = next(iter(before.values())).split(".")[1]
    result = app.test_cli_runner().invoke(args=["keys", "rotate-field", "order_user"])
    assert result.exit_code == 0, result.output
    assert "3 rows re-encrypted" in result.output
    after = {order_id: stored_ref(app, order_id) for order_id in before}
    assert all(token.split(".")[1] != old_kid for token in after.values())
    alice = placed["alice"]
    for listed in api.get("/api/orders/", alice["access"]).get_json()["results"]:
        assert listed["user_id"] == alice["id"]
    assert api.get("/api/orders/", alice["access"]).get_json()["count"] == 2
    again = app.test_cli_runner().invoke(args=["keys", "rotate-field", "order_user",
                                               "--reencrypt-only"])
    assert "0 rows re-encrypted" in again.output
    with app.app_context():
        assert services.audit.recent(event_prefix="crypt_key_rotated")


def test_rotate_field_refuses_unknown_purpose(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["keys", "rotate-field", "nonsense"])
    assert result.exit_code != 0 and "unknown purpose" in result.output


def test_forget_user_keeps_orders_but_unlinks_them(api: Api, app: Flask, services: Services,
                                                   placed: dict) -> None:
    assert services.ordering is not None
    alice, admin_view = placed["alice"], principal("ops", role="admin")
    erasure = Principal.system("erasure")
    with pytest.raises(PermissionDenied):  # only the erasure saga may unlink orders
        services.ordering.forget_user(principal(alice["id"]), alice["id"])
    assert services.ordering.forget_user(erasure, alice["id"]) == 2
    assert services.ordering.forget_user(erasure, alice["id"]) == 0
    assert api.get("/api/orders/", alice["access"]).get_json()["count"] == 0
    everything = services.ordering.list_orders(admin_view, 1, 100)
    assert everything.total == 3, "orders are kept for accounting"
    owners = [o.user_id for o in everything.items]
    assert owners.count(placed["bob"]["id"]) == 1
    erased = [owner for owner in owners if owner.startswith("erased:")]
    assert len(erased) == len(set(erased)) == 2, "one pseudonym per order: no linking"
    assert alice["id"] not in dump(app)
