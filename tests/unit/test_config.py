"""The production profile refuses unsafe configuration, with a clear message and exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import ConfigError, Settings

ROOT = Path(__file__).resolve().parents[2]
STRONG = "s" * 48


def production_env(tmp_path: Path, **changes: str) -> dict[str, str]:
    keys = tmp_path / "keys"
    keys.mkdir(exist_ok=True)
    env = {"SHOP_PROFILE": "production", "SECRET_KEY": STRONG, "JWT_KEYS_DIR": str(keys),
           "DATABASE_URL": "postgresql+psycopg://shop@db/shop",
           "RATELIMIT_STORAGE_URI": "redis://redis:6379/0",
           "SHOP_INSTANCE_PATH": str(tmp_path)}
    env.update(changes)
    return {k: v for k, v in env.items() if v != "<unset>"}


def test_a_complete_production_configuration_is_accepted(tmp_path: Path) -> None:
    assert Settings.from_env(production_env(tmp_path)).is_production


@pytest.mark.parametrize("changes,needle", [
    ({"SECRET_KEY": "<unset>"}, "SECRET_KEY"),
    ({"SECRET_KEY": "changeme"}, "SECRET_KEY"),
    ({"SECRET_KEY": "dev-insecure-" + "x" * 40}, "SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"SHOP_DEBUG": "true"}, "SHOP_DEBUG"),
    ({"DATABASE_URL": "<unset>"}, "DATABASE_URL"),
    ({"JWT_KEYS_DIR": "<unset>"}, "JWT_KEYS_DIR"),
    ({"JWT_KEYS_DIR": "/nonexistent/keys"}, "JWT_KEYS_DIR"),
    ({"PASSWORD_HASH_ITERATIONS": "1000"}, "PASSWORD_HASH_ITERATIONS"),
    ({"RATELIMIT_STORAGE_URI": "<unset>"}, "RATELIMIT_STORAGE_URI"),
    ({"RATELIMIT_ENABLED": "false"}, "RATELIMIT_ENABLED"),
])
def test_production_refuses(tmp_path: Path, changes: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        Settings.from_env(production_env(tmp_path, **changes))


def test_secret_from_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(STRONG + "\n")
    env = production_env(tmp_path, SECRET_KEY="<unset>", SECRET_KEY_FILE=str(secret_file))
    assert Settings.from_env(env).secret_key == STRONG
    with pytest.raises(ConfigError, match="SECRET_KEY_FILE"):
        Settings.from_env(production_env(tmp_path, SECRET_KEY="<unset>",
                                         SECRET_KEY_FILE=str(tmp_path / "missing")))


def test_unknown_profile_and_excessive_leeway(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env({"SHOP_PROFILE": "staging"})
    with pytest.raises(ConfigError):
        Settings.from_env({"JWT_LEEWAY": "120", "SHOP_INSTANCE_PATH": str(tmp_path)})


def test_production_process_exits_nonzero_with_a_clear_message(tmp_path: Path) -> None:
    env = {**os.environ, **production_env(tmp_path, SECRET_KEY="<unset>")}
    env.pop("SECRET_KEY", None)
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "refusing to start in production" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_an_empty_key_directory(tmp_path: Path) -> None:
    env = {**os.environ, **production_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/x.db")}
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "JWT key set" in result.stderr


def test_alert_webhook_must_be_http(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ALERT_WEBHOOK_URL"):
        Settings.from_env({"SHOP_INSTANCE_PATH": str(tmp_path),
                           "ALERT_WEBHOOK_URL": "file:///etc/passwd"})


def test_urls_with_passwords_may_come_from_files(tmp_path: Path) -> None:
    """Kubernetes mounts secrets as files: the database and Redis URLs carry passwords."""
    files = {"DATABASE_URL": "postgresql+psycopg://shop:pw@db/shop",
             "ORDERING_DATABASE_URL": "postgresql+psycopg://orders:pw@db/orders",
             "RATELIMIT_STORAGE_URI": "redis://:pw@redis:6379/0"}
    env = production_env(tmp_path, DATABASE_URL="<unset>", RATELIMIT_STORAGE_URI="<unset>")
    for name, value in files.items():
        (tmp_path / name).write_text(value + "\n")
        env[f"{name}_FILE"] = str(tmp_path / name)
    settings = Settings.from_env(env)
    assert settings.database_url == files["DATABASE_URL"]
    assert settings.database_url_for("ordering") == files["ORDERING_DATABASE_URL"]
    assert settings.ratelimit_storage_uri == files["RATELIMIT_STORAGE_URI"]
    assert "storage_uri_file" not in settings.ratelimit_limits
