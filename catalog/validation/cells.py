"""Cell readers compiled from Table Schema fields, with frictionless' exact semantics.

Each reader takes a present (non-missing) raw value and the problem list, appends the
field's type or constraint problems and returns the typed value as frictionless would hold
it in a row (None after a type error). Frictionless' own rules are mirrored line by line
(`frictionless/fields/*.py`, `schema/field.py`); where it is cheap, a fast path handles the
usual input and falls back to the same slow operation frictionless performs.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from itertools import repeat
from typing import Any

import orjson

from catalog import json_text
from catalog.validation import problems as P
from catalog.validation.problems import Problem

Reader = Callable[[Any, list[Problem]], Any]
# A value check: returns a Problem when the (typed, non-None) value breaks a constraint.
ValueCheck = Callable[[Any], "Problem | None"]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TRUE = ("true", "True", "TRUE", "1")  # frictionless' default trueValues / falseValues
_FALSE = ("false", "False", "FALSE", "0")


# -- value readers: raw → typed or None (frictionless `create_value_reader`) ------------------


def read_string(cell: Any) -> Any:
    return cell if isinstance(cell, str) else None


def read_integer(cell: Any) -> Any:
    if isinstance(cell, str):
        try:
            return int(cell.strip())
        except ValueError:
            return None
    if cell is True or cell is False:
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        return int(cell) if cell.is_integer() else None
    if isinstance(cell, Decimal):
        try:
            return int(cell) if cell % 1 == 0 else None
        except (ArithmeticError, ValueError):  # a signaling NaN, on which frictionless raises
            return None
    return None


def read_float_number(cell: Any) -> Any:
    """`number` with `floatNumber: true`: floats, as JSON numbers are."""
    if isinstance(cell, str):
        try:
            return float(cell.strip())
        except ValueError:
            return None
    if isinstance(cell, float):
        return cell
    if cell is True or cell is False:
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, Decimal):
        try:
            return float(cell)
        except (ArithmeticError, ValueError):  # a signaling NaN, on which frictionless raises
            return None
    return None


def read_decimal_number(cell: Any) -> Any:
    """`number` without `floatNumber`: frictionless reads Decimals."""
    if isinstance(cell, str):
        try:
            return Decimal(cell.strip())
        except (ArithmeticError, ValueError):
            return None
    if isinstance(cell, Decimal):
        return cell
    if cell is True or cell is False:
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        return Decimal(str(cell))
    return None


def read_boolean(cell: Any) -> Any:
    if cell is True or cell is False:
        return cell
    if isinstance(cell, str):
        if cell in _TRUE:
            return True
        if cell in _FALSE:
            return False
    return None


def read_date(cell: Any) -> Any:
    if isinstance(cell, datetime):
        if cell.hour == 0 and cell.minute == 0 and cell.second == 0:
            return date(cell.year, cell.month, cell.day)
        return None
    if isinstance(cell, date):
        return cell
    if not isinstance(cell, str):
        return None
    if len(cell) == 10 and _ISO_DATE.fullmatch(cell):
        # Fast path: strptime("%Y-%m-%d") accepts exactly these when the date exists.
        try:
            return date(int(cell[:4]), int(cell[5:7]), int(cell[8:]))
        except ValueError:
            return None
    try:
        # Frictionless' rule, with its leniencies ("2024-1-5", "2024-01- 5"…).
        return datetime.strptime(cell, "%Y-%m-%d").date()
    except ValueError:
        return None


def _json_loads(text: str) -> Any:
    try:
        return json_text.loads(text)  # integers past 64 bits exact, as `json` reads them
    except orjson.JSONDecodeError:
        # frictionless uses `json`, which also accepts NaN, Infinity and lone surrogates:
        # orjson is the fast path, `json` the reference.
        return json.loads(text)


def read_array(cell: Any) -> Any:
    if isinstance(cell, list):
        return list(cell)  # a copy: items are replaced by their typed value
    if isinstance(cell, str):
        try:
            cell = _json_loads(cell)
        except (ValueError, RecursionError):  # malformed, or nested past Python's limit
            return None
        return cell if isinstance(cell, list) else None
    if isinstance(cell, tuple):
        return list(cell)
    return None


def read_object(cell: Any) -> Any:
    if isinstance(cell, dict):
        return cell
    if not isinstance(cell, str):
        return None
    try:
        cell = _json_loads(cell)
    except (ValueError, RecursionError):  # malformed, or nested past Python's limit
        return None
    return cell if isinstance(cell, dict) else None


def value_reader(field: dict) -> Callable[[Any], Any]:
    type_ = field.get("type", "any")
    if field.get("format", "default") not in ("default", None):
        raise ValueError(f"format non pris en charge pour le champ {field['name']} : {field['format']}")
    if type_ == "number":
        return read_float_number if field.get("floatNumber") else read_decimal_number
    readers = {
        "string": read_string, "integer": read_integer, "boolean": read_boolean,
        "date": read_date, "array": read_array, "object": read_object, "any": lambda cell: cell,
    }
    if type_ not in readers:
        raise ValueError(f"type non pris en charge pour le champ {field['name']} : {type_}")
    return readers[type_]


# -- constraints (frictionless `check_*`), as value checks -----------------------------------


def _min_length(name: str, low: int) -> ValueCheck:
    return lambda v: None if len(v) >= low else P.min_length(name, low, v)


def _max_length(name: str, high: int) -> ValueCheck:
    return lambda v: None if len(v) <= high else P.max_length(name, high, v)


def _minimum(name: str, bound: Any, shown: Any) -> ValueCheck:
    # frictionless' `_check_bound`: NaN, unequal to itself, is out of every bound.
    return lambda v: None if (v == v and v >= bound) else P.minimum(name, shown, v)  # noqa: PLR0124


def _maximum(name: str, bound: Any, shown: Any) -> ValueCheck:
    return lambda v: None if (v == v and v <= bound) else P.maximum(name, shown, v)  # noqa: PLR0124


def _pattern(name: str, regex: str) -> ValueCheck:
    match = re.compile(f"^{regex}$").match  # frictionless anchors patterns this way
    return lambda v: None if match(v) else P.pattern(name, regex, [v])


def _enum(name: str, allowed: frozenset, referentiel: str | None) -> ValueCheck:
    return lambda v: None if v in allowed else P.enum(name, referentiel, [v])


def value_checks(field: dict, referentiel: str | None) -> list[ValueCheck]:
    """Checks of a typed non-None value, for every constraint but `required`."""
    name = field["name"]
    c = field.get("constraints", {})
    # frictionless reads bounds and enum values with the field's own value reader.
    reader = value_reader(field)
    checks: list[ValueCheck] = []
    if "minLength" in c:
        checks.append(_min_length(name, c["minLength"]))
    if "maxLength" in c:
        checks.append(_max_length(name, c["maxLength"]))
    if "minimum" in c:
        checks.append(_minimum(name, reader(c["minimum"]), c["minimum"]))
    if "maximum" in c:
        checks.append(_maximum(name, reader(c["maximum"]), c["maximum"]))
    if "pattern" in c:
        checks.append(_pattern(name, c["pattern"]))
    if "enum" in c:
        checks.append(_enum(name, frozenset(map(reader, c["enum"])), referentiel))
    return checks


# -- cell readers ----------------------------------------------------------------------------


def scalar_reader(field: dict) -> Reader:
    name, type_ = field["name"], field["type"]
    read = value_reader(field)
    checks = value_checks(field, field.get("referentiel"))
    c = field.get("constraints", {})

    if type_ == "string" and set(c) - {"required"} == {"enum"}:
        # The most common constrained string: a referentiel value (one set lookup).
        allowed = frozenset(c["enum"])
        referentiel = field.get("referentiel")

        def enum_reader(raw: Any, problems: list[Problem]) -> Any:
            if raw.__class__ is not str and not isinstance(raw, str):
                problems.append(P.type_error(name, type_, raw))
                return None
            if raw not in allowed:
                problems.append(P.enum(name, referentiel, [raw]))
            return raw

        return enum_reader

    if type_ == "string" and checks and set(c) - {"required"} <= {"minLength", "maxLength", "pattern"}:
        # Codes (postal, INSEE, SIRET…): one test for the usual valid value, every check otherwise.
        low, high = c.get("minLength", 0), c.get("maxLength", sys.maxsize)
        match = re.compile(f"^{c['pattern']}$").match if "pattern" in c else None

        def code_reader(raw: Any, problems: list[Problem]) -> Any:
            if raw.__class__ is not str and not isinstance(raw, str):
                problems.append(P.type_error(name, type_, raw))
                return None
            if low <= len(raw) <= high and (match is None or match(raw)):
                return raw
            for check in checks:
                problem = check(raw)
                if problem is not None:
                    problems.append(problem)
            return raw

        return code_reader

    if not checks:
        def reader(raw: Any, problems: list[Problem]) -> Any:
            value = read(raw)
            if value is None:
                problems.append(P.type_error(name, type_, raw))
            return value
        return reader

    if len(checks) == 1:
        (only,) = checks

        def single_reader(raw: Any, problems: list[Problem]) -> Any:
            value = read(raw)
            if value is None:
                problems.append(P.type_error(name, type_, raw))
                return None
            problem = only(value)
            if problem is not None:
                problems.append(problem)
            return value

        return single_reader

    def checked_reader(raw: Any, problems: list[Problem]) -> Any:
        value = read(raw)
        if value is None:
            problems.append(P.type_error(name, type_, raw))
            return None
        for check in checks:
            problem = check(value)
            if problem is not None:
                problems.append(problem)
        return value

    return checked_reader


def array_reader(field: dict) -> Reader:
    """Frictionless `ArrayField`: array-level constraints, then each item read by the
    `arrayItem` field (its own missing values, type and constraints). A failing item becomes
    None in the row; one problem per (field, constraint), as frictionless keys its notes."""
    name = field["name"]
    array_checks = value_checks(field, None)
    item = dict(field.get("arrayItem") or {})
    item.pop("arrayItem", None)
    item.setdefault("name", name)
    item.setdefault("type", "any")
    has_items = bool(field.get("arrayItem"))
    item_type = item["type"]
    read_item = value_reader(item)
    ic = item.get("constraints", {})
    item_required = bool(ic.get("required"))
    referentiel = field.get("referentiel")
    item_enum = frozenset(map(read_item, ic["enum"])) if "enum" in ic else None
    item_pattern = re.compile(f"^{ic['pattern']}$").match if "pattern" in ic else None
    item_min = ic.get("minLength")
    item_max = ic.get("maxLength")
    # Items all in the enum are all present strings meeting every other item constraint only
    # when the enum is the sole item constraint besides `required`.
    fast_enum = (
        item_enum if item_type == "string" and set(ic) - {"required"} == {"enum"} and "" not in item_enum
        else None
    )
    if set(ic) - {"required", "enum", "pattern", "minLength", "maxLength"}:
        raise ValueError(f"contrainte d'élément non prise en charge pour le champ {name}")

    def reader(raw: Any, problems: list[Problem]) -> Any:
        value = read_array(raw)
        if value is None:
            problems.append(P.type_error(name, "array", raw))
            return None
        failed = False
        for check in array_checks:
            problem = check(value)
            if problem is not None:
                problems.append(problem)
                failed = True
        if failed or not has_items:
            return value
        if fast_enum is not None:
            # Fast path: every item a known string (the usual case) changes nothing below.
            try:
                if fast_enum.issuperset(value):
                    return value
            except TypeError:  # an unhashable item: the item loop reports it
                pass
        bad_type = missing = None
        bad_enum: list = []
        bad_pattern: list = []
        too_short = too_long = None
        for index, cell in enumerate(value):
            if cell is None or cell == "":
                value[index] = None
                if item_required:
                    missing = True
                continue
            typed = read_item(cell)
            if typed is None:
                value[index] = None
                if bad_type is None:
                    bad_type = cell
                continue
            value[index] = typed
            if item_min is not None and len(typed) < item_min:
                too_short = typed
            if item_max is not None and len(typed) > item_max:
                too_long = typed
            if item_pattern is not None and not item_pattern(typed):
                bad_pattern.append(typed)
            if item_enum is not None and typed not in item_enum:
                bad_enum.append(typed)
        if bad_type is not None:
            problems.append(P.type_error(name, item_type, bad_type, item=True))
        if missing:
            problems.append(P.item_required(name))
        if too_short is not None:
            problems.append(P.min_length(name, item_min, too_short))
        if too_long is not None:
            problems.append(P.max_length(name, item_max, too_long))
        if bad_pattern:
            problems.append(P.pattern(name, ic["pattern"], bad_pattern, item=True))
        if bad_enum:
            problems.append(P.enum(name, referentiel, bad_enum, item=True))
        return value

    array_constraints = set(field.get("constraints", {})) - {"required"}
    low = field.get("constraints", {}).get("minLength", 0)
    high = field.get("constraints", {}).get("maxLength", sys.maxsize)
    if fast_enum is not None and array_constraints <= {"minLength", "maxLength"}:
        # The usual array: referentiel values, maybe a size range. Decide the common valid
        # case with a JSON parse, a size test and one set inclusion; anything else (including
        # every invalid value) goes through the full reader above.
        def enum_array_reader(raw: Any, problems: list[Problem]) -> Any:
            value = _plain_list(raw)
            if value is not None and low <= len(value) <= high:
                try:
                    if fast_enum.issuperset(value):
                        return value
                except TypeError:
                    pass
            return reader(raw, problems)

        return enum_array_reader

    if (has_items and item_type == "string" and set(ic) <= {"required"}
            and array_constraints <= {"minLength", "maxLength"}):
        # Lists of free strings (zone_eligibilite, operateurs): all present strings is the
        # usual case, tested in C; anything else goes through the full reader.
        def string_array_reader(raw: Any, problems: list[Problem]) -> Any:
            value = _plain_list(raw)
            if (value is not None and low <= len(value) <= high
                    and all(map(isinstance, value, repeat(str))) and "" not in value):
                return value
            return reader(raw, problems)

        return string_array_reader
    return reader


def cell_reader(field: dict) -> Reader:
    if field["type"] == "array":
        return array_reader(field)
    return scalar_reader(field)


def _plain_list(raw: Any) -> list | None:
    """The list a cell holds (a list, or a JSON array as text), or None: the fast readers leave
    anything else, and every doubt, to the full reader."""
    if raw.__class__ is list:
        return list(raw)
    if raw.__class__ is str:
        try:
            value = json_text.loads(raw)
        except orjson.JSONDecodeError:
            return None
        return value if value.__class__ is list else None
    return None
