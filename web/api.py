"""Open data API v1 (JSON).

- `GET /api/v1/{services,structures,formations,aides,solutions-mobilite}`: every active record of
  a kind, keyset-paged (`size`, `after` = the `next` cursor of the previous page), optionally
  `sources` and `modifie_depuis` (ISO date-time, for synchronisation). Each page says
  `modifie_depuis_suivant`: the first page's is what to pass as `modifie_depuis` next time, to
  miss nothing (a harvest's records show at its commit, stamped with its start). `archivees=1`
  lists, the same way, the ids of the records archived (gone from their source). With search
  filters (`q`, `code_commune`, `thematiques`...), the list is answered by the search backend,
  which knows neither `modifie_depuis` nor archives: combining them is refused.
- `GET /api/v1/<kind>/<id>`: one record (410 once archived).
- `GET /api/v1/search`: every kind, French full text, territory and eligibility, facets.

Records are published as their schema says (every field, null when empty), minus personal data.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, jsonify, request, url_for

import schemas
from catalog.clock import as_utc
from catalog.errors import UnusableInput
from catalog.models import RECORD_ACTIVE, RECORD_ARCHIVED
from catalog.privacy import public_view
from catalog.queries import get_record, get_records, list_records, sync_point
from web import context
from web.kinds import KIND_SLUG_ARGS, SLUGS
from web.params import has_filters, search_query, values

blueprint = Blueprint("api", __name__)


def published(kind: str, data: dict) -> dict:
    view = public_view(data, kind)
    return {name: view.get(name) for name in schemas.field_names(kind)}


def _next_url(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    args = request.args.copy()
    args["after"] = cursor
    return url_for(request.endpoint, **request.view_args, **args.to_dict(flat=False), _external=True)


@blueprint.get("/search")
def search():
    query = search_query(request.args, default_size=20)
    result = context.search_backend().search(query)
    stored = get_records(context.engine(), [(h.kind, h.id) for h in result.hits])
    items = []
    for hit in result.hits:
        record = stored.get((hit.kind, hit.id))
        if record is None or record.status != "active":
            continue  # the index may lag a write by a moment; never publish what the store lacks
        items.append({"kind": hit.kind, "id": hit.id, "distance": hit.distance, "score": hit.score,
                      "record": published(hit.kind, record.data)})
    return jsonify({"items": items, "total": result.total, "facets": result.facets, "next": _next_url(result.next)})


@blueprint.get("/<any(" + KIND_SLUG_ARGS + "):slug>")
def list_kind(slug: str):
    kind = SLUGS[slug]
    if has_filters(request.args, listing=True):
        if request.args.get("modifie_depuis") or _archived():
            raise UnusableInput("« modifie_depuis » et « archivees » se combinent avec « sources », « size » et "
                                "« after » seulement : la recherche ne connaît ni les dates de modification, ni les "
                                "fiches archivées.")
        query = search_query(request.args, kinds=[kind], default_size=100)
        result = context.search_backend().search(query)
        stored = get_records(context.engine(), [(h.kind, h.id) for h in result.hits])
        items = [published(kind, stored[(h.kind, h.id)].data) for h in result.hits
                 if (h.kind, h.id) in stored and stored[(h.kind, h.id)].status == "active"]
        return jsonify({"items": items, "total": result.total, "size": query.size, "next": _next_url(result.next)})
    size = _size()
    next_since = sync_point(context.engine())  # before reading: nothing committed after it is missed
    archived = _archived()
    page = list_records(context.engine(), kind, size=size, after=request.args.get("after"),
                        sources=values(request.args, "sources") or None, modified_since=_since(),
                        status=RECORD_ARCHIVED if archived else RECORD_ACTIVE)
    return jsonify({
        "items": [{"id": r.id, "archivee": True, "modifie_le": _iso(r.updated_at)} if archived
                  else published(kind, r.data) for r in page.records],
        "total": page.total,
        "size": size,
        "next": _next_url(page.next),
        "modifie_depuis_suivant": _iso(next_since),
    })


@blueprint.get("/<any(" + KIND_SLUG_ARGS + "):slug>/<path:record_id>")
def one(slug: str, record_id: str):
    kind = SLUGS[slug]
    record = get_record(context.engine(), kind, record_id)
    if record is None:
        abort(404)
    if record.status != "active":
        return jsonify({"erreur": "Cette fiche a été archivée : elle a disparu de sa source.",
                        "id": record_id, "archivee": True}), 410
    return jsonify(published(kind, record.data))


def _archived() -> bool:
    return (request.args.get("archivees") or "").strip().lower() in ("1", "true", "oui")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else as_utc(moment).isoformat().replace("+00:00", "Z")


def _size() -> int:
    raw = request.args.get("size", "100")
    try:
        return int(raw)
    except ValueError:
        raise UnusableInput(f"Le paramètre « size » doit être un entier (reçu « {raw} »).") from None


def _since() -> datetime | None:
    raw = request.args.get("modifie_depuis")
    if not raw:
        return None
    try:
        # In UTC now, as stored: « 0001-01-01T00:00:00+01:00 » is before year 1 there.
        return as_utc(datetime.fromisoformat(raw))
    except (ValueError, OverflowError):
        raise UnusableInput("« modifie_depuis » attend une date ISO 8601 (ex. 2025-01-31T00:00:00Z).") from None
