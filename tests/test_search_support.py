"""Shared set-up for the search tests: territories from the hand-made fixtures, the hand-made
corpus written through the store, and an independent reference of the eligibility rule."""

from __future__ import annotations

import dataclasses
import json
import os
import uuid
from pathlib import Path

import pytest

from catalog.search import SearchQuery, build_document
from catalog.search.geo import haversine_km

FIXTURES = Path(__file__).parent / "fixtures"
TERRITORIES = FIXTURES / "territories"
CORPUS = FIXTURES / "search" / "corpus.ndjson"
ES_URL = os.environ.get("ELASTICSEARCH_URL")  # read before the settings fixture clears it

BACKENDS = [
    "sqlite",
    pytest.param("elasticsearch", marks=[
        pytest.mark.elasticsearch,
        pytest.mark.skipif(not ES_URL, reason="ELASTICSEARCH_URL non défini : pas de serveur "
                           "Elasticsearch pour le contrat (les tests unitaires tournent)."),
    ]),
]


def corpus() -> list[tuple[str, dict]]:
    return [(r["kind"], r["data"]) for r in map(json.loads, CORPUS.read_text().splitlines())]


def load_territories(engine) -> None:
    from catalog.territories.loader import find_files, load_files, read_centroids, set_positions

    load_files(engine, find_files(TERRITORIES))
    set_positions(engine, read_centroids(TERRITORIES / "centroides.json"), "fichier")


def write_records(engine, records: list[tuple[str, dict]], source: str = "test") -> None:
    from catalog.clock import utcnow
    from catalog.db import writer_connection
    from catalog.store import Candidate, RecordWriter

    with writer_connection(engine) as conn, conn.begin():
        writer = RecordWriter(conn, harvest_source=source, author=f"harvest:{source}",
                              now=utcnow())
        writer.write([Candidate.from_data(kind, data) for kind, data in records])


def archive(engine, kind: str, ids: list[str], source: str = "test") -> None:
    from catalog.clock import utcnow
    from catalog.db import writer_connection
    from catalog.store import RecordWriter

    with writer_connection(engine) as conn, conn.begin():
        RecordWriter(conn, harvest_source=source, author="test", now=utcnow()).archive(kind, ids)


def backend_for(name: str, settings):
    from catalog.search import get_backend

    if name == "elasticsearch":
        settings = dataclasses.replace(
            settings, search_backend="elasticsearch", elasticsearch_url=ES_URL,
            elasticsearch_index_prefix=f"maillage-test-{uuid.uuid4().hex[:8]}")
    return get_backend(settings, name), settings


def reference(query: SearchQuery, territories) -> set[str]:
    """Ids the eligibility rule keeps for a query without text, computed naively."""
    from catalog.search.plan import today_in_france

    out = set()
    center = None
    zones = None
    if query.code_commune:
        zones = territories.covering_codes(query.code_commune)
        center = territories.centroid(query.code_commune)
    if query.lat is not None:
        center = (query.lat, query.lon)
    radius = query.distance or 50
    for kind, data in corpus():
        doc = build_document(kind, data["id"], data, territories)
        if query.kinds and kind not in query.kinds:
            continue
        if query.thematiques and not set(query.thematiques) & set(doc.thematiques + doc.categories):
            continue
        if query.publics and not set(query.publics) & set(doc.publics):
            continue
        if query.frais and not set(query.frais) & set(doc.frais):
            continue
        if query.code_departement and doc.code_departement != query.code_departement:
            continue
        if zones is not None and doc.zone_eligibilite and not set(doc.zone_eligibilite) & zones:
            continue
        if zones is not None and set(doc.territoires_exclus) & territories.excluding_codes(query.code_commune):
            continue
        if doc.date_fin and not query.inclure_terminees and doc.date_fin < today_in_france().isoformat():
            continue
        if center is not None:
            remote = "a-distance" in doc.modes_accueil
            zone_only = zones is not None and doc.latitude is None and doc.zone_eligibilite
            near = doc.latitude is not None and haversine_km(
                center[0], center[1], doc.latitude, doc.longitude) <= radius
            if not (remote or zone_only or near):
                continue
        out.add(data["id"])
    return out
