"""Public pages: search (the conseiller's entry point) and one page per record."""

from __future__ import annotations

import json

from flask import Blueprint, abort, render_template, request

import schemas
from catalog.errors import UnusableInput
from catalog.privacy import public_view
from catalog.queries import get_record, get_records
from catalog.search.documents import CLOSING_KINDS
from catalog.search.plan import today_in_france
from web import context
from web.kinds import KIND_SLUG_ARGS, LABELS, SLUG_OF, SLUGS
from web.labels import label, thematique_choices, unit_of
from web.params import search_query

blueprint = Blueprint("pages", __name__)
FACET_TITLES = {
    "kinds": "Type de fiche",
    "categories": "Thématique",
    "publics": "Public",
    "frais": "Frais",
    "modes_accueil": "Accueil",
}


@blueprint.app_context_processor
def _helpers():
    return {"label": label, "kind_label": LABELS, "slug_of": SLUG_OF, "readable_json": readable_json,
            "unit_of": unit_of, "today_iso": lambda: today_in_france().isoformat(),
            "closing_kinds": CLOSING_KINDS}


def readable_json(value) -> str:
    """JSON as people read it: indented, accents and « >= » as written. Jinja's `tojson` writes
    « \u003e= » (it is meant for scripts); this text is escaped like any other by the page."""
    return json.dumps(value, ensure_ascii=False, indent=2)


@blueprint.get("/")
def search():
    args = request.args.copy()
    where = (args.get("ou") or "").strip()
    place, place_error, homonyms = _resolve_place(where) if where else (None, None, [])
    if place:
        args["code_commune"] = place.code
    args.setlist("facets", list(FACET_TITLES))
    searched = any(args.get(k) for k in ("q", "ou", "thematiques", "kinds", "publics", "frais"))
    result, error, hits = None, place_error, []
    if searched and not place_error:
        try:
            query = search_query(args)
            result = context.search_backend().search(query)
        except UnusableInput as exc:
            error = str(exc)
        if result is not None:
            stored = get_records(context.engine(), [(h.kind, h.id) for h in result.hits])
            for hit in result.hits:
                record = stored.get((hit.kind, hit.id))
                if record is not None and record.status == "active":
                    hits.append((hit, public_view(record.data, hit.kind)))
    next_args = None
    if result is not None and result.next:
        next_args = request.args.copy()
        next_args["after"] = result.next
    return render_template(
        "search.html", args=request.args, place=place, result=result, hits=hits, error=error,
        searched=searched, next_args=next_args, facet_titles=FACET_TITLES, homonyms=homonyms,
        homonyms_title=(f"Le code « {where} » désigne aussi :" if _is_code(where) else
                        "Autres communes du même nom :" if len(homonyms) > 1 else "Autre commune du même nom :"),
        thematiques=thematique_choices(), kinds=LABELS,
        publics=schemas.referential("publics"), frais=schemas.referential("frais"),
    )


@blueprint.get("/fiches/<any(" + KIND_SLUG_ARGS + "):slug>/<path:record_id>")
def record(slug: str, record_id: str):
    kind = SLUGS[slug]
    stored = get_record(context.engine(), kind, record_id)
    if stored is None:
        abort(404)
    fields = schemas.load_schema(kind)["fields"]
    return render_template("record.html", record=stored, kind=kind, data=public_view(stored.data, kind), fields=fields)


def _is_code(text: str) -> bool:
    """A code (INSEE or postal), not a name: digits, or Corsica's « 2A004 »."""
    return text.isdigit() or (len(text) == 5 and text[:2].upper() in ("2A", "2B"))


def _resolve_place(text: str):
    """(commune, error, others) from what a person typed: INSEE code, postal code or name;
    `others` are the other communes it may mean, for the page to propose.

    Several communes share a name (Saint-Denis in Seine-Saint-Denis and at La Réunion): the
    search then proposes them all instead of silently picking the most populous one. Five digits
    may be an INSEE code and another commune's postal code (« 13003 »: Allauch, and Marseille's
    3rd arrondissement): the INSEE code is taken, as links carry it, and the postal code's
    communes are proposed.
    """
    from catalog.search.analysis import fold
    from catalog.territories import get_territories

    territories = get_territories(context.engine())
    text = text.strip()
    if _is_code(text):
        commune = territories.commune(text.upper())
        candidates = [c for c in territories.communes_for_postal_code(text) if c != commune]
        if commune:
            return commune, None, candidates
        if candidates:
            return candidates[0], None, candidates[1:]
    else:
        candidates = territories.search_communes(text, limit=10)
        same_name = [c for c in candidates if fold(c.nom) == fold(text)]
        if same_name:
            return same_name[0], None, same_name[1:]
        if candidates:
            return candidates[0], None, []
    return None, f"Commune introuvable : « {text} ». Saisissez un nom de commune, un code postal ou un code INSEE.", []
