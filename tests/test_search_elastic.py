"""Elasticsearch query building and bulk payloads, without a server (the contract suite runs the
backend itself against a server when ELASTICSEARCH_URL is set)."""

from __future__ import annotations

import pytest

from catalog.search import SearchQuery, build_document, encode_cursor
from catalog.search.elastic import (
    bulk_actions,
    delete_actions,
    index_settings,
    parse_response,
    search_body,
    to_source,
)
from catalog.search.plan import make_plan, today_in_france
from catalog.territories import CommuneInfo, Territories


@pytest.fixture
def territories() -> Territories:
    t = Territories()
    t.communes["93066"] = CommuneInfo(code="93066", nom="Saint-Denis", type="commune-actuelle",
                                      departement="93", region="11", epci="200054781",
                                      latitude=48.9362, longitude=2.3574)
    t.communes["74280"] = CommuneInfo(code="74280", nom="Thônes", type="commune-actuelle",
                                      departement="74", region="84")
    return t


def plan(territories, **kwargs):
    return make_plan(SearchQuery(**kwargs), territories)


def test_french_analyzer_declares_the_embedded_pipeline():
    analysis = index_settings()["settings"]["analysis"]
    assert analysis["analyzer"]["fr_index"]["filter"] == [
        "fr_elision", "lowercase", "asciifolding", "fr_stop", "fr_stemmer"]
    assert analysis["analyzer"]["fr_search"]["filter"][-1] == "fr_synonyms"
    assert "l" in analysis["filter"]["fr_elision"]["articles"]
    assert analysis["filter"]["fr_stemmer"]["language"] == "french"
    assert "permis, conduite, conduire, code de la route" in analysis["filter"]["fr_synonyms"]["synonyms"]
    assert "sans" not in analysis["filter"]["fr_stop"]["stopwords"]  # "sans abri" means something


def test_bulk_payload_carries_filters_location_and_the_record():
    doc = build_document("service", "di--1", {
        "nom": "Aide au permis", "thematiques": ["mobilite--preparer-un-permis"],
        "modes_accueil": ["a-distance"], "latitude": 48.9, "longitude": 2.35,
        "zone_eligibilite": ["93", "99100"], "code_insee": "93066"}, source="di")
    (action,) = list(bulk_actions([doc], "maillage-records-x"))
    assert action["_op_type"] == "index" and action["_index"] == "maillage-records-x"
    assert action["_id"] == "service/di--1"
    src = action["_source"]
    assert src["location"] == {"lat": 48.9, "lon": 2.35}
    assert src["zones"] == ["93", "france"]
    assert src["themes"] == ["mobilite--preparer-un-permis", "mobilite"]
    assert src["remote"] is True and src["zoned"] is False
    assert src["nom"] == "Aide au permis" and "data" not in src  # the record is read from the catalog
    assert src["groupe"] == "service/di--1"  # no duplicate group: its own
    assert list(delete_actions([("aide", "at--2")], "i")) == [
        {"_op_type": "delete", "_index": "i", "_id": "aide/at--2"}]


def test_document_without_zone_or_position():
    src = to_source(build_document("aide", "at--1", {"nom": "RSA"}))
    assert src["zones"] == ["_none"] and "location" not in src and src["zoned"] is False


def test_eligibility_and_radius_query(territories):
    body = search_body(plan(territories, text="permis", code_commune="93066", distance=20,
                            thematiques=["mobilite"], facets=["kinds"]))
    boolean = body["query"]["bool"]
    assert boolean["must"] == [{"match": {"all": {"query": "permis", "operator": "and"}}}]
    f = boolean["filter"]
    assert {"terms": {"themes": ["mobilite"]}} in f
    zones = next(c["terms"]["zones"] for c in f if "terms" in c and "zones" in c["terms"])
    assert set(zones) == {"93066", "93", "200054781", "france", "_none"}  # not the région (« 11 » is Aude)
    # An aid excluding the commune, its EPCI or its département is not eligible there.
    # … nor an offer that has ended (ISO days compare as strings).
    excluded, ended = [c["bool"]["must_not"] for c in f if "must_not" in c.get("bool", {})]
    assert excluded == [{"terms": {"excluded_zones": ["200054781", "93", "93066"]}}]
    assert ended == [{"range": {"date_fin": {"lt": today_in_france().isoformat()}}}]
    asked = search_body(plan(territories, code_commune="93066", inclure_terminees=True))["query"]["bool"]["filter"]
    assert not any("range" in str(c) for c in asked)
    placed = next(c["bool"]["should"] for c in f if "should" in c.get("bool", {}))
    assert {"term": {"remote": True}} in placed and {"term": {"zoned": True}} in placed
    geo = next(c["geo_distance"] for c in placed if "geo_distance" in c)
    assert geo["distance"] == "20.0km" and geo["location"] == {"lat": 48.9362, "lon": 2.3574}
    assert body["sort"][0]["_geo_distance"]["distance_type"] == "arc"
    assert body["sort"][1:] == [{"_score": {"order": "desc"}}, {"key": {"order": "asc"}}]
    assert body["aggs"] == {"kinds": {"terms": {"field": "kind", "size": 1000}}}
    assert body["size"] == 21 and body["track_total_hits"] is True


def test_an_index_made_before_excluded_zones_gets_the_field_before_its_first_write():
    """Its strict mapping would refuse every document carrying `excluded_zones`."""
    from catalog.search.elastic import ElasticBackend

    class Indices:
        def __init__(self):
            self.calls = []

        def exists_alias(self, name):
            return True

        def put_mapping(self, index, properties):
            self.calls.append((index, properties))

    class Client:
        indices = Indices()

    backend = ElasticBackend(settings=type("S", (), {"elasticsearch_index_prefix": "maillage"})(), client=Client())
    backend._ensure()
    backend._ensure()
    assert Client.indices.calls == [("maillage-records", {"excluded_zones": {"type": "keyword"},
                                                          "date_fin": {"type": "keyword"}})]
    assert index_settings()["mappings"]["properties"]["excluded_zones"] == {"type": "keyword"}


def test_point_query_keeps_no_zone_only_records(territories):
    body = search_body(plan(territories, lat=45.0, lon=5.0))
    placed = next(c["bool"]["should"] for c in body["query"]["bool"]["filter"] if "should" in c.get("bool", {}))
    assert {"term": {"zoned": True}} not in placed
    assert not any("zones" in c.get("terms", {}) for c in body["query"]["bool"]["filter"])


def test_commune_without_position_filters_on_the_commune(territories):
    body = search_body(plan(territories, code_commune="74280"))
    placed = next(c["bool"]["should"] for c in body["query"]["bool"]["filter"] if "should" in c.get("bool", {}))
    assert {"term": {"code_commune": "74280"}} in placed
    assert not any("geo_distance" in c for c in placed)


def test_relevance_sort_and_cursor(territories):
    cursor = encode_cursor([1.5, "service/x"])
    body = search_body(plan(territories, text="emploi", after=cursor, size=5))
    assert body["sort"] == [{"_score": {"order": "desc"}}, {"key": {"order": "asc"}}]
    assert body["search_after"] == [1.5, "service/x"]
    assert body["size"] == 6


def test_duplicates_collapse_and_offset_paging(territories):
    body = search_body(plan(territories, text="cv", exclure_doublons=True,
                            after=encode_cursor([20])))
    assert body["collapse"]["field"] == "groupe"
    assert body["from"] == 20 and "search_after" not in body
    assert body["aggs"]["_groupes"]["cardinality"]["field"] == "groupe"


def test_parse_response_builds_hits_facets_and_next_cursor(territories):
    p = plan(territories, code_commune="93066", size=1, facets=["frais"])
    response = {
        "hits": {"total": {"value": 2}, "hits": [
            {"_score": None, "sort": [0.4, None, "service/a"], "_source": {
                "kind": "service", "id": "a", "nom": "A", "source": "di",
                "location": {"lat": 48.9362, "lon": 2.3574}, "data": {"nom": "A"}}},
            {"_score": None, "sort": [3.0, None, "service/b"], "_source": {
                "kind": "service", "id": "b", "nom": "B", "source": "di", "data": {}}},
        ]},
        "aggregations": {"frais": {"buckets": [{"key": "gratuit", "doc_count": 2}]}},
    }
    result = parse_response(p, response)
    assert [h.id for h in result.hits] == ["a"] and result.hits[0].distance == 0.0
    assert result.total == 2 and result.facets == {"frais": {"gratuit": 2}}
    assert result.next == encode_cursor([0.4, None, "service/a"])
