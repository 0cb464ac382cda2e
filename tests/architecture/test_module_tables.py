"""Each module owns its data: tables carry the module's prefix, live on its bind, and no
foreign key points into another module's tables."""

from __future__ import annotations

from flask import Flask

from app.platform.db import MODULE_BINDS, db


def test_tables_are_prefixed_and_foreign_keys_stay_inside_their_module(app: Flask) -> None:
    with app.app_context():
        metadatas = {bind: db.metadatas[bind] for bind in MODULE_BINDS if bind in db.metadatas}
    assert {"catalog", "ordering"} <= set(metadatas)
    for bind, metadata in metadatas.items():
        for table in metadata.tables.values():
            assert table.name.startswith(f"{bind}_"), f"{table.name} is not on bind {bind}"
            for key in table.foreign_keys:
                target = key.target_fullname.split(".")[0]
                assert target.startswith(f"{bind}_"), f"{table.name} -> {target} crosses modules"
