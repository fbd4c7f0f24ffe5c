"""The schemas' `custom_checks` as frictionless Check classes.

A schema declares them Validata-style: `{"name": "tous-publics", "params": {"column": "publics"}}`.
Each class reads typed values (as frictionless holds them in a row: None when absent or
mistyped) and yields `Problem`s from `violations()`. `validate_row` turns them into frictionless
errors; the compiled validators call `violations()` directly — one implementation, one verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import Any, ClassVar

import attrs
import jsonschema
from frictionless import Check, errors

from catalog.validation import rules
from catalog.validation.problems import Problem, shown


@attrs.define(kw_only=True, repr=False)
class SchemaCheck(Check):
    """A custom check of a schema; subclasses set `type` (the check name) and `code`."""

    type: ClassVar[str] = "schema-check"
    code: ClassVar[str]
    Error: ClassVar[type[errors.CellError]]

    @property
    def Errors(self) -> list[type[errors.Error]]:  # type: ignore[override]
        # frictionless only keeps errors whose type one of the checks declares.
        return [self.Error]

    @property
    def reads(self) -> tuple[str, ...]:
        """The fields this check looks at."""
        raise NotImplementedError

    def violations(self, values: Mapping[str, Any]) -> Iterator[Problem]:
        raise NotImplementedError

    def runner(self) -> Callable[[dict, list[Problem]], None]:
        """`violations` as the compiled validators call it: skipped when none of the fields
        it reads has a value, appending to the record's problem list."""
        reads, violations = self.reads, self.violations

        def run(typed: dict, problems: list[Problem]) -> None:
            for name in reads:
                if name in typed:
                    problems.extend(violations(typed))
                    return

        return run

    def validate_row(self, row: Any) -> Iterable[errors.Error]:
        present = row.field_names
        values = {name: row[name] for name in self.reads if name in present}
        for problem in self.violations(values):
            yield self.Error.from_row(row, note=problem.message, field_name=problem.field)


def _error_class(check_type: str, title: str, description: str) -> type[errors.CellError]:
    return type(
        f"{title.replace(' ', '')}Error",
        (errors.CellError,),
        {
            "type": check_type,
            "title": title,
            "description": description,
            "template": "Ligne {rowNumber}, champ « {fieldName} » : {note}",
        },
    )


@attrs.define(kw_only=True, repr=False)
class ColumnsCheck(SchemaCheck):
    """A check applied to each of several columns, value by value."""

    columns: list[str]

    @property
    def reads(self) -> tuple[str, ...]:
        return tuple(self.columns)

    def violations(self, values: Mapping[str, Any]) -> Iterator[Problem]:
        for name in self.columns:
            value = values.get(name)
            if value is not None:
                problem = self.check_value(name, value)
                if problem is not None:
                    yield problem

    def check_value(self, name: str, value: Any) -> Problem | None:
        raise NotImplementedError

    def runner(self) -> Callable[[dict, list[Problem]], None]:
        columns, check_value = tuple(self.columns), self.check_value

        def run(typed: dict, problems: list[Problem]) -> None:
            for name in columns:
                value = typed.get(name)
                if value is not None:
                    problem = check_value(name, value)
                    if problem is not None:
                        problems.append(problem)

        return run


@attrs.define(kw_only=True, repr=False)
class HttpUrlCheck(ColumnsCheck):
    type: ClassVar[str] = "http-url"
    code: ClassVar[str] = "format"
    Error = _error_class("http-url", "Adresse web", "La valeur n'est pas une adresse web http(s) valide.")

    def check_value(self, name: str, value: Any) -> Problem | None:
        if isinstance(value, str) and not rules.is_http_url(value):
            return Problem(
                name, self.code,
                f"Le champ {name} doit être une adresse web commençant par http:// ou https:// "
                f"({shown(value)} reçu).",
                value,
            )
        return None


@attrs.define(kw_only=True, repr=False)
class EmailCheck(ColumnsCheck):
    type: ClassVar[str] = "email"
    code: ClassVar[str] = "format"
    Error = _error_class("email", "Adresse electronique", "La valeur n'est pas une adresse électronique valide.")

    def check_value(self, name: str, value: Any) -> Problem | None:
        if isinstance(value, str) and not rules.is_email(value):
            return Problem(
                name, self.code, f"Le champ {name} doit être une adresse électronique valide ({shown(value)} reçu).",
                value,
            )
        return None


@attrs.define(kw_only=True, repr=False)
class UniqueItemsCheck(ColumnsCheck):
    """data·inclusion's JSON Schema says `uniqueItems`; Table Schema has no such constraint."""

    type: ClassVar[str] = "unique-items"
    code: ClassVar[str] = "unique-items"
    Error = _error_class("unique-items", "Valeurs repetees", "Une liste contient plusieurs fois la même valeur.")

    def check_value(self, name: str, value: Any) -> Problem | None:
        if not isinstance(value, list) or len(value) < 2:
            return None
        try:
            if len(set(value)) == len(value):
                return None  # the usual case, decided in C
        except TypeError:  # unhashable items
            pass
        seen: set = set()
        repeated: list = []
        for item in value:
            if item is None:
                continue  # an item that failed its own type or required check
            key = _hashable(item)
            if key in seen and item not in repeated:
                repeated.append(item)
            seen.add(key)
        if not repeated:
            return None
        listed = ", ".join(shown(item) for item in repeated[:5])
        return Problem(name, self.code, f"Le champ {name} contient plusieurs fois la même valeur : {listed}.", repeated)


def _hashable(item: Any) -> Any:
    if isinstance(item, (list, dict)):
        return repr(item)
    return item


@attrs.define(kw_only=True, repr=False)
class FiniteNumberCheck(ColumnsCheck):
    type: ClassVar[str] = "finite-number"
    code: ClassVar[str] = "custom:finite-number"
    Error = _error_class("finite-number", "Nombre fini", "Le nombre est NaN ou infini.")

    def check_value(self, name: str, value: Any) -> Problem | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not rules.is_finite(value):
            return Problem(name, self.code, f"Le champ {name} doit être un nombre fini ({shown(str(value))} reçu).", value)
        return None


@attrs.define(kw_only=True, repr=False)
class ColumnCheck(SchemaCheck):
    """A check of one column's value: at most one problem."""

    column: str

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.column,)

    def check_value(self, value: Any) -> Problem | None:
        raise NotImplementedError

    def violations(self, values: Mapping[str, Any]) -> Iterator[Problem]:
        value = values.get(self.column)
        if value is not None:
            problem = self.check_value(value)
            if problem is not None:
                yield problem

    def runner(self) -> Callable[[dict, list[Problem]], None]:
        column, check_value = self.column, self.check_value

        def run(typed: dict, problems: list[Problem]) -> None:
            value = typed.get(column)
            if value is not None:
                problem = check_value(value)
                if problem is not None:
                    problems.append(problem)

        return run


@attrs.define(kw_only=True, repr=False)
class DateBoundsCheck(ColumnCheck):
    type: ClassVar[str] = "date-bounds"
    code: ClassVar[str] = "custom:date-bounds"
    Error = _error_class("date-bounds", "Date hors bornes", "La date est hors des bornes admises.")

    minimum: str | None = None  # ISO date
    maximum: str | None = None  # ISO date, or "today" (evaluated at validation time)

    def check_value(self, value: Any) -> Problem | None:
        if not isinstance(value, date):
            return None
        if self.minimum is not None and value < date.fromisoformat(self.minimum):
            low = date.fromisoformat(self.minimum).strftime("%d/%m/%Y")
            return Problem(
                self.column, self.code,
                f"Le champ {self.column} ne peut pas être antérieur au {low} ({value.isoformat()} reçu).",
                value.isoformat(),
            )
        if self.maximum is not None:
            # The server's local date, as data·inclusion's own validator (schema v1, `date.today()`):
            # what we accept, it accepts. A partner east of the server may meet « dans le futur » for
            # a few hours after its midnight; a later run takes the record.
            high = date.today() if self.maximum == "today" else date.fromisoformat(self.maximum)
            if value > high:
                when = "dans le futur" if self.maximum == "today" else f"postérieur au {high:%d/%m/%Y}"
                return Problem(
                    self.column, self.code,
                    f"Le champ {self.column} ne peut pas être {when} ({value.isoformat()} reçu).",
                    value.isoformat(),
                )
        return None


@attrs.define(kw_only=True, repr=False)
class TousPublicsCheck(ColumnCheck):
    type: ClassVar[str] = "tous-publics"
    code: ClassVar[str] = "custom:tous-publics"
    Error = _error_class("tous-publics", "Tous publics", "« tous-publics » est combiné à d'autres publics.")

    def check_value(self, value: Any) -> Problem | None:
        if not isinstance(value, list) or "tous-publics" not in value:
            return None
        # A set, as in the official model: a repeated value is not "another" public.
        distinct = {item for item in value if isinstance(item, str)}
        if len(distinct) > 1:
            return Problem(
                self.column, self.code,
                f"Le champ {self.column} ne peut pas combiner « tous-publics » avec d'autres publics.",
                value,
            )
        return None


@attrs.define(kw_only=True, repr=False)
class CogCodesCheck(ColumnCheck):
    type: ClassVar[str] = "cog-codes"
    code: ClassVar[str] = "custom:cog-codes"
    Error = _error_class("cog-codes", "Codes COG", "Un élément n'est pas un code du Code officiel géographique.")

    def check_value(self, value: Any) -> Problem | None:
        if not isinstance(value, list):
            return None
        bad = [item for item in value if isinstance(item, str) and not rules.is_cog_code(item)]
        if bad:
            listed = ", ".join(shown(item) for item in bad[:5])
            return Problem(
                self.column, self.code,
                f"Le champ {self.column} doit contenir des codes commune, département, EPCI ou pays, "
                f"ou « france » : {listed} reçu{'s' if len(bad) > 1 else ''}.",
                bad,
            )
        return None


_OPERATORS = {
    "<": (lambda a, b: a < b, "strictement inférieur à"),
    "<=": (lambda a, b: a <= b, "inférieur ou égal à"),
    "==": (lambda a, b: a == b, "égal à"),
    ">=": (lambda a, b: a >= b, "supérieur ou égal à"),
    ">": (lambda a, b: a > b, "strictement supérieur à"),
}


@attrs.define(kw_only=True, repr=False)
class CompareColumnsCheck(SchemaCheck):
    type: ClassVar[str] = "compare-columns"
    code: ClassVar[str] = "custom:compare-columns"
    Error = _error_class("compare-columns", "Comparaison de colonnes", "Deux colonnes ne sont pas dans l'ordre attendu.")

    column: str
    op: str
    column2: str

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.column, self.column2)

    def violations(self, values: Mapping[str, Any]) -> Iterator[Problem]:
        a, b = values.get(self.column), values.get(self.column2)
        if a is None or b is None or type(a) is not type(b) and not _numbers(a, b):
            return
        compare, words = _OPERATORS[self.op]
        try:
            ok = compare(a, b)
        except TypeError:
            return
        if not ok:
            shown_a = a.isoformat() if isinstance(a, date) else a
            shown_b = b.isoformat() if isinstance(b, date) else b
            yield Problem(
                self.column, self.code,
                f"Le champ {self.column} ({shown_a}) doit être {words} {self.column2} ({shown_b}).",
                shown_a,
            )


def _numbers(a: Any, b: Any) -> bool:
    return all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))


_JSON_SCHEMA_WORDS = {
    "type": "n'a pas le bon type",
    "enum": "a une valeur hors des valeurs autorisées",
    "minimum": "est trop petit",
    "maximum": "est trop grand",
    "additionalProperties": "contient une propriété inconnue",
    "required": "n'a pas toutes les propriétés obligatoires",
    "uniqueItems": "contient plusieurs fois la même valeur",
    "minItems": "est une liste vide",
    "pattern": "ne respecte pas le format attendu",
}


@attrs.define(kw_only=True, repr=False)
class JsonSchemaCheck(ColumnCheck):
    """An object field whose shape is a JSON Schema declared in the schema itself."""

    type: ClassVar[str] = "json-schema"
    code: ClassVar[str] = "custom:json-schema"
    Error = _error_class("json-schema", "Forme de l objet", "L'objet n'a pas la forme attendue.")

    schema: dict

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._validator = jsonschema.Draft202012Validator(self.schema)
        # Aid sources repeat the same conditions (age ranges, statuts) and jsonschema takes tens
        # of microseconds an object: verdicts are kept by content. `repr` tells apart what
        # jsonschema tells apart (tuple/list, True/1, NaN/None), unlike a JSON dump.
        self._messages: dict[str, str | None] = {}

    def check_value(self, value: Any) -> Problem | None:
        if not isinstance(value, dict):
            return None
        key = repr(value)
        if key in self._messages:
            message = self._messages[key]
        else:
            message = self._message(value)
            if len(self._messages) >= 4096:
                self._messages.clear()
            self._messages[key] = message
        return None if message is None else Problem(self.column, self.code, message, value)

    def _message(self, value: dict) -> str | None:
        found = sorted(self._validator.iter_errors(value), key=lambda e: list(e.absolute_path))
        if not found:
            return None
        details = []
        for error in found[:5]:
            where = ".".join(str(p) for p in error.absolute_path) or "l'objet"
            if error.validator == "additionalProperties":
                unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
                details.append(f"propriété inconnue {', '.join(shown(k) for k in unknown)}")
                continue
            words = _JSON_SCHEMA_WORDS.get(str(error.validator), "est invalide")
            details.append(f"{where} {words} ({shown(error.instance, 40)})")
        return f"Le champ {self.column} n'a pas la forme attendue : {' ; '.join(details)}."


CHECK_CLASSES: dict[str, type[SchemaCheck]] = {
    cls.type: cls
    for cls in (
        HttpUrlCheck, EmailCheck, UniqueItemsCheck, FiniteNumberCheck, DateBoundsCheck,
        TousPublicsCheck, CogCodesCheck, CompareColumnsCheck, JsonSchemaCheck,
    )
}


def build_checks(descriptor: dict) -> list[SchemaCheck]:
    """Fresh check instances for a schema's `custom_checks` (frictionless connects them to
    one resource, so every validation run needs its own)."""
    built = []
    for declared in descriptor.get("custom_checks", []):
        cls = CHECK_CLASSES.get(declared["name"])
        if cls is None:
            raise ValueError(f"Contrôle inconnu « {declared['name']} » dans le schéma {descriptor.get('name')}.")
        built.append(cls(**declared.get("params", {})))
    return built


def code_of_error_type(error_type: str) -> str | None:
    cls = CHECK_CLASSES.get(error_type)
    return cls.code if cls else None
