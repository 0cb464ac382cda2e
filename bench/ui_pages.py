"""The HTML product list page against the API product list, side by side.

Both served by the same server with the same settings (as ``bench.http_scenarios``), signed in
as the same demo shopper: the page with the cookies a browser sends (the access cookie and the
Flask session that holds its CSRF secret), the API with the bearer header. Interleaved rounds
(API, page, API, page, ...); each ratio is the same round's page figure over its API figure.
Target: the page costs at most 1.5 times the API list, i.e. a ratio of at least 0.67.
"""

from __future__ import annotations

import os
import tempfile
import urllib.request
from functools import partial
from http.cookies import SimpleCookie
from pathlib import Path

from bench.harness import Ratio, interleave, load, serve
from bench.http_scenarios import default_server, login, prepare, shop_env


def browser_cookies(base: str, access: str) -> str:
    """The cookies a signed-in browser sends after its first page."""
    request = urllib.request.Request(base + "/products/", headers={
        "Cookie": f"shop_access={access}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        jar: SimpleCookie = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    session = jar["session"].value if "session" in jar else ""
    return f"shop_access={access}; session={session}"


def run(rounds: int | None = None, seconds: float | None = None) -> list[object]:
    rounds = rounds or int(os.environ.get("BENCH_ROUNDS", "3"))
    seconds = seconds or float(os.environ.get("BENCH_SECONDS", "5"))
    kind = default_server()
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        creds = prepare(instance)
        env = {**shop_env(instance), "CATALOG_LIST_CACHE_SECONDS": "0"}
        with serve("wsgi:app", env, kind=kind) as shop:
            bearer = login(shop, "demo", creds["demo"])
            cookies = browser_cookies(shop.base, bearer["Authorization"].split()[1])
            results = interleave({
                "api": partial(load, shop.base + "/api/products/", seconds, headers=bearer),
                "page": partial(load, shop.base + "/products/", seconds,
                                headers={"Cookie": cookies}),
            }, rounds)
    return [Ratio(f"[{kind}] GET /products/ (HTML) vs GET /api/products/", results["page"],
                  results["api"], ">= 0.67 (1.5x cost)")]
