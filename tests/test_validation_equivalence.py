"""The compiled validators give frictionless' verdicts: record by record, field by field.

For every kind, hand-written records covering each constraint and custom check, then records
generated from the schema by hypothesis, go through real frictionless (our schema + custom
checks) and through `validator_for(kind).check`; the sets of (field, code) problems must be
equal for every record — as JSON natives, and as cells of a CSV file.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schemas
from catalog import tabular
from catalog.validation import validator_for
from catalog.validation.reference import frictionless_validate, report_problems
from tests.fixtures.validate.strategies import csv_cell, record

TODAY = date.today()

# Records of each kind exercising every constraint and custom check of its schema.
HAND_WRITTEN: dict[str, list[dict]] = {
    "service": [
        {"source": "dora", "structure_id": "dora--s", "id": "dora--a", "nom": "Atelier CV",
         "description": "Atelier pour rédiger son CV", "date_maj": "2024-01-05"},
        {},  # blank
        {"source": "dora", "structure_id": "dora--s", "id": "dora--a", "nom": "At", "description": "Desc",
         "date_maj": (TODAY + timedelta(days=1)).isoformat()},
        {"source": "dora", "id": "dora--a", "nom": "x" * 151, "description": "Atelier", "date_maj": "1999-12-31"},
        {"source": 12, "structure_id": "dora--s", "id": "dora--a", "nom": "Atelier", "description": "Atelier",
         "date_maj": "2024-1-5", "type": "Atelier", "frais": "gratuite"},
        {"source": "dora", "structure_id": "dora--s", "id": "dora--a", "nom": "Atelier", "description": "Atelier",
         "date_maj": date(2024, 1, 5), "publics": ["tous-publics", "femmes"], "thematiques": ["inconnue", "", None, 3],
         "modes_accueil": ["en-presentiel", "en-presentiel"], "zone_eligibilite": ["75056", "1234", "france", "2A"]},
        {"source": "dora", "structure_id": "dora--s", "id": "dora--a", "nom": "Atelier", "description": "Atelier",
         "date_maj": datetime(2024, 1, 5), "publics": [], "modes_mobilisation": "telephoner",
         "mobilisable_par": '["usagers", "usagers"]', "zone_eligibilite": "[]"},
        {"source": "dora", "structure_id": "dora--s", "id": "dora--a", "nom": "Atelier", "description": "Atelier",
         "date_maj": datetime(2024, 1, 5, 10, 30), "latitude": "nan", "longitude": "inf",
         "volume_horaire_hebdomadaire": "-1", "nombre_semaines": "0", "code_postal": "7500", "code_insee": "75056\n"},
        {"source": "dora", "structure_id": "dora--s", "id": "dora--a", "nom": "Atelier", "description": "Atelier",
         "date_maj": "2024-01-05", "lien_source": "ftp://exemple.fr", "lien_mobilisation": "https://exemple.fr/a",
         "courriel": "pas-un-courriel", "latitude": True, "nombre_semaines": 2.5, "volume_horaire_hebdomadaire": "sNaN"},
        {"source": "dora", "structure_id": "dora--s", "id": "dora--a", "nom": "Atelier", "description": "Atelier",
         "date_maj": "2024-01-05", "courriel": "Jean <jean@exemple.fr>", "lien_source": " https://exemple.fr",
         "score_qualite": 0.4, "adresse_certifiee": True, "nombre_semaines": "1_0", "latitude": "1e3"},
    ],
    "structure": [
        {"source": "dora", "id": "dora--a", "nom": "Centre social", "date_maj": "2024-01-05",
         "siret": "1300301330001", "site_web": "www.exemple.fr", "accessibilite_lieu": "https://acceslibre.beta.gouv.fr/x",
         "reseaux_porteurs": ["caf", "caf", "inconnu"], "courriel": "a@b"},
        {"source": "dora", "id": "dora--a", "nom": "Centre social.", "date_maj": "2024-01-05", "siret": "13003013300016",
         "reseaux_porteurs": []},
        {"nom": None, "date_maj": ""},
    ],
    "formation": [
        {"source": "carif", "id": "carif--1", "nom": "CAP Cuisine", "date_maj": "2025-01-01", "certifiante": "oui",
         "eligible_cpf": "1", "formacodes": ["4205", "42052", 42052], "codes_rome": ["K2204", "Z1234"],
         "niveau_sortie": "9", "financeurs": ["2", "2"], "date_debut": "2026-06-01", "date_fin": "2026-01-01",
         "organisme_siret": "6980008200012", "duree_heures": -1, "prix_total_ttc": "gratuit"},
        {"source": "carif", "id": "carif--1", "nom": "CAP Cuisine", "date_maj": "2025-01-01", "certifiante": True,
         "date_debut": "2026-01-01", "date_fin": "2026-06-01", "code_rncp": "RNCP34849", "codes_nsf": ["343t", "34"]},
    ],
    "aide": [
        {"source": "aides-jeunes", "id": "aides-jeunes--a", "nom": "Aide", "date_maj": "2025-01-01",
         "conditions": {"age_min": "dix-huit", "statuts": ["astronaute"], "revenu": 3}, "montant_min": 500,
         "montant_max": 100, "institution_siren": "12345", "type_aide": "cadeau"},
        {"source": "aides-jeunes", "id": "aides-jeunes--b", "nom": "Aide au permis", "date_maj": "2025-01-01",
         "conditions": '{"age_min": 18, "age_max": 25}', "montant_min": "100", "montant_max": "100"},
        {"source": "aides-jeunes", "id": "aides-jeunes--c", "nom": "Aide au permis", "date_maj": "2025-01-01",
         "conditions": "[1, 2]"},
    ],
    "solution-mobilite": [
        {"source": "mes-aides", "id": "mes-aides--a", "nom": "Vélo", "categorie": "velo", "date_maj": "2025-01-01",
         "modes_transport": ["fusee"], "porteur_siren": "2000707460", "operateurs": ["A", "A"]},
        {"source": "mes-aides", "id": "mes-aides--b", "nom": "Garage solidaire", "categorie": "garage-solidaire",
         "date_maj": "2025-01-01", "conditions": {"age_min": 18, "age_max": 25.5}},
    ],
}


def problem_sets_frictionless(rows: list[dict], kind: str) -> list[set[tuple]]:
    report = frictionless_validate(rows, kind)
    found: list[set[tuple]] = [set() for _ in rows]
    for row_number, problem in report_problems(report):
        assert row_number is not None, problem
        found[row_number - 2].add((problem.field, problem.code))
    return found


def problem_sets_compiled(rows: list[dict], kind: str) -> list[set[tuple]]:
    validator = validator_for(kind)
    return [{(p.field, p.code) for p in validator.check(row)[1]} for row in rows]


def assert_same_verdicts(rows: list[dict], kind: str) -> None:
    expected = problem_sets_frictionless(rows, kind)
    actual = problem_sets_compiled(rows, kind)
    for row, want, got in zip(rows, expected, actual):
        assert got == want, f"{kind}: {row!r}\nfrictionless: {sorted(want, key=str)}\ncompiled: {sorted(got, key=str)}"


@pytest.mark.parametrize("kind", list(HAND_WRITTEN))
def test_hand_written_records_get_frictionless_verdicts(kind):
    rows = HAND_WRITTEN[kind]
    assert_same_verdicts(rows, kind)
    # The hand-written sets are not trivially valid: most records break something.
    assert sum(bool(s) for s in problem_sets_compiled(rows, kind)) >= len(rows) - 2


def test_hand_written_records_cover_every_code():
    codes = set()
    for kind, rows in HAND_WRITTEN.items():
        for problems in problem_sets_compiled(rows, kind):
            codes |= {code for _field, code in problems}
    assert codes >= {
        "required", "type", "pattern", "enum", "min-length", "max-length", "minimum", "format",
        "unique-items", "blank-row", "custom:tous-publics", "custom:date-bounds", "custom:cog-codes",
        "custom:finite-number", "custom:compare-columns", "custom:json-schema",
    }


@pytest.mark.parametrize("kind", schemas.KINDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_records_get_frictionless_verdicts(kind, data):
    rows = data.draw(st.lists(record(kind), min_size=1, max_size=12))
    assert_same_verdicts(rows, kind)


def write_csv(path, rows: list[dict], kind: str) -> None:
    names = schemas.field_names(kind)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(names)
        for row in rows:
            writer.writerow([csv_cell(row.get(name)) for name in names])


def assert_same_verdicts_on_csv(path, kind: str, count: int) -> None:
    report = frictionless_validate(path, kind)
    expected: dict[int, set] = {}
    for row_number, problem in report_problems(report):
        expected.setdefault(row_number, set()).add((problem.field, problem.code))
    validator = validator_for(kind)
    actual: dict[int, set] = {}
    for position, row in tabular.iter_rows(path):
        problems = {(p.field, p.code) for p in validator.check(row)[1]}
        if problems:
            actual[position] = problems
    assert actual == expected


@pytest.mark.parametrize("kind", schemas.KINDS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_csv_files_get_frictionless_verdicts(kind, data, tmp_path):
    # Blank lines would be skipped by both readers and shift nothing; keep every row non-blank.
    rows = data.draw(st.lists(record(kind).filter(bool), min_size=1, max_size=10))
    path = tmp_path / f"{kind}.csv"
    write_csv(path, rows, kind)
    assert_same_verdicts_on_csv(path, kind, len(rows))


def test_csv_cell_count_problems_match_frictionless(tmp_path):
    path = tmp_path / "cells.csv"
    path.write_text(
        "source,id,nom,date_maj\n"
        "dora,dora--1,Centre social,2024-01-05,en trop\n"
        "dora,dora--2,Centre social\n"
        "dora,dora--3,Centre social,2024-01-05\n",
        encoding="utf-8",
    )
    assert_same_verdicts_on_csv(path, "structure", 3)
    problems = validator_for("structure").check(next(tabular.iter_rows(path))[1])[1]
    assert [(p.field, p.code) for p in problems] == [(None, "extra-cells")]


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_examples_get_the_same_verdicts(kind):
    for name in ("exemple-valide.csv", "exemple-invalide.csv"):
        path = schemas.SCHEMAS_DIR / kind / name
        assert_same_verdicts_on_csv(path, kind, 0)


def test_normalized_record_is_typed_and_json_ready():
    import orjson

    record_, problems = validator_for("service").check({
        "source": "dora", "structure_id": "dora--s", "id": "dora--a", "nom": " Atelier ",
        "description": "Atelier CV", "date_maj": date(2024, 1, 5), "thematiques": '["numerique--acquerir-un-equipement"]',
        "publics": [], "modes_accueil": "[]", "latitude": "45.5", "longitude": 4, "nombre_semaines": "3",
        "volume_horaire_hebdomadaire": None, "commune": "", "score_qualite": 0.5,
    })
    assert record_ == {
        "source": "dora", "structure_id": "dora--s", "id": "dora--a",
        "nom": " Atelier ",  # content is never altered
        "description": "Atelier CV", "date_maj": "2024-01-05",
        "thematiques": ["numerique--acquerir-un-equipement"],
        "latitude": 45.5, "longitude": 4, "nombre_semaines": 3,
        # absent: empty lists ("publics", "modes_accueil"), empty cells, unknown keys
    }
    assert [(p.field, p.code) for p in problems] == [("publics", "min-length")]
    orjson.dumps(record_)


def test_validator_does_not_modify_its_input():
    row = {"source": "dora", "structure_id": "dora--s", "id": "dora--a", "nom": "Atelier", "description": "Atelier",
           "date_maj": "2024-01-05", "thematiques": ["inconnue", 3]}
    before = {k: (list(v) if isinstance(v, list) else v) for k, v in row.items()}
    validator_for("service").check(row)
    assert row == before


def test_csv_cells_are_read_alike_despite_the_sniffer(tmp_path):
    # ", " inside JSON list cells leads csv.Sniffer to strip spaces after delimiters; both
    # readers must keep " 00" as it is (3 characters: a valid `nom`).
    path = tmp_path / "espaces.csv"
    path.write_text(
        'source;id;nom;date_maj;reseaux_porteurs\n'
        'dora;dora--1; CS;2025-01-01;"[""caf"", ""ccas-cias""]"\n',
        encoding="utf-8",
    )
    assert_same_verdicts_on_csv(path, "structure", 1)
    assert frictionless_validate(path, "structure").valid
