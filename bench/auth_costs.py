"""Authentication costs with production parameters (SPEC section 10).

* Login latency through the whole stack (``POST /api/token/``: rate limits, lockout bookkeeping,
  one PBKDF2-HMAC-SHA256 hash at 600,000 iterations, the refresh token row, an RS256 signature
  with RSA-4096) against one bare ``hashlib.pbkdf2_hmac`` with the same parameters.
  Target: at most 1.2x.
* A wrong backup code at the 2FA code step: the number of hashes it computes (counted through
  the real code path) and its latency against one PBKDF2 hash. Target: at most one hash.

``run()`` returns ``(name, measured, baseline, target)`` rows; ``python -m bench.auth_costs``
prints them with the ratio. Medians of interleaved runs, so machine noise hits both sides.
"""

from __future__ import annotations

import hashlib
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyotp

ITERATIONS = 600_000
ROUNDS = 7
PASSWORD = "correct horse battery staple"
GENEROUS = {name: "1000000 per minute" for name in (
    "login_ip", "login_user", "twofa_user", "twofa_ip", "register_ip", "refresh_ip", "default")}

Row = tuple[str, float, float, str]


def bare_pbkdf2() -> None:
    hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), secrets.token_bytes(16), ITERATIONS)


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def build_app(instance: Path) -> Any:
    from app import create_app
    from app.config import Settings
    from app.platform.db import db

    settings = Settings(profile="test", instance_path=instance, log_level="ERROR",
                        secret_key="bench-" + secrets.token_hex(16),
                        password_hash_iterations=ITERATIONS, ratelimit_limits=GENEROUS)
    app = create_app(settings)
    with app.app_context():
        db.create_all()
    return app


def login(client: Any) -> dict[str, Any]:
    answer = client.post("/api/token/", json={"username": "bench", "password": PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    return dict(answer.get_json())


def login_rows(client: Any) -> list[Row]:
    created = client.post("/api/users/", json={"username": "bench", "password": PASSWORD,
                                               "email": "bench@example.com"})
    assert created.status_code == 201, created.get_json()
    login(client)  # warm up (imports, first connections, key parsing)
    logins, hashes = [], []
    for _ in range(ROUNDS):
        hashes.append(timed(bare_pbkdf2))
        logins.append(timed(lambda: login(client)))
    return [("login POST /api/token/ (ms, median) vs one bare PBKDF2 600k (ms)",
             statistics.median(logins), statistics.median(hashes), "<= 1.2x")]


def enable_2fa(client: Any) -> None:
    headers = {"Authorization": f"Bearer {login(client)['access']}"}
    secret = client.post("/api/users/2fa/setup/", headers=headers,
                         json={"password": PASSWORD}).get_json()["secret"]
    confirmed = client.post("/api/users/2fa/verify-setup/", headers=headers,
                            json={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200, confirmed.get_json()


def wrong_code() -> str:
    alphabet = "abcdefghjkmnpqrstvwxyz0123456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(5))


def backup_code_rows(client: Any) -> list[Row]:
    from app.identity import backup_codes

    enable_2fa(client)
    counted: list[int] = []
    real = backup_codes._digest

    def counting(salt: str, secret: str) -> str:
        counted.append(1)
        return real(salt, secret)

    backup_codes._digest = counting  # type: ignore[assignment]
    try:
        attempts, hashes, per_attempt = [], [], []
        for _ in range(ROUNDS):
            payload = {"login_ticket": login(client)["login_ticket"], "code": wrong_code()}
            counted.clear()

            def attempt(payload: dict[str, str] = payload) -> None:
                answer = client.post("/api/users/2fa/verify-login/", json=payload)
                assert answer.status_code == 401, answer.get_json()

            attempts.append(timed(attempt))
            per_attempt.append(len(counted))
            hashes.append(timed(bare_pbkdf2))
    finally:
        backup_codes._digest = real  # type: ignore[assignment]
    return [
        ("wrong backup code: hashes computed per attempt (max)", float(max(per_attempt)), 1.0,
         "<= 1 hash"),
        ("wrong backup code POST verify-login (ms, median) vs one bare PBKDF2 600k (ms)",
         statistics.median(attempts), statistics.median(hashes), "<= 1.0x"),
    ]


def run() -> list[Row]:
    from app.platform.db import current

    with tempfile.TemporaryDirectory(prefix="bench-auth-") as tmp:
        app = build_app(Path(tmp))
        client = app.test_client()
        rows = login_rows(client) + backup_code_rows(client)
        with app.app_context():
            current().dispose()
    return rows


def main() -> None:
    print(f"{'benchmark':<80} {'measured':>9} {'baseline':>9} {'ratio':>7}  target")
    for name, measured, baseline, target in run():
        ratio = measured / baseline if baseline else float("nan")
        print(f"{name:<80} {measured:>9.2f} {baseline:>9.2f} {ratio:>6.2f}x  {target}")


if __name__ == "__main__":
    main()
