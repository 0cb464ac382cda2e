"""The shipped server setups, production profile: Granian (what bin/start serves) and gunicorn
(deploy/gunicorn.conf.py, kept as the alternative), each as a real server process.

Attacks: a loopback client sends ``X-Forwarded-Proto: https`` (or ``X-Forwarded-Ssl: on``,
``X-Forwarded-Protocol: ssl``) over plain HTTP so that the API takes it for HTTPS; and a
client sends its own ``Host`` so that the shop redirects to ``https://evil.example/...``.
With ``TRUSTED_PROXY_HOPS=0`` no forwarded header may change the scheme, and only the
``SHOP_HOSTS`` names are answered.
"""

from __future__ import annotations

import http.client
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.identity.signing import SigningKeyStore
from app.platform.clock import SystemClock
from app.platform.crypto import format_keys, new_key
from tests.processes import FIELD_KEY_PURPOSES, free_port, wait_http_ready

pytestmark = [pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "shop.example"


def production_env(tmp_path: Path, signing_pem: bytes, redis_url: str) -> dict[str, str]:
    keys = tmp_path / "jwt-keys"
    keys.mkdir(mode=0o700)
    SigningKeyStore(keys, SystemClock(), retire_grace=930).rotate(signing_pem)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOP_", "RATELIMIT_"))}
    env.update({
        "SHOP_PROFILE": "production", "SHOP_INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": secrets.token_urlsafe(32), "JWT_KEYS_DIR": str(keys),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.sqlite3'}",
        "RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": "t-" + uuid.uuid4().hex,
        "SHOP_HOSTS": HOST, "TRUSTED_PROXY_HOPS": "0", "LOG_LEVEL": "WARNING",
        "HOST": "127.0.0.1", "PORT": str(free_port()), "WEB_CONCURRENCY": "1",
        "MODULE_TRANSPORT": "inprocess", "FORWARDED_ALLOW_IPS": "*",
    })
    for purpose in FIELD_KEY_PURPOSES:
        env[f"FIELD_KEYS_{purpose.upper()}"] = format_keys([new_key()])
    return env


SERVERS = {
    "granian": [str(BIN / "python"), "deploy/granian_serve.py", "asgi", "asgi:app"],
    "gunicorn": [str(BIN / "gunicorn"), "--config", "deploy/gunicorn.conf.py", "wsgi:app"],
}


@pytest.fixture(params=sorted(SERVERS))
def server(request: pytest.FixtureRequest, tmp_path: Path, signing_pem: bytes) -> Iterator[int]:
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL is not set: the production profile needs Redis for limits")
    env = production_env(tmp_path, signing_pem, redis_url)
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", "schema", "upgrade"], cwd=ROOT,
                   env=env, check=True, capture_output=True, timeout=120)
    process = subprocess.Popen(SERVERS[request.param], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = int(env["PORT"])
    try:
        wait_http_ready(port, process, headers={"Host": HOST})
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def get(port: int, path: str, headers: dict[str, str] | None = None
        ) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": HOST, **(headers or {})})
        response = conn.getresponse()
        # Header names as the HTTP spec has them: case-insensitive (Granian sends lowercase).
        return (response.status, {k.title(): v for k, v in response.getheaders()},
                response.read())
    finally:
        conn.close()


SPOOFED_SCHEMES = [{"X-Forwarded-Proto": "https"}, {"X-Forwarded-Ssl": "on"},
                   {"X-Forwarded-Protocol": "ssl"},
                   {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on",
                    "X-Forwarded-Protocol": "ssl", "Forwarded": "proto=https"}]


def test_forwarded_scheme_headers_do_not_make_plain_http_secure(server: int) -> None:
    for spoofed in SPOOFED_SCHEMES:
        status, headers, body = get(server, "/api/products/", spoofed)
        assert status == 403, (spoofed, status, body)  # the API refuses plain HTTP
        assert headers["Content-Type"] == "application/problem+json"
        status, headers, _ = get(server, "/account", spoofed)
        assert status == 301, spoofed  # pages redirect to HTTPS
        assert headers["Location"] == f"https://{HOST}/account"


def test_a_host_outside_shop_hosts_is_400(server: int) -> None:
    for path in ("/api/products/", "/account", "/api/token/"):
        status, headers, _ = get(server, path, {"Host": "evil.example"})
        assert status == 400, path
        assert "Location" not in headers
        assert headers["Content-Type"] == "application/problem+json"
    status, headers, _ = get(server, "/account", {"Host": "evil.example",
                                                  "X-Forwarded-Host": HOST})
    assert status == 400 and "Location" not in headers
    assert get(server, "/healthz", {"Host": f"{HOST}:8443"})[0] == 200
