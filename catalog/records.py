"""What makes two records the same record, and two versions the same content.

- identity: `{source}--{id at source}` (the data·inclusion v1 rule);
- content: a hash of the canonical JSON of the record's non-empty fields, so that a producer
  re-sending the same content, in any key order and with or without explicit nulls, costs nothing;
- change: the field-level difference between two versions, as stored in revisions.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

ID_SEPARATOR = "--"


def qualified_id(source: str, id_at_source: str) -> str:
    """The catalog id of a record: its source's name, `--`, then its id at the source.

    An id that already carries its source prefix (as data·inclusion publishes them) is kept.
    """
    id_at_source = str(id_at_source).strip()
    prefix = f"{source}{ID_SEPARATOR}"
    return id_at_source if id_at_source.startswith(prefix) else prefix + id_at_source


def canonical_json(data: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {k: v for k, v in data.items() if v is not None and v != [] and v != ""},
        option=orjson.OPT_SORT_KEYS,
    )


def content_hash(canonical: bytes) -> str:
    return hashlib.blake2b(canonical, digest_size=16).hexdigest()


def creation_changes(data: dict[str, Any]) -> dict[str, list]:
    """A creation's changes: every field, from nothing (in field order, as `field_changes`)."""
    return {name: [None, data[name]] for name in sorted(data)}


def field_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list]:
    """`{field: [before, after]}` for every field whose value differs (None = absent)."""
    before = before or {}
    after = after or {}
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    }
