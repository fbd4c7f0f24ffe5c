"""aides-jeunes benefit definitions (YAML files and the public JSON API) → `aide`."""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime

import orjson
import pytest
import responses

from catalog.clock import utcnow
from catalog.territories import CommuneInfo, Territories
from harvesters import harvester_class
from harvesters.aides_conditions import Eligibility, age_bounds, number_text
from harvesters.aides_jeunes import (
    AidesJeunesHarvester,
    amount_of,
    load_yaml,
    map_benefit,
    publics_of,
)
from harvesters.aides_jeunes_conditions import children_text, general_condition
from harvesters.aides_notes import Places
from harvesters.engine import harvest
from harvesters.report import iter_lines
from tests.conftest import FIXTURES, stored_records

YAML_DIR = FIXTURES / "aides" / "aides-jeunes"
API_DIR = FIXTURES / "aides" / "aides-jeunes-api"
API = "https://mes-aides.1jeune1solution.beta.gouv.fr"
DAY = "2025-03-01"



def report_messages(engine, job_id: int) -> dict[str, str]:
    """reference → the French messages of its report line."""
    with engine.connect() as conn:
        return {line["reference"]: " ".join(e["message"] for e in line["errors"]) for line in iter_lines(conn, job_id)}


def test_the_format_is_registered():
    assert harvester_class("aides-jeunes") is AidesJeunesHarvester


def test_yaml_directory_harvests_every_readable_benefit_and_reports_the_others(settings, engine):
    harvester = AidesJeunesHarvester(str(YAML_DIR), options={"date_maj": DAY})
    summary = harvest(harvester, settings=settings)
    assert summary.status == "done-with-errors", summary.message
    assert summary.counts["read"] == 13
    assert summary.counts["added"] == 7 and summary.counts["invalid"] == 6
    reported = {example for group in summary.groups for example in group.examples}
    for name in ("aide-masquee", "aide-institution-inconnue", "aide-institution-cassee", "aide-yaml-casse",
                 "aide-alias", "aide-objet-python"):
        assert f"data/benefits/javascript/{name}.yml" in reported
    groups = {group.code: group for group in summary.groups if group.code}
    assert groups["non-publiee"].count == 1 and "private: true" in groups["non-publiee"].message
    assert groups["institution-inconnue"].count == 1 and groups["institution-illisible"].count == 1
    assert groups["yaml-illisible"].count == 3  # broken YAML, aliases, a python object tag
    lines = report_messages(engine, summary.job_id)
    assert "alias" in lines["data/benefits/javascript/aide-alias.yml"]
    assert "python/object" in lines["data/benefits/javascript/aide-objet-python.yml"]  # refused, never built
    assert set(stored_records(engine, "aide")) == {f"aides-jeunes--{n}" for n in (
        "montreuil-bourse-permis", "region-idf-aide-merite", "caf-93-aide-bafa", "lyon-tarification-solidaire",
        "etat-discover", "rsa-jeunes-actifs", "caf-93-permanence-saint-denis")}
    again = harvest(AidesJeunesHarvester(str(YAML_DIR), options={"date_maj": DAY}), settings=settings)
    assert again.counts["unchanged"] == 7 and again.counts["added"] == again.counts["updated"] == 0


def test_a_commune_benefit_keeps_its_conditions_as_data_and_as_french(settings, engine):
    harvest(AidesJeunesHarvester(str(YAML_DIR), options={"date_maj": DAY}), settings=settings)
    aide = stored_records(engine, "aide")["aides-jeunes--montreuil-bourse-permis"]
    assert aide["nom"] == "Bourse au permis de conduire"
    assert aide["zone_eligibilite"] == ["93048"]
    assert aide["conditions"] == {"age_min": 18, "age_max": 25, "statuts": ["demandeur-emploi", "etudiant"]}
    assert aide["conditions_texte"].splitlines() == [
        "- Avoir entre 18 et 25 ans.",
        "- Résider dans la commune (code INSEE) 93048.",
        "- Être dans l’une des situations suivantes : en recherche d’emploi ; scolarisé ou scolarisée.",
        "- Effectuer 35 heures de bénévolat dans une association montreuilloise.",
    ]
    assert (aide["montant_max"], aide["montant_unite"], aide["montant_texte"]) == (800, "euros", "800 € maximum")
    assert aide["lien_demarche"] == "https://demarches.montreuil.fr/bourse-permis"  # the teleservice first
    assert aide["lien_source"] == f"{API}/aides/montreuil-bourse-permis"
    assert aide["institution_type"] == "commune" and aide["institution_code_insee"] == "93048"
    assert "mobilite--preparer-un-permis" in aide["thematiques"]
    assert "<" not in aide["description"] and "(https://www.montreuil.fr/jeunesse)" in aide["description"]
    assert aide["date_maj"] == DAY


def test_a_region_becomes_its_departements_and_profiles_widen_the_flat_keys(settings, engine):
    harvest(AidesJeunesHarvester(str(YAML_DIR), options={"date_maj": DAY}), settings=settings)
    aide = stored_records(engine, "aide")["aides-jeunes--region-idf-aide-merite"]
    assert aide["zone_eligibilite"] == ["75", "77", "78", "91", "92", "93", "94", "95"]
    # lycéen ≤ 20 ans boursier OR supérieur < 26 ans: the flat keys never exclude either of them.
    assert aide["conditions"] == {
        "age_max": 25, "statuts": ["lyceen", "enseignement-superieur"],
        "ressources_plafond": {"montant": 900, "periode": "mois", "nature": "quotient-familial"},
        # ...and each situation keeps its own rules, as data.
        "profils": [
            {"statut": "lyceen", "age_max": 20, "boursier": True},
            {"statut": "enseignement-superieur", "age_max": 25, "mentions_baccalaureat": ["mention_tres_bien"]},
        ],
    }
    assert "boursier" not in aide["conditions"]
    text = aide["conditions_texte"]
    assert "lycéen ou lycéenne (20 ans au plus, boursier ou boursière)" in text
    assert "bac obtenu avec mention très bien" in text and "Résider en région Île-de-France." in text
    assert aide["lien_demarche"] == "https://www.iledefrance.fr/aide-merite/formulaire.pdf"


def test_every_condition_is_kept_as_data_and_as_text_and_unknown_types_are_counted():
    harvester = AidesJeunesHarvester(str(YAML_DIR), options={"date_maj": DAY})
    rows = {item.row["id"]: item.row for item in harvester.items() if item.row}
    caf = rows["caf-93-aide-bafa"]
    assert caf["conditions"] == {"age_min": 17, "autres": [{
        "type": "regime_securite_sociale", "parametres": {"includes": ["regime_general"]},
        "texte": "Relever du régime général de la sécurité sociale."}]}
    assert "Relever du régime général de la sécurité sociale." in caf["conditions_texte"]
    lyon = rows["lyon-tarification-solidaire"]
    assert lyon["conditions"]["territoires_exclus"] == ["200040715"]
    # A condition no one taught us reads as something for the conseiller to check, not debug text.
    assert ("- Autre condition à vérifier auprès de l’organisme (critère « nouvelle_condition_inconnue », "
            "seuil : 3).") in lyon["conditions_texte"].splitlines()
    assert "non interprétée par Maillage" not in lyon["conditions_texte"]
    assert "taux d’incapacité d’au moins 80 %" in lyon["conditions_texte"]
    # The number of children of a parent (`enfants_eligibles`) is understood, as data and as text.
    assert "parent (avoir au moins 1 enfant)" in lyon["conditions_texte"]
    assert lyon["conditions"]["profils"][1]["autres"] == [{
        "type": "enfants_eligibles", "parametres": {"operator": ">=", "value": 1},
        "texte": "Avoir au moins 1 enfant."}]
    notes = harvester.notes
    assert notes.unknown_types == {"nouvelle_condition_inconnue": 1}
    assert not notes.outside_schema  # the schema now holds situations and other conditions
    assert (notes.found, notes.mapped, len(notes.rejected)) == (13, 7, 6)
    assert lyon["conditions"]["autres"][0]["type"] == "nouvelle_condition_inconnue"
    assert "Types de condition inconnus" in notes.summary()


OPENFISCA_SENTENCE = ("- Conditions d’éligibilité calculées par le simulateur aides-jeunes selon ses règles OpenFisca, "
                      "non décrites ici : les vérifier par une simulation ou sur la page de l’aide ({}).")


def test_openfisca_benefits_keep_their_text_conditions_and_lose_their_scripts():
    harvester = AidesJeunesHarvester(str(YAML_DIR), options={"date_maj": DAY})
    rsa = next(item.row for item in harvester.items() if item.row and item.row["id"] == "rsa-jeunes-actifs")
    assert rsa["description"] == "Le RSA assure un revenu minimum.\n\n- versé chaque mois\n- selon les ressources du foyer"
    assert rsa["zone_eligibilite"] == ["france"]
    assert rsa["conditions_texte"].splitlines() == [
        OPENFISCA_SENTENCE.format(f"{API}/aides/rsa-jeunes-actifs"),
        "- Résider en France de manière stable.", "- Avoir au moins 25 ans, ou être parent isolé."]


def test_an_openfisca_benefit_is_never_read_as_open_to_everyone(settings, engine):
    """The AAH, the ASI, the prime d'activité… had neither `conditions` nor `conditions_texte`: « a
    condition absent does not restrict eligibility », so reusers read them as open to everyone."""
    with responses.RequestsMock() as rsps:
        serve_api(rsps)
        harvest(AidesJeunesHarvester(API), settings=settings)
    aides = stored_records(engine, "aide")
    apl = aides["aides-jeunes--aide_logement"]  # `source: openfisca`, no condition at all
    assert apl["conditions_texte"] == OPENFISCA_SENTENCE.format(apl["lien_source"])
    assert apl["conditions"] == {"autres": [{
        "type": "openfisca", "parametres": {"variable": "aide_logement"},
        "texte": OPENFISCA_SENTENCE.format(apl["lien_source"])[2:]}]}
    # A benefit whose eligibility is declared as data says nothing of OpenFisca.
    assert "OpenFisca" not in aides["aides-jeunes--marseille-aide-mobilite"]["conditions_texte"]


def test_an_openfisca_benefit_names_the_rule_that_decides_it():
    benefit = {"label": "bourse", "source": "openfisca", "openfisca_eligibility_source": "bourse_criteres_sociaux"}
    row, _, _ = map_benefit("crous_logement_eligibilite", benefit, {"type": "national", "label": "Crous"},
                            source="aides-jeunes", date_maj=date(2025, 3, 1))
    assert row["conditions"]["autres"][0]["parametres"] == {"variable": "bourse_criteres_sociaux"}


def test_postal_codes_give_their_communes_when_the_territory_tables_are_loaded(settings, engine):
    from catalog.territories import clear_cache
    from catalog.territories.loader import find_files, load_files

    def permanence():
        harvester = AidesJeunesHarvester(str(YAML_DIR), options={"date_maj": DAY})
        harvester.settings = settings
        return next(i for i in harvester.items() if i.row and i.row["id"] == "caf-93-permanence-saint-denis")

    # Without the tables, the CAF's département, which contains them; the condition stays in the text,
    # and the report says the zone is wider than the source's (it said nothing).
    before = permanence()
    assert before.row["zone_eligibilite"] == ["93"]
    assert "Résider dans une commune de code postal 93200, 93210." in before.row["conditions_texte"]
    [widened] = [w for w in before.warnings if w.code == "zone-elargie"]
    assert widened.field == "zone_eligibilite" and "table des codes postaux n’est pas chargée" in widened.message
    assert "(93)" in widened.message and "(93200, 93210)" in widened.message
    load_files(engine, find_files(FIXTURES / "territories"))
    clear_cache()
    try:
        after = permanence()
        assert after.row["zone_eligibilite"] == ["93066"]  # both codes are Saint-Denis's
        assert not [w for w in after.warnings if w.code == "zone-elargie"]
    finally:
        clear_cache()


def test_a_postal_code_the_loaded_tables_do_not_know_widens_the_zone_with_a_warning():
    from harvesters.aides_jeunes_conditions import zone_of

    places = Places(lambda: Territories(communes={"93066": _commune("93066", "Saint-Denis")},
                                        postal_codes={"93200": ["93066"]}))
    conditions = [{"type": "codes_postaux", "values": ["93200", "93999"]}]
    zone = zone_of(Eligibility(), conditions, {"type": "departement", "code_insee": "93"}, places)
    assert (zone.codes, zone.exact) == (["93"], False)
    assert "code(s) postal(aux) 93999 inconnu(s) de la table des codes postaux" in zone.widened


def test_an_equals_operator_written_bare_is_read_as_js_yaml_reads_it(tmp_path):
    path = tmp_path / "aide.yml"
    path.write_text("conditions_generales:\n  - type: age\n    operator: =\n    value: 18\n")
    content, error = load_yaml(path)
    assert error is None and content["conditions_generales"][0]["operator"] == "="


def test_private_benefits_are_harvested_on_request():
    harvester = AidesJeunesHarvester(str(YAML_DIR), options={"date_maj": DAY, "include_private": True})
    ids = {item.row["id"] for item in harvester.items() if item.row}
    assert "aide-masquee" in ids and len(ids) == 8


def test_without_a_date_option_the_file_date_is_used(tmp_path):
    copy = tmp_path / "aides"
    shutil.copytree(YAML_DIR, copy)
    stamp = datetime(2024, 6, 30, 12).timestamp()
    for path in (copy / "data" / "benefits" / "javascript").glob("*.yml"):
        os.utime(path, (stamp, stamp))
    rows = [item.row for item in AidesJeunesHarvester(str(copy)).items() if item.row]
    assert {row["date_maj"] for row in rows if row["id"] != "rsa-jeunes-actifs"} == {date(2024, 6, 30)}


def test_contradictory_ages_refuse_the_benefit_and_keep_its_published_record(tmp_path, settings, engine):
    """A file cut inside « value: 26 » read « 2 »: the aid became « entre 18 et 1 ans », unreported."""
    copy = tmp_path / "aides"
    shutil.copytree(YAML_DIR, copy)
    harvest(AidesJeunesHarvester(str(copy), options={"date_maj": DAY}), source="aj", settings=settings)
    before = stored_records(engine, "aide")["aides-jeunes--montreuil-bourse-permis"]
    path = copy / "data" / "benefits" / "javascript" / "montreuil-bourse-permis.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("value: 26", "value: 2"), encoding="utf-8")
    summary = harvest(AidesJeunesHarvester(str(copy), options={"date_maj": DAY}), source="aj", settings=settings)
    assert stored_records(engine, "aide")["aides-jeunes--montreuil-bourse-permis"] == before
    assert summary.counts["missing"] == 0
    [group] = [g for g in summary.groups if g.code == "ages-contradictoires"]
    assert "au moins 18 ans et au plus 1 ans" in group.message


def test_a_folder_that_is_not_aides_jeunes_fails_without_changes(tmp_path, settings, engine):
    summary = harvest(AidesJeunesHarvester(str(tmp_path)), settings=settings)
    assert summary.status == "failed" and "data/benefits/" in summary.message
    assert stored_records(engine, "aide") == {}


@pytest.mark.parametrize("operator,value,expected", [
    (">=", 16, (16, None)), (">", 16, (17, None)), ("<=", 25, (None, 25)), ("<", 26, (None, 25)),
    ("=", 18, (18, 18)), ("<", 25.5, (None, 25)), (">=", 17.5, (18, None)),
])
def test_age_operators_become_whole_year_bounds(operator, value, expected):
    assert age_bounds(operator, value) == expected


@pytest.mark.parametrize("operator,value", [("!=", 18), (">=", "dix-huit"), (">=", True), ("=", 17.5),
                                            ("<", "1e999"), (">=", float("inf")), ("<", float("nan"))])
def test_unreadable_age_conditions_are_refused(operator, value):
    with pytest.raises((TypeError, ValueError)):
        age_bounds(operator, value)


# -- the public API ------------------------------------------------------------------------------

def serve_api(rsps, *, benefits: bytes | None = None, status: int = 200, last_modified: str | None = None):
    headers = {"Last-Modified": last_modified} if last_modified else {}
    body = benefits if benefits is not None else (API_DIR / "benefits.json").read_bytes()
    rsps.get(f"{API}/api/benefits", body=body, status=status, headers=headers, content_type="application/json")
    if status == 200:
        rsps.get(f"{API}/api/institutions", body=(API_DIR / "institutions.json").read_bytes(),
                 content_type="application/json")


def test_the_api_gives_the_same_records_with_embedded_or_referenced_institutions(settings, engine):
    with responses.RequestsMock() as rsps:
        serve_api(rsps, last_modified="Tue, 04 Mar 2025 08:00:00 GMT")
        summary = harvest(AidesJeunesHarvester(API), settings=settings)
    assert summary.status == "done-with-errors", summary.message
    assert (summary.counts["added"], summary.counts["invalid"]) == (3, 1)  # the private one is reported
    aides = stored_records(engine, "aide")
    marseille = aides["aides-jeunes--marseille-aide-mobilite"]
    assert marseille["zone_eligibilite"] == ["13055"]
    assert marseille["conditions"] == {"age_min": 16, "age_max": 25, "statuts": ["demandeur-emploi", "apprenti"]}
    assert marseille["date_maj"] == "2025-03-04"  # from Last-Modified
    apl = aides["aides-jeunes--aide_logement"]  # institution given by its slug, found in /api/institutions
    assert apl["institution_nom"] == "Caisse d’allocations familiales" and apl["zone_eligibilite"] == ["france"]
    velo = aides["aides-jeunes--mel-velo"]  # a generated benefit: title and url instead of label and link
    assert velo["nom"] == "Aide à l’achat d’un vélo à assistance électrique"
    assert velo["zone_eligibilite"] == ["200093201"] and velo["lien_demarche"] == "https://www.lillemetropole.fr/velo"
    assert velo["lien_source"] == f"{API}/aides/mel-velo"


@pytest.mark.parametrize("last_modified", ["Fri, 01 Jan 2100 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 -0100"])
def test_a_last_modified_from_the_future_dates_the_aids_today(settings, engine, last_modified):
    """A clock ahead made every aid invalid (date_maj in the future); the year 9999 west of
    Greenwich overflowed, a traceback instead of a harvest."""
    with responses.RequestsMock() as rsps:
        serve_api(rsps, last_modified=last_modified)
        summary = harvest(AidesJeunesHarvester(API), settings=settings)
    assert summary.counts["added"] == 3, summary.message
    assert stored_records(engine, "aide")["aides-jeunes--marseille-aide-mobilite"]["date_maj"] == str(utcnow().date())


@pytest.mark.parametrize("body,status,expected", [
    (b'[{"label": "aide', 200, "JSON"),
    (b'{"error": "maintenance"}', 200, "liste JSON"),
    (b"", 503, "503"),
])
def test_a_broken_api_fails_the_run_and_changes_nothing(settings, engine, body, status, expected):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        serve_api(rsps, benefits=body, status=status)
        summary = harvest(AidesJeunesHarvester(API), settings=settings)
    assert summary.status == "failed" and expected in summary.message
    assert stored_records(engine, "aide") == {}


def test_a_benefit_with_lists_where_codes_are_expected_is_kept_and_the_rest_flows(settings, engine):
    """Codes (unit, périodicité, institution type, condition type) looked up in our tables: a
    list in their place once stopped the whole run (unhashable type)."""
    benefits = orjson.loads((API_DIR / "benefits.json").read_bytes())
    marseille = benefits[0]
    marseille |= {"unit": ["€"], "periodicite": [], "institution": {**marseille["institution"], "type": ["commune"]}}
    marseille["conditions_generales"].append({"type": ["age"], "value": 3})
    with responses.RequestsMock() as rsps:
        serve_api(rsps, benefits=orjson.dumps(benefits))
        summary = harvest(AidesJeunesHarvester(API), settings=settings)
    assert summary.counts["added"] == 3, summary.message
    aide = stored_records(engine, "aide")["aides-jeunes--marseille-aide-mobilite"]
    assert aide["institution_type"] == "autre" and aide["montant_max"] == 300 and aide["montant_unite"] == "euros"
    assert "montant_periodicite" not in aide
    assert "Autre condition à vérifier auprès de l’organisme (critère illisible, value : 3)." in aide["conditions_texte"]


@pytest.mark.parametrize("condition,where,expected", [
    # A list of objects where codes are expected, a list as a profile condition's type, an age
    # past the float range: each once stopped the whole run (unhashable type, int(inf)).
    ({"type": "regime_securite_sociale", "includes": [{"a": 1}]}, "conditions_generales",
     "Relever du {'a': 1} de la sécurité sociale."),
    ({"type": ["age"], "value": 3}, "profils", "(autre condition à vérifier auprès de l’organisme (critère illisible, value : 3))"),
    ({"type": "age", "operator": "<", "value": "1e999"}, "conditions_generales", "âge non fini ('1e999')"),
    ({"type": "age", "operator": ["<"], "value": 3}, "profils", "(âge ['<'] 3 ans)"),
])
def test_an_odd_condition_value_is_kept_on_its_benefit_and_the_rest_flows(settings, engine, condition, where, expected):
    benefits = orjson.loads((API_DIR / "benefits.json").read_bytes())
    marseille = benefits[0]
    if where == "profils":
        marseille["profils"] = [{"type": "lyceen", "conditions": [condition]}]
    else:
        marseille["conditions_generales"].append(condition)
    with responses.RequestsMock() as rsps:
        serve_api(rsps, benefits=orjson.dumps(benefits))
        summary = harvest(AidesJeunesHarvester(API), settings=settings)
    assert summary.counts["added"] == 3, summary.message
    aide = stored_records(engine, "aide")["aides-jeunes--marseille-aide-mobilite"]
    assert expected in aide["conditions_texte"]


def test_a_benefit_hidden_after_publication_is_absent_and_ages_out(settings, engine):
    """`private: true` (how aides-jeunes ends an aid) was refused with the record's id, which kept
    the record active for ever; it is now absent from the source, and still counted in the report."""
    harvest(AidesJeunesHarvester(str(YAML_DIR), options={"date_maj": DAY, "include_private": True}), settings=settings)
    assert "aides-jeunes--aide-masquee" in stored_records(engine, "aide")
    summary = harvest(AidesJeunesHarvester(str(YAML_DIR), options={"date_maj": DAY}), settings=settings)
    groups = {group.code: group for group in summary.groups if group.code}
    assert groups["non-publiee"].count == 1 and "absente de la source" in groups["non-publiee"].message
    assert summary.counts["missing"] == 1
    assert next(g for g in summary.groups if g.status == "missing").examples == ["aides-jeunes--aide-masquee"]


def test_a_benefit_that_cannot_be_mapped_is_reported_on_its_own(settings, engine, monkeypatch):
    """Whatever shape no one foresaw stops one benefit, kept in the catalog (id_hint), not the run."""
    import harvesters.aides_jeunes as module

    real = module.map_benefit

    def failing(benefit_id, *args, **kwargs):
        if benefit_id == "etat-discover":
            raise TypeError("unhashable type: 'dict'")
        return real(benefit_id, *args, **kwargs)

    harvest(AidesJeunesHarvester(str(YAML_DIR), options={"date_maj": DAY}), settings=settings)
    monkeypatch.setattr(module, "map_benefit", failing)
    summary = harvest(AidesJeunesHarvester(str(YAML_DIR), options={"date_maj": DAY}), settings=settings)
    groups = {group.code: group for group in summary.groups if group.code}
    assert groups["aide-non-interpretable"].count == 1 and "unhashable" in groups["aide-non-interpretable"].message
    assert summary.counts["unchanged"] == 6 and summary.counts["missing"] == 0


def test_postal_codes_are_kept_beside_another_geographic_condition():
    """A `departements` condition once hid the `codes_postaux` one (all must hold) from the record."""
    from harvesters.aides_jeunes_conditions import zone_of

    eligibility = Eligibility()
    conditions = [{"type": "departements", "values": ["93"]}, {"type": "codes_postaux", "values": ["93200"]}]
    zone = zone_of(eligibility, conditions, {"type": "national"})
    assert (zone.codes, zone.exact) == (["93"], False)  # the département contains the true zone, without being it
    assert eligibility.conditions()["autres"] == [{
        "type": "codes_postaux", "parametres": {"values": ["93200"]},
        "texte": "Résider dans une commune de code postal 93200."}]
    assert "Résider dans le département 93." in eligibility.text()


def test_an_unquoted_code_with_a_leading_zero_is_read_as_js_yaml_reads_it(tmp_path):
    """YAML 1.1 (PyYAML) reads `01053` as octal 555; aides-jeunes' js-yaml reads 1053."""
    path = tmp_path / "institution.yml"
    path.write_text("code_insee: 01053\nplus: 12\nhexa: 0x1F\n")
    content, error = load_yaml(path)
    assert error is None and content == {"code_insee": 1053, "plus": 12, "hexa": 31}


@pytest.mark.parametrize(("label", "themes"), [
    ("Aide au permis de conduire", ["mobilite--preparer-un-permis"]),
    ("Chèque vélo électrique", ["mobilite--financer-ma-mobilite"]),
    ("Aide aux transports scolaires", ["mobilite--financer-ma-mobilite"]),
    # « développement » holds « velo »; a grant abroad and a disability card are no way to work.
    ("Aide au développement de projets de jeunes", []),
    ("Bourse de mobilité internationale MERMOZ", []),
    ("Carte mobilité inclusion invalidité", []),
])
def test_a_mobility_theme_needs_a_whole_word_about_getting_around(label, themes):
    from harvesters.aides_jeunes import themes_of

    assert themes_of({"label": label}) == themes


def test_an_institution_s_insee_code_read_as_a_number_keeps_its_leading_zero(tmp_path):
    """YAML reads an unquoted « 01053 » as 1053: a zone gets it back (aides_zones), the institution's
    code kept « 1053 »."""
    copy = tmp_path / "aides"
    shutil.copytree(YAML_DIR, copy)
    institution = copy / "data" / "institutions" / "ville_de_montreuil.yml"
    institution.write_text(institution.read_text(encoding="utf-8").replace('code_insee: "93048"', "code_insee: 01053"),
                           encoding="utf-8")
    [row] = [item.row for item in AidesJeunesHarvester(str(copy), options={"date_maj": DAY}).items()
             if item.row and item.row["id"] == "montreuil-bourse-permis"]
    assert row["institution_code_insee"] == "01053"


@pytest.mark.parametrize(("montant", "legend", "ceiling"), [
    (150, "maximum", 150.0), (500, "", 500.0), (228, "par mois maximum", 228.0),
    # From the corpus: what is left to pay, an average, a range's start, a daily rate. They were
    # published as the aid's ceiling (« at most 16.8 € » for a pass that saves 13.20 €).
    (16.8, "au lieu de 30\u00a0€ / mois", None), (20, "à la place de 64", None), (957, "en moyenne", None),
    (14, "par jour en moyenne", None), (2, "à 10 € par demi-journée", None), (3, "/ jour", None),
    (10, "par jour et par enfant maximum", None), (120, "par semaine de stage", None),
])
def test_an_amount_its_legend_says_is_no_ceiling_stays_in_the_text(montant, legend, ceiling):
    row = amount_of({"montant": montant, "legend": legend, "periodicite": "ponctuelle"})
    assert row.get("montant_max") == ceiling
    assert row["montant_texte"].startswith(f"{montant:g}".replace(".", ",")) and legend.strip() in row["montant_texte"]


class _Conditions:
    def __init__(self, **data):
        self.data = data

    def structured(self):
        return self.data


@pytest.mark.parametrize(("statuts", "publics"), [
    (["lyceen"], ["jeunes"]), (["collegien", "apprenti"], ["jeunes", "actifs"]),
    (["enseignement-superieur"], ["etudiants"]),
])
def test_pupils_are_young_people_not_students(statuts, publics):
    """« Étudiants » says higher education: a lycéens' aid was published for students (the
    corpus's Strasbourg « carte atout voir », « hors étudiants de l'enseignement supérieur »)."""
    assert publics_of(_Conditions(statuts=statuts)) == publics


# -- territory names, ceilings, amounts ----------------------------------------------------------

def _commune(code: str, nom: str) -> CommuneInfo:
    return CommuneInfo(code=code, nom=nom, type="commune-actuelle", departement=code[:2], region="")


def _places() -> Places:
    """A few territories as the catalog's tables give them (`maillage territories load`)."""
    communes = {c.code: c for c in (_commune("69123", "Lyon"), _commune("69003", "Affoux"),
                                    _commune("76351", "Le Havre"))}
    return Places(lambda: Territories(
        communes=communes, epcis={"248300543": "Métropole Toulon-Provence-Méditerranée",
                                  "246700488": "Eurométropole de Strasbourg", "242900314": "Brest Métropole"},
        departements={"14": ("Calvados", "28"), "13": ("Bouches-du-Rhône", "93"), "77": ("Seine-et-Marne", "11"),
                      "75": ("Paris", "11")}))


@pytest.mark.parametrize(("condition", "sentence"), [
    ({"type": "departements", "values": ["14"]}, "Résider dans le Calvados (14)."),
    ({"type": "departements", "values": ["13"]}, "Résider dans les Bouches-du-Rhône (13)."),
    ({"type": "departements", "values": ["77"]}, "Résider en Seine-et-Marne (77)."),
    ({"type": "departements", "values": ["75"]}, "Résider à Paris (75)."),
    ({"type": "departements", "values": ["14", "14", "13"]},
     "Résider dans l’un des départements suivants : Calvados (14), Bouches-du-Rhône (13)."),
    ({"type": "communes", "values": ["69123"]}, "Résider à Lyon (69123)."),
    ({"type": "communes", "values": ["76351"]}, "Résider au Havre (76351)."),
    ({"type": "communes", "values": ["69123", "69003", "69999"]},
     "Résider dans l’une des communes suivantes : Lyon (69123), Affoux (69003), 69999."),
    ({"type": "epcis", "values": ["246700488"]}, "Résider dans l’Eurométropole de Strasbourg (246700488)."),
    ({"type": "epcis", "values": ["242900314"]}, "Résider dans Brest Métropole (242900314)."),
])
def test_the_territories_of_a_condition_are_named_when_the_tables_know_them(condition, sentence):
    """« Résider dans le département 14 » gave a conseiller a code to look up."""
    from harvesters.aides_jeunes_conditions import zone_of

    eligibility = Eligibility()
    zone_of(eligibility, [condition], {"type": "national"}, _places())
    assert sentence in eligibility.text().splitlines()[0]
    # Without the tables (not loaded), the codes alone, said what they are.
    without_tables = Eligibility()
    zone_of(without_tables, [condition], {"type": "national"}, Places())
    text = without_tables.text()
    assert text.startswith(("- Résider dans la commune", "- Résider dans l’une des communes", "- Résider dans le département",
                            "- Résider dans l’un des départements", "- Résider dans l’intercommunalité (SIREN)"))
    assert all(code in text for code in condition["values"])


@pytest.mark.parametrize(("codes", "with_names", "without_names"), [
    (["248300543"], "Ne pas résider dans la Métropole Toulon-Provence-Méditerranée (248300543).",
     "Ne pas résider dans l’intercommunalité (SIREN) 248300543."),
    (["248300543", "246700488"], ("Ne résider dans aucune des intercommunalités suivantes : Métropole "
                                   "Toulon-Provence-Méditerranée (248300543), Eurométropole de Strasbourg (246700488)."),
     "Ne résider dans aucune des intercommunalités (SIREN) 248300543, 246700488."),
])
def test_excluded_intercommunalities_are_named_too(codes, with_names, without_names):
    for places, expected in ((_places(), with_names), (None, without_names)):
        eligibility = Eligibility()
        general_condition(eligibility, {"type": "excluded_epcis", "values": codes}, places)
        assert eligibility.text() == f"- {expected}"
        assert eligibility.conditions() == {"territoires_exclus": codes}


def test_the_harvest_names_a_commune_once_the_territory_tables_are_loaded(settings, territories):
    harvester = AidesJeunesHarvester(str(YAML_DIR), options={"date_maj": DAY})
    harvester.settings = settings
    [row] = [i.row for i in harvester.items() if i.row and i.row["id"] == "montreuil-bourse-permis"]
    assert "- Résider à Montreuil (93048)." in row["conditions_texte"].splitlines()


@pytest.mark.parametrize(("operator", "value", "montant"), [("<", 900, 899.99), ("<=", 900, 900), ("<", 18500, 18499.99),
                                                             ("<", 900.5, 900.49)])
def test_a_strict_income_limit_is_stored_as_the_ceiling_not_to_exceed(operator, value, montant):
    """The schema's `ressources_plafond.montant` is « à ne pas dépasser »: « < 900 € » stored as 900
    let in someone at exactly 900 € whom the source refuses."""
    eligibility = Eligibility()
    general_condition(eligibility, {"type": "quotient_familial", "operator": operator, "value": value, "period": "month"})
    assert eligibility.conditions()["ressources_plafond"] == {"montant": montant, "periode": "mois",
                                                              "nature": "quotient-familial"}
    words = "inférieur à" if operator == "<" else "inférieur ou égal à"
    assert eligibility.text() == f"- Avoir un quotient familial mensuel {words} {number_text(value)} €."


def test_amounts_set_their_thousands_apart():
    assert [number_text(v) for v in (18500, 1077, 950, 1234.5, 16.8)] == [
        "18\u202f500", "1\u202f077", "950", "1\u202f234,5", "16,8"]
    assert amount_of({"montant": 6335, "legend": "maximum"})["montant_texte"] == "6\u202f335 € maximum"
    eligibility = Eligibility()
    general_condition(eligibility, {"type": "quotient_familial", "operator": "<", "value": 18500, "period": "year"})
    assert eligibility.text() == "- Avoir un quotient familial annuel inférieur à 18\u202f500 €."


@pytest.mark.parametrize(("condition", "text"), [
    ({"operator": ">=", "value": 1, "age_min": 11, "age_max": 25}, "avoir au moins 1 enfant de 11 à 25 ans"),
    ({"operator": "=", "value": 2, "age_min": 11}, "avoir exactement 2 enfants d’au moins 11 ans"),
    ({"operator": ">=", "value": 3, "age_max": 20}, "avoir au moins 3 enfants de 20 ans au plus"),
    ({"operator": ">", "value": 0}, "avoir plus de 0 enfant"),
])
def test_the_children_a_parent_must_have_are_said_in_french(condition, text):
    """The Strasbourg « carte atout voir » read « condition « enfants_eligibles » non interprétée
    par Maillage (operator : >=, value : 1, age_min : 11, age_max : 25) »."""
    assert children_text({"type": "enfants_eligibles", **condition}) == text


@pytest.mark.parametrize("condition", [{"operator": "!=", "value": 1}, {"operator": ">=", "value": "un"},
                                       {"operator": ">=", "value": 1, "age_min": [11]}])
def test_unreadable_children_counts_are_kept_as_a_condition_to_check(condition):
    from harvesters.aides_jeunes_conditions import profile_of

    profile = profile_of(Eligibility(), {"type": "parent", "conditions": [{"type": "enfants_eligibles", **condition}]})
    assert profile.texts[0].startswith("autre condition à vérifier auprès de l’organisme (critère « enfants_eligibles »")
    assert profile.extra["autres"][0]["type"] == "enfants_eligibles"
