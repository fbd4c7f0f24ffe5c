"""DORA API v2 (token, DRF paging) and older DORA payloads → structure / service (data·inclusion v1)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime

import pytest
import responses
from responses import matchers

import schemas
from harvesters.dora import THEMATIQUES_V0, DoraHarvester, _hours, _int, _thematiques
from harvesters.engine import harvest
from tests.conftest import FIXTURES, corpus_path, stored_records

API = "https://api.dora.inclusion.beta.gouv.fr"
RECORDED = FIXTURES / "dora"


def recorded(name: str) -> dict:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))




def serve(rsps, *, services=None):
    rsps.get(f"{API}/api/v2/structures/", json=recorded("structures-page-1.json"),
             match=[matchers.query_param_matcher({"page_size": "2"})])
    rsps.get(f"{API}/api/v2/structures/", json=recorded("structures-page-2.json"),
             match=[matchers.query_param_matcher({"page": "2", "page_size": "2"})])
    if services is None:
        rsps.get(f"{API}/api/v2/services/", json=recorded("services-page-1.json"),
                 match=[matchers.query_param_matcher({"page_size": "2"})])
    else:
        rsps.get(f"{API}/api/v2/services/", **services)


def test_the_api_is_paged_with_the_drf_token(settings, engine, territories):
    with responses.RequestsMock() as rsps:
        serve(rsps)
        summary = harvest(DoraHarvester(API, options={"page_size": 2}, credentials="jeton-dora"), settings=settings)
        assert all(call.request.headers["Authorization"] == "Token jeton-dora" for call in rsps.calls)
        assert len(rsps.calls) == 3
    assert summary.status == "done", summary.as_dict()
    assert summary.kinds == ["structure", "service"]
    # 3 structures, 3 services of which one is suspended since 2024 (DORA's API would not list it).
    assert (summary.counts["read"], summary.counts["added"]) == (5, 5)
    saved = stored_records(engine)
    assert set(saved) == {
        "dora--5b7d1a3e-2f4c-4d8e-9a61-0c1f2e3d4b5a", "dora--8c2e4f6a-1b3d-4e5f-8a9b-7c6d5e4f3a2b",
        "dora--0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f", "dora--a1b2c3d4-e5f6-4789-8abc-def012345678",
        "dora--b2c3d4e5-f6a7-4890-9bcd-ef0123456789"}

    ml = saved["dora--5b7d1a3e-2f4c-4d8e-9a61-0c1f2e3d4b5a"]
    assert ml["source"] == "dora" and ml["date_maj"] == "2025-03-14"
    assert ml["description"] == "Accompagnement des jeunes de 16 à 25 ans vers l'emploi et la formation."
    assert ml["horaires_accueil"] == "Mo-Fr 09:00-12:30,13:30-17:30"
    assert ml["accessibilite_lieu"].startswith("https://acceslibre")
    assert ml["reseaux_porteurs"] == ["mission-locale", "points-justice"]  # labels, one renamed
    wimoov = saved["dora--8c2e4f6a-1b3d-4e5f-8a9b-7c6d5e4f3a2b"]
    assert wimoov["description"].startswith("Plateforme de mobilité : diagnostic")  # détail over résumé
    assert wimoov["reseaux_porteurs"] == ["wimoov"]
    assert saved["dora--0f1e2d3c-4b5a-4968-8776-5a4b3c2d1e0f"]["reseaux_porteurs"] == ["ccas-cias"]  # typologie

    modern = saved["dora--a1b2c3d4-e5f6-4789-8abc-def012345678"]  # v1 fields sent by DORA: taken as they are
    assert modern["structure_id"] == "dora--8c2e4f6a-1b3d-4e5f-8a9b-7c6d5e4f3a2b"
    assert modern["nom"] == "Diagnostic mobilité."
    assert modern["description"] == "Bilan de vos besoins de déplacement et plan d'action vers l'emploi."
    assert modern["type"] == "accompagnement" and modern["publics"] == ["demandeurs-emploi", "jeunes"]
    assert modern["zone_eligibilite"] == ["200046977"]
    assert modern["modes_mobilisation"] == ["utiliser-lien-mobilisation", "telephoner"]
    assert modern["lien_mobilisation"] == "https://wimoov-lyon.example.fr/rdv"
    assert "contact_nom_prenom" not in modern  # DORA says the contact is not public
    assert "courriel" not in modern and "telephone" not in modern  # the contact's: withheld too

    legacy = saved["dora--b2c3d4e5-f6a7-4890-9bcd-ef0123456789"]  # v0 fields only: mapped
    assert legacy["type"] == "aide-financiere"  # « financement » wins over « information »
    assert legacy["thematiques"] == ["mobilite--preparer-un-permis"]  # `--autre` and unknown dropped
    assert legacy["frais"] == "gratuit" and legacy["frais_precisions"] == "Gratuit pour les moins de 26 ans."
    assert legacy["publics"] == ["jeunes", "demandeurs-emploi"]  # from free-text profils
    assert legacy["conditions_acces"] == "Avoir 18 ans\nPièce d'identité"
    assert legacy["zone_eligibilite"] == ["93"]  # région 11 → its départements (fixture: 93 only)
    assert legacy["modes_mobilisation"] == ["se-presenter", "telephoner", "envoyer-un-courriel"]
    assert legacy["mobilisable_par"] == ["usagers", "professionnels"]
    assert legacy["mobilisation_precisions"] == "Réunion d'information le mardi."
    assert (legacy["volume_horaire_hebdomadaire"], legacy["nombre_semaines"]) == (2.5, 12)
    assert legacy["contact_nom_prenom"] == "Karim Benali"  # public by DORA's say-so
    assert legacy["courriel"] == "k.benali@ml-bobigny.example.fr"


def test_a_region_zone_without_territories_is_reported(settings, engine):
    with responses.RequestsMock() as rsps:
        serve(rsps)
        summary = harvest(DoraHarvester(API, options={"page_size": 2}, credentials="t"), settings=settings)
    assert summary.counts["invalid"] == 1
    assert "région 11, dont les départements sont inconnus" in json.dumps(summary.as_dict(), ensure_ascii=False)


def test_a_rejected_token_changes_nothing(settings, engine):
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/api/v2/structures/", status=401, json=recorded("unauthorized.json"))
        summary = harvest(DoraHarvester(API, credentials="mauvais"), settings=settings)
    assert summary.status == "failed" and "401" in summary.message and "jeton" in summary.message
    assert stored_records(engine) == {}


def test_no_token_no_call(settings):
    summary = harvest(DoraHarvester(API, credentials=None), settings=settings)
    assert summary.status == "failed" and "DORA_API_TOKEN" in summary.message


@pytest.mark.parametrize("services, expected", [
    ({"body": b'{"count": 3, "next": null, "results": [{"id": "a1b2'}, "JSON tronquée"),
    ({"json": {"count": 1, "next": "https://ailleurs.example.org/api/v2/services/?page=2", "results": []}},
     "autre hôte"),
    ({"json": {"detail": "Page non valide."}}, "ni liste, ni page"),
    # Same host, but no longer encrypted: the token would travel in clear.
    ({"json": {"count": 1, "next": "http://api.dora.inclusion.beta.gouv.fr/api/v2/services/?page=2",
               "results": []}}, "jeton en clair"),
])
def test_a_broken_page_midway_changes_nothing(settings, engine, territories, services, expected):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps, services=services)
        summary = harvest(DoraHarvester(API, options={"page_size": 2}, credentials="t"), settings=settings)
    assert summary.status == "failed" and expected in summary.message, summary.message
    assert stored_records(engine) == {}  # the structures read before are rolled back too


def test_a_non_public_contact_s_email_and_phone_are_withheld(settings, engine, tmp_path):
    """In DORA's v2 serializer a service's `courriel` and `telephone` are its contact person's
    (`contact_email`, `contact_phone`): they stay out with the name unless the contact is public.
    A structure's own e-mail and phone (its desk's) are kept."""
    service = {"id": "c3d4e5f6-a7b8-4901-8cde-f01234567890", "structure_id": "8c2e4f6a-1b3d-4e5f-8a9b-7c6d5e4f3a2b",
               "nom": "Diagnostic mobilité", "presentation_resume": "Bilan de vos besoins de déplacement.",
               "date_maj": "2025-03-14T09:12:00+01:00", "types": ["accompagnement"], "zone_diffusion_type": "departement",
               "zone_diffusion_code": "69", "contact_nom_prenom": "Camille Martin", "contact_public": False,
               "courriel": "camille.martin@wimoov.fr", "telephone": "06 12 34 56 78"}
    public = service | {"id": "d4e5f6a7-b8c9-4012-9def-012345678901", "contact_public": True}
    (tmp_path / "services.json").write_text(json.dumps([service, public]), encoding="utf-8")
    summary = harvest(DoraHarvester(str(tmp_path / "services.json")), settings=settings)
    assert summary.counts["added"] == 2, summary.as_dict()
    saved = stored_records(engine)
    hidden = saved[f"dora--{service['id']}"]
    assert not {"contact_nom_prenom", "courriel", "telephone"} & set(hidden)
    shown = saved[f"dora--{public['id']}"]
    assert (shown["courriel"], shown["telephone"]) == ("camille.martin@wimoov.fr", "06 12 34 56 78")

    structures = recorded("structures-page-1.json")["results"]
    (tmp_path / "structures.json").write_text(json.dumps(structures), encoding="utf-8")
    harvest(DoraHarvester(str(tmp_path / "structures.json")), settings=settings)
    saved = stored_records(engine, "structure")
    with_desk = [s for s in structures if s.get("courriel")]
    assert with_desk and all(saved[f"dora--{s['id']}"]["courriel"] == s["courriel"] for s in with_desk)


def test_dates_are_read_whole_not_by_their_first_ten_characters(settings, engine, tmp_path):
    base = {"structure_id": "8c2e4f6a-1b3d-4e5f-8a9b-7c6d5e4f3a2b", "nom": "Diagnostic mobilité",
            "presentation_resume": "Bilan de vos besoins de déplacement.", "types": ["accompagnement"], "zone_diffusion_type": "departement", "zone_diffusion_code": "69"}
    services = [
        base | {"id": "s1", "date_maj": "2025-03-14T09:12:00.123+01:00"},
        base | {"id": "s2", "date_maj": "2025-03-14 à vérifier"},  # read as 2025-03-14 before
        base | {"id": "s3", "date_maj": "2025-03-14", "date_suspension": "2020-1-1"},  # compared as text before
        base | {"id": "s4", "date_maj": "2025-03-14", "date_suspension": "2020-01-01"},
    ]
    (tmp_path / "services.json").write_text(json.dumps(services), encoding="utf-8")
    summary = harvest(DoraHarvester(str(tmp_path / "services.json")), source="dora", settings=settings)
    saved = stored_records(engine)
    assert saved["dora--s1"]["date_maj"] == "2025-03-14"
    assert "dora--s2" not in saved and "2025-03-14 à vérifier" in json.dumps(summary.as_dict()["errors"],
                                                                              ensure_ascii=False)
    assert "dora--s3" in saved and "dora--s4" not in saved  # only a date that reads as one suspends


def test_dora_s_markdown_becomes_plain_text(settings, engine, tmp_path):
    """DORA's editor writes Markdown, with `<br>` for a line break: « **Convention**<br> » was shown
    raw on a conseiller's page and published so in the open data."""
    service = {"id": "s1", "structure_id": "8c2e4f6a-1b3d-4e5f-8a9b-7c6d5e4f3a2b", "nom": "Aide à la mobilité",
               "date_maj": "2025-03-14", "types": ["accompagnement"], "zone_diffusion_type": "departement",
               "zone_diffusion_code": "69",
               "presentation_detail": "# **Qui sommes-nous ?**\n\n**Convention de Partenariat**<br>\n\nAprès une "
                                      "réunion, voir [Ameli.fr](<https://www.ameli.fr>) :\n\n- un bilan ;\n- un suivi.",
               "frais_precisions": "Location : <br>1,50 € par jour", "conditions_acces": "Avoir **18 ans** et **une pièce d'identité **"}
    (tmp_path / "services.json").write_text(json.dumps([service]), encoding="utf-8")
    summary = harvest(DoraHarvester(str(tmp_path / "services.json")), source="dora", settings=settings)
    assert summary.counts["added"] == 1, summary.as_dict()
    saved = stored_records(engine)["dora--s1"]
    assert saved["description"] == ("Qui sommes-nous ?\n\nConvention de Partenariat\n\nAprès une réunion, voir "
                                    "Ameli.fr (https://www.ameli.fr) :\n\n- un bilan ;\n- un suivi.")
    assert saved["frais_precisions"] == "Location :\n1,50 € par jour"
    assert saved["conditions_acces"] == "Avoir 18 ans et une pièce d'identité"  # unpaired stars: no emphasis


@pytest.mark.parametrize(("frais", "expected"), [("pass-numerique", "gratuit"), ("adhesion", "payant"),
                                              ("gratuit-sous-conditions", "gratuit")])
def test_fees_map_as_data_inclusion_maps_them(settings, engine, tmp_path, frais, expected):
    """data·inclusion's v0 → v1 table: a service that takes the Pass numérique is free to its
    holder (it was published « payant »)."""
    service = {"id": "s1", "structure_id": "8c2e4f6a-1b3d-4e5f-8a9b-7c6d5e4f3a2b", "nom": "Atelier numérique",
               "date_maj": "2025-03-14", "types": ["atelier"], "zone_diffusion_type": "departement",
               "zone_diffusion_code": "69", "presentation_detail": "Prendre en main sa tablette.", "frais": frais}
    (tmp_path / "services.json").write_text(json.dumps([service]), encoding="utf-8")
    summary = harvest(DoraHarvester(str(tmp_path / "services.json")), source="dora", settings=settings)
    assert summary.counts["added"] == 1, summary.as_dict()
    assert stored_records(engine)["dora--s1"]["frais"] == expected


def test_a_page_that_links_to_itself_stops(settings, engine):
    loop = {"count": 1, "next": f"{API}/api/v2/structures/?page=2", "results": []}
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/api/v2/structures/", json=loop)
        summary = harvest(DoraHarvester(API, options={"kinds": ["structure"]}, credentials="t"), settings=settings)
    assert summary.status == "failed" and "pagination en boucle" in summary.message


@pytest.mark.parametrize("written", ["/api/v2/structures/?page=2&page_size=2",
                                     "https://API.dora.inclusion.beta.gouv.fr/api/v2/structures/?page=2&page_size=2"])
def test_a_next_page_written_relative_or_spelled_otherwise_is_on_the_api_s_site(settings, engine, written):
    """Once refused as « annoncée sur un autre hôte (/api/v2/…) »: nothing harvested."""
    first = recorded("structures-page-1.json") | {"next": written}
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/api/v2/structures/", json=first, match=[matchers.query_param_matcher({"page_size": "2"})])
        rsps.get(f"{API}/api/v2/structures/", json=recorded("structures-page-2.json"),
                 match=[matchers.query_param_matcher({"page": "2", "page_size": "2"})])
        summary = harvest(DoraHarvester(API, options={"page_size": 2, "kinds": ["structure"]}, credentials="t"),
                          settings=settings)
        assert all(call.request.headers["Authorization"] == "Token t" for call in rsps.calls)
    assert summary.status == "done" and summary.counts["read"] == 3, summary.message


def test_a_page_without_next_before_the_announced_count_archives_nothing(settings, engine, territories):
    """A page saying `next: null` while the first counted more ended the read as complete: the
    unread structures were archived."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve(rsps)
        harvest(DoraHarvester(API, options={"page_size": 2, "kinds": ["structure"]}, credentials="t"), settings=settings)
    cut = recorded("structures-page-1.json") | {"next": None}
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/api/v2/structures/", json=cut, match=[matchers.query_param_matcher({"page_size": "2"})])
        summary = harvest(DoraHarvester(API, options={"page_size": 2, "kinds": ["structure"]}, credentials="t"),
                          settings=settings)
    assert summary.status == "done", summary.message
    assert summary.counts["read"] == 2 and summary.counts["missing"] == 0
    assert "« structure » : 2 enregistrement(s) distinct(s) lu(s) sur 3 annoncé(s)" in summary.message


def test_an_unpaged_flat_list_is_read_whole(settings, engine):
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/api/v2/structures/", json=recorded("structures-page-2.json")["results"])
        summary = harvest(DoraHarvester(API, options={"kinds": ["structure"]}, credentials="t"), settings=settings)
    assert summary.counts["added"] == 1 and summary.kinds == ["structure"]


def test_the_kinds_option_given_as_text(settings, engine):
    """`--option kinds=structure` arrives as text: once read letter by letter (KeyError 's')."""
    with responses.RequestsMock() as rsps:
        rsps.get(f"{API}/api/v2/structures/", json=recorded("structures-page-2.json")["results"])
        summary = harvest(DoraHarvester(API, options={"kinds": "structure"}, credentials="t"), settings=settings)
    assert summary.status == "done" and summary.kinds == ["structure"], summary.as_dict()


def test_every_old_thematique_maps_into_the_v1_referential():
    known = schemas.referential_values("thematiques")
    assert set(THEMATIQUES_V0.values()) <= known
    assert _thematiques(["emploi-trouver-emploi--repondre-a-des-offres-demploi", "handicap--autre"]) == [
        "trouver-un-emploi--repondre-a-des-offres-demploi"]


def test_the_dora_demo_files_harvest_cleanly(settings, engine):
    from pathlib import Path

    demo = Path(__file__).resolve().parents[1] / "demo" / "dora"
    for spec in json.loads((demo / "sources.json").read_text(encoding="utf-8")):
        summary = harvest(DoraHarvester(str(demo / spec["location"]), options=spec["options"]),
                          source=spec["name"], settings=settings)
        assert summary.status == "done" and summary.counts["invalid"] == 0, summary.as_dict()
    saved = stored_records(engine)
    assert len(saved) == 10
    cv = saved["dora--7a1b2c3d-0000-4a00-8b00-000000000002"]  # v0 fields in the demo too
    assert cv["thematiques"] == ["preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation"]
    assert cv["zone_eligibilite"] == ["93"] and cv["publics"] == ["jeunes"]


# -- the corpus ------------------------------------------------------------------------------------


def _diff_explorer_dora_records() -> tuple[dict, dict]:
    """DORA API v1 records (the state after each change), split into structures and services."""
    structures, services = {}, {}
    for name in ("subsetXdora14.json", "subset.json"):
        for change in json.loads(corpus_path("datainclusion", "data.inclusion-diff-explorer", name).read_text()):
            if change["Src Alias"] != "dora":
                continue
            record = json.loads(change["Après"])
            (services if "structure" in record else structures)[record["id"]] = record
    return structures, services


@pytest.mark.corpus
def test_corpus_dora_api_v1_records_harvest(settings, engine, tmp_path):
    structures, services = _diff_explorer_dora_records()
    assert (len(structures), len(services)) == (45, 30)  # counted independently
    (tmp_path / "structures.json").write_text(json.dumps(list(structures.values())))
    (tmp_path / "services.json").write_text(json.dumps(list(services.values())))
    summary = harvest(DoraHarvester(str(tmp_path / "structures.json")), settings=settings)
    assert (summary.counts["added"], summary.counts["invalid"]) == (45, 0), summary.as_dict()

    today = datetime.now(UTC).date().isoformat()
    live = [s for s in services.values() if not (s.get("suspensionDate") and s["suspensionDate"] < today)]
    regional = [s for s in live if s["diffusionZoneType"] == "Région"]
    summary = harvest(DoraHarvester(str(tmp_path / "services.json")), settings=settings)
    # Without territory tables a regional zone cannot become départements: those are reported.
    assert summary.counts["read"] == len(live)
    assert (summary.counts["added"], summary.counts["invalid"]) == (len(live) - len(regional), len(regional))
    saved = stored_records(engine)
    assert all(d["structure_id"].startswith("dora--") for d in saved.values() if "structure_id" in d)


@pytest.mark.corpus
def test_corpus_dora_reclassification_agrees_with_the_v1_referential():
    """DORA's own v1 re-classification (Nov. 2025): every thématique it chose is in our referential,
    and where its services also appear with their 2022 thématiques, our mapping adds nothing DORA's
    people did not choose (they are broad `--autre`/parcours ones: we map them to nothing)."""
    path = corpus_path("datainclusion", "dora", "back", "dora", "services", "migrations", "data",
                       "assignation-thematiques.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        assigned = {row["service_id"]: [t.strip() for t in row["thematiques"].split("\n") if t.strip()]
                    for row in csv.DictReader(handle)}
    assert len(assigned) == 2329
    used = {t for values in assigned.values() for t in values}
    assert used <= schemas.referential_values("thematiques")
    _, services = _diff_explorer_dora_records()
    both = [s for s in services.values() if s["id"] in assigned]
    assert len(both) == 2
    for service in both:
        ours = _thematiques([c["value"] for c in service["subcategories"]])
        assert set(ours) <= set(assigned[service["id"]])


def test_a_source_with_its_own_token_variable_never_borrows_the_format_s(settings, engine, monkeypatch):
    """A partner's source registered with --token-env DORA_TOKEN_93: while that variable is
    unset, the run fails naming it, and does not call the API with DORA_API_TOKEN's account."""
    from click.testing import CliRunner

    from harvesters.engine import harvest_source
    from maillage.cli import main

    monkeypatch.setenv("DORA_API_TOKEN", "jeton-d-un-autre-compte")
    monkeypatch.delenv("DORA_TOKEN_93", raising=False)
    CliRunner().invoke(main, ["sources", "add", "dora-93", "dora", API, "--token-env", "DORA_TOKEN_93",
                              "--option", "page_size=2"],
                       catch_exceptions=False)
    with responses.RequestsMock() as rsps:  # no call expected: any would fail the test
        summary = harvest_source("dora-93", settings=settings)
        by_cli = CliRunner().invoke(main, ["harvest", "dora", API, "--token-env", "DORA_TOKEN_93"])
        assert len(rsps.calls) == 0
    assert summary.status == "failed"
    assert summary.message.startswith("Jeton d'accès manquant : la variable DORA_TOKEN_93, que la source nomme")
    assert by_cli.exit_code == 1 and "variable DORA_TOKEN_93" in by_cli.output

    monkeypatch.setenv("DORA_TOKEN_93", "jeton-du-93")
    with responses.RequestsMock() as rsps:
        serve(rsps)
        done = harvest_source("dora-93", settings=settings)
        assert done.counts["added"] > 0, done.message
        assert {c.request.headers["Authorization"] for c in rsps.calls} == {"Token jeton-du-93"}


@pytest.mark.parametrize(("profils", "publics"), [
    (["Demandeurs d'emploi"], ["demandeurs-emploi"]),
    (["Personnes inscrites à Pôle emploi"], ["demandeurs-emploi"]),
    (["Salariés et actifs"], ["actifs"]),
    # Whole words: once « demandeurs-emploi » too, « actifs », « demandeurs-emploi ».
    (["Demandeurs d'asile"], ["personnes-exilees"]),
    (["Jeunes inactifs"], ["jeunes"]),
    (["Étudiants inscrits à l'université"], ["etudiants"]),
])
def test_free_text_profils_become_publics_by_whole_words(profils, publics):
    from harvesters.dora import _publics

    assert _publics({"profils": profils}) == publics


@pytest.mark.parametrize(("typologie", "labels", "reseaux"), [
    ("RFS", [], ["france-service"]), ("CCONS", [], ["chambres-consulaires"]),
    ("ASSO", ["cci"], ["chambres-consulaires"]),  # DORA's own alias for its « cci » label
    ("CC", [], []),  # a communauté de communes names no network
])
def test_typologies_and_labels_naming_a_network(typologie, labels, reseaux):
    from harvesters.dora import _reseaux

    assert _reseaux({"typologie": typologie, "labels_nationaux": labels}) == reseaux


@pytest.mark.parametrize("written, read", [
    (12, 12), (12.0, 12), ("12", 12), ("12.0", 12), (None, None), ("", None),
    # Not whole numbers of weeks: absent, not cut down (2.7 was 2, 0.5 was 0, an invalid service).
    (2.7, None), (0.5, None), ("deux", None), (True, None),
    ("Infinity", None), ("NaN", None), (1e309, None),  # « Infinity » stopped the harvest (OverflowError)
])
def test_a_number_of_weeks_is_a_whole_number_or_absent(written, read):
    assert _int(written) == read


@pytest.mark.parametrize("written, read", [
    (35, 35), (2.5, 2.5), ("35.50", 35.5), ("35,5", 35.5), ("35 h", 35.0), (" 20 heures ", 20.0),
    (None, None), ("", None), (True, None), ("trente", None), (float("inf"), None), (-3, None), ("200", None),
])
def test_hours_a_week_are_read_as_partners_write_them(written, read):
    """« 35,5 » (a French partner's decimal) made the whole service invalid."""
    assert _hours(written) == read and type(_hours(written)) is type(read)  # 35 stays 35: no hash churn
