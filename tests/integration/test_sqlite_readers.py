"""SQLite readers: their own engine, never behind the writer's lock, never seeing its
uncommitted rows, and free of the writers' ``begin`` listener (whose event dispatch cost
every read about 17 us)."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask
from sqlalchemy import text

from app.platform.db import Database, current

BIND = "catalog"
SKU = "SELECT count(*) FROM catalog_products WHERE sku = 'READER-1'"
INSERT = text("INSERT INTO catalog_products (id, sku, name, description, category, price, "
              "stock, is_active, created_at, updated_at) VALUES ('r1', 'READER-1', 'Reader', "
              "'', 'tests', 1, 1, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')")


@pytest.fixture
def database(app: Flask) -> Database:
    with app.app_context():
        found = current()
    if not str(found.engine(BIND).url).startswith("sqlite"):
        pytest.skip("SQLite's reader engine; PostgreSQL readers share the writer's engine")
    return found


def test_readers_run_beside_a_writer_holding_the_lock(database: Database) -> None:
    """A writer holds ``BEGIN IMMEDIATE`` with an uncommitted row: a reader answers at once,
    from the last committed state; after the commit it sees the row."""
    inserted, release = threading.Event(), threading.Event()

    def writer() -> None:
        with database.writing(BIND) as connection:
            connection.execute(INSERT)
            inserted.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert inserted.wait(10)
        started = time.monotonic()
        with database.reading(BIND) as connection:
            assert connection.exec_driver_sql(SKU).scalar() == 0
        assert time.monotonic() - started < 1, "the reader waited for the writer's lock"
    finally:
        release.set()
        thread.join(10)
    with database.reading(BIND) as connection:
        assert connection.exec_driver_sql(SKU).scalar() == 1


def test_writers_still_take_the_lock_at_begin(database: Database) -> None:
    """Two writers queue (BEGIN IMMEDIATE), they do not both read and then one fail."""
    with database.writing(BIND) as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
        raw = connection.connection.dbapi_connection
        assert raw is not None and raw.in_transaction


def test_readers_carry_no_begin_listener(database: Database) -> None:
    with database.reading(BIND) as reader, database.writing(BIND) as writer:
        assert len(writer.engine.dispatch.begin) == 1
        assert len(reader.engine.dispatch.begin) == 0
        assert reader.engine.url == writer.engine.url


def test_dispose_closes_the_readers_too(database: Database) -> None:
    with database.reading(BIND) as reader:
        engine = reader.engine
    assert engine.pool.checkedin() >= 1
    database.dispose()
    assert engine.pool.checkedin() == 0
