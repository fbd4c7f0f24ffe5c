"""The contract, as data: one Table Schema per record kind, and the referentiels they use.

This module is the only Python that reads the files of `schemas/`; everything else asks it
(code never restates a field list or an enumeration).
"""

from __future__ import annotations

import csv
import io
import json
from functools import cache
from pathlib import Path

KINDS: tuple[str, ...] = ("structure", "service", "formation", "aide", "solution-mobilite")
SCHEMAS_DIR: Path = Path(__file__).resolve().parent
REFERENTIELS_DIR: Path = SCHEMAS_DIR / "referentiels"

# A thématique value is `categorie--sous-thematique` (data·inclusion v1 convention).
THEMATIQUE_SEPARATOR = "--"


def schema_path(kind: str) -> Path:
    if kind not in KINDS:
        raise KeyError(f"Schéma inconnu « {kind} » (schémas : {', '.join(KINDS)}).")
    return SCHEMAS_DIR / kind / "schema.json"


@cache
def _load_schema_text(kind: str) -> str:
    return schema_path(kind).read_text(encoding="utf-8")


def load_schema(kind: str) -> dict:
    """The parsed `schema.json` of a kind (a fresh copy: callers may mutate it)."""
    return json.loads(_load_schema_text(kind))


@cache
def field_names(kind: str) -> tuple[str, ...]:
    return tuple(field["name"] for field in load_schema(kind)["fields"])


@cache
def url_fields(kind: str) -> tuple[str, ...]:
    """The fields of `kind` that hold a web address (its schema's `http-url` check)."""
    checks = load_schema(kind).get("custom_checks", [])
    return tuple(column for check in checks if check.get("name") == "http-url"
                 for column in check.get("params", {}).get("columns", []))


@cache
def max_lengths(kind: str) -> dict[str, int]:
    """Field name → its schema's `maxLength`, for the text fields that have one."""
    return {field["name"]: field["constraints"]["maxLength"] for field in load_schema(kind)["fields"]
            if field.get("type") == "string" and "maxLength" in field.get("constraints", {})}


def referential_path(name: str) -> Path:
    return REFERENTIELS_DIR / f"{name}.csv"


def referential_names() -> tuple[str, ...]:
    from schemas.sync import DATA_INCLUSION_REFERENTIELS

    return tuple(sorted({p.stem for p in REFERENTIELS_DIR.glob("*.csv")} | set(DATA_INCLUSION_REFERENTIELS)))


@cache
def _referential_rows(name: str) -> tuple[tuple[str, str, str], ...]:
    path = referential_path(name)
    if path.exists():
        with open(path, encoding="utf-8", newline="") as f:
            return tuple((row["value"], row["label"], row["description"]) for row in csv.DictReader(f))
    from schemas.sync import DATA_INCLUSION_REFERENTIELS, data_inclusion_referentiel

    if name not in DATA_INCLUSION_REFERENTIELS:
        raise KeyError(f"Référentiel inconnu « {name} ».")
    # Not written yet (`make install` writes it): the official package's enums, as the file has.
    rows = csv.DictReader(io.StringIO(data_inclusion_referentiel(name)))
    return tuple((row["value"], row["label"], row["description"]) for row in rows)


def referential(name: str) -> list[dict]:
    """Rows of `referentiels/<name>.csv` as `{"value", "label", "description"}` dicts."""
    return [
        {"value": value, "label": label, "description": description}
        for value, label, description in _referential_rows(name)
    ]


@cache
def referential_values(name: str) -> frozenset[str]:
    return frozenset(row[0] for row in _referential_rows(name))


@cache
def referential_labels(name: str) -> dict[str, str]:
    return {row[0]: row[1] for row in _referential_rows(name)}


def thematique_category(thematique: str) -> str:
    """The category of a thématique value (`mobilite--preparer-un-permis` → `mobilite`)."""
    return thematique.split(THEMATIQUE_SEPARATOR, 1)[0]


@cache
def _thematique_categories() -> tuple[tuple[str, tuple[str, ...]], ...]:
    by_category: dict[str, list[str]] = {row[0]: [] for row in _referential_rows("thematiques-categories")}
    for value, _label, _description in _referential_rows("thematiques"):
        by_category.setdefault(thematique_category(value), []).append(value)
    return tuple((category, tuple(values)) for category, values in by_category.items())


def thematique_categories() -> dict[str, list[str]]:
    """Each thématique category (`thematiques-categories` referentiel) with its thématiques."""
    return {category: list(values) for category, values in _thematique_categories()}


def clear_caches() -> None:
    """Forget what was read (after `schemas.sync` rewrote files)."""
    for function in (_load_schema_text, field_names, url_fields, max_lengths, _referential_rows,
                     referential_values, referential_labels, _thematique_categories):
        function.cache_clear()


def thematique_categories_labels() -> dict[str, str]:
    """French label of each thématique category."""
    return dict(referential_labels("thematiques-categories"))


def field_referentials(kind: str) -> dict[str, str]:
    """Field name → name of the referentiel its values (or its items' values) come from."""
    return {
        field["name"]: field["referentiel"]
        for field in load_schema(kind)["fields"]
        if "referentiel" in field
    }


def datapackage_path() -> Path:
    return SCHEMAS_DIR / "datapackage.json"
