"""Schema migrations, one Alembic history per module.

Each module owns ``migrations/<module>/`` with its own version table
(``alembic_version_<module>``), so modules evolve their schemas independently and may live in
separate databases. The histories and their binds come from the module registry through
``migration_commands.init_app``. ``upgrade_all`` applies every history of the current app;
``check_all`` reports any difference between the models and the migrated schema.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from alembic import context
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import current_app
from flask_migrate import Migrate, upgrade

from app.platform.db import db
from app.platform.migration_commands import HISTORIES

MIGRATIONS_ROOT = Path(
    os.environ.get("SHOP_MIGRATIONS_DIR", Path(__file__).resolve().parents[2] / "migrations")
)
migrate = Migrate(compare_type=True, render_as_batch=True)


def histories() -> dict[str, str | None]:
    """The current app's migration histories and their binds."""
    return dict(current_app.extensions[HISTORIES])


def bind_of(history: str) -> str | None:
    return histories()[history]


def version_table(history: str) -> str:
    return f"alembic_version_{history}"


def _include_object(metadata_tables: set[str]) -> Any:
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        # Another module's tables may share the database; they are not ours to compare.
        if type_ == "table":
            return name in metadata_tables
        table = getattr(obj, "table", None)
        return table is None or table.name in metadata_tables

    return include


def run_env(history: str) -> None:
    """Body of every ``migrations/<module>/env.py``."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    bind = bind_of(history)
    metadata = db.metadatas[bind]
    options = {
        "target_metadata": metadata,
        "version_table": version_table(history),
        "include_object": _include_object(set(metadata.tables)),
        "compare_type": True,
        "render_as_batch": True,
    }
    if context.is_offline_mode():
        context.configure(url=str(db.engines[bind].url), literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    with db.engines[bind].connect() as connection:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()


def upgrade_all() -> None:
    from app.platform.migration_commands import configure

    configure(current_app)  # the app does not load Flask-Migrate until a command needs it
    for history in histories():
        directory = MIGRATIONS_ROOT / history
        if (directory / "versions").is_dir():
            upgrade(directory=str(directory))


def check_all() -> dict[str, list[Any]]:
    """Differences between models and the migrated schema, per history (empty when in sync)."""
    differences: dict[str, list[Any]] = {}
    for history, bind in histories().items():
        metadata = db.metadatas.get(bind)
        if metadata is None:
            continue
        with db.engines[bind].connect() as connection:
            ctx = MigrationContext.configure(connection, opts={
                "include_object": _include_object(set(metadata.tables)),
                "compare_type": True,
            })
            diff = compare_metadata(ctx, metadata)
        if diff:
            differences[history] = diff
    return differences
