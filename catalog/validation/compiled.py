"""Schemas compiled into fast record validators, with frictionless' verdicts.

Harvests validate millions of records: running frictionless row by row is too slow there.
`validator_for(kind)` compiles a kind's `schema.json` once into per-field closures
(`cells.py`) plus the schema's custom checks (`checks.py`, the very classes frictionless
runs), and checks a record in one pass. tests/test_validation_equivalence.py proves it
agrees with frictionless record by record and field by field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from typing import Any

import schemas
from catalog.validation import problems as P
from catalog.validation.cells import Reader, cell_reader
from catalog.validation.checks import SchemaCheck, build_checks
from catalog.validation.problems import Problem

# Key catalog.tabular adds to a CSV row whose cell count differs from the header's.
CELL_COUNT_KEY = "__cells__"


class RecordValidator:
    """Checks records of one kind; `check(row)` → (normalized record, problems)."""

    __slots__ = (
        "kind", "field_names", "_plain", "_fields", "_required", "_checks", "_dates",
        "_containers", "_blank",
    )

    def __init__(self, kind: str, descriptor: dict) -> None:
        self.kind = kind
        fields = descriptor["fields"]
        self.field_names: tuple[str, ...] = tuple(f["name"] for f in fields)
        if descriptor.get("missingValues", [""]) != [""]:
            raise ValueError("seule la valeur manquante \"\" est prise en charge")
        # (name, reader, required problem or None); reader None = plain string, read inline.
        compiled: list[tuple[str, Reader | None, Problem | None]] = []
        for f in fields:
            required = P.required(f["name"]) if f.get("constraints", {}).get("required") else None
            plain = f["type"] == "string" and not (set(f.get("constraints", {})) - {"required"})
            compiled.append((f["name"], None if plain else cell_reader(f), required))
        self._fields = tuple(compiled)
        self._checks: tuple[SchemaCheck, ...] = tuple(build_checks(descriptor))
        self._dates = tuple(f["name"] for f in fields if f["type"] == "date")
        self._containers = tuple(f["name"] for f in fields if f["type"] in ("array", "object"))
        self._blank = [P.blank_row()]

    def check(self, row: Mapping[str, object]) -> tuple[dict, list[Problem]]:
        """Validate one record (CSV strings, JSON or Parquet natives; unknown keys ignored).

        Returns the normalized record — only schema fields with a value, typed and
        JSON-serialisable (dates as `YYYY-MM-DD`) — and its problems (empty: valid).
        """
        get = row.get
        typed: dict[str, Any] = {}
        problems: list[Problem] = []
        present = False
        for name, read, required in self._fields:
            raw = get(name)
            if raw is None or raw == "":
                if required is not None:
                    problems.append(required)
                continue
            present = True
            if read is None:
                if isinstance(raw, str):
                    typed[name] = raw
                else:
                    problems.append(P.type_error(name, "string", raw))
                continue
            value = read(raw, problems)
            if value is not None:
                typed[name] = value
        if not present:
            # frictionless reports a blank row alone, instead of its missing required cells.
            return {}, list(self._blank)
        cells = get(CELL_COUNT_KEY)
        if cells is not None:
            problems.append(P.extra_cells() if cells > len(row) - 1 else P.missing_cells())
        for check in self._checks:
            problems.extend(check.violations(typed))
        return self._normalize(typed), problems

    def is_valid(self, row: Mapping[str, object]) -> bool:
        return not self.check(row)[1]

    def _normalize(self, typed: dict[str, Any]) -> dict:
        for name in self._dates:
            value = typed.get(name)
            if value is not None:
                typed[name] = value.isoformat() if isinstance(value, date) else value
        for name in self._containers:
            if name in typed and not typed[name]:
                del typed[name]  # [] and {} say nothing more than an absent value
        return typed


@cache
def validator_for(kind: str) -> RecordValidator:
    return RecordValidator(kind, schemas.load_schema(kind))


def guess_kind(field_names: Iterable[str]) -> str | None:
    """The kind whose schema a file's columns (or a record's keys) match best.

    Fields only one kind has weigh most; a kind whose required fields are all there wins
    over one that misses some. None when nothing matches enough to say.
    """
    names = set(field_names)
    owners: dict[str, int] = {}
    for kind in schemas.KINDS:
        for name in schemas.field_names(kind):
            owners[name] = owners.get(name, 0) + 1
    best: tuple | None = None
    best_kind = None
    for kind in schemas.KINDS:
        descriptor = schemas.load_schema(kind)
        kind_fields = set(schemas.field_names(kind))
        matched = names & kind_fields
        if len(matched) < 2:
            continue
        required = {f["name"] for f in descriptor["fields"] if f.get("constraints", {}).get("required")}
        own = sum(1 for name in matched if owners[name] == 1)
        shared_by_few = sum(1 for name in matched if owners[name] == 2)
        score = (
            required <= names,
            own * 4 + shared_by_few * 2 + len(matched),
            len(matched) / len(kind_fields),
        )
        if best is None or score > best:
            best, best_kind = score, kind
    return best_kind
