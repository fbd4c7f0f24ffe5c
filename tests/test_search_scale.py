"""The embedded index on a few thousand generated records, against a plain reference.

The hand-made corpus checks meaning; this checks the machinery that only matters with many
records: grid cells inside and across circles, nearest-first pages, set operations, facet
counts, relevance through classes of equal score — each answer compared with a direct
computation over every document.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import pytest

from catalog.search import SearchQuery, build_document, topk
from catalog.search import sqlite as embedded
from catalog.search.analysis import analyze, query_groups
from catalog.search.geo import haversine_km
from catalog.territories import CommuneInfo, Territories

CITIES = {  # code: (département, région, EPCI, lat, lon)
    "75056": ("75", "11", "200054781", 48.8566, 2.3522), "93066": ("93", "11", "200054781", 48.9362, 2.3574),
    "69123": ("69", "84", "200046977", 45.7640, 4.8357), "13055": ("13", "93", "200054807", 43.2965, 5.3698),
    "74280": ("74", "84", "200066793", None, None),  # no known position: on-site means in it
}
WORDS = ["permis de conduire", "hébergement d'urgence", "atelier informatique", "garde d'enfants",
         "offres d'emploi", "code de la route", "épicerie solidaire", "accès aux soins"]
THEMES = ["mobilite--preparer-un-permis", "logement-hebergement--louer-un-logement",
          "numerique--acquerir-un-equipement", "famille--garde-denfants", "sante--acces-aux-soins"]


def territories() -> Territories:
    t = Territories()
    for code, (dep, reg, epci, lat, lon) in CITIES.items():
        t.communes[code] = CommuneInfo(code=code, nom=code, type="commune-actuelle", departement=dep,
                                       region=reg, epci=epci, latitude=lat, longitude=lon)
        t.departements[dep] = (dep, reg)
    return t


def records(n: int, t: Territories):
    rnd = random.Random(4)
    for i in range(n):
        code = rnd.choice(list(CITIES))
        dep, reg, epci, lat, lon = CITIES[code]
        data = {"nom": f"{rnd.choice(['Atelier', 'Aide', 'Permanence'])} {rnd.choice(WORDS)}",
                "description": " et ".join(rnd.sample(WORDS, 2)) + ("" if i % 3 else " pour les jeunes"),
                "thematiques": rnd.sample(THEMES, rnd.randint(1, 2)),
                "publics": rnd.sample(["jeunes", "seniors", "familles"], rnd.randint(1, 2)),
                "frais": [rnd.choice(["gratuit", "payant"])],
                "modes_accueil": rnd.choice([["en-presentiel"], ["a-distance"], ["en-presentiel", "a-distance"]]),
                "zone_eligibilite": rnd.choice([[], [], [dep], [reg], [code], [epci], ["france"], ["13", "69"]]),
                "score_qualite": rnd.choice([None, 0.2, 0.5, 0.9])}
        if rnd.random() < 0.85:
            data["code_insee"] = code
            if lat is not None and rnd.random() < 0.9:
                # Within a few km, some at the very same place (equal distances).
                spread = 0 if rnd.random() < 0.1 else rnd.choice([0.02, 0.2, 0.6])
                data["latitude"] = round(lat + rnd.gauss(0, spread), 5)
                data["longitude"] = round(lon + rnd.gauss(0, spread), 5)
        if rnd.random() < 0.05:
            data["groupe_doublons"] = f"g{rnd.randint(0, 40)}"
        yield build_document(rnd.choice(["service", "aide", "formation"]), f"x--{i}", data, t,
                             source=rnd.choice(["a", "b"]))


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    from catalog.config import load_settings

    t = territories()
    docs = list(records(3000, t))
    backend = embedded.SqliteBackend(
        load_settings({"MAILLAGE_DATA_DIR": str(tmp_path_factory.mktemp("scale"))}), territories=t)
    backend.rebuild(iter(docs[:2500]))
    for start in range(2500, 3000, 100):  # and incremental writes, re-indexing a few
        backend.index(docs[start:start + 100] + docs[start - 2000:start - 1990])
    backend.delete([("service", d.id) for d in docs[:60] if d.kind == "service"])
    kept = {d.key: d for d in docs if not (d.kind == "service" and d in docs[:60])}
    return backend, t, list(kept.values())


def reference(docs, query: SearchQuery, t: Territories) -> list:
    zones = center = onsite = None
    if query.code_commune:
        zones = t.covering_codes(query.code_commune)
        center = t.centroid(query.code_commune)
        onsite = query.code_commune if center is None else None
    if query.lat is not None:
        center, onsite = (query.lat, query.lon), None
    groups = query_groups(query.text)
    out = []
    for doc in docs:
        columns = [analyze(doc.nom), analyze(doc.text)]
        if not all(any(_has(terms, p) for terms in columns for p in group) for group in groups):
            continue
        for wanted, values in ((query.kinds, [doc.kind]), (query.publics, doc.publics),
                               (query.frais, doc.frais), (query.thematiques, doc.thematiques + doc.categories)):
            if wanted and not set(wanted) & set(values):
                break
        else:
            if zones is not None and doc.zone_eligibilite and not set(doc.zone_eligibilite) & zones:
                continue
            if center is not None or onsite:
                near = (doc.code_commune == onsite if onsite else doc.located and haversine_km(
                    center[0], center[1], doc.latitude, doc.longitude) <= query.radius_km)
                if not (doc.remote or (zones is not None and doc.zoned) or near):
                    continue
            out.append(doc)
    return out


def _has(terms: list[str], phrase: tuple[str, ...]) -> bool:
    return any(tuple(terms[i:i + len(phrase)]) == phrase for i in range(len(terms)))


def walk(backend, query: SearchQuery):
    hits, result = [], backend.search(query)
    first = result
    while True:
        hits += result.hits
        if not result.next:
            return first, hits
        result = backend.search(replace(query, after=result.next))


QUERIES = [SearchQuery(code_commune=c, distance=d, size=37) for c in CITIES for d in (2, 30, 50)] + [
    SearchQuery(code_commune="75056", thematiques=["mobilite"], publics=["jeunes"], size=50),
    SearchQuery(code_commune="93066", kinds=["aide"], frais=["gratuit"], distance=15, size=50),
    SearchQuery(lat=48.87, lon=2.36, distance=8, size=50),
    SearchQuery(text="permis", code_commune="69123", size=40),
    SearchQuery(text="emploi jeunes", code_commune="75056", size=40),
    SearchQuery(text="atelier", size=100),
    SearchQuery(kinds=["formation"], size=100),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: str({k: v for k, v in vars(q).items() if v}))
def test_answers_equal_a_plain_reference(indexed, query):
    backend, t, docs = indexed
    query = replace(query, facets=["kinds", "publics", "frais", "thematiques"])
    expected = reference(docs, query, t)
    first, hits = walk(backend, query)
    assert sorted(f"{h.kind}/{h.id}" for h in hits) == sorted(d.key for d in expected)
    assert first.total == len(expected)
    for name in ("kinds", "publics", "frais", "thematiques"):
        counts: dict[str, int] = {}
        for doc in expected:
            for value in doc.facet_values()[name]:
                counts[value] = counts.get(value, 0) + 1
        assert first.facets[name] == counts
    if query.effective_sort == "distance":
        distances = [h.distance if h.distance is not None else float("inf") for h in hits]
        assert distances == sorted(distances)
        if not query.text:  # at the very same place, key order
            by_key = {d.key: d for d in expected}
            places = [(by_key[f"{h.kind}/{h.id}"].latitude, by_key[f"{h.kind}/{h.id}"].longitude,
                       f"{h.kind}/{h.id}") for h in hits]
            for before, after in itertools.pairwise(places):
                if before[:2] == after[:2]:
                    assert before[2] < after[2]


@pytest.mark.parametrize("text", ["permis", "emploi jeunes", "code de la route", "garde d'enfants",
                                  "atelier informatique", "hébergement"])
def test_relevance_by_classes_equals_fts5(indexed, monkeypatch, text):
    backend = indexed[0]
    query = SearchQuery(text=text, sort="pertinence", size=25)
    monkeypatch.setattr(embedded, "PYTHON_BM25_MAX", -1)
    real, used = topk.best, []
    monkeypatch.setattr(topk, "best", lambda *a, **k: used.append(real(*a, **k)) or used[-1])
    by_classes = walk(backend, query)[1]
    assert used and all(r is not None for r in used)
    monkeypatch.setattr(topk, "best", lambda *a, **k: None)
    by_fts5 = walk(backend, query)[1]
    assert [(h.id, h.score) for h in by_classes] == [(h.id, h.score) for h in by_fts5]
