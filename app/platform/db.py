"""Database setup: one SQLAlchemy bind per module, SQLite tuned for concurrent writers.

Each module keeps its tables on its own bind (``__bind_key__``), so production can give every
module its own database with nothing but configuration. The platform's own tables (the audit
trail) use the default bind. The binds come from the module registry; each app has its own
engines (``Database``), so two apps in one process never share one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, current_app, has_app_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session

_EXTENSION = "shop.database"


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


def init_app(app: Flask, urls: dict[str | None, str]) -> Database:
    """Configure one engine per bind (``None``: the platform's default) for ``app``; its
    ``Database`` is kept in ``app.extensions`` and handed to the composition root."""
    app.config["SQLALCHEMY_DATABASE_URI"] = urls[None]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(urls[None])
    app.config["SQLALCHEMY_BINDS"] = {
        key: {"url": url, **_engine_options(url)}
        for key, url in urls.items()
        if key is not None
    }
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                _tune_sqlite(engine)
        database = Database(db.engines)
    app.extensions[_EXTENSION] = database
    return database


class Database:
    """The engines of one app, by bind.

    Services run in request threads, gRPC handler threads, background threads, CLI commands
    and test code alike, so they must not depend on a Flask app context: the platform's own
    stores receive their app's ``Database``, and a module's code finds it with ``current()``
    (bound for each call by the in-process boundary). Two apps in one process never share one.
    """

    def __init__(self, engines: Mapping[str | None, Engine]) -> None:
        self._engines = dict(engines)
        # Made once here, not once per read-only transaction.
        self._readonly = {bind: _reader(engine) for bind, engine in self._engines.items()}
        self._local_locks: dict[str, threading.Lock] = {}
        self._local_guard = threading.Lock()

    def engine(self, bind: str | None) -> Engine:
        try:
            return self._engines[bind]
        except KeyError:
            raise RuntimeError(f"no database engine for bind {bind!r}") from None

    def dispose(self) -> None:
        """Close every pooled connection, the readers' too."""
        for engine in {*self._engines.values(), *self._readonly.values()}:
            engine.dispose()

    def binds(self) -> list[str | None]:
        """Every bind this app has an engine for (``None`` is the platform's default)."""
        return list(self._engines)

    def local_lock(self, name: str) -> threading.Lock:
        """A lock named ``name`` for the threads of this process working on this database."""
        with self._local_guard:
            return self._local_locks.setdefault(name, threading.Lock())

    @contextmanager
    def bound(self) -> Iterator[None]:
        """Make this the ``current()`` database of this thread (or task) for the block."""
        marker = _bound.set(self)
        try:
            yield
        finally:
            _bound.reset(marker)

    @contextmanager
    def unit_of_work(self, bind: str | None, *, readonly: bool = False) -> Iterator[Session]:
        """A short transaction on one module's database, committed on success.

        Independent of the request's scoped session, so that a module's work and the audit
        trail commit on their own and a failure in one never rolls back the other.
        ``readonly`` lets SQLite readers run beside a writer instead of queueing behind it;
        use it only for reads that need no snapshot across statements.
        """
        engine = self.engine(bind)
        if readonly:
            with Session(self._readonly[bind], expire_on_commit=False) as session, \
                    session.begin():
                yield session
            return
        with _marked_writing(), Session(engine, expire_on_commit=False) as session, \
                session.begin():
            yield session

    @contextmanager
    def reading(self, bind: str | None) -> Iterator[Connection]:
        """A connection for Core ``select`` reads on one module's database: no ORM session,
        no identity map, no flush, for read paths that map rows to views themselves. Like
        ``unit_of_work(readonly=True)`` it needs no snapshot across statements."""
        self.engine(bind)
        with self._readonly[bind].connect() as connection:
            yield connection

    @contextmanager
    def writing(self, bind: str | None) -> Iterator[Connection]:
        """A short transaction on one module's database for Core statements, committed on
        success: ``unit_of_work`` without the ORM session (no identity map, no flush)."""
        with _marked_writing(), self.engine(bind).begin() as connection:
            yield connection

    def ping(self) -> dict[str | None, str]:
        """``{bind: "ok" | "unavailable (ErrorType)"}`` for every engine (readiness probe)."""
        results: dict[str | None, str] = {}
        for bind, engine in self._engines.items():
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                results[bind] = "ok"
            except Exception as exc:  # any failure means not ready; its type is enough
                results[bind] = f"unavailable ({type(exc).__name__})"
        return results


_bound: ContextVar[Database | None] = ContextVar("shop_database", default=None)


def current() -> Database:
    """The database of the app whose work this is: the one bound for this call (an
    in-process boundary binds its app's), else the one of the active Flask app context."""
    database = _bound.get()
    if database is not None:
        return database
    if has_app_context():
        return current_app.extensions[_EXTENSION]
    raise RuntimeError("no database for this call: call a module through its boundary, "
                       "or inside an app context")


def engine_for(bind: str | None) -> Engine:
    return current().engine(bind)


def unit_of_work(bind: str | None, *, readonly: bool = False) -> AbstractContextManager[Session]:
    """``Database.unit_of_work`` on the ``current()`` database."""
    return current().unit_of_work(bind, readonly=readonly)


def reading(bind: str | None) -> AbstractContextManager[Connection]:
    """``Database.reading`` on the ``current()`` database."""
    return current().reading(bind)


def writing(bind: str | None) -> AbstractContextManager[Connection]:
    """``Database.writing`` on the ``current()`` database."""
    return current().writing(bind)


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}


def _reader(engine: Engine) -> Engine:
    """The engine for ``reading`` and read-only units of work on ``engine``'s database.

    On a SQLite file it is an engine of its own, with the same connection settings but
    without the ``begin`` listener that makes writers take the lock: any engine-level
    listener puts event dispatch on every statement and every connection checkout (about
    17 us per read, measured), and readers need none (they run in autocommit). Elsewhere it
    is ``engine`` itself, marked read-only (the listener, on an in-memory SQLite, checks the
    mark: a second engine would open a second, empty, in-memory database).
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return engine.execution_options(shop_readonly=True)
    url = engine.url.render_as_string(hide_password=False)
    reader = create_engine(url, **_engine_options(url))
    _sqlite_connections(reader)
    return reader


def _tune_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers, and ``BEGIN IMMEDIATE`` so writers queue instead of failing.

    pysqlite opens transactions lazily and as DEFERRED; two transactions that read and then
    write would deadlock and one would get ``database is locked`` at once. Taking the write
    lock at BEGIN makes SQLite behave like a row-locking database for our short transactions.
    """
    _sqlite_connections(engine)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if not connection.get_execution_options().get("shop_readonly", False):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        # Readers run in autocommit: each statement sees the latest committed state (WAL),
        # and never queues behind a writer.


def _sqlite_connections(engine: Engine) -> None:
    """Every new connection: the driver's own transaction handling off (the engine's
    ``begin`` decides), WAL, and waiting for a lock rather than failing at once."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL cannot corrupt the database; a power cut (not a crash) may lose
        # the last commits. SQLite is the development database; production runs PostgreSQL.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


# True while this thread (or task) is inside a write transaction: slow CPU work there (a
# password hash) would hold the database's write lock (SQLite) or row locks for its duration.
_writing: ContextVar[bool] = ContextVar("shop_in_write_transaction", default=False)


def in_write_transaction() -> bool:
    return _writing.get()


@contextmanager
def _marked_writing() -> Iterator[None]:
    marker = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(marker)
