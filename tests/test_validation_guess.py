"""`guess_kind`: which schema a file's columns (or a record's keys) follow."""

from __future__ import annotations

import pytest

import schemas
from catalog.validation import guess_kind


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_every_schema_is_recognised_from_its_own_fields(kind):
    assert guess_kind(schemas.field_names(kind)) == kind


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_required_fields_plus_one_distinctive_field_suffice(kind):
    required = [f["name"] for f in schemas.load_schema(kind)["fields"] if f.get("constraints", {}).get("required")]
    distinctive = {"structure": "siret", "service": "structure_id", "formation": "numero_action",
                   "aide": "type_aide", "solution-mobilite": "categorie"}[kind]
    assert guess_kind([*required, distinctive]) == kind


def test_data_inclusion_api_items_with_extra_keys():
    keys = [*schemas.field_names("service"), "score_qualite", "adresse_certifiee"]
    assert guess_kind(keys) == "service"
    keys = [*schemas.field_names("structure"), "score_qualite", "doublons"]
    assert guess_kind(keys) == "structure"


def test_a_structure_file_with_only_common_columns_is_a_structure():
    # source, id, nom, date_maj are required everywhere; structure requires nothing more.
    assert guess_kind(["source", "id", "nom", "date_maj", "commune"]) == "structure"


def test_unrelated_columns_give_no_guess():
    assert guess_kind(["titre", "auteur", "annee"]) is None
    assert guess_kind(["nom"]) is None
    assert guess_kind([]) is None
