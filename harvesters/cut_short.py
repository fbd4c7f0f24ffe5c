"""Whether an item the source may have cut short would shorten its published record.

A CSV file cut inside its last cell still parses: its last row has every cell, the last one
shorter (« Saint-Den » for « Saint-Denis », « 12 » for « 125 »), or empty when the cut fell just
after a separator. An aides-jeunes YAML file cut between two keys parses too, without its last
keys or list items. Such files end without a line break; so do some honest exports, so that alone
refuses nothing. What a cut does, and an update seldom does, is shorten a value to one of its own
beginnings (a text, a number, a list or an object losing its end): when the last item of such a
file would do that to the record the catalog publishes, it is refused (its record stays as it
was, and counts as still in the source) and the report says how to tell the catalog the change is
meant: end the file with a line break. So is a last item whose date of update alone would change:
a cut date still reads as a date, and a date cut away is replaced by the file's. A new record
there has nothing to compare with: it is published with a warning that asks the operator to check
it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catalog.validation import Problem

CODE = "fin-de-fichier-coupee"
NEW_RECORD_CODE = "fin-de-fichier-sans-saut-de-ligne"
_EMPTY = (None, "", [], {})
DATE = "date_maj"


def shortened_fields(stored: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The fields whose value in `new` is `stored`'s cut short (both as stored: JSON types)."""
    return sorted(name for name, old in stored.items() if _cut(new.get(name), old))


def cut_fields(stored: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What tells that `new` may be `stored` read from a cut file: its shortened fields, or
    `date_maj` when nothing else changed. A date cut away entirely is replaced by the file's own
    (a date cut in part, « 2025-02-1 », is no date: written_dates.py), and a format may read a
    date more leniently than the template: the date alone would change, which an honest update of
    the last row seldom does."""
    fields = shortened_fields(stored, new)
    if not fields and new.get(DATE) != stored.get(DATE) and _without_date(new) == _without_date(stored):
        return [DATE]
    return fields


def changed_fields(stored: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every field whose value differs, for a format where any change may be a cut's."""
    return sorted(name for name in stored.keys() | new.keys()
                  if stored.get(name) != new.get(name) and not (stored.get(name) in _EMPTY and new.get(name) in _EMPTY))


def _without_date(data: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in data.items() if name != DATE and value not in _EMPTY}


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
    if isinstance(old, dict) and isinstance(new, dict):
        # A YAML file cut between two keys: the object lost its last ones (its last may be cut).
        return new.keys() <= old.keys() and all(new[k] == old[k] or _cut(new[k], old[k]) for k in new)
    if _is_number(old) and _is_number(new):
        return str(old).startswith(str(new))
    return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def ends_unterminated(path: Path) -> bool:
    """Whether a file ends without a line break (every editor and export ends a text file with
    one; a copy cut short does not)."""
    with open(path, "rb") as f:
        if f.seek(0, 2) == 0:
            return False
        f.seek(-1, 2)
        return f.read(1) not in (b"\n", b"\r")


def cut_short_problem(fields: list[str], stored: dict[str, Any], new: dict[str, Any]) -> Problem:
    if shortened_fields(stored, new):
        effect = f"qui raccourcirait la fiche publiée ({', '.join(fields)})"
    elif fields == [DATE]:
        effect = "qui ne changerait que la date de mise à jour de la fiche publiée"
    else:  # a format whose files always end with a line break (`cut_short_refuses_any_change`)
        effect = f"qui changerait la fiche publiée ({', '.join(fields)})"
    return Problem(fields[0], CODE, (
        f"Fin d'un fichier sans saut de ligne final, {effect}{_first_shown(fields, stored, new)}. Le fichier a sans "
        "doute été coupé : la fiche reste telle qu'elle était. Si ce changement est voulu, terminez le fichier par "
        "un saut de ligne."))


def new_record_problem() -> Problem:
    return Problem(None, NEW_RECORD_CODE, (
        "Nouvelle fiche lue à la fin d'un fichier sans saut de ligne final : si le fichier a été coupé, elle "
        "l'est aussi (sa dernière valeur peut être incomplète). Elle est publiée ; vérifiez-la, et terminez le "
        "fichier par un saut de ligne."))


def _first_shown(fields: list[str], stored: dict[str, Any], new: dict[str, Any]) -> str:
    # A text or a number is shown beside its published value; an object or a list, by its name only.
    return next((f" : {name} {_shown(new.get(name))} au lieu de {_shown(stored.get(name))}" for name in fields
                 if isinstance(stored.get(name, ""), str) or _is_number(stored.get(name))), "")


def _shown(value: Any) -> str:
    if value in _EMPTY:
        return "vide"
    text = str(value)
    return f"« {text if len(text) <= 60 else text[:57] + '…'} »"
