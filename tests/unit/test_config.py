"""The production profile refuses unsafe configuration, with a clear message and exit code."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import ConfigError, Settings

ROOT = Path(__file__).resolve().parents[2]
STRONG = secrets.token_urlsafe(32)
BIN = Path(sys.executable).parent


def production_env(tmp_path: Path, **changes: str) -> dict[str, str]:
    keys = tmp_path / "keys"
    keys.mkdir(exist_ok=True)
    env = {"SHOP_PROFILE": "production", "SECRET_KEY": STRONG, "JWT_KEYS_DIR": str(keys),
           "DATABASE_URL": "postgresql+psycopg://shop@db/shop",
           "RATELIMIT_STORAGE_URI": "redis://redis:6379/0", "SHOP_HOSTS": "shop.example",
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
    ({"SECRET_KEY": "s" * 48}, "SECRET_KEY"),  # long, but one character repeated
    ({"SECRET_KEY": "abcdefghijklmnopqrstuvwxyz0123456789"}, "SECRET_KEY"),  # a sequence
    ({"SECRET_KEY": "P@ssw0rdP@ssw0rdP@ssw0rdP@ssw0rd!"}, "SECRET_KEY"),  # a word, repeated
    ({"METRICS_TOKEN": "x"}, "METRICS_TOKEN"),
    ({"METRICS_TOKEN": "m" * 40}, "METRICS_TOKEN"),
    ({"SHOP_HOSTS": "<unset>"}, "SHOP_HOSTS"),
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


def test_random_secrets_are_accepted(tmp_path: Path) -> None:
    for _ in range(20):
        env = production_env(tmp_path, SECRET_KEY=secrets.token_hex(16),
                             METRICS_TOKEN=secrets.token_urlsafe(24))
        assert Settings.from_env(env).is_production


def clean_env(tmp_path: Path, **changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "METRICS_TOKEN", "SHOP_HOSTS")}
    return {**env, **production_env(tmp_path, **changes)}


@pytest.mark.parametrize("command", [
    [sys.executable, "-c", "import wsgi"],
    [str(BIN / "flask"), "--app", "wsgi", "schema", "upgrade"],
    [str(BIN / "gunicorn"), "--config", "deploy/gunicorn.conf.py", "wsgi:app"],
], ids=["import", "flask", "gunicorn"])
def test_production_refusal_is_one_line_and_a_nonzero_exit(tmp_path: Path,
                                                           command: list[str]) -> None:
    """A weak secret stops every entry point with one clear line, not a traceback."""
    env = clean_env(tmp_path, SECRET_KEY="a" * 32, METRICS_TOKEN="x")
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "refusing to start in production" in lines[0]
    assert "SECRET_KEY" in lines[0] and "METRICS_TOKEN" in lines[0]


def test_production_refuses_an_empty_key_directory(tmp_path: Path) -> None:
    env = clean_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "JWT key set" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_hand_made_field_key_is_refused() -> None:
    from app.platform.crypto import KeyConfigError, format_keys, new_key, parse_keys

    assert parse_keys(format_keys([new_key()]))
    with pytest.raises(KeyConfigError, match="not random"):
        parse_keys(format_keys([("k1", bytes(32))]))
    with pytest.raises(ConfigError):
        parse_keys(format_keys([("k1", b"0123456789" * 3 + b"ab")]))


def test_alert_webhook_must_be_http(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ALERT_WEBHOOK_URL"):
        Settings.from_env({"SHOP_INSTANCE_PATH": str(tmp_path),
                           "ALERT_WEBHOOK_URL": "file:///etc/passwd"})
