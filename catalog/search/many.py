"""Rows of one query for many values at once, whatever their number.

`{ids}` in the SQL stands for the set of values, bound as one JSON array per chunk and read
back by `json_each`: one statement per chunk rather than one per value, and no limit on bound
parameters (SQLite caps them; a rebuild or a large sync asks for tens of thousands).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence

CHUNK = 5000
IDS = "(SELECT value FROM json_each(?))"


def select_in(conn: sqlite3.Connection, sql: str, values: Sequence, *params, chunk: int = CHUNK) -> Iterator[tuple]:
    """The rows of `sql` for `values`; `{ids}` (bound first) is the set, `params` follow it."""
    statement = sql.replace("{ids}", IDS)
    for start in range(0, len(values), chunk):
        yield from conn.execute(statement, (json.dumps(values[start:start + chunk]), *params))
