"""The body buffer in front of the WSGI app: complete bodies only, bounded in size and time."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from flask import Flask, request

from app.platform.buffering import BufferedWSGI

echo = Flask(__name__)
seen: list[str] = []


@echo.post("/echo")
def echo_view() -> dict[str, Any]:
    seen.append("app")
    return {"got": request.get_data(as_text=True)}


def call(body_messages: list[dict[str, Any]], headers: list[tuple[bytes, bytes]],
         *, timeout: float = 5, pause: float = 0) -> tuple[int, dict[str, Any]]:
    app = BufferedWSGI(echo, threads=1, max_body=10, body_timeout=timeout)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/echo", "raw_path": b"/echo",
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    pending = list(body_messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not pending:
            await asyncio.sleep(3600)  # a client that sends nothing more
        await asyncio.sleep(pause)
        return pending.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = sent[0]["status"]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return status, json.loads(body)


def part(data: bytes, more: bool) -> dict[str, Any]:
    return {"type": "http.request", "body": data, "more_body": more}


JSON = [(b"content-type", b"application/json")]


def test_a_body_in_pieces_reaches_the_app_whole() -> None:
    status, body = call([part(b'"ab', True), part(b'c"', False)], JSON)
    assert (status, body) == (200, {"got": '"abc"'})


def test_a_declared_length_over_the_limit_is_413_before_any_body_is_read() -> None:
    seen.clear()
    status, body = call([], [*JSON, (b"content-length", b"11")])
    assert status == 413 and body["status"] == 413 and seen == []


def test_a_streamed_body_over_the_limit_is_413_without_the_app() -> None:
    seen.clear()
    status, _ = call([part(b"x" * 6, True), part(b"x" * 6, False)], JSON)
    assert status == 413 and seen == []


def test_a_body_that_trickles_past_the_deadline_is_408_without_the_app() -> None:
    seen.clear()
    status, _ = call([part(b"x", True)], [*JSON, (b"content-length", b"5")], timeout=0.2)
    assert status == 408 and seen == []


def test_a_malformed_content_length_is_400() -> None:
    status, _ = call([], [*JSON, (b"content-length", b"ten")])
    assert status == 400
