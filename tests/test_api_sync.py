"""Synchronising with the API: `modifie_depuis`, `modifie_depuis_suivant` and `archivees`."""

from __future__ import annotations

from datetime import timedelta

import pytest

import catalog.queries
from catalog.clock import utcnow
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.engine import harvest
from tests.factories import service, write_json
from tests.test_harvest_engine import age_missing
from web import create_app

SLOW_HARVEST = timedelta(seconds=30)  # a national feed: minutes between a harvest's start and its commit


def run(path, settings, **kwargs):
    return harvest(DataInclusionHarvester(str(path)), source="demo", settings=settings, **kwargs)


@pytest.fixture
def client(settings, engine):
    return create_app(settings, TESTING=True).test_client()


def _ids(client, url: str) -> list[str]:
    found = []
    while url:
        body = client.get(url).get_json()
        found += [item["id"] for item in body["items"]]
        url = body["next"]
    return found


def test_a_client_that_passes_the_cursor_it_was_given_misses_no_harvest(tmp_path, settings, engine, client,
                                                                       monkeypatch):
    """Records are stamped with their harvest's start and show at its commit. A client that
    synchronised during the harvest and asked next « since my last pass » never saw them."""
    first = client.get("/api/v1/services").get_json()["modifie_depuis_suivant"]
    assert first and client.get(f"/api/v1/services?modifie_depuis={first}").get_json()["total"] == 0
    seen_during: dict[str, str] = {}

    class ReadSlowly(DataInclusionHarvester):
        def items(self):
            # A pass of the client while the harvest reads, its clock later than the harvest's start.
            later = utcnow() + SLOW_HARVEST
            monkeypatch.setattr(catalog.queries, "utcnow", lambda: later)
            seen_during["cursor"] = client.get("/api/v1/services").get_json()["modifie_depuis_suivant"]
            monkeypatch.undo()
            yield from super().items()

    path = write_json(tmp_path / "services.json", [service(i) for i in range(5)])
    assert harvest(ReadSlowly(str(path)), source="demo", settings=settings).counts["added"] == 5
    cursor = seen_during["cursor"]
    assert sorted(_ids(client, f"/api/v1/services?modifie_depuis={cursor}")) == [f"test--v{i}" for i in range(5)]
    # No harvest under way: the cursor is now.
    assert client.get("/api/v1/services").get_json()["modifie_depuis_suivant"] >= cursor[:19]


def test_sources_and_modifie_depuis_together_are_answered_by_the_catalog(tmp_path, settings, client):
    """`sources` sent the listing to the search backend, which ignored `modifie_depuis`: a
    client synchronising one producer got every record at every pass."""
    run(write_json(tmp_path / "services.json", [service(i) for i in range(3)]), settings)
    assert client.get("/api/v1/services?sources=test").get_json()["total"] == 3
    assert client.get("/api/v1/services?sources=test&modifie_depuis=2099-01-01T00:00:00Z").get_json()["total"] == 0
    assert client.get("/api/v1/services?sources=autre").get_json()["total"] == 0
    refused = client.get("/api/v1/services?thematiques=mobilite&modifie_depuis=2099-01-01T00:00:00Z")
    assert refused.status_code == 400 and "modifie_depuis" in refused.get_json()["erreur"]


def test_archived_records_are_listed_for_mirrors(tmp_path, settings, client, engine):
    """An incremental client never learnt that a record had gone from its source."""
    records = [service(i) for i in range(10)]
    run(write_json(tmp_path / "services.json", records), settings)
    since = client.get("/api/v1/services").get_json()["modifie_depuis_suivant"]
    shorter = write_json(tmp_path / "short.json", records[:9])
    run(shorter, settings)
    age_missing(engine, 30)
    assert run(shorter, settings).counts["archived"] == 1
    body = client.get(f"/api/v1/services?archivees=1&modifie_depuis={since}").get_json()
    assert [(item["id"], item["archivee"]) for item in body["items"]] == [("test--v9", True)]
    assert body["items"][0]["modifie_le"] >= since[:19] and body["total"] == 1
    assert "test--v9" not in _ids(client, f"/api/v1/services?modifie_depuis={since}")


@pytest.mark.parametrize("url", ["/api/v1/services/x%00y", "/fiches/services/x%00y", "/api/v1/services?after=YQA",
                                 "/api/v1/services?sources=dora%00", "/api/v1/search?q=a%00b"])
def test_a_nul_character_in_a_request_is_a_400_on_every_backend(client, url):
    """PostgreSQL refuses NUL in compared text: these were 500s there (404 or 200 on SQLite).
    « YQA » is the cursor of « a\\0 »: an unreadable cursor."""
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert ("Curseur" if "after=" in url else "caractère nul") in response.get_json()["erreur"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00%2B01:00", "9999-12-31T23:00:00-05:00"])
def test_a_modifie_depuis_outside_the_calendar_in_utc_is_a_400(client, moment):
    """They were 500s (OverflowError) on both backends."""
    response = client.get(f"/api/v1/services?modifie_depuis={moment}")
    assert response.status_code == 400 and "modifie_depuis" in response.get_json()["erreur"]
