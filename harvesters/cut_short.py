"""Whether an item the source may have cut short would shorten its published record.

A CSV file cut inside its last cell still parses: its last row has every cell, the last one
shorter (« Saint-Den » for « Saint-Denis », « 12 » for « 125 »), or empty when the cut fell just
after a separator. Such a file ends without a line break; so do many honest exports, so that alone
refuses nothing. What a cut does, and an update seldom does, is shorten a value to one of its own
beginnings: when the last row of such a file would do that to the record the catalog publishes,
the row is refused (its record stays as it was, and counts as still in the source) and the report
says how to tell the catalog the value is meant: end the file with a line break.
"""

from __future__ import annotations

from typing import Any

from catalog.validation import Problem

CODE = "fin-de-fichier-coupee"
_EMPTY = (None, "", [], {})


def shortened_fields(stored: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The fields whose value in `new` is `stored`'s cut short (both as stored: JSON types)."""
    return sorted(name for name, old in stored.items() if _cut(new.get(name), old))


def _cut(new: Any, old: Any) -> bool:
    if new == old or old in _EMPTY:
        return False
    if new in _EMPTY:
        return True
    if isinstance(old, str) and isinstance(new, str):
        return old.startswith(new)
    if isinstance(old, list) and isinstance(new, list):
        # The cut fell in the list's text: its first items are kept, the last one may be cut.
        end = len(new) - 1
        return len(new) <= len(old) and new[:end] == old[:end] and (new[end] == old[end] or _cut(new[end], old[end]))
    if _is_number(old) and _is_number(new):
        return str(old).startswith(str(new))
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def cut_short_problem(fields: list[str], stored: dict[str, Any], new: dict[str, Any]) -> Problem:
    name = fields[0]
    shown = f"« {_shown(new.get(name))} » au lieu de « {_shown(stored[name])} »"
    others = f" (et {', '.join(fields[1:])})" if len(fields) > 1 else ""
    return Problem(name, CODE, (
        f"Dernière ligne d'un fichier sans saut de ligne final, qui raccourcit la fiche publiée : {name} {shown}"
        f"{others}. Le fichier a sans doute été coupé : la fiche reste telle qu'elle était. Si la nouvelle "
        "valeur est voulue, terminez le fichier par un saut de ligne."))


def _shown(value: Any) -> str:
    text = "" if value in _EMPTY else str(value)
    return text if len(text) <= 60 else text[:57] + "…"
