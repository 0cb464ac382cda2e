"""JSON answers from orjson carry the same JSON as Flask's own provider."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider

from app.platform.json_answers import OrjsonProvider


@dataclass
class Line:
    name: str
    price: Decimal


DOCUMENTS = [
    {"b": 1, "a": [1, 2.5, None, True], "é": "ünïcode <script>"},
    {"when": datetime(2026, 12, 2, 6, 0, tzinfo=UTC), "day": date(2026, 1, 31)},
    {"price": Decimal("12.50"), "id": uuid.UUID(int=7), "line": Line("pen", Decimal("1.00"))},
    {"nested": {"z": {"y": 1, "x": 2}}, "list": [{"b": 2, "a": 1}]},
    {"huge": 10**30, "negative": -(10**25)},  # beyond orjson's 64 bits: the stdlib encodes
]


FLASK = Flask(__name__)  # providers hold their app weakly


@pytest.fixture
def providers() -> tuple[OrjsonProvider, DefaultJSONProvider]:
    return OrjsonProvider(FLASK), DefaultJSONProvider(FLASK)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_dumps_is_the_same_json_with_the_same_key_order(
        providers: tuple[OrjsonProvider, DefaultJSONProvider], document: object) -> None:
    fast, flask = providers
    text = fast.dumps(document)
    assert json.loads(text) == json.loads(flask.dumps(document))
    # Byte for byte: compact, characters outside ASCII as UTF-8 (not escaped); or Flask's
    # own text where the standard library encodes.
    compact = json.dumps(json.loads(flask.dumps(document)), ensure_ascii=False,
                         separators=(",", ":"))
    assert text in (compact, flask.dumps(document))


@pytest.mark.parametrize("document", DOCUMENTS)
def test_response_is_the_same_answer(providers: tuple[OrjsonProvider, DefaultJSONProvider],
                                     document: object) -> None:
    fast, flask = providers
    ours, theirs = fast.response(document), flask.response(document)
    assert ours.mimetype == theirs.mimetype == "application/json"
    assert ours.get_data().endswith(b"\n")
    assert json.loads(ours.get_data()) == json.loads(theirs.get_data())


def test_what_neither_encodes_is_still_refused(
        providers: tuple[OrjsonProvider, DefaultJSONProvider]) -> None:
    fast, _ = providers
    with pytest.raises(TypeError):
        fast.dumps({"set": object()})


def test_the_app_answers_with_it(app: Flask) -> None:
    assert isinstance(app.json, OrjsonProvider)
