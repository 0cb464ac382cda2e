"""After a full 2FA flow, no secret is readable in the database dump or in any log line."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import inspect, text

from app.config import Settings
from app.platform import logging as shop_logging
from app.platform.clock import FrozenClock
from app.platform.db import db
from tests.conftest import dispose, make_app
from tests.support import GOOD_PASSWORD, Api, setup_2fa


def full_flow(api: Api, clock: FrozenClock) -> list[str]:
    """Run every 2FA step; returns every secret value the flow handled."""
    user = api.user()
    secret = setup_2fa(api, user["access"]).get_json()["secret"]
    enabled = api.post("/api/users/2fa/verify-setup/", user["access"],
                       json={"code": pyotp.TOTP(secret).at(int(clock.time()))}).get_json()
    codes = enabled["backup_codes"]
    clock.advance(30)
    ticket = api.login().get_json()["login_ticket"]
    pair = api.post("/api/users/2fa/verify-login/", json={
        "login_ticket": ticket, "code": pyotp.TOTP(secret).at(int(clock.time()))}).get_json()
    ticket2 = api.login().get_json()["login_ticket"]
    pair2 = api.post("/api/users/2fa/verify-login/",
                     json={"login_ticket": ticket2, "code": codes[0]}).get_json()
    clock.advance(30)
    fresh = api.post("/api/users/2fa/backup-codes/", pair["access"], json={
        "password": GOOD_PASSWORD, "code": pyotp.TOTP(secret).at(int(clock.time()))}).get_json()
    ticket3 = api.login().get_json()["login_ticket"]  # left unused in the table
    api.post("/api/users/2fa/verify-login/", json={"login_ticket": ticket3, "code": "000000"})
    values = [secret, secret.lower(), ticket, ticket2, ticket3, GOOD_PASSWORD,
              pair["refresh"], pair2["refresh"]]
    for code in codes + fresh["backup_codes"]:
        compact = code.replace("-", "")
        values += [code, compact, compact[4:]]
    return values


@pytest.fixture
def scanned(settings: Settings, clock: FrozenClock) -> Iterator[tuple[Api, Path, io.StringIO]]:
    app = make_app(settings.with_(log_level="DEBUG"), clock)
    logs = io.StringIO()
    shop_logging.configure("DEBUG", stream=logs)  # every log line of the flow, nothing else
    yield Api(app.test_client(), app.extensions["shop.services"]), settings.instance_path, logs
    shop_logging.configure(settings.log_level)
    dispose(app)


def database_dump(api: Api) -> tuple[str, bytes]:
    """Every row of every table as text, and the raw bytes behind it where reachable:
    the SQLite files, or ``pg_dump`` output on PostgreSQL."""
    rows, raw = [], b""
    with api.client.application.app_context():
        engines = {str(engine.url): engine for engine in db.engines.values()}
        for engine in engines.values():
            with engine.connect() as connection:
                for table in inspect(engine).get_table_names():
                    rows.append(f"-- {table}")
                    result = connection.execute(text(f'SELECT * FROM "{table}"'))
                    rows += [repr(tuple(row)) for row in result]
            if engine.dialect.name == "sqlite" and engine.url.database:
                files = Path(engine.url.database).parent.glob(Path(engine.url.database).name + "*")
                raw += b"".join(p.read_bytes() for p in files)
            elif shutil.which("pg_dump"):
                plain_url = engine.url.set(drivername="postgresql").render_as_string(False)
                raw += subprocess.run(["pg_dump", "--data-only", plain_url], check=True,
                                      capture_output=True, timeout=60).stdout
    return "\n".join(rows), raw


def test_database_dump_has_no_totp_secret_backup_code_ticket_or_password(
        scanned: tuple[Api, Path, io.StringIO], clock: FrozenClock) -> None:
    """Attack: a stolen database dump (or the raw files) yields no usable secret."""
    api, _, _ = scanned
    values = full_flow(api, clock)
    dump, raw = database_dump(api)
    assert "-- identity_two_factor" in dump and "-- identity_backup_codes" in dump
    assert raw, "the raw database could be read"
    for value in values:
        assert value not in dump, f"plaintext secret in the dump: {value[:6]}..."
        assert value.encode() not in raw, f"plaintext secret in the raw data: {value[:6]}..."


def test_no_secret_or_password_in_any_log_line(scanned: tuple[Api, Path, io.StringIO],
                                               clock: FrozenClock) -> None:
    api, _, logs = scanned
    values = full_flow(api, clock)
    lines = logs.getvalue().splitlines()
    assert any('"audit_event": "authn_mfa_success"' in line for line in lines), "logs captured"
    for value in values:
        leaking = [line for line in lines if value in line]
        assert not leaking, f"{value[:6]}... logged: {leaking[0][:200]}"
