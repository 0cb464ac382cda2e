"""JSON answers encoded by orjson, with the same JSON as Flask's own provider.

Flask's ``DefaultJSONProvider`` encodes with the standard library (sorted keys, compact in
production, a trailing newline); on the product list that encoder cost more than the query.
orjson (a Rust extension) writes the same document in a fraction of the time: keys sorted,
compact, a trailing newline. Only the byte form of characters outside ASCII differs (UTF-8
instead of escapes such as ``\\u00e9``), which any JSON reader decodes to the same text.
Whatever orjson does not encode the way Flask does (dates as HTTP dates, ``Decimal``,
``UUID``, dataclasses, ``__html__``) goes through Flask's own ``default``; whatever orjson
refuses (an integer beyond 64 bits) is encoded by the standard library as before. Parsing
request bodies stays with the standard library (the edge's size, depth and UTF-8 checks are
written against it).
"""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider
from werkzeug.sansio.response import Response

_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)


class OrjsonProvider(DefaultJSONProvider):
    def _encode(self, obj: Any, newline: bool) -> bytes | None:
        """orjson's bytes, or None where only the standard library encodes ``obj``."""
        try:
            return orjson.dumps(obj, default=self.default,
                                option=_OPTIONS | orjson.OPT_APPEND_NEWLINE if newline
                                else _OPTIONS)
        except orjson.JSONEncodeError:
            return None

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        encoded = None if kwargs else self._encode(obj, newline=False)
        return encoded.decode() if encoded is not None else super().dumps(obj, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if self._app.debug:  # indented for people reading answers: Flask's own
            return super().response(*args, **kwargs)
        encoded = self._encode(self._prepare_response_obj(args, kwargs), newline=True)
        if encoded is None:
            return super().response(*args, **kwargs)
        return self._app.response_class(encoded, mimetype=self.mimetype)  # type: ignore[arg-type]
