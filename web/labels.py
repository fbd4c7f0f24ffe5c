"""French labels of referential values. Which referential a field uses is said by its schema
(`schemas.field_referentials`), never restated here."""

from __future__ import annotations

import re
from datetime import date
from functools import cache

import schemas

# Search facets that are not record fields, and the referential of their values.
FACET_REFERENTIALS = {"categories": "thematiques-categories", "types": "types-de-services"}


MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def label(kind: str | None, field: str, value: object) -> str:
    """The label of `value` in `field` of a record of `kind` (a facet name when kind is None):
    a referential's label, or the value written as in French (« oui », « 1 190,5 », « 4 décembre
    2026 »), never Python's `True`, `1190.5` or ISO dates."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return french_number(value)
    if not isinstance(value, str):
        return str(value)
    if kind is not None and value and _field_types(kind).get(field) == "date":
        return french_date(value)
    if field == "telephone":
        return french_phone(value)
    if kind is None:
        referential = FACET_REFERENTIALS.get(field) or schemas.field_referentials("service").get(field)
    else:
        referential = schemas.field_referentials(kind).get(field)
    if referential is None:
        return value
    return schemas.referential_labels(referential).get(value, value)


def unit_of(kind: str, field: str, value: object, data: dict) -> str:
    """What follows an amount on a page (« 1 190 € », « 50 % », « 10 séances »): a formation's
    price is in euros; an aid's or a mobility solution's amounts in the record's `montant_unite`.
    Empty for any other field, or an amount whose unit the record does not say."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    unit = "euros" if (kind, field) == ("formation", "prix_total_ttc") else \
        data.get("montant_unite") if field in ("montant_min", "montant_max") else None
    if unit == "seances":
        return " séance" if value == 1 else " séances"
    return {"euros": "\u202f€", "pourcentage": "\u202f%"}.get(unit or "", "")


def thematique_choices() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(category value, category label, [(sub-thématique value, label)]) for the search form."""
    labels = schemas.referential_labels("thematiques")
    category_labels = schemas.thematique_categories_labels()
    return [
        (category, category_labels.get(category, category), [(v, labels.get(v, v)) for v in subs])
        for category, subs in schemas.thematique_categories().items()
    ]


def french_number(value: float) -> str:
    """1190.0 → « 1 190 », 4500.5 → « 4 500,5 », 48.9077 → « 48,9077 »: every digit kept (a
    coordinate must not be rounded), a narrow no-break space between thousands."""
    text = repr(float(value))
    if not text[-1].isdigit() or "e" in text:  # nan, inf, 1e+20: as Python writes them
        return str(value)
    whole, _, decimals = text.partition(".")
    grouped = f"{int(whole):,}".replace(",", "\u202f")
    if whole.startswith("-") and not grouped.startswith("-"):  # -0.5
        grouped = "-" + grouped
    return grouped if decimals in ("", "0") else f"{grouped},{decimals}"


# A French number as each source writes it: « +33478700000 », « 0149330000 », « 01 49 33 00 00 ».
_FRENCH_PHONE = re.compile(r"(?:\+33\s?(?:\(0\)\s?)?|0)([1-9](?:[\s.-]?\d{2}){4})")


def french_phone(value: str) -> str:
    """« +33478700000 » → « 04 78 70 00 00 », as conseillers dial and read numbers; anything
    else (overseas « +262 … », short numbers « 3949 », several numbers) as it is written."""
    found = _FRENCH_PHONE.fullmatch(value.strip())
    if found is None:
        return value
    digits = "0" + re.sub(r"\D", "", found.group(1))
    return " ".join(digits[i:i + 2] for i in range(0, 10, 2))


def french_date(value: str) -> str:
    """`2026-12-04` → « 4 décembre 2026 » (the 1st: « 1er ») ; anything else as it is."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{'1er' if day.day == 1 else day.day} {MONTHS[day.month - 1]} {day.year}"


@cache
def _field_types(kind: str) -> dict[str, str]:
    """Field name → the type of its value, or of each item of a list (labels are per item)."""
    return {field["name"]: (field.get("arrayItem") or {}).get("type", "string") if field.get("type") == "array"
            else field.get("type", "string") for field in schemas.load_schema(kind)["fields"]}
