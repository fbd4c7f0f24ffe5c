"""Relevance-sorted pages through `topk` (classes of equal score) equal FTS5's bm25 of every match.

The hand-made corpus is small, so both paths are forced: `topk` for every query, then FTS5 for
every query; ids, scores and cursors must be identical, page after page.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from catalog.search import SearchQuery, sync_index, topk
from catalog.search import sqlite as embedded
from tests.test_search_support import FIXTURES, backend_for, corpus, load_territories, write_records

CASES = json.loads((FIXTURES / "search" / "relevance.json").read_text(encoding="utf-8"))
QUERIES = [SearchQuery(text=c["q"], kinds=c.get("kinds", []), sort="pertinence", size=3)
           for c in CASES] + [
    SearchQuery(text="permis", code_commune="93066", sort="pertinence", size=2),
    SearchQuery(text="emploi jeunes", sort="pertinence", size=2, facets=["kinds"]),
    SearchQuery(text="hébergement d'urgence", exclure_doublons=True, size=2),
    SearchQuery(text="abc emploi", sort="pertinence", size=2),
    SearchQuery(text="hh hébergement", sort="pertinence", size=2),
]


# Terms FTS5 might split or fold otherwise (non-ASCII, capitals from compatibility letters):
# scored by FTS5 itself, beside the classes.
ODD = [("service", {"source": "odd", "id": f"odd--{i}", "nom": nom, "description": text,
                    "thematiques": ["trouver-un-emploi--repondre-a-des-offres-demploi"],
                    "modes_accueil": ["a-distance"], "zone_eligibilite": ["france"]})
       for i, (nom, text) in enumerate([
           ("Ωμέγα emploi jeunes", "Atelier emploi en grec : Ωμέγα, ΟΔΟΣ."),
           ("𝐀𝐁𝐂 hébergement d'urgence", "ℌébergement d'urgence et permis, 𝐇𝐇 𝐡𝐡."),
       ])]


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    from catalog.config import load_settings
    from catalog.db import get_engine, reset_database

    settings = load_settings({"MAILLAGE_DATA_DIR": str(tmp_path_factory.mktemp("topk"))})
    engine = get_engine(settings)
    reset_database(engine)
    load_territories(engine)
    write_records(engine, corpus() + ODD)
    search_backend, settings = backend_for("sqlite", settings)
    sync_index(settings, engine, search_backend)
    return search_backend


def pages(backend, query: SearchQuery) -> list[tuple]:
    out = []
    while True:
        result = backend.search(query)
        out.append(([(h.id, h.score, h.distance) for h in result.hits], result.total, result.next))
        if not result.next or len(out) > 20:
            return out
        query = replace(query, after=result.next)


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.text)
def test_classes_give_fts5_ranks(backend, monkeypatch, query):
    monkeypatch.setattr(embedded, "PYTHON_BM25_MAX", -1)  # every search through topk...
    used = []
    real = topk.best

    def spy(*args, **kwargs):
        found = real(*args, **kwargs)
        used.append(found is not None)
        return found

    monkeypatch.setattr(topk, "best", spy)
    through_classes = pages(backend, query)
    assert used and all(used)
    monkeypatch.setattr(topk, "best", lambda *a, **k: None)  # ...then FTS5 for every match
    assert through_classes == pages(backend, query)


def test_odd_documents_are_scored_too(backend, monkeypatch):
    monkeypatch.setattr(embedded, "PYTHON_BM25_MAX", -1)
    got = {h.id for q in ("emploi jeunes", "abc emploi", "hh hébergement")
           for h in backend.search(SearchQuery(text=q, sort="pertinence", size=50)).hits}
    assert {"odd--0", "odd--1"} <= got
