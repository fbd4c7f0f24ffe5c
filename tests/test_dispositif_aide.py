"""Files in the schema.data.gouv.fr `dispositif-aide` schema → `aide`."""

from __future__ import annotations

import codecs
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from catalog.models import Record
from catalog.territories import CommuneInfo, Territories
from harvesters import harvester_class
from harvesters.aides_notes import Places
from harvesters.dispositif_aide import DispositifAideHarvester, map_dispositif, parse_js_literal
from harvesters.engine import harvest
from tests.conftest import FIXTURES

FILES = FIXTURES / "aides" / "dispositif-aide"


def aides(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(Record.id, Record.data).where(Record.kind == "aide")).all()
    return {r.id: (r.data if isinstance(r.data, dict) else json.loads(r.data)) for r in rows}


def run(name: str, settings, **options):
    # Each file is its own harvest source (a run speaks for its source's records only).
    return harvest(DispositifAideHarvester(str(FILES / name), options=options),
                   source=f"test-{Path(name).stem}", settings=settings)


def test_the_format_is_registered():
    assert harvester_class("dispositif-aide") is DispositifAideHarvester


def test_a_valid_file_gives_territories_exclusions_and_porteurs(settings, engine):
    summary = run("valide.csv", settings, source="idf-aides")
    assert summary.status == "done", summary.message
    assert summary.counts["added"] == 3
    records = aides(engine)
    permis = records["idf-aides--3f1c2a8e-5d7b-4c1e-9a2f-0b6d8e4c7a11"]
    assert permis["zone_eligibilite"] == ["75", "77", "78", "91", "92", "93", "94", "95"]
    assert (permis["institution_nom"], permis["institution_siren"]) == ("Région Île-de-France", "237500079")
    assert permis["conditions_texte"].splitlines() == [
        "- Territoire couvert : région Île-de-France.",
        "- Avoir entre 17 et 25 ans",
        "- Être suivi par une mission locale francilienne",
    ]
    assert (permis["date_debut"], permis["date_fin"], permis["date_maj"]) == ("2025-01-01", "2026-12-31", "2025-02-14")
    assert permis["type_aide"] == "subvention" and permis["lien_source"] == "https://www.iledefrance.fr/aide-permis"
    assert "Programmes : Plan régional pour l'emploi." in permis["description"]
    faj = records["idf-aides--7b9e0c44-21aa-4f0e-8c55-3d2f6a9b1e02"]  # porteurs as JSON text
    assert faj["zone_eligibilite"] == ["93"] and faj["conditions"] == {"territoires_exclus": ["93066"]}
    assert "Sauf : commune 93066." in faj["conditions_texte"]
    assert faj["institution_nom"] == "Département de la Seine-Saint-Denis"
    velo = records["idf-aides--c2d4e6f8-0a1b-4c3d-8e5f-6a7b8c9d0e1f"]  # HTML cells, a commune and an EPCI
    assert velo["zone_eligibilite"] == ["13055", "200054807"] and velo["type_aide"] == "aide-materielle"
    assert "<" not in velo["description"] and "- Habiter Marseille" in velo["conditions_texte"]


def test_invalid_rows_are_reported_by_line_and_the_rest_flows(settings, engine):
    harvester = DispositifAideHarvester(str(FILES / "lignes-invalides.csv"))
    summary = harvest(harvester, settings=settings)
    assert summary.status == "done-with-errors"
    assert (summary.counts["read"], summary.counts["added"], summary.counts["invalid"]) == (6, 2, 4)
    by_code = {(g.field, g.code): g for g in summary.groups if g.code}
    assert by_code[("id", "required")].examples == ["ligne 2"]
    assert by_code[("zone_eligibilite", "cog")].examples == ["ligne 3"]
    assert "QUARTIER" in by_code[("zone_eligibilite", "cog")].message
    assert by_code[("date_maj", "required")].examples == ["ligne 4", "ligne 6"]
    assert by_code[(None, "missing-cells")].examples == ["ligne 6"]
    assert set(aides(engine)) == {"dispositif-aide--a3333333-3333-4333-8333-333333333333",
                                  "dispositif-aide--a5555555-5555-4555-8555-555555555555"}
    assert harvester.notes.remarks == {"porteurs illisibles (liste d'objets attendue)": 1}
    [unreadable] = [g for g in summary.groups if g.code == "porteurs-illisibles"]
    assert unreadable.examples == ["ligne 7"] and "gardée sans son institution" in unreadable.message
    assert summary.message == "Porteurs illisibles (liste d'objets attendue)."


def test_a_file_in_another_encoding_is_refused_unless_told(settings, engine):
    summary = run("latin1.csv", settings)
    assert summary.status == "failed" and "UTF-8" in summary.message and aides(engine) == {}
    summary = run("latin1.csv", settings, encoding="latin-1")
    assert summary.status == "done"
    (aide,) = aides(engine).values()
    assert aide["nom"] == "Aide à la mobilité" and "Être demandeur d'emploi." in aide["conditions_texte"]
    assert len(aide["zone_eligibilite"]) == 12  # Auvergne-Rhône-Alpes


def test_json_files_and_data_packages_are_read_too(settings, engine):
    assert run("dispositifs.json", settings).counts["added"] == 1
    summary = run("paquet/datapackage.json", settings, source="mel")
    assert summary.status == "done" and summary.counts["added"] == 1
    records = aides(engine)
    # Without a `source` option, the producer is the source the file is registered under.
    assert records["test-dispositifs--d1111111-1111-4111-8111-111111111111"]["zone_eligibilite"] == ["200046977"]
    prime = records["mel--e1111111-1111-4111-8111-111111111111"]
    assert "Compter au plus 10 salariés." in prime["conditions_texte"]
    assert "microentreprise, PME" in prime["conditions_texte"]


def test_a_package_saved_by_a_windows_editor_with_a_byte_order_mark(tmp_path, settings, engine):
    shutil.copytree(FILES / "paquet", tmp_path / "paquet")
    descriptor = tmp_path / "paquet" / "datapackage.json"
    descriptor.write_bytes(codecs.BOM_UTF8 + descriptor.read_bytes())
    summary = harvest(DispositifAideHarvester(str(descriptor), options={"source": "mel"}), settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 1


def test_the_encoding_a_package_declares_for_its_resource_is_the_one_read(tmp_path, settings, engine):
    """The resource's « encoding » was ignored: refused as « not UTF-8, declare its encoding »,
    which the package did."""
    shutil.copytree(FILES / "paquet", tmp_path / "paquet")
    table = tmp_path / "paquet" / "aides-lille.csv"
    table.write_bytes(table.read_text(encoding="utf-8").encode("cp1252"))
    descriptor = tmp_path / "paquet" / "datapackage.json"
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    package["resources"][0]["encoding"] = "windows-1252"
    descriptor.write_text(json.dumps(package), encoding="utf-8")
    summary = harvest(DispositifAideHarvester(str(descriptor), options={"source": "mel"}), settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 1, summary.message
    assert "é" in json.dumps(aides(engine), ensure_ascii=False)


def test_porteurs_whose_roles_are_not_a_list(tmp_path, settings, engine):
    """`roles: 12` once stopped the whole run (« 'int' object is not iterable »); one role as
    text is a list of one."""
    [dispositif] = json.loads((FILES / "dispositifs.json").read_text(encoding="utf-8"))
    dispositif["porteurs"] = [{"nom": "Ville de Lyon", "roles": 12},
                              {"nom": "Métropole de Lyon", "siren": "200046977", "roles": "financeur"}]
    path = tmp_path / "dispositifs.json"
    path.write_text(json.dumps([dispositif]), encoding="utf-8")
    summary = harvest(DispositifAideHarvester(str(path)), settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 1, summary.message
    [aide] = aides(engine).values()
    assert aide["institution_nom"] == "Métropole de Lyon"
    assert "Porteurs : Ville de Lyon, Métropole de Lyon (financeur)." in aide["description"]


def test_a_json_file_in_utf16_is_refused_saying_so(tmp_path, settings):
    path = tmp_path / "dispositifs.json"
    path.write_bytes((FILES / "dispositifs.json").read_text(encoding="utf-8").encode("utf-16"))
    summary = harvest(DispositifAideHarvester(str(path)), settings=settings)
    assert summary.status == "failed"
    assert summary.message.startswith("dispositifs.json est encodé en UTF-16 (ou UTF-32) : enregistrez-le en UTF-8.")


@pytest.mark.parametrize("name,expected", [
    ("schema.json", "schéma Table Schema"),
    ("paquet-piege.json", "« ../../../etc/passwd » refusé"),
])
def test_files_that_are_not_aid_data_are_refused_with_the_reason(settings, name, expected):
    summary = run(name, settings)
    assert summary.status == "failed" and expected in summary.message


def test_a_csv_of_another_schema_is_refused(tmp_path, settings):
    path = tmp_path / "services.csv"
    path.write_text("nom,commune\nAtelier CV,Lyon\n", encoding="utf-8")
    summary = harvest(DispositifAideHarvester(str(path)), settings=settings)
    assert summary.status == "failed" and "colonne(s) id, titre absente(s)" in summary.message


def test_the_javascript_literals_of_the_schema_example_are_read_without_evaluation():
    assert parse_js_literal("[{ nom: 'ADEME', siren: '385290309', roles: [ 'instructeur' ]}]") == [
        {"nom": "ADEME", "siren": "385290309", "roles": ["instructeur"]}]
    assert parse_js_literal('{"a": [1, 2.5, true, null], b: "l\\"x"}') == {"a": [1, 2.5, True, None], "b": 'l"x'}


@pytest.mark.parametrize("text", [
    "[{ nom: __import__('os') }]", "[{ nom: 'a' }", "[" * 50 + "]" * 50, "{ nom 'a' }", "'a' 'b'", "x" * 200_001,
])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError):
        parse_js_literal(text)


def test_french_dates_are_read_and_other_dates_are_told_on_their_aid(settings, engine):
    """`31/12/2025` in `date_cloture` was dropped without a word (the aid then never closed)."""
    summary = run("dates-francaises.csv", settings, source="dates")
    assert summary.counts["added"] == 3, summary.message
    records = aides(engine)
    permis = records["dates--d1"]
    assert (permis["date_debut"], permis["date_fin"], permis["date_maj"]) == ("2025-01-01", "2025-12-31", "2025-02-14")
    assert "date_debut" not in records["dates--d2"] and "date_fin" not in records["dates--d2"]
    assert records["dates--d3"]["date_debut"] == "2025-03-01" and "date_fin" not in records["dates--d3"]
    assert summary.counts["warnings"] == 2
    warned = {(g.field, g.code): g for g in summary.groups if g.status == "warning"}
    assert warned[("date_debut", "date-illisible")].examples == ["ligne 3"]
    assert warned[("date_fin", "date-illisible")].examples == ["ligne 3", "ligne 4"]
    assert "date_cloture « 2025-31-12 » illisible" in warned[("date_fin", "date-illisible")].message


def test_a_utf8_file_declared_windows_1252_is_refused_and_the_catalog_kept(tmp_path, settings, engine):
    """Declared so (the producer once exported from Excel), a file now written in UTF-8 had
    every accent of every aid rewritten « Ã© », without a word."""
    path = tmp_path / "valide.csv"
    text = (FILES / "valide.csv").read_text(encoding="utf-8")
    path.write_bytes(text.encode("cp1252"))
    options = {"encoding": "windows-1252", "source": "idf-aides"}
    assert harvest(DispositifAideHarvester(str(path), options=options), settings=settings).status == "done"
    before = aides(engine)
    assert any("é" in aide["nom"] for aide in before.values())
    path.write_text(text, encoding="utf-8")
    summary = harvest(DispositifAideHarvester(str(path), options=options), settings=settings)
    assert summary.status == "failed"
    assert summary.message.startswith("valide.csv est déclaré en Windows-1252 mais il est écrit en UTF-8")
    assert aides(engine) == before


def test_a_json_file_read_as_csv_says_so_without_the_readers_marks(settings):
    """`--option format=csv` on a JSON file listed the reader's own key: « colonnes lues : [, __cells__ »."""
    summary = run("dispositifs.json", settings, format="csv")
    assert summary.status == "failed" and "__cells__" not in summary.message
    assert summary.message.startswith("dispositifs.json est lu comme un CSV, mais il commence par « [ » : c'est sans "
                                      "doute du JSON ; vérifiez le format indiqué (option format).")


def test_a_remote_package_reads_its_resources_on_its_site(settings, engine, tmp_path, monkeypatch):
    """A relative resource path is the package's neighbour on its site: it was looked for beside
    the temporary copy of the descriptor, in the machine's temporary folder."""
    import tempfile

    import responses

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / "aides-lille.csv").write_bytes((FILES / "paquet" / "aides-lille.csv").read_bytes())  # never read
    base = "https://data.lillemetropole.fr/paquet"
    with responses.RequestsMock() as rsps:
        rsps.get(f"{base}/datapackage.json", body=(FILES / "paquet" / "datapackage.json").read_bytes())
        rsps.get(f"{base}/aides-lille.csv", body=b"<!DOCTYPE html><html><body>Introuvable</body></html>")
        summary = harvest(DispositifAideHarvester(f"{base}/datapackage.json", options={"source": "mel"}),
                          settings=settings)
    assert summary.status == "failed", summary.as_dict()
    assert summary.message.startswith(f"{base}/aides-lille.csv : page HTML reçue au lieu de données CSV")
    assert aides(engine) == {}
    with responses.RequestsMock() as rsps:
        rsps.get(f"{base}/datapackage.json", body=(FILES / "paquet" / "datapackage.json").read_bytes())
        rsps.get(f"{base}/aides-lille.csv", body=(FILES / "paquet" / "aides-lille.csv").read_bytes())
        summary = harvest(DispositifAideHarvester(f"{base}/datapackage.json", options={"source": "mel"}),
                          settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 1, summary.as_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aides-lille.csv", "var"]  # no download left behind


def test_a_headcount_that_may_be_one_or_a_thousand_is_kept_as_text():
    from harvesters.dispositif_aide import _integer

    assert (_integer("50"), _integer("1000"), _integer(12)) == (50, 1000, 12)
    assert _integer("1.000") is None and _integer("1,000") is None  # was 1: « au moins 1 salarié(s) »


@pytest.mark.parametrize(("column", "value", "sentence"), [
    ("eligibilite_effectif_minimal", "1", "Compter au moins 1 salarié."),
    ("eligibilite_effectif_minimal", "10", "Compter au moins 10 salariés."),
    ("eligibilite_effectif_maximal", "5000", "Compter au plus 5\u202f000 salariés."),
    ("eligibilite_annees_existence_minimal", "1", "Exister depuis au moins 1 an."),
    ("eligibilite_annees_existence_minimal", "2", "Exister depuis au moins 2 ans."),
])
def test_a_criterion_s_noun_agrees_with_its_number(column, value, sentence):
    """« Compter au moins 10 salarié(s). », « Exister depuis au moins 2 an(s). »"""
    row, _ = map_dispositif({"id": "a", "titre": "Aide", "date_mise_a_jour": "2025-01-01", column: value},
                            source="s", zone=[], excluded=[], porteurs=[])
    assert row["conditions_texte"] == f"- {sentence}"


def test_territories_are_named_once_the_territory_tables_are_loaded(settings, engine, territories):
    """« Territoire couvert : commune 13055, intercommunalité 200054807 » gave codes to look up."""
    run("valide.csv", settings, source="idf-aides")
    records = aides(engine)
    velo = records["idf-aides--c2d4e6f8-0a1b-4c3d-8e5f-6a7b8c9d0e1f"]
    assert ("- Territoire couvert : Marseille (13055), Métropole d'Aix-Marseille-Provence (200054807)."
            in velo["conditions_texte"].splitlines())
    faj = records["idf-aides--7b9e0c44-21aa-4f0e-8c55-3d2f6a9b1e02"]
    assert "- Territoire couvert : Seine-Saint-Denis (93)." in faj["conditions_texte"].splitlines()
    assert "- Sauf : commune 93066." in faj["conditions_texte"].splitlines()  # unknown to these tables: its code
    permis = records["idf-aides--3f1c2a8e-5d7b-4c1e-9a2f-0b6d8e4c7a11"]
    assert "- Territoire couvert : région Île-de-France." in permis["conditions_texte"].splitlines()


def test_excluded_territories_are_named_too():
    places = Places(lambda: Territories(communes={"13001": CommuneInfo(
        code="13001", nom="Aix-en-Provence", type="commune-actuelle", departement="13", region="93")}))
    raw = {"id": "a", "titre": "Aide", "date_mise_a_jour": "2025-01-01", "eligibilite_geographique": "DEP-13",
           "eligibilite_geographique_exclusions": "COM-13001|COM-13002"}
    row, _ = map_dispositif(raw, source="s", zone=["13"], excluded=["13001", "13002"], porteurs=[], places=places)
    assert "- Sauf : Aix-en-Provence (13001), commune 13002." in row["conditions_texte"].splitlines()
    assert row["conditions"] == {"territoires_exclus": ["13001", "13002"]}
