"""What validation says about a record: problems with a stable code and a French message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a record.

    `code` is stable (reports group on it): "required", "type", "pattern", "enum",
    "min-length", "max-length", "minimum", "maximum", "format", "unique-items",
    "extra-cells", "missing-cells", "blank-row", or "custom:<check name>".
    """

    field: str | None  # the schema field; None for a problem of the whole row
    code: str
    message: str  # French, for people
    value: object = None


# French names of the Table Schema types, to say what was expected.
TYPE_EXPECTATIONS = {
    "string": "une chaîne de caractères",
    "integer": "un nombre entier",
    "number": "un nombre",
    "boolean": "un booléen (true ou false)",
    "date": "une date au format AAAA-MM-JJ",
    "array": "une liste (tableau JSON)",
    "object": "un objet JSON",
}


def shown(value: object, limit: int = 80) -> str:
    """A value as quoted in a message, shortened."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"« {text} »"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"


def required(field: str) -> Problem:
    return Problem(field, "required", f"Le champ {field} est obligatoire.")


def type_error(field: str, type_: str, value: object, item: bool = False) -> Problem:
    expected = TYPE_EXPECTATIONS.get(type_, type_)
    what = "Chaque élément du champ" if item else "Le champ"
    return Problem(field, "type", f"{what} {field} doit être {expected} ({shown(value)} reçu).", value)


def min_length(field: str, minimum: int, value: object) -> Problem:
    size = len(value)  # type: ignore[arg-type]
    unit = "élément" if isinstance(value, list) else "caractère"
    return Problem(
        field, "min-length",
        f"Le champ {field} doit contenir au moins {plural(minimum, unit)} ({size} reçu{'s' if size > 1 else ''}).",
        value,
    )


def max_length(field: str, maximum: int, value: object) -> Problem:
    size = len(value)  # type: ignore[arg-type]
    unit = "élément" if isinstance(value, list) else "caractère"
    return Problem(
        field, "max-length",
        f"Le champ {field} doit contenir au plus {plural(maximum, unit)} ({size} reçus).",
        value,
    )


def minimum(field: str, bound: object, value: object) -> Problem:
    return Problem(field, "minimum", f"Le champ {field} doit être supérieur ou égal à {bound} ({value} reçu).", value)


def maximum(field: str, bound: object, value: object) -> Problem:
    return Problem(field, "maximum", f"Le champ {field} doit être inférieur ou égal à {bound} ({value} reçu).", value)


def pattern(field: str, regex: str, values: list, item: bool = False) -> Problem:
    if item:
        bad = ", ".join(shown(v) for v in values[:5])
        return Problem(
            field, "pattern",
            f"Des éléments du champ {field} ne respectent pas le format attendu ({regex}) : {bad}.",
            values,
        )
    return Problem(
        field, "pattern",
        f"Le champ {field} ne respecte pas le format attendu ({regex}) : {shown(values[0])} reçu.",
        values[0],
    )


def enum(field: str, referentiel: str | None, values: list, item: bool = False) -> Problem:
    where = f"du référentiel {referentiel}" if referentiel else "des valeurs autorisées"
    if item:
        bad = ", ".join(shown(v) for v in values[:5])
        return Problem(field, "enum", f"Le champ {field} contient des valeurs hors {where} : {bad}.", values)
    return Problem(field, "enum", f"La valeur {shown(values[0])} du champ {field} est hors {where}.", values[0])


def item_required(field: str) -> Problem:
    return Problem(field, "required", f"Le champ {field} contient un élément vide ou nul.")


def extra_cells() -> Problem:
    return Problem(None, "extra-cells", "La ligne compte plus de cellules que l'en-tête n'a de colonnes.")


def missing_cells() -> Problem:
    return Problem(None, "missing-cells", "La ligne compte moins de cellules que l'en-tête n'a de colonnes.")


def blank_row() -> Problem:
    return Problem(None, "blank-row", "La ligne est vide.")
