"""The stack's ceiling: a bare Flask hello-world, served exactly as the shop is."""

import os

from flask import Flask

from app.platform.buffering import BufferedWSGI

app = Flask(__name__)


@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}


# What bin/start serves for the shop (asgi.py), with the same settings.
asgi_app = BufferedWSGI(app, threads=int(os.environ.get("WEB_THREADS", "4")),
                        max_body=1_048_576,
                        body_timeout=float(os.environ.get("WEB_BODY_TIMEOUT", "30")))
