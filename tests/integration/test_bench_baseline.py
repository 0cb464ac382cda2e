"""The benchmarks' hello-world baseline starts under every server they compare.

Every ratio ``make bench`` prints divides by it: gunicorn's settings file once ran the shop's
background start for any app, so the hello-world's workers died at boot and every
``BENCH_SERVER=gunicorn`` run (and ``bench.servers``) stopped before measuring.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from bench.harness import SERVERS, serve


@pytest.mark.parametrize("kind", SERVERS)
def test_the_hello_world_serves_under(kind: str) -> None:
    with serve("bench.hello:app", {}, workers=1, ready_path="/hello", kind=kind) as server:
        answer = urllib.request.urlopen(server.base + "/hello", timeout=10)
        with answer:
            assert answer.status == 200
            assert json.loads(answer.read()) == {"hello": "world"}
