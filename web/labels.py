"""French labels of referential values, read from `schemas/referentiels/` (never restated here)."""

from __future__ import annotations

from functools import lru_cache

import schemas

# Record fields whose values come from a referential, and which one.
FIELD_REFERENTIALS = {
    "thematiques": "thematiques",
    "publics": "publics",
    "frais": "frais",
    "modes_accueil": "modes-accueil",
    "modes_mobilisation": "modes-mobilisation",
    "mobilisable_par": "personnes-mobilisatrices",
    "type": "types-de-services",
    "types": "types-de-services",
    "reseaux_porteurs": "reseaux-porteurs",
}


@lru_cache(maxsize=None)
def _labels(referential: str) -> dict[str, str]:
    return {row["value"]: row["label"] for row in schemas.referential(referential)}


def label(field: str, value: str) -> str:
    if field == "categories":
        return schemas.thematique_categories_labels().get(value, value)
    referential = FIELD_REFERENTIALS.get(field)
    if referential is None:
        return value
    return _labels(referential).get(value, value)


def thematique_choices() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(category value, category label, [(sub-thématique value, label)]) for the search form."""
    labels = _labels("thematiques")
    category_labels = schemas.thematique_categories_labels()
    return [
        (category, category_labels.get(category, category), [(v, labels.get(v, v)) for v in subs])
        for category, subs in schemas.thematique_categories().items()
    ]
