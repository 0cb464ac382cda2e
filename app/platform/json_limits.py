"""Depth and size limits for JSON bodies, checked on the raw bytes before anything parses them.

Python's ``json`` parser recurses once per nesting level: a 2 KB body nested 1,000 deep ends
in ``RecursionError`` (a 500, and a server-error alert). No request of the shop nests deeper
than a few levels, so bodies deeper than ``MAX_JSON_DEPTH`` are refused before parsing, in
time linear in the (already size-capped) body.
"""

from __future__ import annotations

import re
from itertools import accumulate

MAX_JSON_DEPTH = 32
# The largest request of the shop (a product with a 5,000-character description, every
# character escaped) is well under this.
MAX_JSON_BYTES = 65_536

# A JSON string literal: brackets inside it do not nest anything.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def nesting_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in ``raw`` (0 for a scalar), ignoring strings.

    Malformed input gives some number; the parser that runs afterwards refuses it.
    """
    brackets = _STRING.sub(b"", raw).translate(None, delete=_NOT_BRACKET)
    return max(accumulate(_STEP[b] for b in brackets), default=0)
