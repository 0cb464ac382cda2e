"""A live shop for browser tests and screenshots: ``bin/start`` (gunicorn, and the gRPC module
hosts when asked) on free loopback ports, in its own instance folder, plus headless Chromium
from Debian's ``chromium`` and ``chromium-driver`` packages."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ADMIN_PASSWORD = "browser admin passphrase 7"
GENEROUS = {f"RATELIMIT_{n}": "10000 per minute" for n in (
    "LOGIN_IP", "LOGIN_USER", "TWOFA_USER", "TWOFA_IP", "REGISTER_IP", "REFRESH_IP", "DEFAULT")}
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage")


@dataclass
class LiveShop:
    instance: Path
    transport: str = "inprocess"
    profile: str = "test"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {**os.environ, "SHOP_PROFILE": self.profile, "SHOP_INSTANCE_PATH": str(self.instance),
               "PORT": str(self.port), "WEB_CONCURRENCY": "1", "WEB_THREADS": "4",
               "PASSWORD_HASH_ITERATIONS": "2000", "LOG_LEVEL": "WARNING",
               "UI_REFRESH_GRACE_SECONDS": "1", "MODULE_TRANSPORT": self.transport,
               "PATH": f"{BIN}:{os.environ.get('PATH', '')}", **GENEROUS}
        for module in ("identity", "catalog", "ordering"):
            env.pop(f"{module.upper()}_TRANSPORT", None)
            env[f"{module.upper()}_GRPC_TARGET"] = f"127.0.0.1:{free_port()}"
        return env

    def start(self) -> LiveShop:
        env = self.env()
        self.instance.mkdir(parents=True, exist_ok=True)
        with (self.instance / "server.log").open("wb") as log:  # the child keeps its copy
            self.process = subprocess.Popen([str(ROOT / "bin" / "start")], cwd=ROOT, env=env,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self._wait_ready()
        self._create_admin(env)
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError("the shop did not start:\n" + self.log())
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("the shop did not answer in time:\n" + self.log())

    def _create_admin(self, env: dict[str, str]) -> None:
        if self.profile != "test":
            return  # development seeds its own demo accounts
        operator = {**env, "MODULE_TRANSPORT": "inprocess"}
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", "users", "create-admin",
                        "--username", "root", "--email", "root@example.com"], cwd=ROOT,
                       env=operator, input=ADMIN_PASSWORD.encode(), check=True,
                       capture_output=True, timeout=120)

    def log(self) -> str:
        path = self.instance / "server.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # bin/start and the hosts it started
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def request(self, method: str, path: str, body: Any = None,
                token: str | None = None) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, json.dumps(body) if body is not None else None, headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        is_json = response.getheader("Content-Type", "").endswith("json")
        return response.status, json.loads(raw) if is_json and raw else raw

    def admin_token(self) -> str:
        status, body = self.request("POST", "/api/token/",
                                    {"username": "root", "password": ADMIN_PASSWORD})
        assert status == 200, body
        return str(body["access"])

    def create_product(self, sku: str, name: str, price: str = "4.50", stock: int = 10,
                       category: str = "kitchen") -> str:
        status, body = self.request("POST", "/api/products/", {
            "sku": sku, "name": name, "price": price, "stock": stock, "category": category,
            "description": f"{name}, a fine thing for every home."}, self.admin_token())
        assert status == 201, body
        return str(body["id"])

    def stock(self, product_id: str) -> int:
        status, body = self.request("GET", f"/api/products/{product_id}/",
                                    token=self.admin_token())
        assert status == 200, body
        return int(body["stock"])

    def orders_of(self, user_token: str) -> int:
        status, body = self.request("GET", "/api/orders/", token=user_token)
        assert status == 200, body
        return int(body["count"])


def chrome(profile_dir: Path, width: int = 1280, height: int = 800) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or "chromium"
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER or "chromedriver"))
    driver.set_page_load_timeout(60)
    # The exact viewport, also below the smallest window Chromium draws (about 500 px wide).
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    return driver
