"""Encrypted backups of every database the shop uses, and their restore.

``create``: each distinct database (the binds that share a URL are one database) is dumped
into a private temporary directory, SQLite through its online backup API (a consistent copy
while the shop keeps writing), PostgreSQL through ``pg_dump --format=custom``; the dumps and
a manifest go through ``tarfile`` in stream mode into a ``SealingWriter`` (AES-256-GCM,
chunked, the backup key ring's primary key id in the header). Nothing is held in memory
beyond one chunk.

``restore``: the whole file is decrypted and authenticated into a private temporary directory
first; a wrong key, a tampered or a truncated file stops there and nothing has changed. Only
then is each database restored, and only into an empty one (no tables): SQLite through the
backup API, PostgreSQL through ``pg_restore --single-transaction``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess  # nosec B404
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import URL, Engine

from app.platform.crypto import KeyRing
from app.platform.db import current
from app.platform.sealed_stream import OpeningReader, SealedStreamError, SealingWriter, open_chunks

MANIFEST = "manifest.json"
_MEMBER = re.compile(r"^db\d{1,2}\.(sqlite3|pgdump)$")


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why, for the operator."""


@dataclass(frozen=True)
class Database:
    """One physical database and the binds (``default`` for the platform's) that use it."""

    binds: tuple[str, ...]
    engine: Engine

    @property
    def dialect(self) -> str:
        return str(self.engine.dialect.name)

    @property
    def url(self) -> URL:
        return self.engine.url


def databases() -> list[Database]:
    """The current app's databases, each with the binds it holds."""
    engines = current()
    groups: dict[str, list[str | None]] = {}
    for bind in engines.binds():
        url = engines.engine(bind).url.render_as_string(hide_password=False)
        groups.setdefault(url, []).append(bind)
    return [Database(tuple(b or "default" for b in binds), engines.engine(binds[0]))
            for binds in groups.values()]


@contextmanager
def _private_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="shop-backup-"))  # mode 0700
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# -- create ---------------------------------------------------------------------------------

def create(path: Path, ring: KeyRing) -> dict[str, Any]:
    """Write one encrypted backup of every database to ``path``; returns the manifest."""
    dbs = databases()
    with _private_dir() as work:
        manifest: dict[str, Any] = {"created_at": datetime.now(UTC).isoformat(),
                                    "databases": []}
        for number, database in enumerate(dbs):
            suffix = "sqlite3" if database.dialect == "sqlite" else "pgdump"
            member = f"db{number}.{suffix}"
            _dump(database, work / member)
            manifest["databases"].append({"binds": list(database.binds), "member": member,
                                          "dialect": database.dialect})
        (work / MANIFEST).write_text(json.dumps(manifest))
        partial = path.with_name(path.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            writer = SealingWriter(out, ring)
            with tarfile.open(fileobj=writer, mode="w|") as archive:  # type: ignore[call-overload]
                archive.add(work / MANIFEST, arcname=MANIFEST)
                for entry in manifest["databases"]:
                    archive.add(work / entry["member"], arcname=entry["member"])
            writer.close()
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)  # a crash never leaves a half-written file under the real name
    return manifest


def _dump(database: Database, target: Path) -> None:
    if database.dialect == "sqlite":
        source = sqlite3.connect(_sqlite_path(database.url))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    elif database.dialect == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
              f"--file={target}", *_pg_args(database.url)], database.url, "pg_dump")
    else:
        raise BackupError(f"cannot back up a {database.dialect} database")


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return url.database


def _pg_args(url: URL) -> list[str]:
    args = [f"--dbname={url.database}"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    return args


def _run(command: list[str], url: URL, tool: str) -> None:
    # The password goes through the environment, never the command line (visible in ps).
    env = {**os.environ, "PGPASSWORD": url.password or ""} if url.password else None
    try:
        # The command is a fixed tool with arguments from our own configuration, no shell.
        done = subprocess.run(command, env=env, capture_output=True,  # noqa: S603  # nosec B603
                              text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{tool} is not installed (PostgreSQL client tools)") from None
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()[:500]}")


# -- restore --------------------------------------------------------------------------------

def restore(path: Path, ring: KeyRing) -> dict[str, Any]:
    """Verify the whole file, then restore every database into its (empty) place."""
    dbs = databases()
    with _private_dir() as work:
        manifest = _unseal(path, ring, work)
        plan = _plan(manifest, dbs)
        for database, _member in plan:
            _refuse_unless_empty(database)
        for database, member in plan:
            _load(database, work / member)
    return manifest


def _unseal(path: Path, ring: KeyRing, work: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as source:
            reader = OpeningReader(open_chunks(source, ring))
            with tarfile.open(fileobj=reader, mode="r|") as archive:  # type: ignore[call-overload]
                for member in archive:
                    if not member.isfile() or not (member.name == MANIFEST
                                                   or _MEMBER.match(member.name)):
                        raise BackupError(f"unexpected entry {member.name!r} in the backup")
                    archive.extract(member, work, filter="data")
            reader.drain()  # authenticate up to the final chunk, whatever tar left unread
    except FileNotFoundError:
        raise BackupError(f"no such file: {path}") from None
    except SealedStreamError as error:
        raise BackupError(str(error)) from None
    except tarfile.TarError:
        raise BackupError("The backup's content is damaged.") from None
    try:
        return dict(json.loads((work / MANIFEST).read_text()))
    except (OSError, ValueError):
        raise BackupError("The backup has no readable manifest.") from None


def _plan(manifest: dict[str, Any], dbs: list[Database]) -> list[tuple[Database, str]]:
    saved = {tuple(entry["binds"]): entry for entry in manifest.get("databases", [])}
    plan = []
    for database in dbs:
        entry = saved.get(database.binds)
        if entry is None:
            raise BackupError(f"the backup has no database for {', '.join(database.binds)} "
                              "(it was made with another database layout)")
        if entry["dialect"] != database.dialect:
            raise BackupError(f"the backup of {', '.join(database.binds)} is {entry['dialect']}"
                              f", the configured database is {database.dialect}")
        plan.append((database, str(entry["member"])))
    return plan


def _refuse_unless_empty(database: Database) -> None:
    database.engine.dispose()
    tables = inspect(database.engine).get_table_names()
    database.engine.dispose()
    if tables:
        raise BackupError(f"the database of {', '.join(database.binds)} is not empty "
                          f"({len(tables)} tables): restore only into an empty database")


def _load(database: Database, dump: Path) -> None:
    database.engine.dispose()
    if database.dialect == "sqlite":
        source = sqlite3.connect(dump)
        target = sqlite3.connect(_sqlite_path(database.url))
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        _run(["pg_restore", "--single-transaction", "--exit-on-error", "--no-owner",
              "--no-privileges", *_pg_args(database.url), str(dump)], database.url,
             "pg_restore")
    database.engine.dispose()
