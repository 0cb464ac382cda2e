"""The audit trail must not undo the order-owner encryption (issue 10, item 10).

Attack: read the audit table (a dump) and the log to learn who placed or cancelled an order.
Orders hide their owner (AES-GCM ciphertext plus a blind index); an audit row or log line that
names the owner's user id next to the order id would give that link away.
"""

from __future__ import annotations

import io
import json

import pytest
from flask import Flask

from app.platform import logging as shop_logging
from app.platform.audit import AuditRecord
from app.platform.db import unit_of_work
from tests.shop_helpers import add_product, make_admin, order
from tests.support import Api


@pytest.fixture
def log_stream() -> io.StringIO:
    stream = io.StringIO()
    shop_logging.configure("INFO", stream=stream)
    return stream


def audit_dump() -> str:
    with unit_of_work(None, readonly=True) as session:
        rows = session.query(AuditRecord).order_by(AuditRecord.seq).all()
        return "\n".join(repr((r.event, r.actor, r.target, r.details)) for r in rows)


def test_attack_audit_dump_and_log_do_not_name_the_order_owner(
        api: Api, app: Flask, log_stream: io.StringIO) -> None:
    alice = api.user("alice")
    admin = make_admin(api, app)
    product = add_product(app, api.services, "PSEUDO-1", stock=5)
    placed = order(api, alice["access"], (product, 1)).get_json()
    second = order(api, alice["access"], (product, 1)).get_json()
    assert api.post(f"/api/orders/{placed['id']}/cancel/", alice["access"]).status_code == 200
    assert api.client.patch(f"/api/orders/{second['id']}/status/", json={"status": "confirmed"},
                            headers=api.bearer(admin["access"])).status_code == 200
    with app.app_context():
        dump = audit_dump()
        pseudonym = api.services.audit.known_pseudonym(alice["id"])
    assert "order_cancelled" in dump and placed["id"] in dump  # the events are there
    for text, where in ((dump, "audit table"), (log_stream.getvalue(), "log")):
        assert alice["id"] not in text, f"the owner's user id is in the {where}"
        assert admin["id"] not in text, f"the admin's user id is in the {where}"
    assert pseudonym and pseudonym in dump  # the owner is named, by pseudonym only
    cancelled = [json.loads(line) for line in log_stream.getvalue().splitlines()
                 if '"order_cancelled"' in line]
    assert cancelled and cancelled[0]["actor"] == pseudonym


def test_forgetting_the_subject_makes_the_pseudonym_unlinkable(api: Api, app: Flask) -> None:
    alice = api.user("alice")
    with app.app_context():
        audit = api.services.audit
        pseudonym = audit.pseudonym(alice["id"])
        assert audit.pseudonym(alice["id"]) == pseudonym  # stable while the person exists
        assert audit.for_subject(alice["id"])  # their own events are found through it
        assert audit.forget_subject(alice["id"]) is True
        assert audit.known_pseudonym(alice["id"]) is None
        assert audit.for_subject(alice["id"]) == []
        assert audit.forget_subject(alice["id"]) is False  # idempotent
        assert pseudonym in audit_dump()  # the rows stay (the chain is intact) ...
        assert audit.pseudonym(alice["id"]) != pseudonym  # ... but nothing links them back


def test_unknown_usernames_are_kept_but_known_users_appear_by_pseudonym(api: Api,
                                                                        app: Flask) -> None:
    api.user("alice")
    api.login("alice", "a wrong guess here")
    api.login("mallory-probe", "a wrong guess here")
    with app.app_context():
        failures = [e for e in api.services.audit.recent(5) if e["event"] == "authn_login_fail"]
    assert [e["details"].get("username") for e in failures] == ["mallory-probe", None]
