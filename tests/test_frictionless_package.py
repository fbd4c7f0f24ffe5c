"""Generic Frictionless harvester: packages that declare our schemas, mapping files, refusals."""

from __future__ import annotations

import csv
import json
import shutil

import orjson
import pytest
import responses
import yaml
from sqlalchemy import func, select

import schemas
from catalog.models import Record
from harvesters.engine import harvest
from harvesters.frictionless_package import FrictionlessHarvester
from tests.conftest import FIXTURES, corpus_path

HERE = FIXTURES / "frictionless"
RECORDS = Record.__table__


def run(location, settings, source="paquet", **options):
    return harvest(FrictionlessHarvester(str(location), options=options), source=source, settings=settings)


def stored(engine, kind=None):
    query = select(RECORDS.c.kind, RECORDS.c.id, RECORDS.c.data, RECORDS.c.status)
    if kind:
        query = query.where(RECORDS.c.kind == kind)
    with engine.connect() as conn:
        return {row.id: (row.kind, orjson.loads(row.data), row.status) for row in conn.execute(query)}


def record_count(engine):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(RECORDS)).scalar_one()


def test_package_declaring_our_schemas_harvests_every_kind_without_fetching_them(settings, engine):
    # The schemas are declared by URL: recognised by address, never downloaded (any request
    # made while the mock is active and unregistered would raise).
    with responses.RequestsMock() as rsps:
        summary = run(HERE / "declared" / "datapackage.json", settings)
        assert len(rsps.calls) == 0
    assert summary.status == "done-with-errors"
    assert summary.kinds == ["service", "structure"]
    assert summary.counts["read"] == 7 and summary.counts["added"] == 6 and summary.counts["invalid"] == 1
    [group] = [g for g in summary.groups if g.code is not None]
    assert group.field == "thematiques" and group.examples == ["services, ligne 5"]
    records = stored(engine)
    assert records["plaine-commune--pc-garage"][0] == "structure"
    kind, data, _ = records["plaine-commune--pc-garage-reparation"]
    assert kind == "service"
    # CSV cells holding JSON lists (our CSV convention), with the package's ";" dialect.
    assert data["publics"] == ["personnes-en-situation-durgence", "demandeurs-emploi"]
    assert data["zone_eligibilite"] == ["93"]


def test_mapping_file_turns_their_columns_into_ours(settings, engine):
    summary = run(HERE / "mapped" / "annuaire-lyon.csv", settings,
                  mapping=str(HERE / "mapped" / "correspondance.yml"))
    assert summary.status == "done", summary.groups
    assert summary.kinds == ["service"] and summary.counts["added"] == 3
    _, data, _ = stored(engine)["annuaire-lyon--LY-001"]
    # The service's structure is named as the catalog names that structure, as data·inclusion does.
    assert data["source"] == "annuaire-lyon" and data["structure_id"] == "annuaire-lyon--lyon-mde"
    assert data["thematiques"] == ["trouver-un-emploi--repondre-a-des-offres-demploi",
                                   "trouver-un-emploi--faire-des-candidatures-spontanees"]
    assert data["publics"] == ["demandeurs-emploi", "jeunes"]
    assert data["frais"] == "gratuit" and data["type"] == "atelier"  # value table; constant
    assert data["modes_accueil"] == ["en-presentiel"] and data["zone_eligibilite"] == ["69123"]
    assert data["code_insee"] == "69388" and data["date_maj"] == "2025-05-06"
    assert stored(engine)["annuaire-lyon--LY-002"][1]["frais"] == "payant"


def test_mapping_found_beside_the_package_and_applied_to_its_named_resource(tmp_path, settings, engine):
    shutil.copytree(HERE / "declared", tmp_path / "paquet")
    shutil.copy(HERE / "mapped" / "annuaire-lyon.csv", tmp_path / "paquet" / "lyon.csv")
    mapping = yaml.safe_load((HERE / "mapped" / "correspondance.yml").read_text(encoding="utf-8"))
    mapping["resource"] = "lyon"
    (tmp_path / "paquet" / "correspondance.json").write_text(json.dumps(mapping), encoding="utf-8")
    descriptor = json.loads((HERE / "declared" / "datapackage.json").read_text())
    descriptor["resources"].append({"name": "lyon", "path": "lyon.csv"})
    (tmp_path / "paquet" / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    # A relative mapping path not found from the current directory is looked up in the package's.
    summary = run(tmp_path / "paquet" / "datapackage.json", settings, mapping="correspondance.json")
    assert summary.counts["added"] == 9 and summary.counts["invalid"] == 1
    assert "annuaire-lyon--LY-003" in stored(engine, "service")


@pytest.mark.parametrize("mapping, expected", [
    ({"kind": "service", "source": "x", "columns": {"Numéro": "identifiant"}}, "« identifiant » absent(s) du schéma"),
    ({"kind": "evenement", "source": "x", "columns": {"Numéro": "id"}}, "« kind » doit être l'un de nos schémas"),
    ({"kind": "service", "columns": {"Numéro": "id"}}, "indiquez « source »"),
    ({"kind": "service", "source": "x", "columns": {"Numéro": "id"}, "split": {"nom": ","}},
     "« split » ne s'applique qu'aux champs listes"),
    ({"kind": "service", "source": "x", "columns": {"Numéro": "id", "Absente": "nom"}},
     "colonne(s) « Absente » de la correspondance absente(s) du fichier"),
    # A truncated file: « frais: » with nothing under it, once a crash (TypeError).
    ({"kind": "service", "source": "x", "columns": {"Numéro": "id"}, "values": {"frais": None}},
     "dans « values », « frais » doit associer leurs valeurs aux nôtres"),
    ({"kind": "service", "source": "x", "columns": {"Numéro": "id"}, "constants": ["date_maj"]},
     "« constants » doit associer des noms de champs à des valeurs"),
])
def test_a_wrong_mapping_is_refused_with_its_reason(tmp_path, settings, engine, mapping, expected):
    path = tmp_path / "correspondance.json"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    summary = run(HERE / "mapped" / "annuaire-lyon.csv", settings, mapping=str(path))
    assert summary.status == "failed"
    assert expected in summary.message
    assert record_count(engine) == 0


def test_unknown_schemas_are_refused_naming_each_resource(settings, engine):
    summary = run(HERE / "unknown" / "datapackage.json", settings)
    assert summary.status == "failed"
    assert "« services » : schéma inconnu « https://schema.data.gouv.fr/schemas/etalab/schema-lieux-covoiturage" \
        in summary.message
    assert "« notes » : schéma « notes » inconnu" in summary.message
    assert record_count(engine) == 0


def test_a_kind_left_out_of_the_run_is_not_covered(settings, engine):
    first = run(HERE / "declared" / "datapackage.json", settings)
    assert first.counts["added"] == 6
    only = run(HERE / "declared" / "datapackage.json", settings, resources="structures")
    # The services were not read this time: they did not vanish from the source.
    assert only.kinds == ["structure"]
    assert only.counts["unchanged"] == 3 and only.counts["missing"] == 0 and only.counts["archived"] == 0
    assert {status for kind, _, status in stored(engine, "service").values()} == {"active"}


def _package(tmp_path, resource: dict, files=("services.csv",)):
    folder = tmp_path / "paquet"
    folder.mkdir(exist_ok=True)
    for name in files:
        shutil.copy(HERE / "declared" / "donnees" / "services.csv", folder / name)
    descriptor = {"name": "paquet", "resources": [resource | {"schema": "schemas/service/schema.json"}]}
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return folder / "datapackage.json"


@pytest.mark.parametrize("path, expected", [
    ("../secret.csv", "sort du dossier du paquet"),
    ("donnees/../../secret.csv", "sort du dossier du paquet"),
    ("/etc/passwd", "sort du dossier du paquet"),
    ("https://exemple.fr/services.csv", "distante alors que le paquet est local"),
    ("absent.csv", "fichier introuvable « absent.csv »"),
])
def test_paths_that_leave_the_package_or_do_not_exist_are_refused(tmp_path, settings, engine, path, expected):
    (tmp_path / "secret.csv").write_text("source,id\nx,1\n", encoding="utf-8")
    with responses.RequestsMock() as rsps:
        summary = run(_package(tmp_path, {"name": "services", "path": path}), settings)
        assert len(rsps.calls) == 0
    assert summary.status == "failed" and expected in summary.message
    assert record_count(engine) == 0


def test_a_symbolic_link_out_of_the_package_is_refused(tmp_path, settings, engine):
    descriptor = _package(tmp_path, {"name": "services", "path": "lien.csv"}, files=())
    shutil.copy(HERE / "declared" / "donnees" / "services.csv", tmp_path / "ailleurs.csv")
    (descriptor.parent / "lien.csv").symlink_to(tmp_path / "ailleurs.csv")
    summary = run(descriptor, settings)
    assert summary.status == "failed" and "lien symbolique" in summary.message


def test_multipart_and_unsupported_formats_are_refused(tmp_path, settings, engine):
    summary = run(_package(tmp_path, {"name": "services", "path": ["services.csv", "services.csv"]}), settings)
    assert summary.status == "failed" and "plusieurs fichiers" in summary.message
    (tmp_path / "paquet" / "services.xlsx").write_bytes(b"PK\x03\x04")
    summary = run(_package(tmp_path, {"name": "services", "path": "services.xlsx"}), settings)
    assert summary.status == "failed" and "format « xlsx » non pris en charge" in summary.message


def test_an_invalid_descriptor_is_refused_with_frictionless_reason(tmp_path, settings, engine):
    path = tmp_path / "datapackage.json"
    path.write_text(json.dumps({"name": "p", "resources": [{"name": "services", "path": 12}]}), encoding="utf-8")
    summary = run(path, settings)
    assert summary.status == "failed" and "descripteur de paquet invalide" in summary.message
    path.write_text('{"name": "p", "resources": [', encoding="utf-8")
    summary = run(path, settings)
    assert summary.status == "failed" and "mal formé" in summary.message


def test_remote_package_reads_its_resources_relative_to_its_address(settings, engine):
    base = "https://donnees.exemple.fr/insertion"
    descriptor = json.loads((HERE / "declared" / "datapackage.json").read_text())
    with responses.RequestsMock() as rsps:
        rsps.get(f"{base}/datapackage.json", json=descriptor)
        rsps.get(f"{base}/structures.csv", body=(HERE / "declared" / "structures.csv").read_bytes())
        rsps.get(f"{base}/donnees/services.csv", body=(HERE / "declared" / "donnees" / "services.csv").read_bytes())
        summary = run(f"{base}/datapackage.json", settings)
        assert [call.request.url for call in rsps.calls] == [
            f"{base}/datapackage.json", f"{base}/structures.csv", f"{base}/donnees/services.csv"]
    assert summary.counts["added"] == 6 and summary.kinds == ["service", "structure"]


def test_inline_data_and_a_local_copy_of_our_schema(tmp_path, settings, engine):
    schema = schemas.load_schema("structure")
    (tmp_path / "structure.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    descriptor = {"name": "p", "resources": [{
        "name": "structures", "schema": "structure.schema.json",
        "data": [["source", "id", "nom", "date_maj"], ["marseille", "m1", "Cité des métiers de Marseille", "2025-01-10"]],
    }]}
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    summary = run(tmp_path / "datapackage.json", settings)
    assert summary.status == "done" and summary.kinds == ["structure"]
    assert stored(engine)["marseille--m1"][1]["nom"] == "Cité des métiers de Marseille"


def test_a_plain_table_is_recognised_by_its_header_or_refused(tmp_path, settings, engine):
    summary = run(HERE / "declared" / "structures.csv", settings)
    assert summary.status == "done" and summary.kinds == ["structure"] and summary.counts["added"] == 3
    summary = run(HERE / "mapped" / "annuaire-lyon.csv", settings, source="autre")
    assert summary.status == "failed" and "impossible de savoir quel schéma" in summary.message


# -- real files (../shared/corpus) -----------------------------------------------------------

@pytest.mark.corpus
def test_corpus_hsds_package_is_refused_resource_by_resource(settings, engine):
    path = corpus_path("hsds", "datapackage.json")
    names = [r["name"] for r in json.loads(path.read_text())["resources"]]
    summary = run(path, settings)
    assert summary.status == "failed" and len(names) == 21
    assert all(f"« {name} » : schéma sans nom inconnu" in summary.message for name in names)
    assert record_count(engine) == 0


@pytest.mark.corpus
def test_corpus_hsds_tables_through_a_mapping(tmp_path, settings, engine):
    folder = corpus_path("hsds", "examples", "csv")
    with open(folder / "services.csv", encoding="utf-8") as f:
        expected_services = sum(1 for _ in csv.DictReader(f))
    mapping = {"kind": "service", "source": "hsds-exemple", "columns": {
        "id": "id", "organization_id": "structure_id", "name": "nom", "description": "description",
        "url": "lien_source", "email": "courriel"}, "constants": {"date_maj": "2024-05-16"}}
    (tmp_path / "services.json").write_text(json.dumps(mapping), encoding="utf-8")
    summary = run(folder / "services.csv", settings, mapping=str(tmp_path / "services.json"))
    assert summary.status == "done", summary.groups
    assert summary.counts["added"] == expected_services == 1


@pytest.mark.corpus
def test_corpus_dispositif_aide_package_points_to_its_own_format(settings, engine):
    summary = run(corpus_path("schemas-examples", "schema-dispositif-aide", "datapackage.json"), settings)
    assert summary.status == "failed"
    assert "« dispositif-aide » : schéma « dispositif-aide » inconnu" in summary.message
    assert "maillage harvest dispositif-aide" in summary.message


@pytest.mark.corpus
def test_corpus_covoiturage_csv_without_mapping_is_refused(settings, engine):
    summary = run(corpus_path("schemas-examples", "lieux-covoiturage", "exemple-valide.csv"), settings)
    assert summary.status == "failed" and "impossible de savoir quel schéma" in summary.message


def test_the_declared_encoding_is_used_and_a_wrong_one_fails_cleanly(tmp_path, settings, engine):
    folder = tmp_path / "paquet"
    folder.mkdir()
    text = (HERE / "declared" / "structures.csv").read_text(encoding="utf-8")
    (folder / "structures.csv").write_bytes(text.encode("iso-8859-1"))
    descriptor = {"name": "p", "resources": [{"name": "structures", "path": "structures.csv",
                                              "schema": "schemas/structure/schema.json"}]}
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    summary = run(folder / "datapackage.json", settings)
    assert summary.status == "failed" and "n'est pas encodé en UTF-8" in summary.message
    assert record_count(engine) == 0
    descriptor["resources"][0]["encoding"] = "iso-8859-1"
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    summary = run(folder / "datapackage.json", settings)
    assert summary.status == "done" and summary.counts["added"] == 3
    assert stored(engine)["plaine-commune--pc-ccas-aub"][1]["nom"] == "CCAS d'Aubervilliers"
    assert stored(engine)["plaine-commune--pc-ml"][1]["adresse"] == "12 rue Gabriel Péri"


@pytest.mark.parametrize("envelope", ["items", "data", "data+meta"])
def test_a_json_envelope_of_records_is_a_data_file(tmp_path, settings, engine, envelope):
    """`{"data": [...]}` is records, as `{"items": [...]}`, also beside an API's `meta` and
    `links`: once taken for a resource descriptor without schema and refused."""
    from tests.factories import structure

    path = tmp_path / "structures.json"
    body = {envelope.split("+")[0]: [structure(1), structure(2)]}
    if envelope == "data+meta":
        body |= {"meta": {"total": 2}, "links": {"next": None}}
    path.write_text(json.dumps(body), encoding="utf-8")
    summary = run(path, settings, kind="structure")
    assert summary.status == "done" and summary.counts["added"] == 2, summary.as_dict()


# Five levels of ten aliases (10^5 values once expanded) keep the old code's run short enough to
# fail this test rather than hang it; nine levels (10^9, 700 bytes) took hours.
YAML_BOMB = "".join(f"a{n}: &a{n} [{', '.join([f'*a{n - 1}' if n else 'x'] * 10)}]\n" for n in range(5))


@pytest.mark.parametrize("option", [False, True])
def test_yaml_aliases_are_refused_at_once(tmp_path, settings, engine, option):
    """Aliases of aliases expand exponentially (and were walked path by path): refused, as the
    other YAML readers of Maillage do, naming the line."""
    shutil.copy(HERE / "declared" / "structures.csv", tmp_path / "structures.csv")
    resource = "resources: [{name: structures, path: structures.csv, schema: schemas/structure/schema.json}]\n"
    if option:  # the same bomb as a mapping file
        (tmp_path / "correspondance.yml").write_text(YAML_BOMB + "kind: structure\n", encoding="utf-8")
        summary = run(tmp_path / "structures.csv", settings, mapping=str(tmp_path / "correspondance.yml"))
    else:
        (tmp_path / "datapackage.yaml").write_text(YAML_BOMB + resource, encoding="utf-8")
        summary = run(tmp_path / "datapackage.yaml", settings)
    assert summary.status == "failed"
    assert "ligne 2 : alias YAML (*nom) refusé" in summary.message, summary.message
    assert record_count(engine) == 0


@pytest.mark.parametrize("where", ["resource", "option"])
def test_an_unknown_encoding_is_refused_naming_it(tmp_path, settings, engine, where):
    shutil.copy(HERE / "declared" / "structures.csv", tmp_path / "structures.csv")
    resource = {"name": "structures", "path": "structures.csv", "schema": "schemas/structure/schema.json"}
    if where == "resource":
        resource["encoding"] = "utf8mb4"  # MySQL's name, not a codec
    (tmp_path / "datapackage.json").write_text(json.dumps({"name": "p", "resources": [resource]}), encoding="utf-8")
    options = {"encoding": "utf8mb4"} if where == "option" else {}
    summary = run(tmp_path / "datapackage.json", settings, **options)
    assert summary.status == "failed" and "Encodage inconnu : « utf8mb4 »" in summary.message, summary.message
    assert record_count(engine) == 0


def test_cli_harvest_frictionless_with_a_mapping_option(settings, engine):
    from click.testing import CliRunner

    from maillage.cli import main

    result = CliRunner().invoke(main, [
        "harvest", "frictionless", str(HERE / "mapped" / "annuaire-lyon.csv"),
        "--option", f"mapping={HERE / 'mapped' / 'correspondance.yml'}", "--source", "lyon", "--json"])
    assert result.exit_code == 0, result.output
    body = orjson.loads(result.output)
    assert (body["source"], body["status"], body["counts"]["added"]) == ("lyon", "done", 3)


def test_a_resource_declared_windows_1252_but_written_in_utf8_is_refused(tmp_path, settings, engine):
    """The resource's `encoding` was trusted: every accent became « Ã© », without a word."""
    folder = tmp_path / "paquet"
    folder.mkdir()
    text = (HERE / "declared" / "structures.csv").read_text(encoding="utf-8")
    (folder / "structures.csv").write_bytes(text.encode("cp1252"))
    descriptor = {"name": "p", "resources": [{"name": "structures", "path": "structures.csv", "encoding": "windows-1252",
                                              "schema": "schemas/structure/schema.json"}]}
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    assert run(folder / "datapackage.json", settings).counts["added"] == 3
    before = stored(engine)
    assert before["plaine-commune--pc-ml"][1]["adresse"] == "12 rue Gabriel Péri"
    (folder / "structures.csv").write_text(text, encoding="utf-8")  # the producer now exports UTF-8
    summary = run(folder / "datapackage.json", settings)
    assert summary.status == "failed"
    assert "structures.csv est déclaré en Windows-1252 mais il est écrit en UTF-8" in summary.message, summary.message
    assert stored(engine) == before


def test_a_remote_table_answered_by_an_html_page_is_named_by_its_url(tmp_path, settings, engine, monkeypatch):
    import tempfile

    import responses

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    url = "https://exemple.fr/donnees/structures.csv"
    with responses.RequestsMock() as rsps:
        rsps.get(url, body=b"<html><body>Connexion requise</body></html>")
        summary = run(url, settings, kind="structure")
    assert summary.status == "failed" and record_count(engine) == 0
    assert summary.message.startswith(f"{url} : page HTML reçue au lieu de données CSV"), summary.message
    assert not list(tmp_path.glob("tmp*"))


def _lyon_as_json(tmp_path, **change) -> tuple:
    """The Lyon table as a JSON array of records, and its mapping as a dict (changed by `change`)."""
    with open(HERE / "mapped" / "annuaire-lyon.csv", encoding="utf-8", newline="") as f:
        records = list(csv.DictReader(f, delimiter=";"))
    path = tmp_path / "annuaire-lyon.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    mapping = yaml.safe_load((HERE / "mapped" / "correspondance.yml").read_text(encoding="utf-8")) | change
    return path, records, mapping


def test_a_mapped_key_no_json_record_holds_is_refused_as_a_missing_csv_column_is(tmp_path, settings, engine):
    """JSON has no header to check first: « Gratuite » for « Gratuité » left `frais` empty in
    every record, silently (and erased what an earlier harvest had stored)."""
    path, _, mapping = _lyon_as_json(tmp_path)
    assert run(path, settings, mapping=mapping).counts["added"] == 3
    columns = {("Gratuite" if k == "Gratuité" else k): v for k, v in mapping["columns"].items()}
    summary = run(path, settings, mapping=mapping | {"columns": columns})
    assert summary.status == "failed"
    assert "clé(s) « Gratuite » de la correspondance absente(s) de tous les enregistrements" in summary.message
    assert stored(engine)["annuaire-lyon--LY-001"][1]["frais"] == "gratuit"  # the catalog stays as it was


def test_a_translated_cell_holding_an_object_is_refused_as_a_value_not_a_crash(tmp_path, settings, engine):
    path, records, mapping = _lyon_as_json(tmp_path)
    records[0]["Gratuité"] = {"label": "Gratuit"}
    path.write_text(json.dumps(records), encoding="utf-8")
    summary = run(path, settings, mapping=mapping)
    assert summary.status == "done-with-errors" and summary.counts["added"] == 2, summary.message
    assert stored(engine)["annuaire-lyon--LY-002"][1]["frais"] == "payant"
    assert "annuaire-lyon--LY-001" not in stored(engine)
    assert any(group.field == "frais" for group in summary.groups)


def test_the_delimiter_a_package_declares_is_the_one_read(tmp_path, settings, engine):
    """Guessed from the header, « ; » lost to the commas of « Nom, prénom »-like column names."""
    folder = tmp_path / "paquet"
    shutil.copytree(HERE / "declared", folder)
    services = folder / "donnees" / "services.csv"
    header, rest = services.read_text(encoding="utf-8").split("\n", 1)
    header += ";" + ",".join("remarque" + letter for letter in "abcdefghijklmnopq")  # an empty column
    rows = [line + ";" if line else line for line in rest.split("\n")]
    services.write_text(header + "\n" + "\n".join(rows), encoding="utf-8")
    assert header.count(",") > header.count(";")
    summary = run(folder / "datapackage.json", settings)
    assert summary.counts["added"] == 6, summary.groups
    descriptor = json.loads((folder / "datapackage.json").read_text())
    descriptor["resources"][1]["dialect"] = {"delimiter": ";;"}
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    summary = run(folder / "datapackage.json", settings)
    assert summary.status == "failed" and "délimiteur déclaré (dialect.delimiter) inutilisable" in summary.message


def test_a_header_written_decomposed_matches_its_mapping(tmp_path, settings, engine):
    """A Mac writes « é » as « e » + accent: « Numéro » was refused as absent while the message
    listed « Numéro » among the columns found."""
    import unicodedata

    path = tmp_path / "annuaire-lyon.csv"
    text = (HERE / "mapped" / "annuaire-lyon.csv").read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    path.write_text(unicodedata.normalize("NFD", header) + "\n" + rest, encoding="utf-8")
    summary = run(path, settings, mapping=str(HERE / "mapped" / "correspondance.yml"))
    assert summary.counts["added"] == 3, summary.message
    assert stored(engine)["annuaire-lyon--LY-001"][1]["nom"] == "Atelier CV et lettre de motivation"


@pytest.mark.parametrize("mapped", [False, True])
def test_a_contact_the_partner_does_not_say_public_is_not_kept(tmp_path, settings, engine, mapped):
    """As the data·inclusion and DORA harvesters do: the promise is only in the source row
    (our schemas have no `contact_public`), whether it keeps its name or a mapping names it."""
    services = (HERE / "declared" / "donnees" / "services.csv").read_text(encoding="utf-8").splitlines()
    flag = "public" if mapped else "contact_public"
    rows = [services[0] + f";courriel;telephone;{flag}",
            services[1] + ";camille.martin@asso-exemple.fr;0148300009;false",
            services[2] + ";accueil@ccas-exemple.fr;0148300010;true"]
    path = tmp_path / "services.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    options = {}
    if mapped:
        columns = {name: name for name in rows[0].split(";")} | {"public": "contact_public"}
        options["mapping"] = {"kind": "service", "columns": columns}
    summary = run(path, settings, **options)
    assert summary.counts["added"] == 2, summary.message or summary.groups
    saved = {data["id"].split("--")[-1]: data for _, data, _ in stored(engine, "service").values()}
    assert "contact_public" not in saved["pc-ml-garantie-jeunes"]
    assert saved["pc-ml-garantie-jeunes"].get("courriel") is None
    assert saved["pc-ml-garantie-jeunes"].get("telephone") is None
    assert saved["pc-ccas-domiciliation"]["courriel"] == "accueil@ccas-exemple.fr"
    assert saved["pc-ccas-domiciliation"]["telephone"] == "0148300010"


@pytest.mark.parametrize(("content", "said"), [
    (b"", "Le fichier services.json est vide"),
    ('[{"nom": "Caf\u00e9"}]'.encode("cp1252"), "n'est pas encodé en UTF-8"),
])
def test_a_json_data_file_is_judged_as_data_not_as_a_descriptor(tmp_path, settings, engine, content, said):
    """« descripteur non encodé en UTF-8 » for an array of records in Windows-1252, and English
    (« Input is a zero-length, empty document ») for an empty file."""
    path = tmp_path / "services.json"
    path.write_bytes(content)
    summary = run(path, settings)
    assert summary.status == "failed" and said in summary.message, summary.message
    assert "descripteur" not in summary.message and "zero-length" not in summary.message
