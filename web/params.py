"""Query-string parameters → a `SearchQuery`, the same for the API and the search page.

Multi-valued parameters may be repeated (`?thematiques=a&thematiques=b`) or comma-separated.
"""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.datastructures import MultiDict

from catalog.errors import UnusableInput
from catalog.search import SearchQuery

LIST_PARAMS = ("kinds", "thematiques", "publics", "frais", "modes_accueil", "types", "sources", "facets")
TEXT_PARAMS = ("code_commune", "code_epci", "code_departement", "code_region", "sort", "after")
FLOAT_PARAMS = ("distance", "lat", "lon", "score_qualite_minimum")
# Parameters that make a listing a search (the API then asks the search backend).
FILTER_PARAMS = ("q", *LIST_PARAMS[:-1], *TEXT_PARAMS[:4], "lat", "lon", "score_qualite_minimum")


def values(args: MultiDict, name: str) -> list[str]:
    found = []
    for raw in args.getlist(name):
        found.extend(v.strip() for v in raw.split(",") if v.strip())
    return found


def _float(args: Mapping, name: str) -> float | None:
    raw = (args.get(name) or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise UnusableInput(f"Le paramètre « {name} » doit être un nombre (reçu « {raw} »).") from None


def _int(args: Mapping, name: str, default: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise UnusableInput(f"Le paramètre « {name} » doit être un entier (reçu « {raw} »).") from None


def has_filters(args: MultiDict, *, listing: bool = False) -> bool:
    """Whether `args` make a search. For a kind's listing, `sources` alone does not: the
    catalog lists by source itself, with `modifie_depuis` (synchronising one producer)."""
    return any(args.get(name) for name in FILTER_PARAMS if not (listing and name == "sources"))


def search_query(args: MultiDict, *, kinds: list[str] | None = None, default_size: int = 20) -> SearchQuery:
    query = SearchQuery(
        text=(args.get("q") or "").strip(),
        size=_int(args, "size", default_size),
        exclure_doublons=(args.get("exclure_doublons") or "").lower() in ("1", "true", "oui", "on"),
        inclure_terminees=(args.get("inclure_terminees") or "").lower() in ("1", "true", "oui", "on"),
    )
    for name in LIST_PARAMS:
        setattr(query, name, values(args, name))
    for name in TEXT_PARAMS:
        value = (args.get(name) or "").strip()
        setattr(query, name, value or None)
    for name in FLOAT_PARAMS:
        setattr(query, name, _float(args, name))
    if kinds is not None:
        query.kinds = kinds
    query.validate()
    return query
