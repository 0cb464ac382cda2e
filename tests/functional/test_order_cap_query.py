"""The pending-units cap reads one user's pending orders, not every pending order in the shop.

It runs twice per order placed. Without ``ix_ordering_orders_user_status`` SQLite drives the
query from the status index and walks every user's pending orders, so each order costs more
the more pending orders the whole shop holds.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text

from app.ordering.holdings import HELD
from app.platform.db import db


def test_the_cap_reads_only_the_users_pending_orders(app: Flask) -> None:
    with app.app_context():
        engine = db.engines["ordering"]
        if engine.dialect.name != "sqlite":
            return  # the plan below is SQLite's; PostgreSQL plans from its statistics
        sql = str(HELD.params(user_index="u").compile(
            engine, compile_kwargs={"literal_binds": True}))
        with engine.connect() as connection:
            plan = " | ".join(row[-1] for row in connection.execute(
                text(f"EXPLAIN QUERY PLAN {sql}")))
    assert "ix_ordering_orders_user_status (user_index=? AND status=?)" in plan, plan
