"""``flask db`` (Flask-Migrate) without Alembic in every process.

Flask-Migrate's ``init_app`` imports Alembic (about 11 MB a process), and every server worker
builds the app. Only the operator's commands need it: ``flask db ...`` is registered here as a
group that loads Flask-Migrate, configures it for the app and hands over when it is used;
``app.platform.migrations`` (``schema upgrade``, ``schema check``) configures it the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo

HISTORIES = "shop.migration_histories"


def configure(app: Flask) -> None:
    """Flask-Migrate's configuration on ``app`` (once), as ``Migrate.init_app`` makes it."""
    if "migrate" not in app.extensions:
        from app.platform.db import db
        from app.platform.migrations import migrate

        migrate.init_app(app, db)


class LazyMigrateCommands(click.Group):
    """Flask-Migrate's ``db`` group, imported when a ``flask db`` command is listed or run."""

    def _group(self, ctx: click.Context) -> click.Group:
        from flask_migrate.cli import db as group

        configure(ctx.ensure_object(ScriptInfo).load_app())
        return group

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._group(ctx).list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> Any:
        return self._group(ctx).get_command(ctx, name)


def init_app(app: Flask, histories: Mapping[str, str | None]) -> None:
    """``histories``: folder under the migrations root -> its bind (``None``: the default)."""
    app.extensions[HISTORIES] = dict(histories)
    app.cli.add_command(LazyMigrateCommands("db", help="Flask-Migrate's Alembic commands."))
