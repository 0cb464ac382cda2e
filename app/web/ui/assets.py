"""Static files under content-hashed URLs with a one-year, immutable cache lifetime.

``asset_url("app.css")`` gives ``/static/app.css?v=<sha256 prefix>``. The hash changes with the
file, so browsers may keep a copy for a year: a new release is a new URL. A request with a
stale or missing ``v`` is still served, but with a short lifetime, so nobody pins an old copy.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, Response, request, url_for

ONE_YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={ONE_YEAR}, immutable"
SHORT = "public, max-age=300"


class Assets:
    def __init__(self, static_folder: str) -> None:
        self.root = Path(static_folder)
        self._urls: dict[str, str] = {}

    @cache  # noqa: B019 - one Assets per app, files do not change while it runs
    def digest(self, filename: str) -> str:
        return hashlib.sha256((self.root / filename).read_bytes()).hexdigest()[:16]

    def url(self, filename: str) -> str:
        known = self._urls.get(filename)
        if known is None:  # one url_for per file and process, not one per page
            known = self._urls[filename] = url_for("static", filename=filename,
                                                   v=self.digest(filename))
        return known

    def cache_headers(self, response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        filename = (request.view_args or {}).get("filename", "")
        try:
            fresh = request.args.get("v") == self.digest(filename)
        except OSError:
            fresh = False
        response.headers["Cache-Control"] = IMMUTABLE if fresh else SHORT
        return response


def init_app(app: Flask) -> Assets:
    assert app.static_folder is not None
    assets = Assets(app.static_folder)
    app.after_request(assets.cache_headers)
    app.jinja_env.globals["asset_url"] = assets.url
    return assets
