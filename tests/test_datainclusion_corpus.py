"""data·inclusion files of the real-world corpus (../shared/corpus/datainclusion), when present."""

from __future__ import annotations

import json

import orjson
import pytest

from harvesters.datainclusion import DataInclusionHarvester
from harvesters.engine import harvest
from tests.conftest import corpus_path, stored_records

pytestmark = pytest.mark.corpus


@pytest.mark.parametrize("name, kind, rows", [("services.json", "service", 2705),
                                              ("structures.json", "structure", 276)])
def test_offre_inclusion_exports_are_refused_as_another_layout(settings, engine, name, kind, rows):
    # gip-inclusion/offre-inclusion publishes a display export of data·inclusion ("Service ID",
    # "Nom", Postgres arrays as text): not the v1 schema, so refused whole, with its columns.
    path = corpus_path("datainclusion", "offre-inclusion", "public", "data", name)
    assert len(json.loads(path.read_text(encoding="utf-8"))) == rows
    summary = harvest(DataInclusionHarvester(str(path)), settings=settings)
    assert summary.status == "failed"
    assert f"ne suit pas le schéma data·inclusion v1 ({kind})" in summary.message
    assert "« Nom »" in summary.message
    assert stored_records(engine) == {}


def test_api_snapshot_pages_harvest_record_for_record(tmp_path, settings, engine):
    # The data·inclusion API's own test responses (GET /api/v1/services and /structures).
    snapshot = orjson.loads(corpus_path(
        "datainclusion", "data-inclusion", "api", "tests", "e2e", "api", "__snapshots__",
        "test_inclusion_data.ambr.json").read_bytes())
    for key, kind in (("test_list_structures_all", "structure"), ("test_list_services_all", "service")):
        items = snapshot[key]["items"]
        path = tmp_path / f"{kind}s.json"
        path.write_bytes(orjson.dumps(items))
        summary = harvest(DataInclusionHarvester(str(path)), source="di-api", settings=settings)
        assert summary.counts["read"] == len(items)
        assert summary.counts["added"] == len({(i["source"], i["id"]) for i in items})
        assert summary.counts["invalid"] == 0, summary.errors
    assert len(stored_records(engine)) == sum(
        len(snapshot[k]["items"]) for k in ("test_list_structures_all", "test_list_services_all"))
