"""The Aides-territoires API client, replayed from hand-written responses in the API's shape."""

from __future__ import annotations

import json

import pytest
import responses
from responses import matchers
from sqlalchemy import select

from catalog.models import Record
from harvesters import harvester_class
from harvesters.aides_territoires import AidesTerritoiresHarvester
from harvesters.engine import harvest
from tests.conftest import FIXTURES

API = "https://aides-territoires.beta.gouv.fr"
RECORDED = FIXTURES / "aides" / "aides-territoires"
TOKEN = "jeton-du-compte"
JWT = json.loads((RECORDED / "connexion.json").read_text())["token"]
PAGE_2 = f"{API}/api/aids/?targeted_audiences=private_person&itemsPerPage=2&page=2"


def recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text())


def serve(rsps, *, page_1: dict | None = None, page_2: bytes | dict | None = None, perimeters: bool = True):
    rsps.post(f"{API}/api/connexion/", json=recorded("connexion.json"),
              match=[matchers.header_matcher({"X-AUTH-TOKEN": TOKEN})])
    rsps.get(f"{API}/api/aids/", json=page_1 or recorded("aids-page-1.json"),
             match=[matchers.query_param_matcher({"targeted_audiences": "private_person", "itemsPerPage": "2"})])
    body = page_2 if page_2 is not None else recorded("aids-page-2.json")
    if isinstance(body, bytes):
        rsps.get(PAGE_2, body=body, match=[matchers.query_param_matcher({"page": "2"}, strict_match=False)])
    else:
        rsps.get(PAGE_2, json=body, match=[matchers.query_param_matcher({"page": "2"}, strict_match=False)])
    if perimeters:
        for name, scale, fixture in (("Seine-Saint-Denis", "department", "perimetres-seine-saint-denis.json"),
                                     ("Lyon", "commune", "perimetres-lyon.json"),
                                     ("Saint-Denis", "commune", "perimetres-saint-denis.json")):
            rsps.get(f"{API}/api/perimeters/", json=recorded(fixture),
                     match=[matchers.query_param_matcher({"q": name, "scale": scale, "itemsPerPage": "100"})])


def run(settings, **options):
    harvester = AidesTerritoiresHarvester(API, options={"page_size": 2, **options}, credentials=TOKEN)
    return harvester, harvest(harvester, settings=settings)


def aides(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(Record.id, Record.data, Record.status).where(Record.kind == "aide")).all()
    return {r.id: (r.data if isinstance(r.data, dict) else json.loads(r.data)) | {"_status": r.status} for r in rows}


def test_the_format_is_registered():
    assert harvester_class("aides-territoires") is AidesTerritoiresHarvester


def test_the_token_is_exchanged_then_every_page_is_read_with_the_bearer(settings, engine):
    with responses.RequestsMock() as rsps:
        serve(rsps)
        harvester, summary = run(settings)
        calls = list(rsps.calls)
    assert summary.status == "done", summary.message
    assert summary.counts["added"] == 4 and summary.kinds == ["aide"]
    assert calls[0].request.method == "POST" and calls[0].request.headers["X-AUTH-TOKEN"] == TOKEN
    assert "Authorization" not in calls[0].request.headers
    assert all(call.request.headers["Authorization"] == f"Bearer {JWT}" for call in calls[1:])
    # One perimeter look-up per distinct perimeter: Seine-Saint-Denis serves two aids.
    perimeter_calls = [c for c in calls if "/api/perimeters/" in c.request.url]
    assert len(perimeter_calls) == 3
    assert harvester.notes.remarks == {"périmètre sans code COG : Saint-Denis (Commune)": 1}


def test_aids_are_mapped_without_personal_contacts(settings, engine):
    with responses.RequestsMock() as rsps:
        serve(rsps)
        run(settings)
    records = aides(engine)
    permis = records["aides-territoires--101"]
    assert permis["zone_eligibilite"] == ["93"]
    assert permis["type_aide"] == "subvention" and permis["institution_nom"] == "Département de la Seine-Saint-Denis"
    assert (permis.get("montant_min"), permis["montant_max"], permis["montant_unite"]) == (None, 80, "pourcentage")
    assert permis["montant_texte"] == "Dans la limite de 1 200 €"
    assert permis["conditions_texte"].splitlines() == [
        "- Bénéficiaires : Particulier.", "- Territoire couvert : Seine-Saint-Denis (Département).",
        "- Avoir entre 18 et 25 ans", "- Être accompagné par une mission locale",
    ]
    assert "Instructeurs : Mission locale de Saint-Denis." in permis["description"]
    assert permis["lien_source"] == f"{API}/aides/aide-au-permis-de-conduire-des-jeunes-en-insertion/"
    assert permis["lien_demarche"] == "https://demarches.seinesaintdenis.fr/permis-jeunes"
    assert (permis["date_debut"], permis["date_fin"], permis["date_maj"]) == ("2025-01-01", "2025-12-31", "2025-02-10")
    assert all("dupont" not in json.dumps(r, ensure_ascii=False).lower() for r in records.values())
    pret = records["aides-territoires--102"]
    assert pret["zone_eligibilite"] == ["69123"]  # « Lyons-la-Forêt » is not « Lyon »
    assert (pret["type_aide"], pret["montant_max"], pret["montant_unite"]) == ("pret", 5000, "euros")
    assert pret["date_maj"] == "2024-06-01"  # no date_updated: date_created
    cheque = records["aides-territoires--103"]
    assert "zone_eligibilite" not in cheque  # two communes are named Saint-Denis: not guessed
    assert (cheque["montant_min"], cheque["montant_max"]) == (20, 80)
    assert records["aides-territoires--104"]["type_aide"] == "autre"


def test_options_given_as_text_on_the_command_line(settings, engine):
    with responses.RequestsMock() as rsps:
        serve(rsps, perimeters=False)
        harvester, summary = run(settings, filtres='{"targeted_audiences": "private_person"}',
                                 resolve_perimeters="non", page_size="2")
        assert not any("/api/perimeters/" in call.request.url for call in rsps.calls)
    assert summary.status == "done" and summary.counts["added"] == 4
    assert harvester.notes.without_zone == 4


def test_a_refused_token_fails_the_run(settings, engine):
    with responses.RequestsMock() as rsps:
        rsps.post(f"{API}/api/connexion/", status=401, json={"message": "User not found"})
        _, summary = run(settings)
    assert summary.status == "failed" and "Jeton d'API refusé" in summary.message
    assert aides(engine) == {}


def test_a_missing_token_is_explained_before_any_call(settings):
    with responses.RequestsMock():
        summary = harvest(AidesTerritoiresHarvester(API), settings=settings)
    assert summary.status == "failed" and "AIDES_TERRITOIRES_API_TOKEN" in summary.message


def test_a_truncated_page_changes_nothing(settings, engine):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, page_2=b'{"count": 4, "next": null, "results": [{"id": 103, "name": "Ch')
        _, summary = run(settings)
    assert summary.status == "failed" and "JSON" in summary.message
    assert aides(engine) == {}


def test_a_next_link_to_another_host_is_not_followed_with_the_token(settings, engine):
    page_1 = recorded("aids-page-1.json") | {"next": "https://collecte.exemple.net/api/aids/?page=2"}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, page_1=page_1)
        _, summary = run(settings)
        hosts = {call.request.url.split("/")[2] for call in rsps.calls}
    assert summary.status == "failed" and "autre site" in summary.message
    assert hosts == {"aides-territoires.beta.gouv.fr"}


def test_a_page_that_loops_is_refused(settings):
    page_2 = recorded("aids-page-2.json") | {"next": PAGE_2}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, page_2=page_2)
        _, summary = run(settings)
    assert summary.status == "failed" and "boucle" in summary.message


def test_fewer_aids_than_announced_archive_nothing(settings, engine):
    with responses.RequestsMock() as rsps:
        serve(rsps)
        run(settings)
    # The next run reads 3 aids but the API announced 5 (pages shifted under writes?).
    short_2 = recorded("aids-page-2.json") | {"count": 5, "results": recorded("aids-page-2.json")["results"][:1]}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, page_1=recorded("aids-page-1.json") | {"count": 5}, page_2=short_2)
        _, summary = run(settings)
    assert summary.status == "done" and summary.kinds == []
    assert summary.counts["missing"] == summary.counts["archived"] == 0
    # The operator reads it in the job's message: the run spoke for nothing, and says why.
    assert ("3 aides lues sur 5 annoncées : pages décalées pendant la lecture ? Aucune aide n'est archivée après "
            "cette exécution.") in summary.message
    # Read to the end with the count it announces, the same source says 104 is gone.
    short_2["count"] = 3
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, page_1=recorded("aids-page-1.json") | {"count": 3}, page_2=short_2)
        _, summary = run(settings, source="aides-territoires")
    assert summary.kinds == ["aide"] and summary.counts["missing"] == 1


@pytest.mark.parametrize("location", ["ftp://aides-territoires.beta.gouv.fr", "aides-territoires"])
def test_a_location_that_is_not_an_api_address_is_refused(settings, location):
    summary = harvest(AidesTerritoiresHarvester(location, credentials=TOKEN), settings=settings)
    assert summary.status == "failed" and "Adresse d'API" in summary.message


def test_an_aid_with_a_number_where_a_list_is_expected_is_kept_and_the_rest_flows(settings, engine):
    """`financers: 12` once stopped the whole run (« 'int' object is not iterable »)."""
    page_2 = recorded("aids-page-2.json")
    page_2["results"][0] |= {"financers": 12, "instructors": "CCAS de Saint-Denis", "aid_types": {"a": 1},
                             "targeted_audiences": True}
    with responses.RequestsMock() as rsps:
        serve(rsps, page_2=page_2)
        _, summary = run(settings)
    assert summary.status == "done", summary.message
    assert summary.counts["added"] == 4
    cheque = aides(engine)["aides-territoires--103"]
    assert cheque["description"].endswith("Instructeurs : CCAS de Saint-Denis.")  # a lone name is a list of one
    assert "institution_nom" not in cheque and "type_aide" not in cheque and "Financeurs" not in cheque["description"]


def test_a_perimeters_service_that_answers_nothing_fails_the_run_and_keeps_every_territory(settings, engine):
    with responses.RequestsMock() as rsps:
        serve(rsps)
        run(settings)
    before = aides(engine)
    assert any(aid.get("zone_eligibilite") for aid in before.values())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, perimeters=False)
        rsps.get(f"{API}/api/perimeters/", json={"count": 0, "results": []})  # emptied, for every name
        _, summary = run(settings)
    assert summary.status == "failed" and "n'a rien répondu pour aucun des 3 périmètres" in summary.message
    assert aides(engine) == before


def test_a_count_written_as_text_still_guards_against_a_short_read(settings, engine):
    """`count: "4"` was ignored, so a run that lost a page archived the aids on it."""
    with responses.RequestsMock() as rsps:
        serve(rsps)
        run(settings)
    short_2 = recorded("aids-page-2.json") | {"count": "4", "results": []}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, page_1=recorded("aids-page-1.json") | {"count": "4"}, page_2=short_2)
        harvester, summary = run(settings)
    assert summary.status == "done" and summary.kinds == []
    assert summary.counts["missing"] == summary.counts["archived"] == 0
    assert "2 aides lues sur 4 annoncées" in harvester.notes.summary()


def test_an_unreadable_count_fails_the_run_and_changes_nothing(settings, engine):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, page_1=recorded("aids-page-1.json") | {"count": [4]})
        _, summary = run(settings)
    assert summary.status == "failed" and "« count »" in summary.message
    assert aides(engine) == {}


def test_an_aid_withdrawn_from_publication_is_absent_and_ages_out(settings, engine):
    """`is_live: false` was refused with the record's id, which kept a withdrawn aid active for ever."""
    with responses.RequestsMock() as rsps:
        serve(rsps)
        run(settings)
    page_2 = recorded("aids-page-2.json")
    page_2["results"][1]["is_live"] = False
    with responses.RequestsMock() as rsps:
        serve(rsps, page_2=page_2)
        _, summary = run(settings, source="aides-territoires")
    assert summary.kinds == ["aide"] and summary.counts["missing"] == 1 and summary.counts["invalid"] == 1
    assert [(g.code, g.count) for g in summary.groups if g.status == "invalid"] == [("non-publiee", 1)]
    missing = next(g for g in summary.groups if g.status == "missing")
    assert missing.examples == ["aides-territoires--104"]  # archived once the grace period is over


def test_scales_written_in_lower_case_and_long_descriptions(settings, engine):
    """The API's newer code writes « commune », « epci »: the commune's aid lost its territory,
    silently but for a note. An aid described at length was refused whole (description over the
    schema's 20 000 characters): it is published with the start of it. A line break inside an
    HTML sentence was a condition of its own."""
    page_1 = recorded("aids-page-1.json")
    for aid in page_1["results"]:
        aid["perimeter_scale"] = aid["perimeter_scale"].lower()
    lyon = next(aid for aid in page_1["results"] if aid["id"] == 102)
    lyon["description"] = "<p>" + "Un prêt à taux zéro pour financer un véhicule. " * 500 + "</p>"
    lyon["eligibility"] = "<p>Habiter Lyon depuis six mois\r\net disposer d'une promesse d'embauche.</p>"
    with responses.RequestsMock() as rsps:
        serve(rsps, page_1=page_1)
        _, summary = run(settings)
    assert summary.counts["invalid"] == 0, summary.as_dict()
    records = aides(engine)
    pret = records["aides-territoires--102"]
    assert pret["zone_eligibilite"] == ["69123"] and records["aides-territoires--101"]["zone_eligibilite"] == ["93"]
    assert len(pret["description"]) == 20000 and pret["description"].endswith("…")
    assert "- Habiter Lyon depuis six mois et disposer d'une promesse d'embauche." in pret["conditions_texte"]
