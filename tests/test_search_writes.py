"""Incremental writes to the embedded index: ids, rollbacks, and what tells searchers to refresh."""

from __future__ import annotations

import sqlite3

import pytest

from catalog.search import SearchQuery, build_document
from catalog.search import sqlite as embedded
from catalog.territories import Territories


@pytest.fixture
def backend(tmp_path):
    from catalog.config import load_settings

    backend = embedded.SqliteBackend(load_settings({"MAILLAGE_DATA_DIR": str(tmp_path)}),
                                     territories=Territories())
    yield backend
    backend.close()


def doc(rid: str, nom: str, **data):
    return build_document("service", rid, {"nom": nom, **data})


def found(backend, text: str) -> list[str]:
    return sorted(hit.id for hit in backend.search(SearchQuery(text=text)).hits)


def highest_docid(backend) -> int:
    g = backend._generation()
    return backend.conn.execute(f"SELECT MAX(docid) FROM doc_{g}").fetchone()[0]


def test_a_reindexed_document_keeps_its_id_and_only_its_new_text(backend):
    backend.index([doc("a", "Atelier numérique"), doc("b", "Permis de conduire")])
    for round_ in range(5):
        backend.index([doc("a", f"Épicerie solidaire {round_}"), doc(f"new{round_}", "Garde d'enfants")])
    assert highest_docid(backend) == 7  # a, b and five new ones: updates take no new id
    assert found(backend, "épicerie") == ["a"]
    assert found(backend, "atelier numérique") == []
    assert found(backend, "garde enfants") == [f"new{i}" for i in range(5)]
    assert backend.count() == 7
    # The document with the highest id, re-indexed beside a new one: two ids, no clash.
    backend.index([doc("new4", "Épicerie sociale"), doc("z", "Atelier cuisine")])
    assert highest_docid(backend) == 8
    assert found(backend, "epicerie") == ["a", "new4"]
    assert found(backend, "atelier") == ["z"]


def test_a_rolled_back_write_leaves_no_token_id_behind(backend):
    backend.index([doc("a", "alpha")])
    unserialisable = doc("bad", "delta")
    unserialisable.score_qualite = {1, 2}  # a set: SQLite refuses it mid-write
    with pytest.raises(sqlite3.ProgrammingError):
        backend.index([doc("b", "beta"), unserialisable])
    backend.index([doc("c", "gamma")])
    backend.index([doc("b2", "beta")])
    # The tokens of the failed batch must not lend their ids to later ones.
    assert found(backend, "beta") == ["b2"]
    assert found(backend, "gamma") == ["c"]
    assert found(backend, "alpha") == ["a"]


def test_only_a_real_change_tells_searchers_to_drop_their_caches(backend):
    backend.index([doc("a", "alpha")])
    version = backend._meta("version")
    assert backend.delete([("service", "never-indexed")]) == 0
    assert backend.index([]) == 0
    assert backend._meta("version") == version
    assert backend.delete([("service", "a")]) == 1
    assert backend._meta("version") != version
    assert found(backend, "alpha") == []
