"""`maillage search` and `maillage index`: flags mirror the query model; French output or JSON."""

from __future__ import annotations

import json

from click.testing import CliRunner

from catalog.search import SearchQuery, get_backend, rebuild_index, sync_index
from maillage.cli.index import command as index_command
from maillage.cli.search import command as search_command
from tests.test_search_support import corpus, load_territories, write_records


def setup(engine) -> None:
    load_territories(engine)
    write_records(engine, corpus())


def test_index_rebuild_then_search_in_french(settings, engine):
    setup(engine)
    runner = CliRunner()
    result = runner.invoke(index_command, ["rebuild"])
    assert result.exit_code == 0, result.output
    assert "50 fiches indexées (sqlite)" in result.output
    out = runner.invoke(search_command, ["permis", "--code-commune", "93066", "--facet", "kinds"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == "4 résultats"
    assert "Aide au financement du permis de conduire [service] 93200 Saint-Denis — 0.3 km" in lines[1]
    assert "à distance" in out.output  # the remote course says so
    assert "kinds : service (3), aide (1)" in out.output


def test_json_output_and_filters(settings, engine):
    setup(engine)
    sync_index(settings, engine)
    runner = CliRunner()
    out = runner.invoke(search_command, ["--code-commune", "93066", "--kind", "formation",
                                         "--thematique", "se-former", "--json", "--size", "1"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    assert payload["total"] == 3  # CACES, aide-soignant (région), développeur web (remote)
    assert payload["hits"][0]["id"] == "carif--caces" and payload["next"]
    nxt = runner.invoke(search_command, ["--code-commune", "93066", "--kind", "formation",
                                         "--thematique", "se-former", "--json", "--size", "1",
                                         "--after", payload["next"]])
    assert json.loads(nxt.output)["hits"][0]["id"] == "carif--aide-soignant"


def test_bad_input_exits_2_with_a_french_message(settings, engine):
    setup(engine)
    out = CliRunner().invoke(search_command, ["--code-commune", "00000"])
    assert out.exit_code == 2 and "Commune inconnue" in out.output
    out = CliRunner().invoke(search_command, ["--sort", "distance"])
    assert out.exit_code == 2 and "tri par distance" in out.output


def test_watermark_rebuild_and_sync(settings, engine):
    setup(engine)
    backend = get_backend(settings)
    assert backend.get_watermark() == 0
    assert rebuild_index(settings, engine, backend) == 50
    mark = backend.get_watermark()
    assert mark > 0 and sync_index(settings, engine, backend) == 0
    kind, data = corpus()[0]
    write_records(engine, [(kind, {**data, "nom": "Aide au permis pour les apprentis"})])
    assert sync_index(settings, engine, backend) == 1
    assert backend.get_watermark() > mark
    hit = backend.search(SearchQuery(text="apprentis")).hits[0]
    assert hit.id == data["id"] and hit.nom == "Aide au permis pour les apprentis"
    # A rebuild replaces the whole generation; the old one is dropped, the count is intact.
    assert rebuild_index(settings, engine, backend) == 50 and backend.count() == 50


def test_elasticsearch_without_url_is_a_readable_error(settings, engine):
    out = CliRunner().invoke(index_command, ["rebuild", "--backend", "elasticsearch"])
    assert out.exit_code == 2 and "ELASTICSEARCH_URL" in out.output


PERSONAL = {"contact_nom_prenom": "Jean Dupont", "courriel": "jean.dupont@gmail.com",
            "description": "Atelier CV du mardi. Écrire à jean.dupont@gmail.com ou à accueil@asso-exemple.fr."}


def test_the_index_holds_only_what_may_be_published(settings, engine):
    """A search for an address masked on the page must not find the record behind it: it would
    confirm who the record's contact is."""
    kind, data = corpus()[0]
    write_records(engine, [(kind, {**data, **PERSONAL})])
    sync_index(settings, engine)
    backend = get_backend(settings)
    assert backend.search(SearchQuery(text="jean.dupont@gmail.com")).total == 0
    assert backend.search(SearchQuery(text="Dupont")).total == 0
    hit = backend.search(SearchQuery(text="accueil@asso-exemple.fr")).hits[0]  # a desk's address is public
    assert hit.id == data["id"] and not hasattr(hit, "data")
    # The index keeps the analysed text it searches, never the record itself.
    stored = " ".join(str(value) for row in backend.conn.execute(f"SELECT * FROM content_{backend._generation()}")
                      for value in row)
    assert "Dupont" not in stored and "dupont" not in stored and "jean" not in stored
    assert data["id"] in {h.id for h in backend.search(SearchQuery(thematiques=data["thematiques"])).hits}


def test_json_output_is_the_published_record_read_from_the_catalog(settings, engine):
    """The index holds no record: the command reads each hit's from the catalog, as the API
    publishes it (no contact person, no personal address)."""
    kind, data = corpus()[0]
    write_records(engine, [(kind, {**data, **PERSONAL})])
    sync_index(settings, engine)
    out = CliRunner().invoke(search_command, ["--json"])
    assert out.exit_code == 0, out.output
    hit = json.loads(out.output)["hits"][0]
    assert hit["id"] == data["id"] and hit["data"]["nom"] == data["nom"]
    assert "contact_nom_prenom" not in hit["data"] and "jean.dupont@gmail.com" not in out.output


def test_a_sync_or_rebuild_while_a_harvest_writes_the_index_says_so(monkeypatch, tmp_path):
    """A harvest holds the embedded index's write lock from its first batch to its commit."""
    import sqlite3

    from catalog.config import load_settings

    monkeypatch.setenv("MAILLAGE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MAILLAGE_SQLITE_WAIT_SECONDS", "0.5")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MAILLAGE_SEARCH_BACKEND", raising=False)
    from catalog.db import get_engine

    settings = load_settings()
    backend = get_backend(settings)
    backend._generation(create=True)
    write_records(get_engine(settings), corpus()[:3])  # something to index
    harvest = sqlite3.connect(backend.path, isolation_level=None)
    harvest.execute("BEGIN IMMEDIATE")
    try:
        for args in (["sync"], ["rebuild"]):
            out = CliRunner().invoke(index_command, args)
            assert out.exit_code == 2, out.output
            assert "l'index de recherche est en cours d'écriture" in out.output
    finally:
        harvest.rollback()
        harvest.close()
    out = CliRunner().invoke(index_command, ["sync"])
    assert out.exit_code == 0 and "3 changements appliqués" in out.output, out.output
