"""Running the shop's image with podman, and speaking to it over HTTP, for tests/image.

Containers share the host's network (the host's PostgreSQL and Redis are on 127.0.0.1), run
with a read-only root filesystem, and get their secrets as files under /run/secrets/shop, the
way a production deployment mounts them.
"""

from __future__ import annotations

import json
import os
import secrets
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.processes import FIELD_KEY_PURPOSES

ROOT = Path(__file__).resolve().parents[2]
PODMAN = str(ROOT / "deploy" / "image" / "podman")
SHOP_UID = 10001  # the image's user (deploy/Dockerfile)
SECRETS = "/run/secrets/shop"
# Rate-limit counters of this run only: every run registers and logs in from 127.0.0.1.
RATELIMIT_PREFIX = f"shop-image-{uuid.uuid4().hex[:8]}"


def podman(*args: str, stdin: str | None = None, check: bool = True,
           timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([PODMAN, *args], input=stdin, capture_output=True, text=True,
                            timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args[:3])} failed ({result.returncode}): "
                             f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result


def hand_to_shop_user(directory: Path) -> None:
    """Secrets stay 0600/0700 and belong to the image's user, as a volume's fsGroup would do."""
    for path in [directory, *directory.rglob("*")]:
        os.chown(path, SHOP_UID, SHOP_UID)
        os.chmod(path, 0o700 if path.is_dir() else 0o600)


def make_secrets(directory: Path) -> Path:
    """Everything production reads from files: Flask secret, JWT key set, field-key rings."""
    from app.identity.signing import SigningKeyStore
    from app.platform.clock import SystemClock
    from app.platform.crypto import format_keys, new_key

    directory.mkdir(parents=True, exist_ok=True)
    SigningKeyStore(directory / "jwt-keys", SystemClock(), 3600).ensure(create=True)
    (directory / "secret_key").write_text(secrets.token_urlsafe(48))
    for purpose in FIELD_KEY_PURPOSES:
        (directory / f"field_keys_{purpose}").write_text(format_keys([new_key()]))
    hand_to_shop_user(directory)
    return directory


def make_tls_certificate(directory: Path) -> Path:
    """A self-signed certificate for ``127.0.0.1`` (tls.crt, tls.key) for the server to serve."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shop test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "tls.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    hand_to_shop_user(directory)
    return directory


def production_env(database_url: str, redis_url: str, *, field_keys: bool = True) -> dict[str, str]:
    env = {
        "SHOP_PROFILE": "production", "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": redis_url, "SECRET_KEY_FILE": f"{SECRETS}/secret_key",
        "JWT_KEYS_DIR": f"{SECRETS}/jwt-keys", "WEB_CONCURRENCY": "2",
        "RATELIMIT_KEY_PREFIX": RATELIMIT_PREFIX, "SHOP_HOSTS": "127.0.0.1,localhost",
    }
    if field_keys:
        for purpose in FIELD_KEY_PURPOSES:
            env[f"FIELD_KEYS_{purpose.upper()}_FILE"] = f"{SECRETS}/field_keys_{purpose}"
    return env


@dataclass
class Container:
    image: str
    role: str
    env: dict[str, str]
    mounts: dict[Path, str]
    command: list[str] = field(default_factory=list)
    name: str = ""

    def __post_init__(self) -> None:
        self.name = f"shop-test-{self.role}-{uuid.uuid4().hex[:8]}"

    def _options(self) -> list[str]:
        options = ["--network", "host", "--read-only", "--health-interval", "disable"]
        for source, target in self.mounts.items():
            options += ["--volume", f"{source}:{target}:ro"]
        for key, value in self.env.items():
            options += ["--env", f"{key}={value}"]
        return options

    def start(self) -> Container:
        podman("run", "--detach", "--name", self.name, *self._options(), self.image,
               *self.command)
        return self

    def run_once(self, *command: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """A one-off container from the same image and settings (an operator command)."""
        return podman("run", "--rm", "--interactive", *self._options(), self.image, *command,
                      stdin=stdin)

    def exec(self, *command: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return podman("exec", "--interactive", self.name, *command, stdin=stdin)

    def running(self) -> bool:
        state = podman("inspect", "--format", "{{.State.Running}}", self.name, check=False)
        return state.stdout.strip() == "true"

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    def stop(self, seconds: int = 30) -> int:
        """SIGTERM, then the container's exit code (137 when it had to be killed)."""
        podman("stop", "--time", str(seconds), self.name, check=False)
        code = podman("inspect", "--format", "{{.State.ExitCode}}", self.name, check=False)
        return int(code.stdout.strip() or -1)

    def remove(self) -> None:
        podman("rm", "--force", "--time", "0", self.name, check=False)


@dataclass(frozen=True)
class Client:
    """HTTP(S) to one deployment: ``https`` with the certificate to trust, or plain HTTP
    behind a trusted proxy that says the original request was HTTPS (an ingress)."""

    base: str
    cafile: Path | None = None
    forwarded_https: bool = False

    def __call__(self, method: str, path: str, body: dict[str, Any] | None = None,
                 token: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if self.forwarded_https:
            headers["X-Forwarded-Proto"] = "https"
        return http(method, self.base + path, body, token, headers=headers,
                    context=ssl.create_default_context(cafile=self.cafile) if self.cafile
                    else None)


def http(method: str, url: str, body: dict[str, Any] | None = None,
         token: str | None = None, *, headers: dict[str, str] | None = None,
         context: ssl.SSLContext | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def wait_ready(client: Client, containers: list[Container],
               seconds: float = 120) -> dict[str, Any]:
    """Poll /readyz until it says ready; fail at once when a container has exited."""
    deadline = time.monotonic() + seconds
    last: Any = None
    while time.monotonic() < deadline:
        for container in containers:
            if not container.running():
                raise AssertionError(f"{container.role} exited:\n{container.logs()[-4000:]}")
        try:
            status, last = client("GET", "/readyz")
            if status == 200 and last.get("status") == "ready":
                return dict(last)
        except OSError:
            pass
        time.sleep(0.5)
    logs = "\n".join(f"--- {c.role}\n{c.logs()[-3000:]}" for c in containers)
    raise AssertionError(f"{client.base}/readyz not ready within {seconds} s: {last}\n{logs}")
