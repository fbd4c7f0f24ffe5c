"""Real frictionless validation with our schemas and custom checks: the reference the compiled
validators are proven against, and the detailed report `maillage validate --json` prints."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import frictionless
from frictionless import Checklist, Resource, Schema, system
from frictionless.formats import CsvControl

import schemas
from catalog import tabular
from catalog.validation import problems as P
from catalog.validation.checks import build_checks, code_of_error_type
from catalog.validation.problems import Problem

# frictionless stops at 1000 errors by default; a report of a whole file wants them all.
NO_LIMIT = 0


def frictionless_schema(kind: str) -> Schema:
    return Schema.from_descriptor(schemas.load_schema(kind))


def checklist(kind: str) -> Checklist:
    return Checklist(checks=build_checks(schemas.load_schema(kind)))


def frictionless_validate(
    source: str | Path | Iterable[Mapping[str, object]], kind: str, *, limit_errors: int = NO_LIMIT
) -> frictionless.Report:
    """Validate a file (CSV read by frictionless itself; JSON, NDJSON and Parquet read by
    `catalog.tabular`) or records, with `kind`'s schema and custom checks.

    Records are laid out in the schema's field order (unknown keys ignored, as the compiled
    validators do); their row numbers start at 2, the header being row 1.
    """
    schema = frictionless_schema(kind)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if tabular.detect_format(path) == "csv":
            return _validate_csv(path, schema, kind, limit_errors)
        source = (row for _position, row in tabular.iter_rows(path))
    names = schema.field_names
    data: list[list[object]] = [list(names)]
    for row in source:
        # A copy of list cells: frictionless replaces array items by their typed value.
        data.append([_copy(row.get(name)) for name in names])
    resource = Resource(data=data, schema=schema)
    return resource.validate(checklist(kind), limit_errors=limit_errors)


def _copy(value: object) -> object:
    return list(value) if isinstance(value, list) else value


def _validate_csv(path: Path, schema: Schema, kind: str, limit_errors: int) -> frictionless.Report:
    with open(path, encoding="utf-8", errors="replace") as f:
        first = f.readline().lstrip("\ufeff")
    # The same dialect as catalog.tabular, so both read the same cells: its delimiter rule,
    # and Python's defaults pinned — left undefined, frictionless sniffs them, and the sniffer
    # takes the ", " inside JSON list cells for a sign to strip spaces after delimiters.
    delimiter = max((",", ";", "\t", "|"), key=first.count)
    control = CsvControl(delimiter=delimiter, quote_char='"', double_quote=True, skip_initial_space=False)
    with system.use_context(trusted=True):
        resource = Resource(
            path=str(path.resolve()), schema=schema, format="csv", encoding="utf-8",
            control=control,
        )
        return resource.validate(checklist(kind), limit_errors=limit_errors)


# -- frictionless errors → problems ----------------------------------------------------------

_CONSTRAINT_CODES = {
    "required": "required", "minLength": "min-length", "maxLength": "max-length",
    "pattern": "pattern", "enum": "enum", "minimum": "minimum", "maximum": "maximum",
    "exclusiveMinimum": "minimum", "exclusiveMaximum": "maximum", "unique": "unique",
}
_CONSTRAINT_NOTE = re.compile(r'constraint "(\w+)"')
_CONSTRAINT_VALUE = re.compile(r' is "(.*)"$')
_CONSTRAINT_WORDS = {
    "min-length": "est trop court : longueur minimale",
    "max-length": "est trop long : longueur maximale",
    "pattern": "ne respecte pas le format",
    "enum": "a une valeur hors des valeurs autorisées",
    "minimum": "est trop petit : minimum",
    "maximum": "est trop grand : maximum",
}
_ROW_CODES = {"extra-cell": P.extra_cells, "missing-cell": P.missing_cells, "blank-row": P.blank_row}


def error_problem(error: frictionless.Error) -> Problem:
    """One frictionless error as a Problem (same codes as the compiled validators)."""
    data = error.to_descriptor()
    field = data.get("fieldName") or None
    cell = data.get("cell")
    if error.type in _ROW_CODES:
        return _ROW_CODES[error.type]()
    if error.type == "type-error":
        return Problem(field, "type", f"Le champ {field} n'a pas le type attendu ({P.shown(cell)} reçu).", cell)
    if error.type == "constraint-error":
        match = _CONSTRAINT_NOTE.search(error.note)
        code = _CONSTRAINT_CODES.get(match.group(1), "constraint") if match else "constraint"
        item = "array item" in error.note
        if code == "required":
            return P.item_required(field) if item else P.required(field)
        bound = _CONSTRAINT_VALUE.search(error.note)
        words = _CONSTRAINT_WORDS.get(code, "ne respecte pas une contrainte")
        limit = f" {bound.group(1)}" if bound and code != "enum" else ""
        subject = f"Un élément du champ {field}" if item else f"Le champ {field}"
        return Problem(field, code, f"{subject} {words}{limit} ({P.shown(cell)} reçu).", cell)
    if error.type == "missing-label":
        return Problem(field, "required", f"La colonne obligatoire {field} manque.")
    custom = code_of_error_type(error.type)
    if custom is not None:
        return Problem(field, custom, error.note, cell)
    return Problem(field, error.type, error.message)


def report_problems(report: frictionless.Report) -> list[tuple[int | None, Problem]]:
    """Every error of a report as (row number or None, Problem)."""
    found = []
    for task in report.tasks:
        for error in task.errors:
            found.append((getattr(error, "row_number", None), error_problem(error)))
    for error in report.errors:
        found.append((None, error_problem(error)))
    return found
