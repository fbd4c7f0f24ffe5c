"""Relevance: French queries over the hand-made corpus, with the results people expect on top.

Plurals, accents, case, elisions, synonyms (`catalog/search/synonyms.txt`) and one-letter typos
(`catalog/search/typos.py`) are covered; each case says which records must come first.
Run on the embedded backend (and on Elasticsearch when ELASTICSEARCH_URL is set, typos aside:
its typo handling is Elasticsearch's own).
"""

from __future__ import annotations

import json

import pytest

from catalog.search import SearchQuery, sync_index
from tests.test_search_support import (
    BACKENDS,
    FIXTURES,
    backend_for,
    corpus,
    load_territories,
    write_records,
)

CASES = json.loads((FIXTURES / "search" / "relevance.json").read_text(encoding="utf-8"))


def test_the_set_is_large_enough():
    assert len(CASES) >= 40
    assert sum(1 for c in CASES if c.get("typo")) >= 5


@pytest.fixture(scope="module", params=BACKENDS)
def indexed(request, tmp_path_factory):
    from catalog.config import load_settings
    from catalog.db import get_engine, reset_database

    data_dir = tmp_path_factory.mktemp("relevance")
    settings = load_settings({"MAILLAGE_DATA_DIR": str(data_dir)})
    engine = get_engine(settings)
    reset_database(engine)
    load_territories(engine)
    write_records(engine, corpus())
    backend, settings = backend_for(request.param, settings)
    sync_index(settings, engine, backend)
    yield backend
    if hasattr(backend, "drop"):
        backend.drop()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["q"] + (f" @{c['code_commune']}" if c.get("code_commune") else ""))
def test_expected_results_come_first(indexed, case):
    if case.get("typo") and indexed.name != "sqlite":
        pytest.skip("typos: the embedded backend's own rule")
    query = SearchQuery(text=case["q"], code_commune=case.get("code_commune"),
                        kinds=case.get("kinds", []), size=50)
    got = [h.id for h in indexed.search(query).hits]
    if "first" in case:
        assert got[:1] == [case["first"]], got[:5]
    if "top" in case:
        k = case.get("k", len(case["top"]))
        missing = set(case["top"]) - set(got[:k])
        assert not missing, f"absent des {k} premiers : {missing} ; reçus : {got[:k]}"
    for absent in case.get("absent", []):
        assert absent not in got
