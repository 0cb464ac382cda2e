"""Typed settings read from the environment, with profiles and fail-closed validation.

Every setting comes from an environment variable of the same name; a secret may instead come
from a file named by ``NAME_FILE``. Profiles: ``development`` (the default: keys and an SQLite
database are created under ``instance/``), ``test`` and ``production`` (refuses to start on a
missing or development secret, on debug, or on an unreadable key directory).
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PROFILES = ("development", "test", "production")
# Values that only ever belong on a developer's machine; production refuses them.
INSECURE_PREFIX = "dev-insecure-"
_WEAK_SECRETS = {"", "secret", "changeme", "change-me", "password", "dev", "development", "test"}
MIN_SECRET_LENGTH = 32
# zxcvbn's estimate of the guesses a secret needs: 10^24 is about 80 bits. A random 32-character
# value scores about 10^32; repeats, sequences, keyboard walks and words score far lower.
MIN_SECRET_GUESSES_LOG10 = 24


# Flask-Limiter settings that are not named limits (every other RATELIMIT_* variable is one).
_RATELIMIT_SETTINGS = {"RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI", "RATELIMIT_STORAGE_URI_FILE",
                       "RATELIMIT_KEY_PREFIX"}


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the shop refuses to start."""


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def read_secret(env: Mapping[str, str], name: str) -> str | None:
    """``NAME`` or the content of the file named by ``NAME_FILE`` (stripped)."""
    if env.get(name):
        return env[name]
    path = env.get(f"{name}_FILE")
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{name}_FILE={path} cannot be read: {exc.strerror}") from exc


# ``<BIND>_DATABASE_URL`` (or ``..._FILE``): a module's own database, by its bind's name.
_MODULE_DATABASE_URL = re.compile(r"^([A-Z][A-Z0-9]*)_DATABASE_URL(?:_FILE)?$")


def _module_database_urls(env: Mapping[str, str]) -> dict[str, str]:
    binds = {match.group(1) for name in env if (match := _MODULE_DATABASE_URL.match(name))}
    return {bind.lower(): url for bind in sorted(binds)
            if (url := read_secret(env, f"{bind}_DATABASE_URL"))}


@dataclass(frozen=True)
class Settings:
    profile: str = "development"
    debug: bool = False
    instance_path: Path = Path("instance")
    secret_key: str | None = None
    metrics_token: str | None = None
    alert_webhook_url: str | None = None
    database_url: str | None = None
    module_database_urls: dict[str, str] = field(default_factory=dict)
    jwt_keys_dir: Path | None = None
    jwt_issuer: str = "https://shop.local/identity"
    jwt_audience: str = "https://shop.local/api"
    jwt_client_id: str = "shop-web"
    access_token_ttl: int = 900
    refresh_family_ttl: int = 86_400
    jwt_leeway: int = 30
    jwt_max_bytes: int = 8192
    revocation_poll_seconds: float = 1.0
    catalog_list_cache_seconds: float = 1.0
    blocklist_cache_seconds: float = 2.0
    # Pending orders hold stock: they expire after this many seconds (the in-shop sweep runs
    # every ``order_sweep_interval`` seconds; 0 switches it off), and one user may hold at
    # most ``order_max_pending_units`` units in pending orders.
    order_pending_ttl: int = 86_400
    order_max_pending_units: int = 200
    order_sweep_interval: float = 30.0
    password_hash_iterations: int = 600_000
    max_content_length: int = 1_048_576
    log_level: str = "INFO"
    trusted_proxy_hops: int = 0
    # Host names the shop answers to (Flask's TRUSTED_HOSTS); empty: any (not in production).
    hosts: tuple[str, ...] = ()
    # The OpenAPI document and the docs page without authentication (default: not in production).
    api_docs_public: bool = True
    shop_name: str = "The Shop"
    ratelimit_enabled: bool = True
    ratelimit_storage_uri: str = "memory://"
    ratelimit_key_prefix: str = "shop"
    # Overrides of the named limits (``RATELIMIT_LOGIN_IP`` -> "login_ip"); see platform.ratelimit.
    ratelimit_limits: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        profile = env.get("SHOP_PROFILE", "development")
        if profile not in PROFILES:
            raise ConfigError(f"SHOP_PROFILE must be one of {', '.join(PROFILES)}, not {profile!r}")
        settings = cls(
            profile=profile,
            debug=_flag(env.get("SHOP_DEBUG", "false")),
            instance_path=Path(env.get("SHOP_INSTANCE_PATH", "instance")).resolve(),
            secret_key=read_secret(env, "SECRET_KEY"),
            metrics_token=read_secret(env, "METRICS_TOKEN"),
            alert_webhook_url=read_secret(env, "ALERT_WEBHOOK_URL"),
            # URLs carry passwords: each may come from a file too (``DATABASE_URL_FILE``).
            database_url=read_secret(env, "DATABASE_URL"),
            module_database_urls=_module_database_urls(env),
            jwt_keys_dir=Path(env["JWT_KEYS_DIR"]) if env.get("JWT_KEYS_DIR") else None,
            jwt_issuer=env.get("JWT_ISSUER", cls.jwt_issuer),
            jwt_audience=env.get("JWT_AUDIENCE", cls.jwt_audience),
            access_token_ttl=int(env.get("ACCESS_TOKEN_TTL", cls.access_token_ttl)),
            jwt_leeway=int(env.get("JWT_LEEWAY", cls.jwt_leeway)),
            password_hash_iterations=int(
                env.get("PASSWORD_HASH_ITERATIONS", cls.password_hash_iterations)
            ),
            max_content_length=int(env.get("MAX_CONTENT_LENGTH", cls.max_content_length)),
            log_level=env.get("LOG_LEVEL", cls.log_level),
            trusted_proxy_hops=int(env.get("TRUSTED_PROXY_HOPS", "0")),
            hosts=tuple(h.strip().lower() for h in env.get("SHOP_HOSTS", "").split(",")
                        if h.strip()),
            api_docs_public=_flag(env.get("API_DOCS_PUBLIC",
                                          "false" if profile == "production" else "true")),
            revocation_poll_seconds=float(env.get("REVOCATION_POLL_SECONDS", "1")),
            catalog_list_cache_seconds=float(env.get("CATALOG_LIST_CACHE_SECONDS", "1")),
            blocklist_cache_seconds=float(env.get("BLOCKLIST_CACHE_SECONDS", "2")),
            order_pending_ttl=int(env.get("ORDER_PENDING_TTL", cls.order_pending_ttl)),
            order_max_pending_units=int(env.get("ORDER_MAX_PENDING_UNITS",
                                                cls.order_max_pending_units)),
            order_sweep_interval=float(env.get("ORDER_SWEEP_INTERVAL",
                                               cls.order_sweep_interval)),
            shop_name=env.get("SHOP_NAME", cls.shop_name),
            ratelimit_enabled=_flag(env.get("RATELIMIT_ENABLED", "true")),
            ratelimit_storage_uri=(read_secret(env, "RATELIMIT_STORAGE_URI")
                                   or cls.ratelimit_storage_uri),
            ratelimit_key_prefix=env.get("RATELIMIT_KEY_PREFIX", cls.ratelimit_key_prefix),
            ratelimit_limits={
                k.removeprefix("RATELIMIT_").lower(): v for k, v in env.items()
                if k.startswith("RATELIMIT_") and k not in _RATELIMIT_SETTINGS and v
            },
            extra={k: v for k, v in env.items() if k.isupper()},
        )
        return settings.validated()

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes).validated()

    @property
    def is_production(self) -> bool:
        return self.profile == "production"

    @property
    def keys_dir(self) -> Path:
        return self.jwt_keys_dir or self.instance_path / "jwt-keys"

    def database_url_for(self, bind: str) -> str:
        return self.module_database_urls.get(bind) or self.default_database_url

    @property
    def default_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.instance_path / 'shop.sqlite3'}"

    def validated(self) -> Settings:
        if not 0 < self.jwt_leeway <= 30:
            raise ConfigError("JWT_LEEWAY must be between 1 and 30 seconds")
        if self.order_pending_ttl < 1 or self.order_max_pending_units < 1 \
                or self.order_sweep_interval < 0:
            raise ConfigError("ORDER_PENDING_TTL and ORDER_MAX_PENDING_UNITS must be at least 1, "
                              "ORDER_SWEEP_INTERVAL at least 0")
        if self.alert_webhook_url and not self.alert_webhook_url.startswith(
                ("https://", "http://")):
            raise ConfigError("ALERT_WEBHOOK_URL must be an http(s) URL")
        if self.is_production:
            self._check_production()
        return self

    def _check_production(self) -> None:
        problems = [*self._secret_problems(), *self._setup_problems()]
        if problems:
            raise ConfigError("refusing to start in production: " + "; ".join(problems))

    def _secret_problems(self) -> list[str]:
        problems = []
        if is_insecure(self.secret_key):
            problems.append(f"SECRET_KEY is missing, shorter than {MIN_SECRET_LENGTH} characters, "
                            "guessable, or a development default")
        if self.metrics_token is not None and is_insecure(self.metrics_token):
            problems.append(f"METRICS_TOKEN is shorter than {MIN_SECRET_LENGTH} characters or "
                            "guessable")
        return problems

    def _setup_problems(self) -> list[str]:
        checks = [
            (self.debug, "SHOP_DEBUG is on"),
            (not self.hosts, "SHOP_HOSTS is missing (the host names the shop answers to)"),
            (not self.database_url, "DATABASE_URL is missing"),
            (self.password_hash_iterations < 600_000, "PASSWORD_HASH_ITERATIONS is below 600000"),
            (self.jwt_keys_dir is None, "JWT_KEYS_DIR is missing"),
            (self.jwt_keys_dir is not None
             and not os.access(self.jwt_keys_dir, os.R_OK | os.X_OK),
             f"JWT_KEYS_DIR={self.jwt_keys_dir} cannot be read"),
            (not self.ratelimit_enabled,
             "RATELIMIT_ENABLED=false (rate limits are for load tests only)"),
            (self.ratelimit_storage_uri.startswith("memory://"),
             "RATELIMIT_STORAGE_URI is memory:// (workers would not share limits)"),
        ]
        return [message for failed, message in checks if failed]

    def describe(self) -> dict[str, Any]:
        """Settings without secrets, for the startup log."""
        hidden = {"secret_key", "metrics_token", "alert_webhook_url", "extra"}
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if f.name not in hidden}


def is_insecure(secret: str | None) -> bool:
    """Missing, short, a known weak or development value, or of low entropy (zxcvbn)."""
    if (secret is None or len(secret) < MIN_SECRET_LENGTH or secret.lower() in _WEAK_SECRETS
            or secret.startswith(INSECURE_PREFIX)):
        return True
    from zxcvbn import zxcvbn

    # The first 128 characters decide: zxcvbn's matching grows quickly with the length.
    return float(zxcvbn(secret[:128])["guesses_log10"]) < MIN_SECRET_GUESSES_LOG10


@contextmanager
def refuse_to_start_on_config_error() -> Iterator[None]:
    """An unsafe or incomplete configuration ends the process with one line on stderr.

    Exit status 4 is gunicorn's "App failed to load": its master stops instead of starting
    new workers that would fail the same way.
    """
    try:
        yield
    except ConfigError as error:
        print(f"shop: {error}", file=sys.stderr, flush=True)
        raise SystemExit(4) from None


def web_workers(settings: Settings, requested: str | None) -> int:
    """How many server worker processes: two, or one when rate limits live in per-process
    memory (with ``memory://`` every worker counts on its own, so N workers would allow N times
    every documented limit). An explicit WEB_CONCURRENCY above 1 is obeyed, with a loud
    warning on stderr."""
    per_process = settings.ratelimit_enabled and settings.ratelimit_storage_uri.startswith(
        "memory://")
    count = int(requested or (1 if per_process else 2))
    if per_process and count > 1:
        print(f"WARNING: RATELIMIT_STORAGE_URI=memory:// with {count} workers: every rate limit "
              f"is {count} times the documented one. Set RATELIMIT_STORAGE_URI=redis://... to "
              "share them, or WEB_CONCURRENCY=1.", file=sys.stderr, flush=True)
    return count


def development_secret(instance_path: Path, name: str) -> str:
    """A random secret kept in ``instance/<name>`` (mode 0600), made on first use."""
    path = instance_path / name
    instance_path.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made earlier, or by another worker at the same moment
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(INSECURE_PREFIX + secrets.token_urlsafe(32))
    return path.read_text(encoding="utf-8").strip()
