"""Carpooling incentive campaigns (AOM, keyed by SIREN) → solution-mobilite."""

from __future__ import annotations

import json
from datetime import date

import orjson
import pytest
import responses

from harvesters.covoiturage import CovoiturageHarvester
from harvesters.engine import harvest
from tests.conftest import FIXTURES, corpus_path, stored_records

HERE = FIXTURES / "mobilite" / "covoiturage"




def test_campaigns_map_to_solutions_with_the_epci_as_zone(settings, engine, territories):
    summary = harvest(CovoiturageHarvester(str(HERE / "campagnes.json"), options={"date_maj": "2025-02-14"}),
                      settings=settings)
    assert summary.counts["read"] == 6
    assert summary.counts["added"] == 2
    assert summary.counts["invalid"] == 4
    saved = stored_records(engine)
    lyon = saved["covoiturage-aom--200046977"]
    assert lyon["nom"] == "Incitation au covoiturage — Métropole de Lyon"
    assert lyon["porteur_nom"] == "Métropole de Lyon" and lyon["porteur_siren"] == "200046977"
    assert lyon["zone_eligibilite"] == ["200046977"]
    assert lyon["operateurs"] == ["BlaBlaCar Daily", "Karos"]
    assert (lyon["montant_min"], lyon["montant_max"], lyon["montant_unite"]) == (1.5, 3.0, "euros")
    assert "dans la limite de 150\u00a0€ par mois" in lyon["montant_texte"]
    assert "jusqu'à 60 trajets gratuits par mois" in lyon["montant_texte"]
    assert lyon["frais"] == "gratuit" and lyon["date_maj"] == "2025-02-14"
    assert "Trajet de 2 à 80 km." in lyon["conditions_texte"]
    lille = saved["covoiturage-aom--200093201"]
    # Swapped bounds and a comma decimal in the source: the range is kept, in order.
    assert (lille["montant_min"], lille["montant_max"]) == (1.5, 8.0)
    assert lille["nom"] == "Covoit'MEL : incitation au covoiturage — Métropole Européenne de Lille"
    assert lille["frais"] == "payant" and lille["frais_precisions"].startswith("Vous ne payez que 0,50")
    assert "au départ et à l'arrivée" in lille["conditions_texte"]
    assert "ne sont pas couverts" in lille["conditions_texte"]


def test_what_cannot_be_mapped_is_reported_precisely(settings, engine, territories):
    summary = harvest(CovoiturageHarvester(str(HERE / "campagnes.json")), settings=settings)
    report = summary.as_dict()["errors"]
    text = json.dumps(report, ensure_ascii=False)
    # The syndicat mixte: not an EPCI, so no zone is guessed.
    assert "Le SIREN 253800825 n'est celui d'aucun EPCI" in text
    assert "code_siren absent ou invalide" in text
    assert "conducteur_montant_min_par_passager doit être un nombre" in text
    assert "n'est pas un objet JSON" in text


def test_the_zone_of_a_non_epci_aom_comes_from_the_options(settings, engine, territories):
    harvester = CovoiturageHarvester(str(HERE / "campagnes.json"), options={
        "zones": {"253800825": ["38"]}, "noms": {"200093201": "MEL"}})
    summary = harvest(harvester, settings=settings)
    assert summary.counts["added"] == 3
    smmag = stored_records(engine)["covoiturage-aom--253800825"]
    assert smmag["zone_eligibilite"] == ["38"]
    assert smmag["nom"] == "Incitation au covoiturage — AOM (SIREN 253800825)"
    assert (smmag["montant_min"], smmag["montant_max"]) == (2.0, 2.0)
    assert stored_records(engine)["covoiturage-aom--200093201"]["porteur_nom"] == "MEL"  # a name given wins
    assert "2\u00a0€ par passager et par trajet" in smmag["description"]


def test_a_name_alone_gives_a_non_epci_aom_no_zone(settings, engine, territories):
    """Naming the syndicat mixte in « noms » made its SIREN its zone, as if it were an EPCI's."""
    harvester = CovoiturageHarvester(str(HERE / "campagnes.json"), options={"noms": {"253800825": "SMMAG"}})
    summary = harvest(harvester, settings=settings)
    assert "covoiturage-aom--253800825" not in stored_records(engine)
    assert "Le SIREN 253800825 n'est celui d'aucun EPCI" in json.dumps(summary.as_dict()["errors"], ensure_ascii=False)


def test_zone_options_given_as_json_text_at_the_command_line(settings, engine, territories):
    """`--option 'zones={…}'` arrives as text: once an AttributeError (str has no .items)."""
    harvester = CovoiturageHarvester(str(HERE / "campagnes.json"), options={
        "zones": '{"253800825": ["38"]}', "noms": '{"200093201": "MEL"}'})
    summary = harvest(harvester, settings=settings)
    assert summary.counts["added"] == 3, summary.as_dict()
    assert stored_records(engine)["covoiturage-aom--253800825"]["zone_eligibilite"] == ["38"]
    assert stored_records(engine)["covoiturage-aom--200093201"]["porteur_nom"] == "MEL"


@pytest.mark.parametrize("options, expected", [
    ({"zones": "253800825=38"}, "Option zones : un objet JSON par SIREN est attendu"),
    ({"zones": '{"253800825": []}'}, "Option zones, 253800825 : une liste de codes"),
    ({"noms": '["MEL"]'}, "Option noms : un objet JSON par SIREN est attendu"),
])
def test_a_wrong_zone_option_is_refused_with_an_example(settings, engine, options, expected):
    summary = harvest(CovoiturageHarvester(str(HERE / "campagnes.json"), options=options), settings=settings)
    assert summary.status == "failed" and expected in summary.message, summary.message
    assert stored_records(engine) == {}


def test_without_territory_tables_the_siren_is_kept_as_an_epci_code(settings, engine):
    summary = harvest(CovoiturageHarvester(str(HERE / "campagnes.json")), settings=settings)
    assert summary.counts["added"] == 3  # the syndicat mixte cannot be told from an EPCI
    lyon = stored_records(engine)["covoiturage-aom--200046977"]
    assert lyon["nom"] == "Incitation au covoiturage — AOM (SIREN 200046977)"
    assert lyon["zone_eligibilite"] == ["200046977"]
    assert "porteur_nom" not in lyon


def test_a_file_keyed_by_siren_and_its_dates(settings, engine, territories):
    summary = harvest(CovoiturageHarvester(str(HERE / "campagnes-par-siren.json")), settings=settings)
    assert summary.counts["added"] == 1 and summary.counts["invalid"] == 1
    assert "ne correspond pas au code_siren" in json.dumps(summary.as_dict()["errors"], ensure_ascii=False)
    sarreguemines = stored_records(engine)["covoiturage-aom--200070746"]
    assert sarreguemines["porteur_nom"] == "CA Sarreguemines Confluences"
    assert (sarreguemines["date_maj"], sarreguemines["date_debut"], sarreguemines["date_fin"]) == (
        "2025-03-12", "2025-01-01", "2025-12-31")


@pytest.mark.parametrize("written", ["2025-02-1", "12/03/20255", "2025-03-12 et après"])
def test_a_campaign_date_not_written_whole_is_told_not_guessed(tmp_path, settings, engine, written):
    path = tmp_path / "campagnes.json"
    path.write_bytes(orjson.dumps({"200070746": {"link": "https://www.agglo-sarreguemines.fr/covoiturage/",
                                                 "derniere_maj": written}}))
    summary = harvest(CovoiturageHarvester(str(path)), settings=settings)
    assert summary.counts["invalid"] == 1 and stored_records(engine) == {}
    assert f"derniere_maj : date illisible (« {written} »)" in json.dumps(summary.as_dict()["errors"], ensure_ascii=False)


@pytest.mark.parametrize("name, expected", [("tronque.json", "JSON tronqué"), ("latin1.json", "UTF-8")])
def test_a_broken_file_changes_nothing(settings, engine, name, expected):
    summary = harvest(CovoiturageHarvester(str(HERE / name)), settings=settings)
    assert summary.status == "failed"
    assert expected in summary.message and "n'a pas été modifié" in summary.message
    assert stored_records(engine) == {}


def test_a_remote_file_is_dated_by_its_last_modified_header(settings, engine):
    url = "https://data.example.fr/incitations-covoiturage.json"
    with responses.RequestsMock() as rsps:
        rsps.get(url, body=(HERE / "campagnes-par-siren.json").read_bytes(),
                 headers={"Last-Modified": "Tue, 04 Mar 2025 10:00:00 GMT"})
        summary = harvest(CovoiturageHarvester(url), settings=settings)
    assert summary.counts["added"] == 1
    # The campaign's own `derniere_maj` wins over the file's date.
    assert stored_records(engine)["covoiturage-aom--200070746"]["date_maj"] == "2025-03-12"


@pytest.mark.corpus
def test_corpus_national_file_harvests_every_campaign(settings, engine):
    path = corpus_path("mobilite", "aides-jeunes", "incitations-covoiturage.json")
    campaigns = json.loads(path.read_text(encoding="utf-8"))
    sirens = {c["code_siren"] for c in campaigns}
    assert len(campaigns) == len(sirens) == 111  # counted independently of the harvester
    summary = harvest(CovoiturageHarvester(str(path), options={"date_maj": "2026-04-22"}), settings=settings)
    assert summary.status == "done", summary.as_dict()
    assert (summary.counts["read"], summary.counts["added"], summary.counts["invalid"]) == (111, 111, 0)
    saved = stored_records(engine)
    assert {d["porteur_siren"] for d in saved.values()} == sirens
    # Three campaigns give their per-passenger bounds in the wrong order; all are in order now.
    assert all(d["montant_min"] <= d["montant_max"] for d in saved.values())
    assert {op for d in saved.values() for op in d["operateurs"]} == {"BlaBlaCar Daily", "Karos", "Klaxit", "Mobicoop"}
    assert all(d["date_maj"] == str(date(2026, 4, 22)) for d in saved.values())


def test_a_file_with_a_byte_order_mark_is_read(settings, engine, tmp_path):
    """« UTF-8 byte order mark (BOM) is not supported », said in English, for what CSV, YAML,
    XML and Turtle readers accept."""
    path = tmp_path / "campagnes.json"
    path.write_bytes(b"\xef\xbb\xbf" + (HERE / "campagnes.json").read_bytes())
    summary = harvest(CovoiturageHarvester(str(path), options={"date_maj": "2025-02-14"}), settings=settings)
    assert summary.status != "failed" and summary.counts["read"] == 6, summary.message
    assert stored_records(engine)["covoiturage-aom--200046977"]["porteur_siren"] == "200046977"


@pytest.mark.parametrize("body, expected", [
    (b"<!DOCTYPE html><html><body>Maintenance</body></html>", "campagnes.json : page HTML reçue au lieu de données JSON"),
    (b'[{"siren": "200046977", "nom": "M\xc3', "campagnes.json se termine au milieu d'un caractère UTF-8 : fichier tronqué ?"),
    (b'[{"siren": "200046977",\n "nom": "Caf\xe9"}]', "campagnes.json n'est pas encodé en UTF-8 (premier octet invalide ligne 2)"),
    (b'[{"siren": "200046977",\n', "campagnes.json : JSON tronqué ou mal formé : le document s'arrête avant sa fin, ligne 2"),
])
def test_a_broken_file_is_said_in_french(settings, engine, tmp_path, body, expected):
    path = tmp_path / "campagnes.json"
    path.write_bytes(body)
    summary = harvest(CovoiturageHarvester(str(path)), settings=settings)
    assert summary.status == "failed" and summary.message.startswith(expected), summary.message
    assert "not valid" not in summary.message and "end of data" not in summary.message
    assert stored_records(engine) == {}


@pytest.mark.parametrize("written, frais", [
    ("Oui", "gratuit"), (True, "gratuit"), (1, "gratuit"), ("true", "gratuit"), ("O", "gratuit"), ("vrai", "gratuit"),
    ("Non", "payant"), (False, "payant"), (0, "payant"), ("non", "payant"),
    (None, None), ("", None), ("peut-être", None),  # not said, or not readable: not « payant »
])
def test_a_free_passenger_is_read_however_the_campaign_writes_it(tmp_path, written, frais):
    """Only « oui » read as free: JSON true, 1, « vrai » were published « payant »."""
    campaigns = json.loads((HERE / "campagnes.json").read_text(encoding="utf-8"))
    lyon = next(c for c in campaigns if c.get("code_siren") == "200046977")
    lyon["passager_gratuite"] = written
    path = tmp_path / "campagnes.json"
    path.write_text(json.dumps([lyon], ensure_ascii=False), encoding="utf-8")
    [item] = list(CovoiturageHarvester(str(path), options={"date_maj": "2025-02-14"}).items())
    assert item.row["frais"] == frais
    assert [w.code for w in item.warnings] == (["booleen-illisible"] if written == "peut-être" else [])


def test_an_amount_that_may_be_decimals_or_thousands_is_not_guessed(tmp_path):
    """« 1.500 » € a month was published « dans la limite de 1,50 € par mois »."""
    campaigns = json.loads((HERE / "campagnes.json").read_text(encoding="utf-8"))
    lyon = next(c for c in campaigns if c.get("code_siren") == "200046977")
    lyon["conducteur_montant_max_par_mois"] = "1.500"
    path = tmp_path / "campagnes.json"
    path.write_text(json.dumps([lyon], ensure_ascii=False), encoding="utf-8")
    [item] = list(CovoiturageHarvester(str(path), options={"date_maj": "2025-02-14"}).items())
    assert item.row is None
    [problem] = item.problems
    assert problem.field == "conducteur_montant_max_par_mois" and "des décimales ou des milliers ?" in problem.message
