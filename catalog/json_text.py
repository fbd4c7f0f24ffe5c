"""JSON text from a source, read fast (orjson) and exactly.

orjson reads an integer beyond 64 bits as a float, without a word: `12345678901234567890123`
becomes `1.2345678901234568e+22`, and so does `12345678901234567890124`. Two records' ids would
then be one, and a count or an amount would change. Such a number has at least 19 digits, which
a document seldom holds: only then is it read again by `json`, whose integers are exact (a
record holding one is then refused alone by the engine, as not storable, with its id).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# Fewer than 19 digits always fit in 64 bits (signed or not); some of 19 or 20 do not.
_LONG_DIGITS_BYTES = re.compile(rb"\d{19}")
_LONG_DIGITS_TEXT = re.compile(r"\d{19}")


def loads(content: bytes | bytearray | memoryview | str) -> Any:
    """`orjson.loads(content)`, its errors included, with exact integers of any size."""
    value = orjson.loads(content)
    if isinstance(content, memoryview):
        content = bytes(content)
    pattern = _LONG_DIGITS_TEXT if isinstance(content, str) else _LONG_DIGITS_BYTES
    if pattern.search(content) is None:
        return value
    try:
        return json.loads(content)
    except RecursionError:
        # Nested past Python's stack (orjson goes deeper): every reader refuses such a document
        # as too deep (catalog.nesting) before a record is made of it.
        return value
