"""Schemas compiled into fast record validators, with frictionless' verdicts.

Harvests validate millions of records: running frictionless row by row is too slow there.
`validator_for(kind)` compiles a kind's `schema.json` once into per-field closures
(`cells.py`) plus the schema's custom checks (`checks.py`, the very classes frictionless
runs), and checks a record in one pass. tests/test_validation_equivalence.py proves it
agrees with frictionless record by record and field by field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import cache
from typing import Any

import schemas
from catalog.validation import problems as P
from catalog.validation.cells import cell_reader
from catalog.validation.checks import build_checks
from catalog.validation.problems import Problem

# Key catalog.tabular adds to a CSV row whose cell count differs from the header's.
CELL_COUNT_KEY = "__cells__"


class RecordValidator:
    """Checks records of one kind; `check(row)` → (normalized record, problems)."""

    def __init__(self, kind: str, descriptor: dict) -> None:
        self.kind = kind
        fields = descriptor["fields"]
        self.field_names: tuple[str, ...] = tuple(f["name"] for f in fields)
        if descriptor.get("missingValues", [""]) != [""]:
            raise ValueError("seule la valeur manquante \"\" est prise en charge")
        runners = [check.runner() for check in build_checks(descriptor)]
        self.check = _generate(fields, runners)  # type: ignore[method-assign]

    def check(self, row: Mapping[str, object]) -> tuple[dict, list[Problem]]:
        """Validate one record (CSV strings, JSON or Parquet natives; unknown keys ignored).

        Returns the normalized record — only schema fields with a value, typed and
        JSON-serialisable (dates as `YYYY-MM-DD`) — and its problems (empty: valid).
        Replaced, per instance, by the function `_generate` writes for the schema.
        """
        raise NotImplementedError

    def is_valid(self, row: Mapping[str, object]) -> bool:
        return not self.check(row)[1]


def _generate(fields: list[dict], runners: list) -> Callable[[Mapping[str, object]], tuple[dict, list[Problem]]]:
    """Write and compile one straight-line function for the schema.

    A loop over fields costs a tuple unpack, a branch and often a call per field; unrolled,
    a plain string field is a dict lookup and a type test. Every decision is still taken by
    `cells.py` readers, `checks.py` runners and `problems.py`: the generated code only
    sequences them (names in the source are `repr()`s of schema field names).
    """
    env: dict[str, Any] = {
        "P": P, "date": date, "isinstance": isinstance, "str": str,
        "BLANK": P.blank_row(), "CELLS": CELL_COUNT_KEY,
    }
    lines = [
        "def check(row):",
        "    get = row.get",
        "    typed = {}",
        "    problems = []",
    ]
    for index, field in enumerate(fields):
        name = field["name"]
        key = repr(name)
        constraints = field.get("constraints", {})
        required = constraints.get("required", False)
        plain = field["type"] == "string" and not (set(constraints) - {"required"})
        lines.append(f"    raw = get({key})")
        if required:
            env[f"REQUIRED_{index}"] = P.required(name)
            lines += [
                "    if raw is None or raw == '':",
                f"        problems.append(REQUIRED_{index})",
                "    else:",
            ]
        else:
            lines.append("    if raw is not None and raw != '':")
        if plain:
            lines += [
                "        if raw.__class__ is str or isinstance(raw, str):",
                f"            typed[{key}] = raw",
                "        else:",
                f"            problems.append(P.type_error({key}, 'string', raw))",
            ]
        else:
            env[f"READ_{index}"] = cell_reader(field)
            lines += [
                f"        value = READ_{index}(raw, problems)",
                "        if value is not None:",
                f"            typed[{key}] = value",
            ]
    lines += [
        # A present value lands in `typed` or yields a type problem: with neither, every field
        # was missing, and frictionless reports a blank row alone, not its missing cells.
        "    if not typed and all(p.code == 'required' for p in problems):",
        "        return {}, [BLANK]",
        "    cells = get(CELLS)",
        "    if cells is not None:",
        "        problems.append(P.extra_cells() if cells > len(row) - 1 else P.missing_cells())",
    ]
    for index, run in enumerate(runners):
        env[f"RUN_{index}"] = run
        lines.append(f"    RUN_{index}(typed, problems)")
    # Normalize: dates as ISO strings; [] and {} say nothing more than an absent value.
    for field in fields:
        key = repr(field["name"])
        if field["type"] == "date":
            lines += [
                f"    value = typed.get({key})",
                "    if value is not None:",
                f"        typed[{key}] = value.isoformat()",
            ]
        elif field["type"] in ("array", "object"):
            lines += [
                f"    if {key} in typed and not typed[{key}]:",
                f"        del typed[{key}]",
            ]
    lines.append("    return typed, problems")
    exec(compile("\n".join(lines), f"<validator {fields[0]['name']}…>", "exec"), env)  # noqa: S102
    return env["check"]


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
