"""The HTML product list page against the API product list, side by side.

Both under the same gunicorn settings, signed in as the same demo shopper (the page with the
access cookie the browser would send, the API with the bearer header), interleaved over
three rounds; the row is the median of the per-round ratios with their spread. Target: the
page costs at most 1.5 times the API list, i.e. page req/s >= 0.67 x API req/s.
"""

from __future__ import annotations

import statistics
import tempfile
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

from bench.harness import gunicorn, load
from bench.http_scenarios import login, prepare, shop_env

Row = tuple[str, float, float, str]
ROUNDS = 3


def browser_cookies(base: str, access: str) -> str:
    """The cookies a signed-in browser sends: the access cookie and, after its first page,
    the Flask session cookie that holds its CSRF secret."""
    request = urllib.request.Request(base + "/products/", headers={
        "Cookie": f"shop_access={access}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    session = jar["session"].value if "session" in jar else ""
    return f"shop_access={access}; session={session}"


def run(seconds: float = 6) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        creds = prepare(instance)
        with gunicorn("wsgi:app", shop_env(instance)) as shop:
            bearer = login(shop, "demo", creds["demo"])
            cookie = {"Cookie": browser_cookies(shop.base, bearer["Authorization"].split()[1])}
            pages, apis, errors = [], [], 0
            for _ in range(ROUNDS):
                page = load(shop.base + "/products/", seconds, headers=cookie)
                api = load(shop.base + "/api/products/", seconds, headers=bearer)
                pages.append(page.rps)
                apis.append(api.rps)
                errors += page.errors + api.errors
    ratios = [p / a for p, a in zip(pages, apis, strict=True) if a]
    spread = f"spread {min(ratios):.2f}-{max(ratios):.2f}" if ratios else "no data"
    return [
        (f"GET /products/ (HTML) req/s vs GET /api/products/ ({spread})",
         statistics.median(pages), statistics.median(apis), ">= 0.67 (1.5x cost)"),
        ("non-2xx responses in the page runs", float(errors), 1.0, "0"),
    ]
