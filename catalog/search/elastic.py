"""Elasticsearch backend: the same documents and the same rule as the embedded index, at scale.

- Analysis: a French analyzer declared from `analysis.py`'s own lists (elision, lowercase,
  asciifolding, the same stop words, Snowball French stemmer; synonyms at search time only).
- Index lifecycle: the alias `{prefix}-records` points at one concrete index; `rebuild` fills a
  new index and swaps the alias atomically, then drops the old one (zero downtime).
- The change-sequence watermark lives in `{prefix}-meta`.
Query building (`search_body`) and bulk payloads (`bulk_actions`) are pure functions, unit-tested
without a server; the contract suite runs them against one when ELASTICSEARCH_URL is set.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from catalog.config import Settings
from catalog.search import (
    SearchDocument,
    SearchHit,
    SearchResult,
    decode_cursor,
    encode_cursor,
)
from catalog.search.analysis import ELISIONS, STOP_WORDS, synonym_groups
from catalog.search.geo import haversine_km
from catalog.search.plan import NO_ZONE, Plan, make_plan

FACET_FIELDS = {"kinds": "kind", "thematiques": "thematiques", "categories": "categories",
                "publics": "publics", "frais": "frais", "modes_accueil": "modes_accueil",
                "types": "types", "sources": "source", "code_departement": "code_departement"}
NAME_BOOST = 4.0
KEYWORD = {"type": "keyword"}


# Fields added to the mapping since its first version, put on an existing index (`_ensure`).
ADDED_FIELDS = {"excluded_zones": KEYWORD, "date_fin": KEYWORD}


def index_settings() -> dict[str, Any]:
    chain = ["fr_elision", "lowercase", "asciifolding", "fr_stop", "fr_stemmer"]
    return {
        "settings": {
            "number_of_shards": 1,
            "analysis": {
                "filter": {
                    "fr_elision": {"type": "elision", "articles_case": True,
                                   "articles": list(ELISIONS)},
                    "fr_stop": {"type": "stop", "stopwords": sorted(STOP_WORDS)},
                    "fr_stemmer": {"type": "stemmer", "language": "french"},
                    # After the stemmer, so rules match stems ("hébergements" = "hébergement"),
                    # as the embedded backend compares analysed forms.
                    "fr_synonyms": {"type": "synonym_graph", "lenient": True,
                                    "synonyms": [", ".join(g) for g in synonym_groups()]},
                },
                "analyzer": {
                    "fr_index": {"type": "custom", "tokenizer": "standard", "filter": chain},
                    "fr_search": {"type": "custom", "tokenizer": "standard",
                                  "filter": chain + ["fr_synonyms"]},
                },
            },
        },
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "key": KEYWORD, "kind": KEYWORD, "id": KEYWORD, "source": KEYWORD,
                "nom": {"type": "text", "analyzer": "fr_index", "search_analyzer": "fr_search",
                        "copy_to": "all"},
                "text": {"type": "text", "analyzer": "fr_index", "search_analyzer": "fr_search",
                         "copy_to": "all"},
                "all": {"type": "text", "analyzer": "fr_index", "search_analyzer": "fr_search"},
                "thematiques": KEYWORD, "categories": KEYWORD, "themes": KEYWORD,
                "publics": KEYWORD, "frais": KEYWORD, "modes_accueil": KEYWORD, "types": KEYWORD,
                "zones": KEYWORD, "excluded_zones": KEYWORD, "code_commune": KEYWORD, "code_epci": KEYWORD,
                "code_departement": KEYWORD, "code_region": KEYWORD,
                "location": {"type": "geo_point"}, "remote": {"type": "boolean"},
                "zoned": {"type": "boolean"}, "score_qualite": {"type": "float"},
                "groupe": KEYWORD, "date_maj": KEYWORD, "date_fin": KEYWORD,
            },
        },
    }


def to_source(doc: SearchDocument) -> dict[str, Any]:
    source = {
        "key": doc.key, "kind": doc.kind, "id": doc.id, "source": doc.source, "nom": doc.nom,
        "text": doc.text, "thematiques": doc.thematiques, "categories": doc.categories,
        "themes": doc.thematiques + doc.categories, "publics": doc.publics, "frais": doc.frais,
        "modes_accueil": doc.modes_accueil, "types": doc.types,
        "zones": doc.zone_eligibilite or [NO_ZONE], "excluded_zones": doc.territoires_exclus,
        "code_commune": doc.code_commune,
        "code_epci": doc.code_epci, "code_departement": doc.code_departement,
        "code_region": doc.code_region, "remote": doc.remote, "zoned": doc.zoned,
        "score_qualite": doc.score_qualite, "groupe": doc.groupe_doublons or doc.key,
        "date_maj": doc.date_maj, "date_fin": doc.date_fin,
    }
    if doc.located:
        source["location"] = {"lat": doc.latitude, "lon": doc.longitude}
    return source


def bulk_actions(documents: Iterable[SearchDocument], index: str) -> Iterator[dict[str, Any]]:
    for doc in documents:
        yield {"_op_type": "index", "_index": index, "_id": doc.key, "_source": to_source(doc)}


def delete_actions(keys: Iterable[tuple[str, str]], index: str) -> Iterator[dict[str, Any]]:
    for kind, rid in keys:
        yield {"_op_type": "delete", "_index": index, "_id": f"{kind}/{rid}"}


def _terms(field: str, values: list[str]) -> dict[str, Any]:
    return {"terms": {field: list(values)}}


def filters(plan: Plan) -> list[dict[str, Any]]:
    q = plan.query
    out: list[dict[str, Any]] = []
    for field, values in (("kind", q.kinds), ("source", q.sources), ("themes", q.thematiques),
                          ("publics", q.publics), ("frais", q.frais),
                          ("modes_accueil", q.modes_accueil), ("types", q.types)):
        if values:
            out.append(_terms(field, values))
    for field, value in (("code_epci", q.code_epci), ("code_departement", q.code_departement),
                         ("code_region", q.code_region)):
        if value:
            out.append({"term": {field: value.strip()}})
    if plan.eligible_zones is not None:
        out.append(_terms("zones", sorted(plan.eligible_zones) + [NO_ZONE]))
    if plan.excluded_zones:
        out.append({"bool": {"must_not": [_terms("excluded_zones", sorted(plan.excluded_zones))]}})
    if plan.today:  # ISO days sort as strings: a keyword range is a date range
        out.append({"bool": {"must_not": [{"range": {"date_fin": {"lt": plan.today}}}]}})
    if plan.has_place:
        placed: list[dict[str, Any]] = [{"term": {"remote": True}}]
        if plan.eligible_zones is not None:
            placed.append({"term": {"zoned": True}})
        if plan.onsite_commune:
            placed.append({"term": {"code_commune": plan.onsite_commune}})
        else:
            placed.append({"geo_distance": {
                "distance": f"{plan.radius_km}km", "distance_type": "arc",
                "location": {"lat": plan.center[0], "lon": plan.center[1]}}})
        out.append({"bool": {"should": placed, "minimum_should_match": 1}})
    if q.score_qualite_minimum is not None:
        out.append({"range": {"score_qualite": {"gte": q.score_qualite_minimum}}})
    return out


def sort_clause(plan: Plan) -> list[dict[str, Any]]:
    distance: list[dict[str, Any]] = []
    if plan.center is not None:
        distance = [{"_geo_distance": {
            "location": {"lat": plan.center[0], "lon": plan.center[1]}, "order": "asc",
            "unit": "km", "distance_type": "arc", "ignore_unmapped": True}}]
    score = [{"_score": {"order": "desc"}}]
    key = [{"key": {"order": "asc"}}]
    if plan.query.effective_sort == "distance":
        return distance + score + key
    return score + distance + key


def search_body(plan: Plan) -> dict[str, Any]:
    q = plan.query
    boolean: dict[str, Any] = {"filter": filters(plan)}
    if plan.has_text:
        boolean["must"] = [{"match": {"all": {"query": q.text, "operator": "and"}}}]
        # Scoring clauses use the index analyzer (no synonyms): the words actually typed weigh
        # more than their synonyms, as in the embedded backend.
        boolean["should"] = [
            {"match": {"nom": {"query": q.text, "boost": 2 * NAME_BOOST, "analyzer": "fr_index"}}},
            {"match": {"text": {"query": q.text, "boost": 2.0, "analyzer": "fr_index"}}}]
    body: dict[str, Any] = {
        "query": {"bool": boolean},
        "sort": sort_clause(plan),
        "size": q.size + 1,  # one more tells whether a next page exists
        "track_total_hits": True,
    }
    if q.facets:
        body["aggs"] = {name: {"terms": {"field": FACET_FIELDS[name], "size": 1000}}
                        for name in q.facets}
    if q.exclure_doublons:
        body["collapse"] = {"field": "groupe", "inner_hits": {
            "name": "best", "size": 1, "sort": [{"score_qualite": {"order": "desc",
                                                                    "missing": "_last"}},
                                                {"key": {"order": "asc"}}]}}
        aggs = body.setdefault("aggs", {})
        aggs["_groupes"] = {"cardinality": {"field": "groupe", "precision_threshold": 40000}}
        if q.after:
            body["from"] = int(decode_cursor(q.after)[0])
    elif q.after:
        body["search_after"] = decode_cursor(q.after)
    return body


class ElasticBackend:
    name = "elasticsearch"

    def __init__(self, settings: Settings, territories=None, client=None):
        from catalog.errors import UnusableInput

        if client is None:
            if not settings.elasticsearch_url:
                raise UnusableInput("ELASTICSEARCH_URL n'est pas défini.")
            from elasticsearch import Elasticsearch

            client = Elasticsearch(settings.elasticsearch_url, request_timeout=60)
        self.client = client
        self.settings = settings
        self.alias = f"{settings.elasticsearch_index_prefix}-records"
        self.meta_index = f"{settings.elasticsearch_index_prefix}-meta"
        self._territories = territories
        self._mapping_checked = False

    def _territories_view(self):
        if self._territories is None:
            from catalog.db import get_engine
            from catalog.territories import get_territories

            return get_territories(get_engine(self.settings))
        return self._territories

    def _new_index(self) -> str:
        name = f"{self.alias}-{time.strftime('%Y%m%d%H%M%S')}-{time.monotonic_ns() % 10**6}"
        self.client.indices.create(index=name, **index_settings())
        return name

    def _ensure(self) -> None:
        if not self.client.indices.exists_alias(name=self.alias):
            name = self._new_index()
            self.client.indices.put_alias(index=name, name=self.alias)
        elif not self._mapping_checked:
            # An index created before a field was added (`excluded_zones`): its strict mapping
            # would refuse every document. Adding a field is allowed on a live index.
            self.client.indices.put_mapping(index=self.alias, properties=ADDED_FIELDS)
        self._mapping_checked = True

    def get_watermark(self) -> int:
        from elasticsearch import NotFoundError

        try:
            return int(self.client.get(index=self.meta_index, id="watermark")["_source"]["seq"])
        except NotFoundError:
            return 0

    def set_watermark(self, seq: int) -> None:
        self.client.index(index=self.meta_index, id="watermark", document={"seq": int(seq)},
                          refresh=True)

    def count(self) -> int:
        if not self.client.indices.exists_alias(name=self.alias):
            return 0
        return int(self.client.count(index=self.alias)["count"])

    def index(self, documents: Iterable[SearchDocument]) -> int:
        from elasticsearch import helpers

        self._ensure()
        ok, _ = helpers.bulk(self.client, bulk_actions(documents, self.alias), refresh=True)
        return ok

    def delete(self, keys: Iterable[tuple[str, str]]) -> int:
        from elasticsearch import helpers

        self._ensure()
        ok, _ = helpers.bulk(self.client, delete_actions(keys, self.alias), refresh=True,
                             raise_on_error=False)
        return ok

    def rebuild(self, documents: Iterable[SearchDocument], progress=None) -> int:
        from elasticsearch import helpers

        new = self._new_index()
        n = reported = 0
        for ok, _item in helpers.streaming_bulk(self.client, bulk_actions(documents, new),
                                                chunk_size=2000):
            n += ok
            if progress and n - reported >= 2000:
                progress(n - reported)
                reported = n
        if progress and n > reported:
            progress(n - reported)
        self.client.indices.refresh(index=new)
        old = []
        if self.client.indices.exists_alias(name=self.alias):
            old = list(self.client.indices.get_alias(name=self.alias))
        actions = [{"remove": {"index": o, "alias": self.alias}} for o in old]
        actions.append({"add": {"index": new, "alias": self.alias}})
        self.client.indices.update_aliases(actions=actions)  # atomic switch
        for o in old:
            self.client.indices.delete(index=o)
        return n

    def drop(self) -> None:
        """Delete this prefix's indices (tests)."""
        if self.client.indices.exists_alias(name=self.alias):
            for name in self.client.indices.get_alias(name=self.alias):
                self.client.indices.delete(index=name)
        self.client.indices.delete(index=self.meta_index, ignore_unavailable=True)

    def search(self, query) -> SearchResult:
        plan = make_plan(query, self._territories_view())
        if not self.client.indices.exists_alias(name=self.alias):
            return SearchResult(hits=[], total=0, facets={f: {} for f in query.facets})
        response = self.client.search(index=self.alias, **search_body(plan))
        return parse_response(plan, response)


def parse_response(plan: Plan, response: dict[str, Any]) -> SearchResult:
    q = plan.query
    raw = response["hits"]["hits"]
    more = len(raw) > q.size
    raw = raw[: q.size]
    hits = []
    for h in raw:
        src = h["_source"]
        if q.exclure_doublons:
            src = h["inner_hits"]["best"]["hits"]["hits"][0]["_source"]
        distance = None
        if plan.center is not None and src.get("location"):
            loc = src["location"]
            distance = round(haversine_km(plan.center[0], plan.center[1], loc["lat"], loc["lon"]), 3)
        hits.append(SearchHit(kind=src["kind"], id=src["id"], nom=src.get("nom") or "",
                              source=src.get("source") or "",
                              score=h.get("_score") if plan.has_text else None,
                              distance=distance))
    aggs = response.get("aggregations", {})
    facets = {name: {b["key"]: b["doc_count"] for b in aggs.get(name, {}).get("buckets", [])}
              for name in q.facets}
    total = response["hits"]["total"]["value"]
    cursor = None
    if q.exclure_doublons:
        total = aggs.get("_groupes", {}).get("value", total)
        offset = int(decode_cursor(q.after)[0]) if q.after else 0
        cursor = encode_cursor([offset + len(raw)]) if more else None
    elif more and raw:
        cursor = encode_cursor(raw[-1]["sort"])
    return SearchResult(hits=hits, total=total, facets=facets, next=cursor)
