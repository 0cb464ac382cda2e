"""ASGI entry point, what ``bin/start`` serves (Granian): the WSGI app behind a body buffer.

Only a complete request reaches a thread (``app/platform/buffering.py``); ``WEB_THREADS``
threads per worker process run the app, ``WEB_BODY_TIMEOUT`` seconds (default 30) bound how
long a client may take to send its body.
"""

import os

from app import start_background
from app.platform.buffering import BufferedWSGI
from wsgi import app as wsgi_app

# Granian loads this module in each worker process (never in its main process): each worker
# runs the shop's background sweeps, which lock so that one works at a time.
start_background(wsgi_app)

app = BufferedWSGI(wsgi_app, threads=int(os.environ.get("WEB_THREADS", "4")),
                   max_body=int(wsgi_app.config["MAX_CONTENT_LENGTH"]),
                   body_timeout=float(os.environ.get("WEB_BODY_TIMEOUT", "30")))
