"""The documented CSV template for plateformes de mobilité → solution-mobilite."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import schemas
from harvesters.engine import harvest
from harvesters.mobilite_csv import MobiliteCsvHarvester
from tests.conftest import FIXTURES, stored_records

HERE = FIXTURES / "mobilite" / "csv"
ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DOC = ROOT / "harvesters" / "templates" / "mobilite.md"
DEMO = ROOT / "demo" / "mobilite"



def test_spreadsheet_habits_are_forgiven(settings, engine):
    harvester = MobiliteCsvHarvester(str(HERE / "plateformes.csv"), options={"source": "roues-libres",
                                                                             "date_maj": "2025-03-10"})
    summary = harvest(harvester, settings=settings)
    assert (summary.counts["read"], summary.counts["added"], summary.counts["invalid"]) == (5, 3, 2)
    saved = stored_records(engine)
    garage = saved["roues-libres--garage-bourg"]
    assert garage["categorie"] == "garage-solidaire"  # a label, in lower case
    assert garage["publics"] == ["demandeurs-emploi", "jeunes"]  # labels with a curly apostrophe
    assert garage["porteur_siren"] == "123456789"  # from a SIRET with spaces
    assert (garage["code_postal"], garage["code_insee"]) == ("01000", "01053")  # leading zeros restored
    assert (garage["montant_min"], garage["montant_unite"]) == (1500.0, "euros")
    assert (garage["latitude"], garage["longitude"]) == (46.2052, 5.2255)  # comma decimals
    assert garage["courriel"] == "contact@garage-bourg.fr"
    assert garage["lien_source"] == "https://www.garage-bourg.fr"
    assert garage["date_maj"] == "2025-02-14"  # JJ/MM/AAAA
    assert "remarque interne" not in garage  # unknown columns are ignored
    velo = saved["roues-libres--velo-ecole"]
    assert velo["categorie"] == "velo-solidaire" and velo["publics"] == ["tous-publics"]
    assert velo["modes_transport"] == ["velo", "velo-assistance-electrique"]  # a JSON array
    assert "description" not in velo and "porteur_siren" not in velo  # placeholders
    assert (velo["date_debut"], velo["date_fin"]) == ("2025-01-01", "2025-12-31")
    # No date in the row: the option's date.
    assert saved["roues-libres--sans-date"]["date_maj"] == "2025-03-10"
    errors = {(g["champ"], g["code"]): g for g in summary.as_dict()["errors"]}
    text = json.dumps(summary.as_dict()["errors"], ensure_ascii=False)
    assert "« Navette » n'est ni une valeur ni un libellé du référentiel categories-mobilite" in text
    assert "date illisible (« 31/02/2025 »)" in text
    assert ("categorie", "cellule-illisible") in errors and ("date_maj", "cellule-illisible") in errors


@pytest.mark.parametrize(("written", "read"), [
    ("2025-02-14", "2025-02-14"), ("14/02/2025", "2025-02-14"), ("4/2/2025", "2025-02-04"),
    ("2025-02-14 09:30", "2025-02-14"), ("14/02/2025 09:30:00", "2025-02-14"), ("2025-02-14T09:30:00Z", "2025-02-14"),
    # Not the template's shapes: a day cut to one digit, a year of three or five, text after it.
    ("2025-02-1", None), ("2025-2-14", None), ("14/02/202", None), ("14/02/20255", None),
    ("2025-02-14x", None), ("14.02.2025", None), ("30/02/2025", None),
])
def test_dates_are_read_in_the_documented_shapes_only(tmp_path, settings, engine, written, read):
    path = tmp_path / "plateformes.csv"
    path.write_text(f"id;nom;categorie;date_maj\ng1;Garage solidaire;Garage solidaire;{written}\n", encoding="utf-8")
    summary = harvest(MobiliteCsvHarvester(str(path)), source="pf", settings=settings)
    if read:
        assert stored_records(engine)["pf--g1"]["date_maj"] == read
    else:
        assert summary.counts["invalid"] == 1 and not stored_records(engine)
        assert f"date illisible (« {written} ») ; écrire AAAA-MM-JJ ou JJ/MM/AAAA." in json.dumps(
            summary.as_dict()["errors"], ensure_ascii=False)


@pytest.mark.parametrize("written, read", [("1500", 1500), ("1 500", 1500), ("1,5", 1.5), ("1.500", None),
                                           ("1,500", None)])
def test_an_amount_that_may_be_decimals_or_thousands_is_not_guessed(tmp_path, settings, engine, written, read):
    """« 1.500 » was published as 1,5 €: a wrong guess divides or multiplies a price by 1000.
    Coordinates with three decimals (« 2.350 ») are no amount: read as written."""
    path = tmp_path / "plateformes.csv"
    path.write_text("id;nom;categorie;montant_max;montant_unite;latitude;longitude;date_maj\n"
                    f"g1;Garage solidaire;Garage solidaire;{written};euros;48.935;2.350;2025-02-14\n", encoding="utf-8")
    summary = harvest(MobiliteCsvHarvester(str(path)), source="pf", settings=settings)
    if read is not None:
        saved = stored_records(engine)["pf--g1"]
        assert saved["montant_max"] == read and (saved["latitude"], saved["longitude"]) == (48.935, 2.35)
    else:
        assert summary.counts["invalid"] == 1 and not stored_records(engine)
        assert "des décimales ou des milliers ?" in json.dumps(summary.as_dict()["errors"], ensure_ascii=False)


def test_a_comma_separated_file_with_a_bom(settings, engine):
    summary = harvest(MobiliteCsvHarvester(str(HERE / "virgule.csv")), settings=settings)
    assert summary.counts["added"] == 1, summary.as_dict()
    location = stored_records(engine)["plateformes-mobilite--location-93"]
    assert location["nom"] == "Location solidaire, voitures et scooters"
    assert location["publics"] == ["demandeurs-emploi", "femmes"]
    assert location["zone_eligibilite"] == ["93", "200054781"]
    assert (location["latitude"], location["longitude"]) == (48.9077, 2.4397)


@pytest.mark.parametrize("name, expected", [
    ("windows-1252.csv", "n'est pas encodé en UTF-8 (premier octet invalide ligne 2)"),
    ("sans-categorie.csv", "colonne(s) obligatoire(s) absente(s) : categorie"),
    ("guillemet.csv", "CSV mal formé"),
])
def test_an_unusable_file_is_refused_whole(settings, engine, name, expected):
    summary = harvest(MobiliteCsvHarvester(str(HERE / name)), settings=settings)
    assert summary.status == "failed"
    assert expected in summary.message and "n'a pas été modifié" in summary.message
    assert stored_records(engine) == {}


def test_a_declared_encoding_is_read_and_never_guessed(settings, engine):
    windows = HERE / "windows-1252.csv"  # Excel's « CSV (séparateur : point-virgule) »
    summary = harvest(MobiliteCsvHarvester(str(windows), options={"encoding": "windows-1252"}), settings=settings)
    assert summary.counts["added"] == 1, summary.as_dict()
    assert stored_records(engine)["plateformes-mobilite--garage-1"]["nom"] == "Garage solidaire départemental"

    # Declared so, a UTF-8 file would have every accent deformed (« Ã© »): refused, nothing written.
    wrong = harvest(MobiliteCsvHarvester(str(HERE / "plateformes.csv"), options={"encoding": "iso-8859-1",
                                                                                 "source": "autre"}),
                    settings=settings)
    assert wrong.status == "failed" and "déclaré en ISO-8859-1 mais il est écrit en UTF-8" in wrong.message
    unknown = harvest(MobiliteCsvHarvester(str(windows), options={"encoding": "klingon", "source": "autre"}),
                      settings=settings)
    assert unknown.status == "failed" and "Encodage inconnu : « klingon »" in unknown.message
    assert set(stored_records(engine)) == {"plateformes-mobilite--garage-1"}


def test_the_harvest_s_source_name_qualifies_the_ids(settings, engine, tmp_path):
    """The template's command, `--source ma-plateforme`: two producers using the same local ids
    (« g1 ») are two sources' records, not one refused as « déjà fourni par la source… »."""
    for name, garage in (("garage-a", "Garage solidaire A"), ("garage-b", "Garage solidaire B")):
        path = tmp_path / f"{name}.csv"
        path.write_text(f"id;nom;categorie;date_maj\ng1;{garage};Garage solidaire;2025-01-10\n", encoding="utf-8")
        summary = harvest(MobiliteCsvHarvester(str(path)), source=name, settings=settings)
        assert summary.counts["added"] == 1, summary.as_dict()
    saved = stored_records(engine)
    assert saved["garage-a--g1"]["source"] == "garage-a" and saved["garage-b--g1"]["nom"] == "Garage solidaire B"


def test_a_short_first_row_is_reported_alone(settings, engine, tmp_path):
    """The required columns are the header's: a first row short of a cell is reported on its
    own line (it once had the whole file refused, « colonne obligatoire absente : id »)."""
    path = tmp_path / "court.csv"
    path.write_text("nom;categorie;id\nGarage solidaire A;Garage solidaire\nGarage B;Garage solidaire;g2\n",
                    encoding="utf-8")
    summary = harvest(MobiliteCsvHarvester(str(path), options={"date_maj": "2025-01-10"}), settings=settings)
    assert (summary.counts["added"], summary.counts["invalid"]) == (1, 1), summary.as_dict()
    [error] = summary.as_dict()["errors"]
    assert error["exemples"] == ["ligne 2"] and "compte 2 cellules, l'en-tête 3" in error["message"]
    assert set(stored_records(engine)) == {"plateformes-mobilite--g2"}


def test_a_column_named_twice_is_refused_naming_it(settings, engine, tmp_path):
    """The last of two `nom` columns won silently (empty, it erased the first)."""
    path = tmp_path / "doublon.csv"
    path.write_text("id;nom;categorie;nom;;\ng1;Garage solidaire A;Garage solidaire;;;\n", encoding="utf-8")
    summary = harvest(MobiliteCsvHarvester(str(path)), settings=settings)
    assert summary.status == "failed" and "deux fois dans l'en-tête : « nom »" in summary.message, summary.message
    assert stored_records(engine) == {}


def test_utf8_with_a_byte_order_mark_may_be_declared(settings, engine, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("id;nom;categorie;date_maj\ng9;Garage solidaire de Bège;Garage solidaire;2025-01-10\n"
                     .encode("utf-8-sig"))
    summary = harvest(MobiliteCsvHarvester(str(path), options={"encoding": "utf-8-sig"}), settings=settings)
    assert summary.counts["added"] == 1, summary.as_dict()
    assert stored_records(engine)["plateformes-mobilite--g9"]["nom"] == "Garage solidaire de Bège"


def test_a_label_holding_a_comma_is_one_value(settings, engine, tmp_path):
    path = tmp_path / "virgule-libelle.csv"
    path.write_text('id;nom;categorie;date_maj;thematiques\nv1;Vélos partagés;Vélo solidaire;2025-01-10;'
                    '"Utiliser des services de mobilité douce, partagée ou collective, mobilite--preparer-un-permis"\n',
                    encoding="utf-8")
    summary = harvest(MobiliteCsvHarvester(str(path)), settings=settings)
    assert summary.counts["added"] == 1, summary.as_dict()
    assert stored_records(engine)["plateformes-mobilite--v1"]["thematiques"] == [
        "mobilite--mobilite-douce-partagee-collective", "mobilite--preparer-un-permis"]


def test_the_template_documents_every_field_of_the_schema():
    documented = set(re.findall(r"`([a-z_]+)`", TEMPLATE_DOC.read_text(encoding="utf-8")))
    missing = [name for name in schemas.field_names("solution-mobilite") if name not in documented]
    assert missing == []


def test_the_example_of_the_template_harvests_cleanly(settings, engine):
    summary = harvest(MobiliteCsvHarvester(str(DEMO / "modele-plateformes-mobilite.csv"),
                                           options={"source": "plateformes-demo"}), settings=settings)
    assert summary.status == "done", summary.as_dict()
    assert summary.counts["added"] == 8
    categories = {d["categorie"] for d in stored_records(engine).values()}
    assert {"garage-solidaire", "location-solidaire", "auto-ecole-sociale", "conseil-mobilite",
            "velo-solidaire", "transport-solidaire", "pret-vehicule", "plateforme-mobilite"} == categories


def test_every_mobility_demo_source_harvests_cleanly(settings, engine):
    from harvesters import harvester_class

    counts = {}
    for spec in json.loads((DEMO / "sources.json").read_text(encoding="utf-8")):
        harvester = harvester_class(spec["format"])(str(DEMO / spec["location"]), options=spec.get("options"))
        summary = harvest(harvester, source=spec["name"], settings=settings)
        assert summary.status == "done", summary.as_dict()
        counts[spec["format"]] = summary.counts["added"]
    assert counts == {"covoiturage": 6, "mobiville": 6, "mobilite-csv": 8, "aides-velo": 4}


def test_a_row_with_a_cell_too_many_keeps_its_record(settings, engine, tmp_path):
    """A stray « ; » in one cell: the row is refused, but its id is readable. Without it the
    record counted as gone, and was archived once the grace period had passed."""
    path = tmp_path / "garages.csv"
    good = ("id;nom;categorie;date_maj;description\n"
            "g1;Garage solidaire A;Garage solidaire;2025-01-10;Vidange, freins\n"
            "g2;Garage solidaire B;Garage solidaire;2025-01-10;Pneus\n")
    path.write_text(good, encoding="utf-8")
    assert harvest(MobiliteCsvHarvester(str(path)), source="garages", settings=settings).counts["added"] == 2
    path.write_text(good.replace("Vidange, freins", "Vidange; freins"), encoding="utf-8")
    summary = harvest(MobiliteCsvHarvester(str(path)), source="garages", settings=settings)
    assert (summary.counts["invalid"], summary.counts["missing"]) == (1, 0), summary.as_dict()
    [error] = summary.as_dict()["errors"]
    assert error["exemples"] == ["ligne 2 (g1)"] and "compte 6 cellules, l'en-tête 5" in error["message"]
    assert stored_records(engine)["garages--g1"]["nom"] == "Garage solidaire A"  # as it was


def test_a_remote_file_answered_by_an_html_page_is_named_by_its_url(settings, engine, tmp_path, monkeypatch):
    """« tmpuaxef3l9.csv ne contient aucune solution (en-tête seul ?) » named neither the
    address nor what came instead."""
    import tempfile

    import responses

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    url = "https://exemple.fr/mobilite/plateformes.csv"
    with responses.RequestsMock() as rsps:
        rsps.get(url, body=b"<!doctype html><html><body>404</body></html>", content_type="text/html")
        rsps.get(url + "?v=2", body=b"id;nom;categorie\n")
        summary = harvest(MobiliteCsvHarvester(url), settings=settings)
        header_only = harvest(MobiliteCsvHarvester(url + "?v=2"), settings=settings)
    assert summary.status == "failed"
    assert summary.message.startswith(f"{url} : page HTML reçue au lieu de données CSV"), summary.message
    assert header_only.message.startswith(f"{url}?v=2 ne contient aucune solution"), header_only.message
    assert stored_records(engine) == {} and not list(tmp_path.glob("tmp*"))


@pytest.mark.parametrize(("written", "stored"), [
    ("www.garage-solidaire.fr/rdv", "https://www.garage-solidaire.fr/rdv"),  # a scheme is all it lacks
    ("mailto:accueil@garage-solidaire.fr", None), ("accueil@garage-solidaire.fr", None),
    ("tel:0148300001", None),
])
def test_an_e_mail_or_a_telephone_is_no_web_link(tmp_path, settings, engine, written, stored):
    """« https://mailto:accueil@garage-solidaire.fr » passed the link check (« mailto » read as a
    user name) and was published as a link to the garage's web site."""
    path = tmp_path / "plateformes.csv"
    path.write_text(f"id;nom;categorie;date_maj;lien_demarche\ng1;Garage solidaire;Garage solidaire;2025-02-14;"
                    f"{written}\n", encoding="utf-8")
    summary = harvest(MobiliteCsvHarvester(str(path)), source="pf", settings=settings)
    if stored:
        assert stored_records(engine)["pf--g1"]["lien_demarche"] == stored
    else:
        assert summary.counts["invalid"] == 1 and not stored_records(engine)
        assert "lien_demarche" in json.dumps(summary.as_dict()["errors"], ensure_ascii=False)


def test_a_row_without_thematiques_gets_its_category_s(settings, engine, tmp_path):
    """The template's garages had no thématique: the « Mobilité » filter never found them."""
    path = tmp_path / "plateforme.csv"
    path.write_text("id;nom;categorie;thematiques;date_maj\n"
                    "g1;Garage solidaire;Garage solidaire;;2025-01-10\n"
                    "e1;Auto-école sociale;auto-ecole-sociale;mobilite--financer-ma-mobilite;2025-01-10\n",
                    encoding="utf-8")
    assert harvest(MobiliteCsvHarvester(str(path)), source="pf", settings=settings).counts["added"] == 2
    saved = stored_records(engine)
    assert saved["pf--g1"]["thematiques"] == ["mobilite--entretenir-reparer-son-vehicule"]
    assert saved["pf--e1"]["thematiques"] == ["mobilite--financer-ma-mobilite"]  # the producer's own, kept
