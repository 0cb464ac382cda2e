"""Rules checked by tools: import contracts, table ownership, migrations in sync with models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from flask import Flask

from app.platform.db import db
from app.platform.migrations import check_all, upgrade_all
from app.registry import REGISTRY
from tests.conftest import fresh_app

ROOT = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_table_belongs_to_one_module_and_no_foreign_key_crosses(app: Flask) -> None:
    owners: dict[str, str] = {}
    for bind, metadata in db.metadatas.items():
        prefix = bind or "platform"
        assert bind is None or bind in REGISTRY.binds
        for table in metadata.tables.values():
            assert table.name.startswith(prefix + "_"), (table.name, prefix)
            assert table.name not in owners
            owners[table.name] = prefix
    for metadata in db.metadatas.values():
        for table in metadata.tables.values():
            for fk in table.foreign_keys:
                target = fk.column.table.name
                assert owners[target] == owners[table.name], f"{table.name} -> {target}"


def test_migrations_build_the_schema_the_models_describe(tmp_path: Path, settings,  # type: ignore[no-untyped-def]
                                                         clock) -> None:
    migrated = settings.with_(database_url=f"sqlite:///{tmp_path / 'migrated.db'}")
    with fresh_app(migrated, clock):
        upgrade_all()
        assert check_all() == {}
        tables = {t for m in db.metadatas.values() for t in m.tables}
        from sqlalchemy import inspect

        present = set(inspect(db.engines[None]).get_table_names())
        assert tables <= present


def test_migrations_on_postgresql(pg_settings, clock) -> None:  # type: ignore[no-untyped-def]
    with fresh_app(pg_settings, clock):
        upgrade_all()
        assert check_all() == {}
