"""Control characters in a source's text: repaired or removed before the catalog, and reported."""

from __future__ import annotations

import pytest

from harvesters.base import Item
from harvesters.engine import harvest
from harvesters.lheo import LheoHarvester
from harvesters.mobilite_csv import MobiliteCsvHarvester
from harvesters.text_hygiene import CODE, clean_row
from tests.conftest import FIXTURES, stored_records


def test_windows_1252_signs_read_as_controls_are_given_back():
    item = Item("formation", {"nom": "Découvrir l\x92entreprise", "description": "C\x9cur de métier \x80",
                              "duree_heures": 35})
    clean_row(item)
    assert item.row == {"nom": "Découvrir l’entreprise", "description": "Cœur de métier €", "duree_heures": 35}
    assert [(w.field, w.code) for w in item.warnings] == [("nom", CODE), ("description", CODE)]
    assert "1 signe Windows-1252 rétabli (’)" in item.warnings[0].message
    assert "2 signes Windows-1252 rétablis (œ €)" in item.warnings[1].message


def test_invisible_controls_are_removed_wherever_the_text_sits():
    item = Item("aide", {
        "nom": "Aide\x00 au permis\x07",
        "publics": ["jeunes\x0c", "femmes"],
        "conditions": {"age": {"texte": "moins de 26\x1b ans", "max": 25}},
        "notes": "undefined in Windows-1252: \x81\x8d\x8f\x90\x9d; DEL\x7f",
    })
    clean_row(item)
    assert item.row == {
        "nom": "Aide au permis",
        "publics": ["jeunes", "femmes"],
        "conditions": {"age": {"texte": "moins de 26 ans", "max": 25}},
        "notes": "undefined in Windows-1252: ; DEL",
    }
    messages = {w.field: w.message for w in item.warnings}
    assert messages["nom"] == "Champ nom : 2 caractères de contrôle invisibles retirés (U+0000, U+0007)."
    assert "(U+0081, U+008D, U+008F, U+0090, U+009D, U+007F)" in messages["notes"]
    assert set(messages) == {"nom", "publics", "conditions", "notes"}


def test_clean_text_is_left_as_it_is():
    description = "Ligne 1\nLigne 2\r\n\tretrait, accents é ï ç, guillemets « » ’, emoji 🚲"
    row = {"nom": "Atelier", "description": description, "publics": ["jeunes"], "frais": None, "prix": 0.5}
    item = Item("formation", dict(row))
    clean_row(item)
    assert item.row == row and item.warnings == []
    assert item.row["description"] is description  # not even copied


def test_a_csv_with_a_nul_byte_is_stored_clean_and_reported(tmp_path, settings, engine):
    text = (FIXTURES / "mobilite" / "csv" / "virgule.csv").read_bytes()
    path = tmp_path / "plateformes.csv"
    path.write_bytes(text.replace(b"voitures et", b"voitures\x00 et\x07"))
    summary = harvest(MobiliteCsvHarvester(str(path)), source="plateformes", settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 1 and summary.counts["warnings"] == 1
    [record] = stored_records(engine, "solution-mobilite").values()
    assert record["nom"] == "Location solidaire, voitures et scooters"
    [group] = [g for g in summary.groups if g.status == "warning"]
    assert (group.field, group.code) == ("nom", CODE)


@pytest.mark.parametrize("in_child", [True, False], ids=["lecteur-a-part", "un-seul-processus"])
def test_an_lheo_feed_declared_latin1_written_in_windows_1252(tmp_path, settings, engine, monkeypatch, in_child):
    """EDOF-like exports declare ISO-8859-1 and write Windows-1252: libxml2 reads the ’ (0x92)
    as U+0092, which XML 1.0 allows. Repaired in the reader process as in the engine's own."""
    monkeypatch.setenv("MAILLAGE_CHILD_PROCESSES", "1" if in_child else "0")
    data = (FIXTURES / "lheo" / "edof-latin1.xml").read_bytes()
    assert b"le linge d'un particulier" in data
    path = tmp_path / "edof.xml"
    path.write_bytes(data.replace(b"le linge d'un particulier", b"le linge d\x92un particulier"))
    summary = harvest(LheoHarvester(str(path)), source="edof", settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 1 and summary.counts["warnings"] == 1
    [record] = stored_records(engine, "formation").values()
    assert "Entretenir le logement et le linge d’un particulier" in record["description"]
    assert "\x92" not in record["description"]
    [group] = [g for g in summary.groups if g.code == CODE]
    assert (group.status, group.field) == ("warning", "description") and "(’)" in group.message


def test_the_reference_built_from_a_raw_id_is_cleaned_too(tmp_path, settings, engine):
    text = (FIXTURES / "mobilite" / "csv" / "virgule.csv").read_bytes()
    path = tmp_path / "plateformes.csv"
    path.write_bytes(text.replace(b"location-93,", b"location\x00-93,"))
    summary = harvest(MobiliteCsvHarvester(str(path)), source="plateformes", settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 1
    # No `source` column or option: the harvest's source names the ids.
    assert list(stored_records(engine, "solution-mobilite")) == ["plateformes--location-93"]
    [group] = [g for g in summary.groups if g.code == CODE]
    assert group.field == "id" and group.examples == ["ligne 2 (location-93)"]


def test_a_failure_message_quoting_a_nul_is_stored_on_every_backend(tmp_path, settings, engine):
    """PostgreSQL's text cannot hold NUL: the job and its message must be stored all the same."""
    from harvesters.frictionless_package import FrictionlessHarvester
    from harvesters.jobs import job_summary

    source = FIXTURES / "frictionless" / "mapped"
    path = tmp_path / "annuaire.csv"
    path.write_bytes((source / "annuaire-lyon.csv").read_bytes().replace(b"Code commune", b"Code\x00commune", 1))
    harvester = FrictionlessHarvester(str(path), options={"mapping": str(source / "correspondance.yml")})
    summary = harvest(harvester, source="lyon", settings=settings)
    assert summary.status == "failed" and "« Code commune »" in summary.message
    stored = job_summary(engine, summary.job_id)
    assert stored["status"] == "failed" and "Codecommune" in stored["message"] and "\x00" not in stored["message"]
