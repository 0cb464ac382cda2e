"""The container image, run the way production runs it (`make image-test` builds it first).

One image, two deployments, both on the host's PostgreSQL and Redis with the production
profile and a read-only root filesystem: the whole shop in one container, and the split
deployment (web container plus one container per module host, over mutual TLS with mounted
certificates). In each, the migrations run, /readyz reports ready, an operator creates an
administrator with `flask users create-admin` inside a container, and a shopper registers,
logs in and places an order.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import scratch_database
from tests.image.support import (
    SECRETS,
    Client,
    Container,
    hand_to_shop_user,
    make_secrets,
    make_tls_certificate,
    podman,
    production_env,
    wait_ready,
)
from tests.processes import free_port

IMAGE = os.environ.get("SHOP_IMAGE", "")
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "")
REDIS = os.environ.get("TEST_REDIS_URL", "")
ADMIN_PASSWORD = "operator chooses a long passphrase"
SHOPPER_PASSWORD = "correct horse battery staple"


def _missing() -> str | None:
    if not IMAGE:
        return "SHOP_IMAGE is not set: `make image-test` builds the image and runs these tests"
    if shutil.which("podman") is None:
        return "podman is not installed (Debian: apt-get install podman runc)"
    if not (POSTGRES and REDIS):
        return "the image tests need TEST_POSTGRES_URL and TEST_REDIS_URL"
    return None


if (_reason := _missing()) is not None:
    if os.environ.get("SHOP_IMAGE_TEST_REQUIRED"):
        pytest.fail(f"image tests required but cannot run: {_reason}", pytrace=False)
    pytestmark = pytest.mark.skip(reason=_reason)


@pytest.fixture
def database() -> Iterator[str]:
    with scratch_database(POSTGRES) as url:
        yield url


@pytest.fixture
def shop_secrets(tmp_path: Path) -> Path:
    return make_secrets(tmp_path / "secrets")


@pytest.fixture
def containers() -> Iterator[list[Container]]:
    started: list[Container] = []
    yield started
    for container in started:
        container.remove()


def create_admin(operator: Container, *, inside: bool) -> None:
    command = ["flask", "--app", "wsgi", "users", "create-admin",
               "--username", "ops", "--email", "ops@example.com"]
    result = (operator.exec(*command, stdin=ADMIN_PASSWORD + "\n") if inside
              else operator.run_once(*command, stdin=ADMIN_PASSWORD + "\n"))
    assert "created admin ops" in result.stdout, result


def assert_every_line_is_json(container: Container) -> None:
    """What a log collector reads from the container: one JSON object per line, from the
    start script, the server's main process and workers, the shop and gRPC alike."""
    text = container.logs()
    for line in filter(None, text.splitlines()):
        try:
            json.loads(line)
        except ValueError:
            raise AssertionError(f"{container.role}: not JSON: {line!r}") from None
    assert text.strip(), f"{container.role} logged nothing"


def readiness_details(http: Client) -> dict[str, Any]:
    """/readyz with its checks, which it shows to an administrator only."""
    status, admin = http("POST", "/api/token/", {"username": "ops", "password": ADMIN_PASSWORD})
    assert status == 200, admin
    status, ready = http("GET", "/readyz", token=admin["access"])
    assert status == 200 and ready["status"] == "ready", ready
    return dict(ready)


def shop_flow(http: Client) -> dict[str, Any]:
    """Admin adds a product; a shopper registers, logs in and orders it; returns the order."""
    status, admin = http("POST", "/api/token/",
                         {"username": "ops", "password": ADMIN_PASSWORD})
    assert status == 200, admin
    status, product = http("POST", "/api/products/", {
        "sku": "MUG-1", "name": "Mug", "category": "kitchen", "price": "12.50", "stock": 5,
    }, token=admin["access"])
    assert status == 201, product
    status, user = http("POST", "/api/users/", {
        "username": "carol", "email": "carol@example.com", "password": SHOPPER_PASSWORD})
    assert status == 201, user
    status, tokens = http("POST", "/api/token/",
                          {"username": "carol", "password": SHOPPER_PASSWORD})
    assert status == 200, tokens
    status, order = http("POST", "/api/orders/",
                         {"items": [{"product_id": product["id"], "quantity": 2}]},
                         token=tokens["access"])
    assert status == 201, order
    status, again = http("GET", f"/api/orders/{order['id']}/", token=tokens["access"])
    assert status == 200 and again["total"] == "25.00", again
    status, stocked = http("GET", f"/api/products/{product['id']}/",
                           token=tokens["access"])
    assert stocked["stock"] == 3, stocked
    return dict(order)


def test_the_image_serves_the_whole_shop_in_production(
        database: str, shop_secrets: Path, containers: list[Container]) -> None:
    """Gunicorn serves HTTPS itself here, with a mounted certificate."""
    port, tls = free_port(), make_tls_certificate(shop_secrets.parent / "tls")
    web = Container(IMAGE, "web", {
        **production_env(database, REDIS), "PORT": str(port),
        "TLS_CERT_FILE": "/run/secrets/tls/tls.crt", "TLS_KEY_FILE": "/run/secrets/tls/tls.key",
    }, {shop_secrets: SECRETS, tls: "/run/secrets/tls"})
    containers.append(web.start())
    https = Client(f"https://127.0.0.1:{port}", cafile=tls / "tls.crt")
    wait_ready(https, [web])
    create_admin(web, inside=True)
    ready = readiness_details(https)
    assert all(v == "ok" for v in ready["checks"]["databases"]["binds"].values()), ready
    shop_flow(https)
    assert podman("healthcheck", "run", web.name, check=False).returncode == 0
    assert_every_line_is_json(web)
    # SIGTERM: the server finishes its requests and the container exits cleanly, not killed.
    assert web.stop() == 0, web.logs()[-3000:]


def _module_pki(root: Path) -> dict[str, Path]:
    """A CA and a certificate per party; each container gets the CA certificate and its own
    certificate and key, never the CA's key or another party's key."""
    from app.platform.grpc.pki import Pki

    pki = Pki(root / "ca")
    pki.init()
    mounts = {}
    for party in ("web", "identity", "catalog", "ordering"):
        pki.issue(party)
        own = root / party
        own.mkdir()
        for name in ("ca.crt", f"{party}.crt", f"{party}.key"):
            shutil.copy(pki.directory / name, own / name)
        hand_to_shop_user(own)
        mounts[party] = own
    return mounts


def test_the_same_image_runs_split_into_web_and_module_host_containers(
        tmp_path: Path, database: str, shop_secrets: Path,
        containers: list[Container]) -> None:
    pki = _module_pki(tmp_path / "pki")
    ports = {m: free_port() for m in ("identity", "catalog", "ordering")}
    transport = {"MODULE_TRANSPORT": "grpc", "GRPC_PKI_DIR": "/run/secrets/pki",
                 **{f"{m.upper()}_GRPC_TARGET": f"127.0.0.1:{p}" for m, p in ports.items()}}
    env = production_env(database, REDIS)
    # The migration job: once, in-process, before anything serves.
    migrate = Container(IMAGE, "migrate", env, {shop_secrets: SECRETS})
    assert "schema" in migrate.run_once("flask", "--app", "wsgi", "schema", "upgrade").stdout
    for module, port in ports.items():
        host = Container(IMAGE, module, {**env, **transport, "GRPC_CALLER": module},
                         {shop_secrets: SECRETS, pki[module]: "/run/secrets/pki"},
                         ["flask", "--app", "wsgi", "grpc", "serve", "--modules", module,
                          "--bind", f"127.0.0.1:{port}"])
        containers.append(host.start())
    web_port = free_port()
    # Behind an ingress that terminates TLS and says so in X-Forwarded-Proto (one trusted hop).
    web = Container(IMAGE, "web", {
        **production_env(database, REDIS, field_keys=False), **transport,
        "PORT": str(web_port), "SHOP_MODULE_HOSTS": "external", "SHOP_MIGRATE_ON_START": "false",
        "TRUSTED_PROXY_HOPS": "1",
    }, {shop_secrets: SECRETS, pki["web"]: "/run/secrets/pki"})
    containers.append(web.start())
    ingress = Client(f"http://127.0.0.1:{web_port}", forwarded_https=True)
    wait_ready(ingress, containers)
    create_admin(migrate, inside=False)
    assert readiness_details(ingress)["checks"]["grpc"]["ok"]
    order = shop_flow(ingress)
    assert order["status"] in {"pending", "confirmed"}, order
    # Every module was reached over mTLS as its own host: each host logged its calls.
    for host in containers[:3]:
        assert host.running(), host.logs()[-3000:]
        assert "module_host_started" in host.logs()
    for container in containers:
        assert_every_line_is_json(container)


def test_the_image_keeps_no_build_secret_compiler_or_package_cache() -> None:
    """The proxy CA is a build secret for the pip step only; no compiler, pip or cache ships."""
    host_ca = Path("/etc/ssl/certs/ca-certificates.crt")
    config = json.loads(podman("image", "inspect", IMAGE).stdout)[0]["Config"]
    assert config["User"] == "shop" or config["User"] == "10001", config
    assert not [e for e in config.get("Env", []) if e.startswith(("PIP_CERT", "PIP_CA"))]
    assert "/var/lib/shop" in (config.get("Volumes") or {}), config
    root = podman("image", "mount", IMAGE).stdout.strip()
    try:
        rootfs = Path(root)
        assert (rootfs / "opt/shop/bin/granian").exists()
        for tool in ("gcc", "cc", "pip", "pip3", "make"):
            found = [p for p in ("usr/bin", "usr/local/bin", "opt/shop/bin")
                     if (rootfs / p / tool).exists()]
            assert not found, f"{tool} in the image: {found}"
        site = rootfs / "opt/shop/lib/python3.11/site-packages"
        assert (site / "flask").is_dir()
        assert not [p.name for p in site.glob("*") if p.name in {"pip", "setuptools"}]
        for cache in ("root/.cache", "var/cache/apt/archives", "var/lib/apt/lists"):
            leftovers = [p for p in (rootfs / cache).glob("*") if p.name not in {"partial", "lock"}]
            assert not leftovers, f"{cache} in the image: {leftovers[:5]}"
        if host_ca.exists():
            assert not _files_like(rootfs, host_ca), "the host's CA bundle is in the image"
        assert not list(rootfs.glob("run/*ca*")), list(rootfs.glob("run/*"))
    finally:
        podman("image", "unmount", IMAGE, check=False)


def _files_like(rootfs: Path, original: Path) -> list[Path]:
    """Files in the image with exactly the content of ``original`` (same size, same hash)."""
    size, digest = original.stat().st_size, hashlib.sha256(original.read_bytes()).digest()
    found = subprocess.run(["find", str(rootfs), "-xdev", "-type", "f", "-size", f"{size}c"],
                           capture_output=True, text=True, check=False).stdout.split()
    return [Path(p) for p in found if hashlib.sha256(Path(p).read_bytes()).digest() == digest]
