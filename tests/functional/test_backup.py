"""Encrypted backups: the restore drill (create, wipe, restore, log in, see the orders, verify
the audit chain) on SQLite and PostgreSQL, and restores that must refuse and change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from app.config import Settings
from app.platform.clock import FrozenClock
from app.platform.crypto import format_keys, new_key
from app.platform.db import db
from tests.conftest import dispose, make_app
from tests.security.test_database_dump import dump_database
from tests.shop_helpers import add_product, order
from tests.support import GOOD_PASSWORD, Api


def cli(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def shop_with_orders(app: Flask) -> tuple[Api, dict[str, str], list[str]]:
    api = Api(app.test_client(), app.extensions["shop.services"])
    alice = api.user("alice")
    product = add_product(app, api.services, "BACKUP-1", stock=9)
    placed = [order(api, alice["access"], (product, n)).get_json()["id"] for n in (1, 2)]
    return api, alice, placed


def wipe(app: Flask) -> None:
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                engine.dispose()
                for suffix in ("", "-wal", "-shm"):
                    Path(str(engine.url.database) + suffix).unlink(missing_ok=True)
            else:
                with engine.begin() as connection:
                    connection.execute(text("DROP SCHEMA public CASCADE"))
                    connection.execute(text("CREATE SCHEMA public"))
                engine.dispose()


def restore_drill(app: Flask, tmp_path: Path) -> None:
    api, alice, placed = shop_with_orders(app)
    file = tmp_path / "shop.backup"
    code, output = cli(app, "backup", "create", str(file))
    assert code == 0, output
    raw = file.read_bytes()
    assert raw.startswith(b"SHOPBAK1") and b"alice" not in raw and b"BACKUP-1" not in raw
    wipe(app)
    assert api.login().status_code != 200  # the data is really gone
    code, output = cli(app, "backup", "restore", str(file))
    assert code == 0, output
    tokens = api.login().get_json()
    assert "access" in tokens, tokens
    mine = api.get("/api/orders/", tokens["access"]).get_json()
    assert sorted(o["id"] for o in mine["results"]) == sorted(placed)
    code, output = cli(app, "audit", "verify")
    assert code == 0 and "intact" in output, output
    assert api.get("/api/orders/", alice["access"]).status_code == 200  # old tokens still fine


def test_restore_drill_sqlite(app: Flask, tmp_path: Path) -> None:
    restore_drill(app, tmp_path)


@pytest.fixture
def pg_app(pg_settings: Settings, clock: FrozenClock) -> Iterator[Flask]:
    app = make_app(pg_settings, clock)
    yield app
    dispose(app)


def test_restore_drill_postgresql(pg_app: Flask, tmp_path: Path) -> None:
    restore_drill(pg_app, tmp_path)


@pytest.fixture
def backed_up(app: Flask, tmp_path: Path) -> Path:
    shop_with_orders(app)
    file = tmp_path / "shop.backup"
    assert cli(app, "backup", "create", str(file))[0] == 0
    return file


def test_restore_refuses_a_database_that_is_not_empty(app: Flask, backed_up: Path) -> None:
    with app.app_context():
        before = dump_database(app.extensions["shop.services"].database)
    code, output = cli(app, "backup", "restore", str(backed_up))
    assert code != 0 and "not empty" in output and "Nothing was changed" in output
    with app.app_context():
        assert dump_database(app.extensions["shop.services"].database) == before


@pytest.mark.parametrize("damage, message", [
    (lambda raw: raw[:len(raw) // 2], "truncated"),
    (lambda raw: raw[:-300] + bytes([raw[-300] ^ 0x40]) + raw[-299:], "tampered"),
    (lambda raw: b"not a backup at all", "not a shop backup"),
], ids=["truncated", "tampered", "foreign"])
def test_attack_damaged_backup_is_refused_and_changes_nothing(
        app: Flask, backed_up: Path, damage: object, message: str) -> None:
    backed_up.write_bytes(damage(backed_up.read_bytes()))  # type: ignore[operator]
    wipe(app)
    code, output = cli(app, "backup", "restore", str(backed_up))
    assert code != 0 and message in output and "Nothing was changed" in output, output
    with app.app_context():
        # Still empty: not one table came back.
        assert dump_database(app.extensions["shop.services"].database) == ""


def test_wrong_key_is_refused_with_a_clear_error(app: Flask, settings: Settings,
                                                 backed_up: Path) -> None:
    (settings.instance_path / "field-keys" / "backup").write_text(format_keys([new_key()]))
    wipe(app)
    code, output = cli(app, "backup", "restore", str(backed_up))
    assert code != 0 and "wrong key" in output, output


def test_users_lock_blocks_login_until_unlock(app: Flask) -> None:
    api = Api(app.test_client(), app.extensions["shop.services"])
    alice = api.user("alice")
    code, output = cli(app, "users", "lock", "alice")
    assert code == 0, output
    assert api.login().status_code == 401
    assert api.get("/api/users/me/", alice["access"]).status_code == 401  # sessions ended
    assert cli(app, "users", "unlock", "alice")[0] == 0
    assert api.login("alice", GOOD_PASSWORD).status_code == 200
