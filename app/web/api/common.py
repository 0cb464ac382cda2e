"""Small helpers shared by the API views."""

from __future__ import annotations

import functools
from dataclasses import fields
from typing import Any
from urllib.parse import urlencode

from flask import Response, jsonify, request

from app.kernel import Page


def body() -> Any:
    """The validated JSON body (spectree put it on the request)."""
    return request.context.json  # type: ignore[attr-defined]


def query() -> Any:
    return request.context.query  # type: ignore[attr-defined]


def json_response(data: Any, status: int = 200, *, cache: str | None = None) -> Response:
    response = jsonify(data)
    response.status_code = status
    if cache:
        response.headers["Cache-Control"] = cache
    return response


def as_dict(view: Any) -> dict[str, Any]:
    """A frozen view's fields as a dict, without ``asdict``'s deep copy of every value."""
    return {name: getattr(view, name) for name in _field_names(view.__class__)}


@functools.cache
def _field_names(cls: Any) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def page_response(page: Page[Any], serialize: Any = as_dict) -> Response:
    def link(number: int) -> str:
        args = request.args.to_dict()
        args.update(page=str(number), page_size=str(page.page_size))
        return f"{request.path}?{urlencode(args)}"

    has_next = page.page * page.page_size < page.total
    return json_response({
        "count": page.total,
        "next": link(page.page + 1) if has_next else None,
        "previous": link(page.page - 1) if page.page > 1 else None,
        "results": [serialize(item) for item in page.items],
    })
