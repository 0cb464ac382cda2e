"""A dump of every table holds no password, refresh token or access token in plaintext."""

from __future__ import annotations

from sqlalchemy import MetaData, select

from app.platform.db import Database
from tests.support import GOOD_PASSWORD, Api


def dump_database(database: Database) -> str:
    """Every row of every table of every module's database, as one string."""
    rows: list[str] = []
    for bind in database.binds():
        engine = database.engine(bind)
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                rows.extend(repr(tuple(row)) for row in connection.execute(select(table)))
    return "\n".join(rows)


def test_dump_contains_no_credentials(api: Api) -> None:
    user = api.user()
    rotated = api.client.post("/api/token/refresh/", json={"refresh": user["refresh"]}).get_json()
    new_password = "fresh passphrase for dump test"
    api.post("/api/users/me/password/", rotated["access"],
             json={"current_password": GOOD_PASSWORD, "new_password": new_password})
    dump = dump_database(api.services.database)
    assert "alice" in dump  # the dump really holds the rows
    for secret in (GOOD_PASSWORD, new_password, user["refresh"], rotated["refresh"],
                   user["access"], rotated["access"]):
        assert secret not in dump, f"plaintext secret in the database: {secret[:10]}..."
