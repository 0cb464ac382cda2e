"""A server worker does not load what only operators' commands or admin pages use.

Every worker builds the app (``wsgi.py``), and the 150 MB budget per worker is measured by
``make bench``: Alembic and Flask-Migrate (about 11 MB, for ``flask db`` and ``schema``) and
pygal (for the security dashboard's chart) are loaded when first used, not at start.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFERRED = ("alembic", "flask_migrate", "pygal")


def _env(instance: Path) -> dict[str, str]:
    return {**os.environ, "SHOP_INSTANCE_PATH": str(instance), "SHOP_PROFILE": "development",
            "LOG_LEVEL": "WARNING"}


def test_building_the_app_loads_no_migration_or_chart_library(tmp_path: Path) -> None:
    probe = f"import sys, wsgi; print(','.join(m for m in {DEFERRED!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=_env(tmp_path),
                            capture_output=True, text=True, check=True, timeout=120)
    assert loaded.stdout.strip() == ""


def test_flask_db_still_runs_flask_migrate(tmp_path: Path) -> None:
    flask = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi"]
    subprocess.run([*flask, "schema", "upgrade"], cwd=ROOT, env=_env(tmp_path), check=True,
                   capture_output=True, timeout=120)
    current = subprocess.run([*flask, "db", "current", "-d", "migrations/ordering"], cwd=ROOT,
                             env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout
