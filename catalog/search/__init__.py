"""The search port: one query model, one result model, backends chosen by configuration.

    from catalog.search import SearchQuery, get_backend
    result = get_backend(settings).search(SearchQuery(text="permis", code_commune="93066"))

Backends: `sqlite` (embedded default, `catalog/search/sqlite.py`) and `elasticsearch`
(`catalog/search/elastic.py`). Both index the same documents (`documents.build_document`) and
obey the same contract (`tests/test_search_contract.py`): same ids for the same query, same facet
counts. `sync_index(settings, engine)` brings a backend up to date with the catalog's change
sequence; the harvest engine calls it after each committed run.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from catalog.config import Settings

KINDS = ("service", "structure", "formation", "aide", "solution-mobilite")
SORTS = ("pertinence", "distance")
# Facets a query may ask for; each is also a filter of the same name.
FACETS = ("kinds", "thematiques", "categories", "publics", "frais", "modes_accueil", "types",
          "sources", "code_departement")
DEFAULT_DISTANCE_KM = 50.0
MAX_SIZE = 1000


@dataclass
class SearchQuery:
    text: str = ""
    kinds: list[str] = field(default_factory=list)
    code_commune: str | None = None
    # Radius in km for on-site records around the commune or point (remote ones ignore it).
    distance: float | None = None
    lat: float | None = None
    lon: float | None = None
    code_epci: str | None = None
    code_departement: str | None = None
    code_region: str | None = None
    thematiques: list[str] = field(default_factory=list)  # a category or a sub-thématique
    publics: list[str] = field(default_factory=list)
    frais: list[str] = field(default_factory=list)
    modes_accueil: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    score_qualite_minimum: float | None = None
    exclure_doublons: bool = False
    # Aids and mobility solutions whose `date_fin` has passed are left out, unless asked.
    inclure_terminees: bool = False
    sort: str | None = None  # default: "distance" with a place, else "pertinence"
    facets: list[str] = field(default_factory=list)
    size: int = 20
    after: str | None = None  # keyset cursor: `SearchResult.next` of the previous page

    @property
    def has_place(self) -> bool:
        return bool(self.code_commune) or (self.lat is not None and self.lon is not None)

    @property
    def radius_km(self) -> float:
        return DEFAULT_DISTANCE_KM if self.distance is None else float(self.distance)

    @property
    def effective_sort(self) -> str:
        if self.sort:
            return self.sort
        return "distance" if self.has_place else "pertinence"

    def validate(self) -> None:
        from catalog.errors import UnusableInput

        if self.effective_sort not in SORTS:
            raise UnusableInput(f"Tri inconnu : {self.sort!r} (attendu : {', '.join(SORTS)}).")
        if self.effective_sort == "distance" and not self.has_place:
            raise UnusableInput("Le tri par distance demande une commune ou une position.")
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown:
            raise UnusableInput(f"Type de fiche inconnu : {', '.join(unknown)}.")
        bad = [f for f in self.facets if f not in FACETS]
        if bad:
            raise UnusableInput(f"Facette inconnue : {', '.join(bad)} (possibles : {', '.join(FACETS)}).")
        if (self.lat is None) != (self.lon is None):
            raise UnusableInput("La position demande à la fois lat et lon.")
        if self.distance is not None and self.distance <= 0:
            raise UnusableInput("La distance doit être positive.")
        if not 0 < self.size <= MAX_SIZE:
            raise UnusableInput(f"La taille de page doit être comprise entre 1 et {MAX_SIZE}.")


@dataclass
class SearchHit:
    kind: str
    id: str
    nom: str
    source: str
    score: float | None  # relevance (higher is better) when a text was given
    distance: float | None  # km from the searched place, when both positions are known
    # No fields of the record: an index holds what it searches, not the record. Callers read
    # the records a page shows from the catalog (`catalog.queries.get_records`), as published.


@dataclass
class SearchResult:
    hits: list[SearchHit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    next: str | None = None  # cursor for the next page, None on the last one


class SearchBackend(Protocol):
    name: str

    def index(self, documents: Iterable[SearchDocument]) -> int: ...
    def delete(self, keys: Iterable[tuple[str, str]]) -> int: ...  # (kind, id) pairs
    def search(self, query: SearchQuery) -> SearchResult: ...
    def rebuild(self, documents: Iterable[SearchDocument], progress=None) -> int: ...
    def count(self) -> int: ...
    def get_watermark(self) -> int: ...
    def set_watermark(self, seq: int) -> None: ...


from catalog.search.documents import SearchDocument, build_document, load_record


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> list[Any]:
    from catalog.errors import UnusableInput

    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise UnusableInput("Curseur de pagination illisible.") from exc
    if not isinstance(values, list):
        raise UnusableInput("Curseur de pagination illisible.")
    return values


_backends: dict[tuple, SearchBackend] = {}


def get_backend(settings: Settings, name: str | None = None) -> SearchBackend:
    """The backend of these settings, made once per process: the web app asks for it on every
    request, and a backend keeps its connections and caches between searches."""
    name = name or settings.search_backend
    if name == "sqlite":
        key: tuple = (name, str(settings.search_index_path), settings.database_url)
    elif name == "elasticsearch":
        key = (name, settings.elasticsearch_url, settings.elasticsearch_index_prefix,
               settings.database_url)
    else:
        from catalog.errors import UnusableInput

        raise UnusableInput(f"Moteur de recherche inconnu : {name!r} (sqlite ou elasticsearch).")
    backend = _backends.get(key)
    if backend is None:
        if name == "sqlite":
            from catalog.search.sqlite import SqliteBackend

            backend = SqliteBackend(settings)
        else:
            from catalog.search.elastic import ElasticBackend

            backend = ElasticBackend(settings)
        _backends[key] = backend
    return backend


BATCH = 1000  # records read per keyset query
# A sync batch also ends once its documents' text weighs this much: a batch of 4,000 small
# services and one of LHEO sessions with long descriptions then cost alike.
BATCH_BYTES = 6_000_000


def iter_documents(engine, above_seq: int = -1, statuses: tuple[str, ...] | None = None,
                   conn=None) -> Iterator[tuple[int, str, SearchDocument | tuple[str, str]]]:
    """(seq, status, document-or-key) for every record above `above_seq`, in seq order.

    Streams in keyset batches on `seq` so memory stays flat and a concurrent harvest never makes
    a batch skip or repeat a record. Read through `conn` when given (a harvest's own open
    transaction, its uncommitted writes included: `in_step.py`), else a connection per batch.
    """
    from contextlib import nullcontext

    from sqlalchemy import text

    from catalog.territories import get_territories

    territories = get_territories(engine)
    last = above_seq
    status_sql = ""
    if statuses:
        status_sql = " AND status IN (" + ",".join(f"'{s}'" for s in statuses) + ")"
    while True:
        with (nullcontext(conn) if conn is not None else engine.connect()) as reading:
            rows = reading.execute(
                text("SELECT kind, id, source, data, status, seq, date_maj FROM record "
                     f"WHERE seq > :last{status_sql} ORDER BY seq LIMIT :n"),
                {"last": last, "n": BATCH},
            ).all()
        if not rows:
            return
        for kind, rid, source, data, status, seq, date_maj in rows:
            if status == "active":
                doc = build_document(kind, rid, load_record(data), territories, source=source,
                                     date_maj=date_maj, raw=data)
                yield seq, status, doc
            else:
                yield seq, status, (kind, rid)
        last = rows[-1][5]


def changes_in_batches(changes: Iterable[tuple[int, str, SearchDocument | tuple[str, str]]],
                       size: int) -> Iterator[tuple[list[SearchDocument], list[tuple[str, str]], int]]:
    """`iter_documents`' changes grouped for a backend: (documents to index, keys to remove,
    highest seq), a batch ending at `size` changes or BATCH_BYTES of stored JSON and text."""
    docs: list[SearchDocument] = []
    gone: list[tuple[str, str]] = []
    top, weight = None, 0
    for seq, _status, item in changes:
        if isinstance(item, SearchDocument):
            docs.append(item)
            weight += len(item.text)
        else:
            gone.append(item)
        top = seq
        if len(docs) + len(gone) >= size or weight >= BATCH_BYTES:
            yield docs, gone, top
            docs, gone, weight = [], [], 0
    if docs or gone:
        yield docs, gone, top


def count_active_records(engine) -> int:
    """What a rebuild will index (for its progress bar)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM record WHERE status = 'active'")).scalar_one()


def sync_index(settings: Settings, engine, backend: SearchBackend | None = None) -> int:
    """Index every record changed since the backend's watermark; returns how many were applied.

    Archived records leave the index. The watermark moves only after a batch is applied, so a
    crash mid-way repeats work (idempotent) and never skips any.
    """
    backend = backend or get_backend(settings)
    size = getattr(backend, "batch_size", BATCH)
    applied = 0
    for docs, gone, top in changes_in_batches(iter_documents(engine, above_seq=backend.get_watermark()), size):
        applied += _apply(backend, docs, gone, top)
    return applied


def _apply(backend: SearchBackend, docs: list[SearchDocument], gone: list[tuple[str, str]],
           top: int) -> int:
    if docs:
        backend.index(docs)
    if gone:
        backend.delete(gone)
    if top > backend.get_watermark():
        backend.set_watermark(top)
    return len(docs) + len(gone)


def rebuild_index(settings: Settings, engine, backend: SearchBackend | None = None,
                  progress=None) -> int:
    """Reindex every active record from scratch; the watermark ends at the highest seq seen."""
    backend = backend or get_backend(settings)

    def docs() -> Iterator[SearchDocument]:
        for _seq, _status, doc in iter_documents(engine, statuses=("active",)):
            yield doc  # type: ignore[misc]

    with engine.connect() as conn:
        from sqlalchemy import text

        highest = conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM record")).scalar_one()
    n = backend.rebuild(docs(), progress=progress)
    # Records archived during the rebuild are caught by the next sync: the watermark is the seq
    # read *before* the scan started, not the highest seen during it.
    backend.set_watermark(highest)
    return n


__all__ = [
    "DEFAULT_DISTANCE_KM",
    "FACETS",
    "KINDS",
    "SORTS",
    "SearchBackend",
    "SearchDocument",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
    "build_document",
    "decode_cursor",
    "encode_cursor",
    "get_backend",
    "rebuild_index",
    "sync_index",
]
