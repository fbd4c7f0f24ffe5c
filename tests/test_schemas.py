"""The contract: schemas in schema.data.gouv.fr form, referentiels, datapackage, generated docs."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import frictionless
import pytest
from data_inclusion.schema import v1
from frictionless import Package, Schema, system

import schemas
from catalog import tabular
from catalog.validation import validator_for
from catalog.validation.checks import CHECK_CLASSES, build_checks
from catalog.validation.reference import frictionless_validate
from schemas import sync

MODELS = {"structure": v1.Structure, "service": v1.Service}
COMMON_FIELDS = ("source", "id", "nom", "description", "lien_source", "date_maj", "thematiques", "adresse",
                 "complement_adresse", "code_postal", "code_insee", "commune", "latitude", "longitude",
                 "telephone", "courriel")


def fields(kind: str) -> dict[str, dict]:
    return {f["name"]: f for f in schemas.load_schema(kind)["fields"]}


# -- the API -------------------------------------------------------------------------------


def test_api():
    assert schemas.KINDS == ("structure", "service", "formation", "aide", "solution-mobilite")
    for kind in schemas.KINDS:
        assert schemas.schema_path(kind) == schemas.SCHEMAS_DIR / kind / "schema.json"
        assert schemas.field_names(kind) == tuple(f["name"] for f in schemas.load_schema(kind)["fields"])
    assert schemas.datapackage_path().exists()
    with pytest.raises(KeyError):
        schemas.schema_path("inconnu")
    # load_schema hands out copies: a caller cannot corrupt the cache.
    schemas.load_schema("service")["fields"].clear()
    assert schemas.field_names("service")[0] == "source" and schemas.load_schema("service")["fields"]
    publics = schemas.referential("publics")
    assert {"value", "label", "description"} == set(publics[0])
    assert schemas.referential_values("publics") == {row["value"] for row in publics}
    assert "tous-publics" in schemas.referential_values("publics")
    assert schemas.field_referentials("service")["thematiques"] == "thematiques"


def test_thematique_categories():
    categories = schemas.thematique_categories()
    assert len(categories) == 16
    assert sum(len(values) for values in categories.values()) == 69 == len(schemas.referential_values("thematiques"))
    assert "mobilite--preparer-un-permis" in categories["mobilite"]
    for category, values in categories.items():
        assert values and all(value.startswith(category + "--") for value in values)
    assert schemas.thematique_categories_labels()["mobilite"] == "Mobilité"


# -- schema.data.gouv.fr form --------------------------------------------------------------


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_schema_is_a_valid_table_schema(kind):
    report = frictionless.validate(str(schemas.schema_path(kind)), type="schema")
    assert report.valid, report.flatten(["type", "note"])
    descriptor = schemas.load_schema(kind)
    assert descriptor["$schema"] == "https://frictionlessdata.io/schemas/table-schema.json"
    assert descriptor["name"] == kind
    for key in ("title", "description", "version", "licenses", "resources", "missingValues", "fieldsMatch"):
        assert descriptor.get(key), key


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_every_field_is_documented_in_french_with_an_example(kind):
    french = re.compile(r"[a-zà-ÿ]{2,}", re.IGNORECASE)
    for field in schemas.load_schema(kind)["fields"]:
        assert french.search(field.get("title", "")), field["name"]
        assert len(field.get("description", "")) >= 15, field["name"]
        assert "example" in field, field["name"]


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_a_record_made_of_the_examples_is_valid(kind):
    record = {field["name"]: field["example"] for field in schemas.load_schema(kind)["fields"]}
    _normalized, problems = validator_for(kind).check(record)
    assert problems == []


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_conventions_shared_by_every_kind(kind):
    own = fields(kind)
    required = {name for name, f in own.items() if f.get("constraints", {}).get("required")}
    assert {"source", "id", "nom", "date_maj"} <= required
    service = fields("service")
    for name in COMMON_FIELDS:
        if kind == "structure" and name == "thematiques":
            continue
        assert name in own, name
        assert own[name]["type"] == service[name]["type"], name
        assert own[name].get("referentiel") == service[name].get("referentiel"), name
    for name in ("zone_eligibilite", "publics", "modes_accueil", "frais"):
        if name in own:
            assert own[name]["type"] == service[name]["type"]
            assert own[name].get("arrayItem") == service[name].get("arrayItem"), name
    for name in ("code_postal", "code_insee"):
        assert own[name]["constraints"] == service[name]["constraints"]


def test_the_other_kinds_have_their_own_fields():
    assert {"numero_action", "numero_session", "formacodes", "codes_rome", "code_rncp", "certifiante",
            "niveau_entree", "niveau_sortie", "duree_heures", "date_debut", "date_fin", "prix_total_ttc",
            "financeurs", "eligible_cpf", "organisme_nom", "organisme_siret", "lien_inscription",
            "modes_accueil", "publics"} <= set(fields("formation"))
    assert {"institution_nom", "institution_type", "institution_code_insee", "institution_siren",
            "zone_eligibilite", "type_aide", "montant_min", "montant_max", "montant_texte", "montant_unite",
            "montant_periodicite", "conditions", "conditions_texte", "lien_demarche", "date_debut",
            "date_fin", "publics", "thematiques"} <= set(fields("aide"))
    assert {"categorie", "porteur_nom", "porteur_siren", "zone_eligibilite", "montant_min", "conditions",
            "conditions_texte", "modes_accueil", "publics", "frais", "lien_demarche"} <= set(fields("solution-mobilite"))
    assert fields("formation")["organisme_siret"]["type"] == "string"  # leading zeros kept
    assert fields("aide")["conditions"]["type"] == "object"


# -- equivalence with data·inclusion v1 ----------------------------------------------------


def _official_property(schema: dict, name: str) -> dict:
    prop = schema["properties"][name]
    for option in prop.get("anyOf", [prop]):
        if option.get("type") != "null":
            return option
    raise AssertionError(name)


@pytest.mark.parametrize("kind", list(MODELS))
def test_same_fields_and_constraints_as_data_inclusion_v1(kind):
    model = MODELS[kind]
    official = model.model_json_schema()
    ours = fields(kind)
    assert set(ours) == set(model.model_fields)
    required = {name for name, f in ours.items() if f.get("constraints", {}).get("required")}
    assert required == set(official["required"])
    for name, field in ours.items():
        prop = _official_property(official, name)
        c = field.get("constraints", {})
        if "$ref" in prop:  # an enumeration
            enum = official["$defs"][prop["$ref"].split("/")[-1]]["enum"]
            assert sorted(c["enum"]) == sorted(enum), name
            continue
        if prop.get("type") == "array":
            items = prop["items"]
            assert c.get("minLength") == prop.get("minItems"), name
            if "$ref" in items:
                enum = official["$defs"][items["$ref"].split("/")[-1]]["enum"]
                assert sorted(field["arrayItem"]["constraints"]["enum"]) == sorted(enum), name
            assert bool(prop.get("uniqueItems")) == (name in _unique_items_columns(kind)), name
            continue
        expected_type = {"string": "string", "number": "number", "integer": "integer"}[prop["type"]]
        if prop.get("format") == "date":
            expected_type = "date"
        assert field["type"] == expected_type, name
        if prop.get("format") == "uri":
            # HttpUrl's length limits are part of the http-url check (pydantic's own rule).
            assert name in _check_columns(kind, "http-url"), name
            continue
        assert c.get("minLength") == prop.get("minLength"), name
        assert c.get("maxLength") == prop.get("maxLength"), name
        assert c.get("minimum") == prop.get("minimum"), name
        if "pattern" in prop:  # the same, in ASCII (catalog/validation/rules.py, _COG_CODE)
            assert f"^{c['pattern']}$" == _in_ascii(prop["pattern"]), name
        if prop.get("format") == "email":
            assert name in _check_columns(kind, "email"), name


def _in_ascii(pattern: str) -> str:
    return pattern.replace("\\d", "[0-9]").replace("\\w", "[0-9A-Za-z]")


def _check_columns(kind: str, check_name: str) -> list[str]:
    found = []
    for check in schemas.load_schema(kind).get("custom_checks", []):
        if check["name"] == check_name:
            found += check["params"].get("columns") or [check["params"]["column"]]
    return found


def _unique_items_columns(kind: str) -> list[str]:
    return _check_columns(kind, "unique-items")


def test_service_declares_the_checks_table_schema_cannot_express():
    assert _check_columns("service", "tous-publics") == ["publics"]
    assert _check_columns("service", "date-bounds") == ["date_maj"]
    assert _check_columns("service", "cog-codes") == ["zone_eligibilite"]
    assert set(_check_columns("service", "http-url")) == {"lien_source", "lien_mobilisation"}
    assert _check_columns("service", "email") == ["courriel"]
    assert set(_check_columns("structure", "http-url")) == {"lien_source", "site_web", "accessibilite_lieu"}


# -- custom checks -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_custom_checks_are_known_documented_and_name_existing_fields(kind):
    descriptor = schemas.load_schema(kind)
    names = set(schemas.field_names(kind))
    for check in descriptor["custom_checks"]:
        assert check["name"] in CHECK_CLASSES
        assert len(check["description"]) > 20
        params = check["params"]
        for column in params.get("columns") or [params["column"]] + ([params["column2"]] if "column2" in params else []):
            assert column in names, (check["name"], column)
    assert len(build_checks(descriptor)) == len(descriptor["custom_checks"])
    # Every array field is checked for repeated values (but zone_eligibilite, a list in
    # data·inclusion v1), every number for finiteness.
    arrays = {n for n, f in fields(kind).items() if f["type"] == "array"} - {"zone_eligibilite"}
    assert set(_check_columns(kind, "unique-items")) == arrays
    assert set(_check_columns(kind, "finite-number")) == {n for n, f in fields(kind).items() if f["type"] == "number"}
    assert all(f.get("floatNumber") for f in fields(kind).values() if f["type"] == "number")


# -- referentiels --------------------------------------------------------------------------


@pytest.mark.parametrize("name", schemas.referential_names())
def test_referentiel_files(name):
    with open(schemas.referential_path(name), encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        assert next(reader) == ["value", "label", "description"]
        rows = list(reader)
    values = [row[0] for row in rows]
    assert rows and len(values) == len(set(values))
    assert all(row[1] for row in rows)


def test_data_inclusion_referentiels_match_the_official_package():
    counts = {"thematiques": 69, "publics": 14, "frais": 2, "modes-accueil": 2, "modes-mobilisation": 4,
              "personnes-mobilisatrices": 2, "types-de-services": 6, "reseaux-porteurs": 108}
    for name, count in counts.items():
        assert len(schemas.referential(name)) == count
        enum = getattr(v1, sync.DATA_INCLUSION_REFERENTIELS[name])
        assert schemas.referential(name) == [
            {**row, "description": row["description"] or ""} for row in enum.as_dict_list()
        ]


def test_every_enum_comes_from_a_referentiel():
    used = set()
    for kind in schemas.KINDS:
        for field in schemas.load_schema(kind)["fields"]:
            enum = field.get("constraints", {}).get("enum") or field.get("arrayItem", {}).get("constraints", {}).get("enum")
            if enum:
                assert field.get("referentiel"), (kind, field["name"])
                assert set(enum) == schemas.referential_values(field["referentiel"])
                used.add(field["referentiel"])
    assert used | {"thematiques-categories", "statuts"} == set(schemas.referential_names())


def test_generated_files_are_up_to_date():
    """READMEs, enums and data·inclusion referentiels are generated: `python -m schemas.sync`."""
    assert sync.stale_files() == [], "lancer `python -m schemas.sync`"


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_readme_documents_every_field_and_check(kind):
    readme = (schemas.SCHEMAS_DIR / kind / "README.md").read_text(encoding="utf-8")
    for field in schemas.load_schema(kind)["fields"]:
        assert f"### {field['name']}\n" in readme
        assert field["description"] in readme
    for check in schemas.load_schema(kind)["custom_checks"]:
        assert f"`{check['name']}`" in readme


def test_stale_readme_is_detected(tmp_path, monkeypatch):
    # A schema change that the README does not reflect is caught.
    descriptor = schemas.load_schema("aide")
    descriptor["fields"][2]["description"] = "Autre description du nom de l’aide."
    readme = schemas.docs.render_readme("aide", sync.synced_schema(descriptor))
    assert "Autre description du nom de l’aide." in readme
    assert readme != (schemas.SCHEMAS_DIR / "aide" / "README.md").read_text(encoding="utf-8")


# -- examples, as schema.data.gouv.fr's CI checks them ---------------------------------------


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_examples_as_schema_data_gouv_fr_ci_checks_them(kind):
    folder = schemas.SCHEMAS_DIR / kind
    with system.use_context(trusted=True):
        # `frictionless validate --schema schema.json exemple-valide.csv`: Table Schema alone…
        valid = frictionless.validate(str(folder / "exemple-valide.csv"), schema=str(folder / "schema.json"))
        invalid = frictionless.validate(str(folder / "exemple-invalide.csv"), schema=str(folder / "schema.json"))
    assert valid.valid, valid.flatten(["rowNumber", "fieldName", "type", "note"])
    assert not invalid.valid
    # …and with the custom checks.
    assert frictionless_validate(folder / "exemple-valide.csv", kind).valid
    report = frictionless_validate(folder / "exemple-invalide.csv", kind)
    assert not report.valid
    # Every row of the invalid example is invalid, every row of the valid one is valid.
    invalid_rows = {error.row_number for error in report.tasks[0].errors}
    rows = list(tabular.iter_rows(folder / "exemple-invalide.csv"))
    assert invalid_rows == {position for position, _ in rows}
    assert len(list(tabular.iter_rows(folder / "exemple-valide.csv"))) >= 2


def test_examples_use_every_field():
    for kind in schemas.KINDS:
        rows = [row for _, row in tabular.iter_rows(schemas.SCHEMAS_DIR / kind / "exemple-valide.csv")]
        filled = {name for row in rows for name, value in row.items() if value is not None}
        missing = set(schemas.field_names(kind)) - filled
        assert len(missing) <= len(schemas.field_names(kind)) // 3, (kind, sorted(missing))


# -- the published dataset ---------------------------------------------------------------------


def test_datapackage_describes_one_table_per_kind(tmp_path):
    report = Package.validate_descriptor(str(schemas.datapackage_path()))
    assert report.valid, report.flatten(["type", "note"])
    descriptor = json.loads(schemas.datapackage_path().read_text(encoding="utf-8"))
    assert [r["schema"] for r in descriptor["resources"]] == [f"{kind}/schema.json" for kind in schemas.KINDS]
    # With each kind's valid example as its table, the whole package validates.
    shutil.copytree(schemas.SCHEMAS_DIR, tmp_path / "schemas", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for kind, resource in zip(schemas.KINDS, descriptor["resources"]):
        shutil.copy(schemas.SCHEMAS_DIR / kind / "exemple-valide.csv", tmp_path / "schemas" / resource["path"])
    package = Package(str(tmp_path / "schemas" / "datapackage.json"))
    assert [resource.schema.name for resource in package.resources] == list(schemas.KINDS)
    assert package.validate().valid
    assert Schema.from_descriptor(str(schemas.schema_path("service"))).field_names == list(schemas.field_names("service"))


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_frictionless_command_line_as_in_schema_data_gouv_fr_ci(kind):
    """The very commands of schema.data.gouv.fr's CI, run in the schema's folder."""
    frictionless_cli = Path(sys.executable).parent / "frictionless"
    if not frictionless_cli.exists():
        pytest.skip("frictionless command line absent")
    folder = schemas.SCHEMAS_DIR / kind

    def status(*args: str) -> int:
        return subprocess.run([str(frictionless_cli), "validate", *args], cwd=folder, capture_output=True, check=False).returncode

    assert status("--type", "schema", "schema.json") == 0
    assert status("--schema", "schema.json", "exemple-valide.csv") == 0
    assert status("--schema", "schema.json", "exemple-invalide.csv") == 1


def test_data_inclusion_referentiels_are_read_from_the_official_package_until_written(tmp_path, monkeypatch):
    # Not tracked in git: `make install` writes them; before that, the package's enums stand in.
    written = {name: schemas.referential(name) for name in sync.DATA_INCLUSION_REFERENTIELS}
    monkeypatch.setattr(schemas, "REFERENTIELS_DIR", tmp_path)
    schemas.clear_caches()
    try:
        for name, rows in written.items():
            assert schemas.referential(name) == rows
        assert set(sync.DATA_INCLUSION_REFERENTIELS) <= set(schemas.referential_names())
        with pytest.raises(KeyError):
            schemas.referential("lheo-niveaux")  # ours: never invented from elsewhere
    finally:
        monkeypatch.undo()
        schemas.clear_caches()
