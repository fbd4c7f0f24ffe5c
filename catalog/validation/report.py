"""A French validation report grouped by kind of problem (code and field), with counts and
the first row numbers of each group — what a producer needs to fix a file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from catalog.validation.problems import Problem

# What each problem code means, said briefly (the first example message says the rest).
CODE_LABELS = {
    "required": "valeur obligatoire manquante",
    "type": "type de valeur incorrect",
    "pattern": "format incorrect",
    "enum": "valeur hors référentiel",
    "min-length": "trop court",
    "max-length": "trop long",
    "minimum": "valeur trop petite",
    "maximum": "valeur trop grande",
    "format": "adresse invalide",
    "unique-items": "valeur répétée dans la liste",
    "extra-cells": "cellules en trop",
    "missing-cells": "cellules manquantes",
    "blank-row": "ligne vide",
    "custom:tous-publics": "« tous-publics » combiné à d'autres publics",
    "custom:date-bounds": "date hors des bornes admises",
    "custom:cog-codes": "code géographique invalide",
    "custom:finite-number": "nombre non fini (NaN ou infini)",
    "custom:compare-columns": "valeurs dans le mauvais ordre",
    "custom:json-schema": "objet mal formé",
}


def code_label(code: str) -> str:
    return CODE_LABELS.get(code, code)


@dataclass
class Group:
    field: str | None
    code: str
    count: int = 0
    rows: list[int] = field(default_factory=list)
    example: str = ""


@dataclass
class Summary:
    """Problems of a whole file, grouped; add rows one at a time (memory stays bounded)."""

    kind: str
    guessed: bool = False
    unit: str = "ligne"  # "ligne" for CSV (file line numbers), "élément" for JSON and Parquet
    max_rows_shown: int = 10
    rows: int = 0
    invalid: int = 0
    groups: dict[tuple[str | None, str], Group] = field(default_factory=dict)

    def add(self, position: int, problems: Iterable[Problem]) -> None:
        self.rows += 1
        seen = set()
        for problem in problems:
            key = (problem.field, problem.code)
            if key in seen:
                continue
            seen.add(key)
            group = self.groups.get(key)
            if group is None:
                group = self.groups[key] = Group(problem.field, problem.code, example=problem.message)
            group.count += 1
            if len(group.rows) < self.max_rows_shown:
                group.rows.append(position)
        if seen:
            self.invalid += 1

    @property
    def valid(self) -> bool:
        return self.invalid == 0

    def sorted_groups(self) -> list[Group]:
        return sorted(self.groups.values(), key=lambda g: (-g.count, g.field or "", g.code))


def _plural(count: int, word: str) -> str:
    if count > 1 and not word.endswith("s"):
        word += "s"
    return f"{count} {word}"


def format_report(summary: Summary) -> str:
    """The report, in French, e.g.
    `✗ 12 lignes invalides sur 340 — « thematiques » : valeur hors référentiel (7) : lignes 4, 9, 17…`"""
    how = "deviné d'après les colonnes" if summary.guessed else "indiqué"
    lines = [f"Schéma : {summary.kind} ({how})"]
    total = _plural(summary.rows, summary.unit)
    if summary.valid:
        lines.append(f"✓ {total} : toutes valides." if summary.rows else f"✓ Aucune {summary.unit} à valider.")
        return "\n".join(lines) + "\n"
    invalid = _plural(summary.invalid, summary.unit)
    adjective = "invalides" if summary.invalid > 1 else "invalide"
    lines.append(f"✗ {invalid} {adjective} sur {summary.rows}")
    for group in summary.sorted_groups():
        subject = f"« {group.field} »" if group.field else "ligne entière"
        shown = ", ".join(str(row) for row in group.rows)
        more = "…" if group.count > len(group.rows) else ""
        where = f"{summary.unit}s" if len(group.rows) > 1 else summary.unit
        lines.append(f"  — {subject} : {code_label(group.code)} ({group.count}) : {where} {shown}{more}")
        lines.append(f"      par exemple, {summary.unit} {group.rows[0]} : {group.example}")
    return "\n".join(lines) + "\n"
