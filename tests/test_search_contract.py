"""The backend contract: every backend returns the same ids and facet counts for a query.

Expected answers are written by hand from the eligibility rule (DESIGN.md) or computed by the
naive reference in `test_search_support.reference`; each backend is checked against them.
The Elasticsearch run needs ELASTICSEARCH_URL (skipped otherwise, with the reason).
"""

from __future__ import annotations

import pytest

from catalog.errors import UnusableInput
from catalog.search import SearchQuery, sync_index
from catalog.territories import get_territories
from tests.test_search_support import (
    BACKENDS,
    archive,
    backend_for,
    corpus,
    load_territories,
    reference,
    write_records,
)

# Saint-Denis (93066): excluded by their zone (another commune, EPCI, département or région),
# or on-site beyond 50 km. Everything else in the corpus is kept.
EXCLUDED_AT_SAINT_DENIS = {
    "at--permis-74", "mob--garage-solidaire", "mob--transport-thones", "di--acces-logement",
    "di--hebergement-annecy", "di--france-travail-annecy", "di--parentalite",
    "dora--alphabetisation", "di--surendettement", "di--mdph", "di--benevolat",
    "carif--cuisine-annecy", "di--travail-etranger", "at--voiture-74", "di--permis-annecy",
    "di--permis-p20-hors-zone",
}


@pytest.fixture(params=BACKENDS)
def backend(request, settings, engine):
    load_territories(engine)
    write_records(engine, corpus())
    search_backend, settings = backend_for(request.param, settings)
    assert sync_index(settings, engine, search_backend) == 50
    yield search_backend
    if hasattr(search_backend, "drop"):
        search_backend.drop()


def ids(result) -> list[str]:
    return [h.id for h in result.hits]


def all_ids(backend, query: SearchQuery) -> list[str]:
    out, query.size = [], 7
    while True:
        result = backend.search(query)
        out += ids(result)
        if not result.next:
            return out
        query.after = result.next


def test_eligibility_at_saint_denis(backend):
    result = backend.search(SearchQuery(code_commune="93066", size=100))
    every = {data["id"] for _, data in corpus()}
    assert set(ids(result)) == every - EXCLUDED_AT_SAINT_DENIS
    assert result.total == 34


def test_permis_at_saint_denis_sorted_by_distance(backend):
    result = backend.search(SearchQuery(text="permis", code_commune="93066"))
    # Nearby on-site first, then the remote course (located at Annecy), then the regional aide
    # that has no position at all; the Paris course is near but its zone excludes Saint-Denis.
    assert ids(result) == ["di--permis-sd", "di--autoecole-aub", "dora--code-en-ligne",
                           "at--permis-idf"]
    assert result.hits[0].distance < 1 and result.hits[1].distance < 5
    assert result.hits[3].distance is None


def test_a_formation_is_found_by_its_rome_or_certification_code(backend):
    for text in ("N1101", "RS5629", "rs 5629"):
        assert ids(backend.search(SearchQuery(text=text, code_commune="93066"))) == ["carif--caces"], text
    # Another métier, one letter away: not corrected into N1101 (codes are exact).
    assert ids(backend.search(SearchQuery(text="M1101", code_commune="93066"))) == []


def test_an_offer_is_found_by_who_provides_it(backend):
    # The organisme responsible for a formation, the one teaching it, an aide's institution.
    for text, expected in (("Alfred Costes", ["carif--caces"]), ("association logistique", ["carif--caces"]),
                           ("Île-de-France", ["at--permis-idf"])):
        assert ids(backend.search(SearchQuery(text=text, code_commune="93066"))) == expected, text


def test_parent_commune_zone_covers_arrondissement(backend):
    # Paris 20e: a zone set on Paris (75056) covers it, a zone set on the 93 does not.
    got = set(ids(backend.search(SearchQuery(code_commune="75120", distance=3, size=100))))
    assert {"mob--garage-solidaire", "di--permis-p20-hors-zone", "di--surendettement"} <= got
    assert "di--permis-sd" not in got and "di--logement-urgence-sd" not in got


def test_searching_a_city_covers_zones_of_its_arrondissements(backend):
    got = set(ids(backend.search(SearchQuery(text="entretien", code_commune="75056"))))
    assert "di--entretien-embauche" in got


def test_commune_without_position_keeps_onsite_records_of_the_commune(backend):
    # Thônes has no centroid in the fixtures: on-site records must be in Thônes itself.
    got = set(ids(backend.search(SearchQuery(code_commune="74280", size=100))))
    assert {"di--parentalite", "di--benevolat", "mob--transport-thones", "at--voiture-74",
            "at--permis-74"} <= got
    assert "di--permis-annecy" not in got  # in Annecy, zone Grand Annecy
    assert "di--mdph" not in got  # on-site in Annecy, not in Thônes
    assert "dora--code-en-ligne" in got and "di--travail-etranger" in got  # remote, zone ok


@pytest.mark.parametrize("query", [
    SearchQuery(code_commune="93066", distance=5),
    SearchQuery(code_commune="93008", thematiques=["mobilite"]),
    SearchQuery(code_commune="75111", kinds=["service"], frais=["gratuit"]),
    SearchQuery(code_commune="74010", distance=10),
    SearchQuery(code_commune="74011", publics=["jeunes"]),
    SearchQuery(lat=48.8590, lon=2.3800, distance=2),
    SearchQuery(code_departement="93"),
    SearchQuery(thematiques=["famille--garde-denfants"]),
    SearchQuery(kinds=["aide", "formation"]),
], ids=lambda q: str({k: v for k, v in vars(q).items() if v not in (None, [], "", False, 20)}))
def test_filters_match_the_reference(backend, settings, engine, query):
    expected = reference(query, get_territories(engine))
    assert expected, "a reference answer should not be empty"
    assert set(all_ids(backend, query)) == expected


def test_facets(backend):
    result = backend.search(SearchQuery(text="permis", code_commune="93066",
                                        facets=["kinds", "frais", "categories", "sources"]))
    assert result.facets == {
        "kinds": {"service": 3, "aide": 1},
        "frais": {"gratuit": 3, "payant": 1},
        "categories": {"mobilite": 4},
        "sources": {"di": 2, "at": 1, "dora": 1},
    }


def test_exclure_doublons_keeps_the_best_of_a_group(backend):
    both = ids(backend.search(SearchQuery(text="CV", code_commune="93066")))
    assert set(both) == {"di--cv-atelier", "dora--cv-atelier"}
    one = backend.search(SearchQuery(text="CV", code_commune="93066", exclure_doublons=True))
    assert ids(one) == ["di--cv-atelier"] and one.total == 1


def test_score_qualite_minimum(backend):
    got = ids(backend.search(SearchQuery(text="permis", score_qualite_minimum=0.75)))
    assert sorted(got) == ["at--permis-idf", "di--permis-sd"]


def test_keyset_paging_walks_every_result_once(backend):
    query = SearchQuery(code_commune="93066", sort="distance")
    walked = all_ids(backend, query)
    assert len(walked) == len(set(walked)) == 34
    full = ids(backend.search(SearchQuery(code_commune="93066", size=100)))
    assert walked == full


def test_relevance_sort_puts_name_matches_first(backend):
    result = backend.search(SearchQuery(text="hébergement d'urgence"))
    assert ids(result)[0] == "di--hebergement-urgence-p11"
    assert result.hits[0].score > result.hits[-1].score


def test_incremental_sync_updates_and_removes(backend, settings, engine):
    kind, data = next(r for r in corpus() if r[1]["id"] == "di--fle")
    write_records(engine, [(kind, {**data, "nom": "Cours de français pour adultes migrants"})])
    archive(engine, "service", ["di--vestiaire"])
    assert sync_index(settings, engine, backend) == 2
    assert ids(backend.search(SearchQuery(text="migrants"))) == ["di--fle"]
    assert ids(backend.search(SearchQuery(text="vestiaire"))) == []
    assert sync_index(settings, engine, backend) == 0
    assert backend.count() == 49


def test_an_aid_is_not_proposed_where_its_conditions_exclude(backend, settings, engine):
    """« Le département, sauf la métropole » was proposed in the métropole: `territoires_exclus`
    was kept in the record and ignored by search."""
    def aid(id_: str, zone: list[str], excluded: list[str]) -> tuple[str, dict]:
        return ("aide", {"source": "at", "id": id_, "nom": f"Aide {id_}", "description": "Une aide au permis.",
                         "zone_eligibilite": zone, "conditions": {"territoires_exclus": excluded}})

    write_records(engine, [
        aid("at--sauf-metropole", ["93"], ["200054781"]),  # Saint-Denis is in the Métropole du Grand Paris
        aid("at--sauf-bobigny", ["93"], ["93008"]),
        aid("at--sauf-paris-11e", ["75"], ["75111"]),  # an arrondissement: Paris's others stay in
        aid("at--sauf-seine-saint-denis", ["france"], ["93"]),
    ])
    assert sync_index(settings, engine, backend) == 4

    def found(commune: str) -> set[str]:
        hits = all_ids(backend, SearchQuery(code_commune=commune, kinds=["aide"]))
        return {i for i in hits if i.startswith("at--sauf-")}

    assert found("93066") == {"at--sauf-bobigny"}
    assert found("93001") == {"at--sauf-bobigny"}
    assert found("93008") == set()
    assert found("75056") == {"at--sauf-paris-11e", "at--sauf-seine-saint-denis"}
    assert found("75111") == {"at--sauf-seine-saint-denis"}
    assert found("75120") == {"at--sauf-paris-11e", "at--sauf-seine-saint-denis"}


def test_offers_that_have_ended_are_left_out_unless_asked(backend, settings, engine):
    """A closed aid was proposed as if open: nothing read `date_fin`."""
    from catalog.search.plan import today_in_france

    today = today_in_france().isoformat()
    endings = {"at--close-2020": "2020-06-30", "at--close-2000": "2000-01-01", "at--ferme-aujourdhui": today,
               "at--ouverte": "2099-01-01", "at--sans-fin": None}
    write_records(engine, [("aide", {"source": "at", "id": id_, "nom": f"Aide {id_}", "description": "Une aide.",
                                     "zone_eligibilite": ["france"], **({"date_fin": end} if end else {})})
                           for id_, end in endings.items()])
    assert sync_index(settings, engine, backend) == 5

    def found(**extra) -> set[str]:
        return set(all_ids(backend, SearchQuery(code_commune="93066", kinds=["aide"], **extra))) & set(endings)

    assert found() == {"at--ferme-aujourdhui", "at--ouverte", "at--sans-fin"}  # open all of its last day
    assert found(inclure_terminees=True) == set(endings)
    assert set(ids(backend.search(SearchQuery(text="aide", size=100)))) & set(endings) == found()
    # A formation's date_fin ends a session, not the offer: not judged here.
    write_records(engine, [("formation", {"source": "carif", "id": "carif--finie", "nom": "Session finie",
                                          "description": "Une formation.", "date_fin": "2020-01-31"})])
    sync_index(settings, engine, backend)
    assert ids(backend.search(SearchQuery(text="session finie"))) == ["carif--finie"]


def test_unknown_commune_is_a_readable_error(backend):
    with pytest.raises(UnusableInput, match="Commune inconnue"):
        backend.search(SearchQuery(code_commune="99999"))


@pytest.mark.parametrize("text", ["emploi", "accompagnement", "personnes"])
def test_text_paging_by_distance_matches_one_page(backend, text):
    full = backend.search(SearchQuery(text=text, code_commune="93066", size=100))
    assert full.total >= 3 and full.next is None
    assert all_ids(backend, SearchQuery(text=text, code_commune="93066")) == ids(full)
    dists = [h.distance if h.distance is not None else float("inf") for h in full.hits]
    assert dists == sorted(dists)
