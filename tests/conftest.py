"""Shared fixtures: an app per test on its own SQLite file (or PostgreSQL), a controlled clock.

The signing key is RSA-4096 as in production, generated once per test session and copied
into each test's key directory. The test profile lowers PBKDF2 iterations so the suite stays
fast; ``tests/unit/test_passwords.py`` proves the production parameters.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.bootstrap import Overrides, Services
from app.config import Settings
from app.identity.signing import SigningKeyStore, generate_private_pem
from app.platform.clock import FrozenClock
from app.platform.db import current, db
from tests.support import Api

TEST_ITERATIONS = 1_000
# Tests log in many times; they get roomy limits. A test that checks the real named limits
# builds its app with ``ratelimit_limits={}`` (see tests/functional/test_rate_limits.py).
GENEROUS_LIMITS = {name: "10000 per minute" for name in (
    "login_ip", "login_user", "password_user", "twofa_user", "twofa_ip", "register_ip",
    "refresh_ip", "default")}


@pytest.fixture(scope="session")
def signing_pem() -> bytes:
    return generate_private_pem()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=("sqlite", "postgres"), default="sqlite",
                     help="database for the app fixture (postgres needs TEST_POSTGRES_URL)")


@pytest.fixture(scope="session")
def postgres_url() -> str | None:
    return os.environ.get("TEST_POSTGRES_URL") or None


@pytest.fixture(scope="session")
def session_database(request: pytest.FixtureRequest,
                     postgres_url: str | None) -> Iterator[str | None]:
    """With ``--db postgres``: one scratch PostgreSQL database for the whole run."""
    if request.config.getoption("--db") != "postgres":
        yield None
        return
    if not postgres_url:
        pytest.exit("--db postgres needs TEST_POSTGRES_URL", returncode=2)
    with scratch_database(postgres_url) as url:
        yield url


@contextmanager
def scratch_database(postgres_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = "shop_" + uuid.uuid4().hex[:12]
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    import time

    return FrozenClock(time.time())


@pytest.fixture
def settings(tmp_path: Path, signing_pem: bytes, clock: FrozenClock,
             session_database: str | None) -> Settings:
    keys_dir = tmp_path / "jwt-keys"
    keys_dir.mkdir(mode=0o700)
    SigningKeyStore(keys_dir, clock, retire_grace=930).rotate(signing_pem)
    return Settings(
        profile="test",
        instance_path=tmp_path,
        secret_key="test-secret-" + uuid.uuid4().hex,
        database_url=session_database or f"sqlite:///{tmp_path / 'shop.sqlite3'}",
        jwt_keys_dir=keys_dir,
        password_hash_iterations=TEST_ITERATIONS,
        revocation_poll_seconds=0.0,
        log_level="WARNING",
        ratelimit_limits=GENEROUS_LIMITS,
    )


def make_app(settings: Settings, clock: FrozenClock,
             overrides: Overrides | None = None) -> Flask:
    app = create_app(settings, clock=clock, overrides=overrides)
    with app.app_context():
        if not settings.default_database_url.startswith("sqlite"):
            db.drop_all()  # a shared PostgreSQL database: start every test empty
        db.create_all()
    return app


def dispose(app: Flask) -> None:
    with app.app_context():
        current().dispose()


@contextmanager
def fresh_app(settings: Settings, clock: FrozenClock) -> Iterator[Flask]:
    """An app on an empty database (no tables), its connections closed afterwards."""
    from app import create_app

    app = create_app(settings, clock=clock)
    try:
        with app.app_context():
            yield app
    finally:
        dispose(app)


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Iterator[Flask]:
    app = make_app(settings, clock)
    yield app
    dispose(app)


@pytest.fixture
def services(app: Flask) -> Services:
    return app.extensions["shop.services"]  # type: ignore[no-any-return]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api(client: FlaskClient, services: Services) -> Api:
    return Api(client, services)


@pytest.fixture
def pg_settings(settings: Settings, postgres_url: str | None) -> Iterator[Settings]:
    """Settings pointing at a fresh PostgreSQL database of its own."""
    if not postgres_url:
        pytest.skip("TEST_POSTGRES_URL is not set: PostgreSQL tests need a server")
    with scratch_database(postgres_url) as url:
        yield settings.with_(database_url=url)


@pytest.fixture
def copy_keys(tmp_path: Path):  # type: ignore[no-untyped-def]
    def _copy(src: Path) -> Path:
        dst = tmp_path / f"keys-{uuid.uuid4().hex[:6]}"
        shutil.copytree(src, dst)
        return dst

    return _copy
