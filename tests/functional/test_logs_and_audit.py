"""JSON log lines with request ids, no secrets in logs, and the tamper-evident audit trail."""

from __future__ import annotations

import io
import json

import pytest
from flask import Flask
from sqlalchemy import update

from app.platform import logging as shop_logging
from app.platform.audit import AuditRecord, verify_chain
from tests.support import GOOD_PASSWORD, Api


@pytest.fixture
def log_stream() -> io.StringIO:
    stream = io.StringIO()
    shop_logging.configure("INFO", stream=stream)
    return stream


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_every_line_is_json_with_a_request_id(api: Api, log_stream: io.StringIO) -> None:
    api.user()
    records = lines(log_stream)
    requests = [r for r in records if r["event"] == "request"]
    assert len(requests) >= 2
    assert all(len(str(r["request_id"])) >= 16 for r in requests)
    audits = [r for r in records if r["event"] == "audit"]
    assert {"user_created", "authn_login_success"} <= {str(r["audit_event"]) for r in audits}


def test_log_secret_scan(api: Api, log_stream: io.StringIO) -> None:
    user = api.user()
    pair = api.client.post("/api/token/refresh/", json={"refresh": user["refresh"]}).get_json()
    api.login(password="a wrong password guess")
    api.post("/api/users/me/password/", pair["access"], json={
        "current_password": GOOD_PASSWORD, "new_password": "the next fine passphrase"})
    text = log_stream.getvalue()
    secrets = [GOOD_PASSWORD, "a wrong password guess", "the next fine passphrase",
               user["refresh"], user["access"], pair["refresh"], pair["access"], "pbkdf2_sha256$"]
    for secret in secrets:
        assert secret not in text, f"secret leaked into the log: {secret[:12]}..."


def test_attack_log_forging_with_newlines_in_username(api: Api, log_stream: io.StringIO) -> None:
    forged = 'x\n{"event": "audit", "audit_event": "authn_login_success", "actor": "admin"}'
    api.login(forged, "whatever")
    for line in log_stream.getvalue().splitlines():
        record = json.loads(line)  # every physical line is still one complete JSON object
        assert not (record.get("actor") == "admin" and record.get("event") == "audit")


def test_audit_rows_carry_who_where_and_what(api: Api) -> None:
    api.register()
    api.client.post("/api/token/", json={"username": "alice", "password": "wrong one!!"},
                    headers={"User-Agent": "pytest-agent/1.0", "X-Request-ID": "req-12345678"})
    event = api.services.audit.recent(1)[0]
    assert event["event"] == "authn_login_fail" and event["outcome"] == "failure"
    assert event["user_agent"] == "pytest-agent/1.0" and event["request_id"] == "req-12345678"
    assert event["ip"] == "127.0.0.1" and event["target"]
    assert "wrong one" not in json.dumps(event)


def test_audit_chain_verifies_and_detects_tampering(app: Flask, api: Api) -> None:
    api.user()
    api.login(password="nope nope nope")
    count, broken = verify_chain(api.services.database)
    assert count >= 3 and broken is None
    runner = app.test_cli_runner()
    assert "intact" in runner.invoke(args=["audit", "verify"]).output
    with api.services.database.unit_of_work(None) as session:
        session.execute(update(AuditRecord).where(AuditRecord.seq == 2)
                        .values(actor="someone-else"))
    assert verify_chain(api.services.database)[1] == 2
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "broken at event 2" in result.output


def test_audit_chain_detects_deletion(api: Api) -> None:
    api.user()
    with api.services.database.unit_of_work(None) as session:
        session.query(AuditRecord).filter(AuditRecord.seq == 1).delete()
    assert verify_chain(api.services.database)[1] is not None


def test_concurrent_audit_writes_keep_one_chain(api: Api) -> None:
    import threading

    audit = api.services.audit
    threads = [threading.Thread(target=lambda: [audit.record("sys_test") for _ in range(10)])
               for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    count, broken = verify_chain(api.services.database)
    assert broken is None and count == 60


def test_standard_library_records_are_json_lines_with_the_request_id(
        log_stream: io.StringIO) -> None:
    """gRPC, Werkzeug and gunicorn log through the standard library, not structlog: their
    lines get the same JSON shape and the request id bound for the current request."""
    import logging

    import structlog

    structlog.contextvars.bind_contextvars(request_id="req-0123456789abcdef")
    try:
        logging.getLogger("grpc._server").error("Exception calling application: %s", "boom")
        logging.getLogger("werkzeug").warning('127.0.0.1 - "GET / HTTP/1.1" 404 -')
        try:
            raise RuntimeError("worker failed\nsecond line")
        except RuntimeError:
            logging.getLogger("gunicorn.error").exception("Exception in worker process")
    finally:
        structlog.contextvars.clear_contextvars()
    records = lines(log_stream)  # json.loads of every physical line
    assert [r["logger"] for r in records] == ["grpc._server", "werkzeug", "gunicorn.error"]
    assert all(r["request_id"] == "req-0123456789abcdef" for r in records)
    assert records[0]["event"] == "Exception calling application: boom"
    assert records[0]["level"] == "error" and records[1]["level"] == "warning"
    assert "RuntimeError: worker failed" in str(records[2]["exception"])
