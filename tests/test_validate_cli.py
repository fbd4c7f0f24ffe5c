"""`maillage validate`: CSV (`,` and `;`), JSON, NDJSON and Parquet files, French grouped
reports, the Frictionless report with --json, and exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import schemas
from maillage.cli import main
from tests.conftest import FIXTURES

HERE = FIXTURES / "validate"


def run(*args: str):
    return CliRunner().invoke(main, ["validate", *map(str, args)])


def test_valid_csv_guessed_schema():
    result = run(HERE / "services.csv")
    assert result.exit_code == 0, result.output
    assert "Schéma : service (deviné d'après les colonnes)" in result.output
    assert "✓ 2 lignes : toutes valides." in result.output


def test_invalid_csv_with_semicolons_grouped_report():
    result = run(HERE / "services-invalides.csv")
    assert result.exit_code == 1
    out = result.output
    assert "✗ 3 lignes invalides sur 4" in out
    # Grouped by field and kind of problem, most frequent first, with the row numbers.
    lines = out.splitlines()
    assert lines[2] == "  — « thematiques » : valeur hors référentiel (2) : lignes 2, 4"
    assert "« publics » : « tous-publics » combiné à d'autres publics (1) : ligne 3" in out
    assert "« nom » : trop court (1) : ligne 3" in out
    assert "Le champ nom doit contenir au moins 3 caractères (2 reçus)." in out
    assert "« date_maj » : date hors des bornes admises (1) : ligne 4" in out
    assert "« zone_eligibilite » : code géographique invalide (1) : ligne 4" in out
    assert "« courriel » : adresse invalide (1) : ligne 4" in out


def test_given_schema_is_used_and_said():
    result = run(HERE / "services.csv", "--schema", "service")
    assert result.exit_code == 0
    assert "Schéma : service (indiqué)" in result.output
    # Under another schema, the same file lacks that schema's required `categorie`.
    result = run(HERE / "services.csv", "--schema", "solution-mobilite")
    assert result.exit_code == 1
    assert "Schéma : solution-mobilite (indiqué)" in result.output
    assert "« categorie » : valeur obligatoire manquante (2) : lignes 2, 3" in result.output


def test_json_array_file():
    result = run(HERE / "structures.json")
    assert result.exit_code == 1
    assert "Schéma : structure (deviné d'après les colonnes)" in result.output
    assert "✗ 1 élément invalide sur 2" in result.output
    assert "« siret » : format incorrect (1) : élément 2" in result.output
    assert "« site_web » : adresse invalide (1) : élément 2" in result.output


def test_ndjson_file():
    result = run(HERE / "aides.ndjson")
    assert result.exit_code == 1
    assert "Schéma : aide" in result.output
    assert "« conditions » : objet mal formé (1) : élément 2" in result.output
    assert "« montant_min » : valeurs dans le mauvais ordre (1) : élément 2" in result.output


def test_parquet_file(tmp_path):
    path = tmp_path / "formations.parquet"
    table = pa.table({
        "source": ["carif", "carif", "carif"],
        "id": ["carif--1", "carif--2", "carif--3"],
        "nom": ["CAP Cuisine", "BTS Tourisme", "Titre professionnel Cariste"],
        "date_maj": pa.array([__import__("datetime").date(2025, 1, 2)] * 3, pa.date32()),
        "numero_action": ["AF_1", "AF_2", "AF_3"],
        "formacodes": [["42752"], ["4205"], []],
        "duree_heures": [399.0, None, -5.0],
        "certifiante": [True, False, None],
        "organisme_siret": ["06980008200012", "06980008200012", None],
    })
    pq.write_table(table, path)
    result = run(path)
    assert "Schéma : formation (deviné d'après les colonnes)" in result.output
    assert result.exit_code == 1, result.output
    assert "✗ 2 éléments invalides sur 3" in result.output
    assert "« formacodes » : format incorrect (1) : élément 2" in result.output
    assert "« duree_heures » : valeur trop petite (1) : élément 3" in result.output
    ok = tmp_path / "ok.parquet"
    pq.write_table(table.slice(0, 1), ok)
    assert run(ok).exit_code == 0


def test_json_option_prints_the_frictionless_report():
    result = CliRunner().invoke(main, ["validate", str(HERE / "services-invalides.csv"), "--schema", "service", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["valid"] is False
    errors = report["tasks"][0]["errors"]
    found = {(e["rowNumber"], e["fieldName"], e["type"]) for e in errors}
    assert (2, "thematiques", "constraint-error") in found
    assert (3, "publics", "tous-publics") in found
    assert (4, "courriel", "email") in found
    assert (4, "date_maj", "date-bounds") in found
    valid = CliRunner().invoke(main, ["validate", str(HERE / "structures.json"), "--json"])
    assert valid.exit_code == 1
    assert json.loads(valid.stdout)["valid"] is False
    assert "Schéma deviné d'après les colonnes : structure" in valid.stderr
    ok = CliRunner().invoke(main, ["validate", str(HERE / "services.csv"), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["valid"] is True


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("services-latin1.csv", "n'est pas encodé en UTF-8"),
        ("structures-tronque.json", "JSON tronqué"),
        ("inconnu.csv", "impossible de reconnaître le schéma"),
        ("absent.csv", "Fichier introuvable"),
    ],
)
def test_unusable_input_exits_2_with_a_french_message(name, message):
    result = run(HERE / name)
    assert result.exit_code == 2
    assert "Erreur : " in result.output and message in result.output


def test_unknown_schema_exits_2():
    result = run(HERE / "services.csv", "--schema", "inconnu")
    assert result.exit_code == 2
    assert "schéma inconnu « inconnu »" in result.output


def test_empty_file_exits_2(tmp_path):
    (tmp_path / "vide.csv").write_bytes(b"")
    result = run(tmp_path / "vide.csv")
    assert result.exit_code == 2 and "vide" in result.output


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_schema_examples(kind, tmp_path):
    # The guess recognises every kind from its own columns.
    valid = run(schemas.SCHEMAS_DIR / kind / "exemple-valide.csv")
    assert valid.exit_code == 0, valid.output
    assert f"Schéma : {kind} (deviné" in valid.output
    shutil.copy(schemas.SCHEMAS_DIR / kind / "exemple-invalide.csv", tmp_path / "x.csv")
    assert run(tmp_path / "x.csv", "--schema", kind).exit_code == 1


def test_long_groups_are_cut(tmp_path):
    path = tmp_path / "structures.csv"
    rows = ["source,id,nom,date_maj"] + [f"dora,dora--{i},CS,2025-01-01" for i in range(25)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run(path)
    assert result.exit_code == 1
    assert "« nom » : trop court (25) : lignes 2, 3, 4, 5, 6, 7, 8, 9, 10, 11…" in result.output


@pytest.mark.parametrize(("name", "data", "message"), [
    ("services.csv", b"<!DOCTYPE html>\n<html><body>Erreur 502</body></html>\n",
     "services.csv : page HTML reçue au lieu de données CSV"),
    ("services.csv", b"source,id,nom\ntest,test--v1,Atelier\n" + "test,test--v2,Caf\u00e9\n".encode("latin-1"),
     "services.csv n'est pas encodé en UTF-8 (premier octet invalide ligne 3)"),
    ("services.csv", "source,id,nom\ntest,test--v1,Caf\u00e9".encode()[:-1],
     "services.csv se termine au milieu d'un caractère UTF-8 : fichier tronqué ?"),
])
def test_a_file_that_is_not_data_is_said_in_french(tmp_path, name, data, message):
    (tmp_path / name).write_bytes(data)
    result = run(tmp_path / name)
    assert result.exit_code == 2 and message in result.output, result.output


def test_a_json_file_with_a_byte_order_mark_is_validated(tmp_path):
    """Windows editors write one: it was « JSON tronqué ou mal formé », as CSV files read it."""
    structures = json.loads((HERE / "structures.json").read_text(encoding="utf-8"))
    (tmp_path / "structures.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(structures).encode())
    (tmp_path / "structures.ndjson").write_bytes(b"\xef\xbb\xbf" + b"".join(json.dumps(s).encode() + b"\n"
                                                                         for s in structures))
    expected = run(HERE / "structures.json").output
    assert run(tmp_path / "structures.json").output == expected
    assert run(tmp_path / "structures.ndjson").exit_code == run(HERE / "structures.json").exit_code
