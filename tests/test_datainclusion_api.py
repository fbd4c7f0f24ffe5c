"""The data·inclusion API client, replayed from recorded responses (no network in tests)."""

from __future__ import annotations

import json

import pytest
import responses
from sqlalchemy import func, select

from catalog.models import Record
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.engine import harvest
from tests.conftest import FIXTURES

API = "https://api.data.inclusion.gouv.fr"
RECORDED = FIXTURES / "datainclusion"


def recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text())


def serve_api(rsps, *, services_status=200):
    for page in (1, 2):
        rsps.get(f"{API}/api/v1/structures", json=recorded(f"structures-page-{page}.json"),
                 match=[responses.matchers.query_param_matcher({"size": "3", "page": str(page)})])
    if services_status == 200:
        rsps.get(f"{API}/api/v1/services", json=recorded("services-page-1.json"),
                 match=[responses.matchers.query_param_matcher({"size": "3", "page": "1"})])
    else:
        rsps.get(f"{API}/api/v1/services", status=services_status)


def test_api_harvest_pages_through_both_kinds_with_the_bearer_token(settings, engine):
    with responses.RequestsMock() as rsps:
        serve_api(rsps)
        harvester = DataInclusionHarvester(API, options={"page_size": 3}, credentials="jeton-secret")
        summary = harvest(harvester, source="di-api", settings=settings)
        assert all(call.request.headers["Authorization"] == "Bearer jeton-secret" for call in rsps.calls)
        assert len(rsps.calls) == 3
    assert summary.status == "done", summary.message
    assert summary.kinds == ["structure", "service"]
    assert summary.counts["added"] == 8
    with engine.connect() as conn:
        kinds = dict(conn.execute(select(Record.kind, func.count()).group_by(Record.kind)).all())
    assert kinds == {"structure": 5, "service": 3}


def test_a_page_series_that_ends_before_its_announced_total_archives_nothing(settings, engine):
    """A first page rounding its page count down (5 structures at 3 a page announced as 1 page)
    ended the read early: the unread structures were marked missing, then archived."""
    with responses.RequestsMock() as rsps:
        serve_api(rsps)
        harvest(DataInclusionHarvester(API, options={"page_size": 3}), source="di-api", settings=settings)
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/api/v1/structures", json=recorded("structures-page-1.json") | {"pages": 1},
                 match=[responses.matchers.query_param_matcher({"size": "3", "page": "1"})])
        rsps.get(f"{API}/api/v1/services", json=recorded("services-page-1.json"),
                 match=[responses.matchers.query_param_matcher({"size": "3", "page": "1"})])
        summary = harvest(DataInclusionHarvester(API, options={"page_size": 3}), source="di-api", settings=settings)
    assert summary.status == "done", summary.message
    assert summary.counts["read"] == 6 and summary.counts["missing"] == 0 and summary.counts["archived"] == 0
    assert "« structure » : 3 enregistrement(s) distinct(s) lu(s) sur 5 annoncé(s)" in summary.message


def test_an_api_failure_midway_changes_nothing(settings, engine):
    with responses.RequestsMock() as rsps:
        serve_api(rsps, services_status=503)
        summary = harvest(DataInclusionHarvester(API, options={"page_size": 3}), source="di-api", settings=settings)
    assert summary.status == "failed"
    assert "503" in summary.message and "n'a pas été modifié" in summary.message
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Record)).scalar_one() == 0


def test_a_rejected_token_is_explained(settings):
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/api/v1/structures", status=401)
        summary = harvest(DataInclusionHarvester(API), source="di-api", settings=settings)
    assert summary.status == "failed" and "jeton" in summary.message


@pytest.mark.parametrize("body", [b'{"items": [{"id": "x"', b"<html>maintenance</html>"])
def test_a_truncated_or_foreign_page_fails_cleanly(settings, body):
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/api/v1/structures", body=body)
        summary = harvest(DataInclusionHarvester(API), source="di-api", settings=settings)
    assert summary.status == "failed" and "JSON" in summary.message


def test_bulk_file_by_url_is_downloaded_then_removed(settings, engine, tmp_path, monkeypatch):
    import tempfile

    import orjson

    from tests.factories import service

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the download lands
    url = "https://www.data.gouv.fr/fr/datasets/r/services.json"
    with responses.RequestsMock() as rsps:
        rsps.get(url, body=orjson.dumps([service(i) for i in range(4)]))
        rsps.get(url + "?v=2", body=b'[{"source": "test", "id": "tronque"')
        summary = harvest(DataInclusionHarvester(url), source="di-file", settings=settings)
        failed = harvest(DataInclusionHarvester(url + "?v=2"), source="di-file", settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 4 and summary.kinds == ["service"]
    assert failed.status == "failed"
    assert not list(tmp_path.glob("tmp*"))  # neither run left its downloaded copy behind


def test_the_kinds_option_given_as_text_reads_those_kinds(settings, engine):
    """`--option kinds=service` arrives as text: once read letter by letter (KeyError 's')."""
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/api/v1/services", json=recorded("services-page-1.json"),
                 match=[responses.matchers.query_param_matcher({"size": "3", "page": "1"})])
        summary = harvest(DataInclusionHarvester(API, options={"page_size": 3, "kinds": "service"}, credentials="t"),
                          source="di-api", settings=settings)
    assert summary.status == "done" and summary.kinds == ["service"], summary.as_dict()
    with responses.RequestsMock() as rsps:  # refused before any call
        refused = harvest(DataInclusionHarvester(API, options={"kinds": "services"}, credentials="t"),
                          source="di-api", settings=settings)
        assert len(rsps.calls) == 0
    assert refused.status == "failed" and "Option kinds : « services » inconnu(s)" in refused.message


@pytest.mark.parametrize("location, options, expected", [
    ("nope", {}, "Fichier introuvable"),  # no extension: the format was sniffed from a file not there
    (".", {}, "est un dossier"),
    ("services.json", {"encoding": "utf8x"}, "Encodage inconnu : « utf8x »"),
    ("services.csv", {"encoding": "utf8mb4"}, "Encodage inconnu : « utf8mb4 »"),
])
def test_an_unreadable_bulk_location_is_refused_in_french(settings, engine, tmp_path, location, options, expected):
    from tests.factories import service

    (tmp_path / "services.json").write_text(json.dumps([service(1)]), encoding="utf-8")
    (tmp_path / "services.csv").write_text("source,id,nom\nx,1,Un service\n", encoding="utf-8")
    summary = harvest(DataInclusionHarvester(str(tmp_path / location), options=options), source="di-file",
                      settings=settings)
    assert summary.status == "failed" and expected in summary.message, summary.message


def test_a_bulk_file_url_without_extension_is_read_as_its_format(settings, engine):
    """data.gouv.fr's stable links (`/datasets/r/<id>`) have no extension: `format` says it is a
    file, not the API."""
    import orjson

    from tests.factories import service

    url = "https://www.data.gouv.fr/fr/datasets/r/0f1e2d3c-services"
    with responses.RequestsMock() as rsps:
        rsps.get(url, body=b"\n".join(orjson.dumps(service(i)) for i in range(2)))
        summary = harvest(DataInclusionHarvester(url, options={"format": "ndjson", "kind": "service"}),
                          source="di-file", settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 2, summary.as_dict()


CONTACT = {"contact_nom_prenom": "Camille Martin", "courriel": "camille.martin@ccas-saint-denis.fr",
           "telephone": "+33612345678"}


def test_a_contact_not_said_public_is_withheld_as_dora_s(settings, engine, tmp_path):
    """data·inclusion v0's `contact_public` covers the contact's name, e-mail and phone, as
    DORA's does: false (or a value that does not say true) withholds them before validation
    drops the flag. v1 has no such field: a record without it keeps them."""
    from tests.conftest import stored_records
    from tests.factories import service

    rows = [service(1, **CONTACT, contact_public=False), service(2, **CONTACT, contact_public=None),
            service(3, **CONTACT, contact_public=True), service(4, **CONTACT)]
    (tmp_path / "services.json").write_text(json.dumps(rows), encoding="utf-8")
    summary = harvest(DataInclusionHarvester(str(tmp_path / "services.json")), source="di-file", settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 4, summary.as_dict()
    saved = stored_records(engine, "service")
    for hidden in ("test--v1", "test--v2"):
        assert not set(CONTACT) & set(saved[hidden]), saved[hidden]
    for shown in ("test--v3", "test--v4"):
        assert {k: saved[shown][k] for k in CONTACT} == CONTACT
        assert "contact_public" not in saved[shown]  # not a v1 field: the harvest is the only place to read it


def test_a_csv_cell_and_an_api_page_say_it_too(settings, engine, tmp_path):
    import csv

    from tests.conftest import stored_records
    from tests.factories import service

    rows = [service(1, **CONTACT, contact_public="false"), service(2, **CONTACT, contact_public="true")]
    with (tmp_path / "services.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: json.dumps(v) if isinstance(v, list) else v for k, v in row.items()} for row in rows)
    summary = harvest(DataInclusionHarvester(str(tmp_path / "services.csv")), source="di-file", settings=settings)
    assert summary.counts["added"] == 2, summary.as_dict()
    saved = stored_records(engine, "service")
    assert not set(CONTACT) & set(saved["test--v1"]) and saved["test--v2"]["courriel"] == CONTACT["courriel"]

    page = recorded("structures-page-1.json")
    page["items"] = [item | {"courriel": "camille.martin@asso.fr", "contact_public": False} for item in page["items"]]
    page["pages"] = 1
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/api/v1/structures", json=page)
        summary = harvest(DataInclusionHarvester(API, options={"kinds": "structure"}, credentials="t"),
                          source="di-api", settings=settings)
    assert summary.status == "done", summary.as_dict()
    structures = stored_records(engine, "structure")
    assert structures and not any("courriel" in s for s in structures.values())
