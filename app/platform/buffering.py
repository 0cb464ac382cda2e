"""Whole requests before a worker thread: the WSGI app behind an ASGI server that buffers bodies.

A WSGI server hands a worker thread the request as soon as its headers are in, and the thread
then blocks reading the body: fifty clients that trickle a body one byte at a time hold every
thread, and the shop stops answering. Served as ASGI (Granian, ``bin/start``), the body is read
on the event loop instead, bounded in size (``MAX_CONTENT_LENGTH``: 413 beyond it, before any
thread) and in time (``WEB_BODY_TIMEOUT``: 408 when the body is not in by then), and only a
complete request reaches a thread of the WSGI app (a2wsgi runs it with ``WEB_THREADS``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from a2wsgi import WSGIMiddleware

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class BufferedWSGI:
    """ASGI app: read the body completely, then run the WSGI ``app`` in a thread."""

    def __init__(self, app: Any, *, threads: int, max_body: int, body_timeout: float) -> None:
        self.inner: Any = WSGIMiddleware(app, workers=threads)
        self.max_body, self.body_timeout = max_body, body_timeout

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        try:
            body = await asyncio.wait_for(self._read(scope, receive), self.body_timeout)
        except TimeoutError:
            await _refuse(send, 408, "The request body did not arrive in time.")
            return
        except BodyRefused as refused:
            await _refuse(send, refused.status, refused.reason)
            return
        await self.inner(_with_length(scope, len(body)), _replay(body, receive), send)

    async def _read(self, scope: Message, receive: Receive) -> bytes:
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            raise BodyRefused(413, "The request body is too large.")
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BodyRefused(400, "The client went away.")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise BodyRefused(413, "The request body is too large.")
            chunks.append(chunk)
            more = message.get("more_body", False)
        return b"".join(chunks)


def _content_length(scope: Message) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                raise BodyRefused(400, "Content-Length is not a number.") from None
    return None


def _with_length(scope: Message, length: int) -> Message:
    """The body is whole now: its length replaces any chunked framing, so the WSGI app reads
    it all (WSGI has no end-of-body signal of its own)."""
    if length == 0 and _content_length(scope) is None:
        return scope
    framing = (b"content-length", b"transfer-encoding")
    headers = [(k, v) for k, v in scope["headers"] if k.lower() not in framing]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


def _replay(body: bytes, receive: Receive) -> Receive:
    """The buffered body as one message; after it, whatever the server says next."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"type": "about:blank", "status": status, "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/problem+json"), (b"connection", b"close"),
        (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
