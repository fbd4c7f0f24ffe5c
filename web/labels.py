"""French labels of referential values. Which referential a field uses is said by its schema
(`schemas.field_referentials`), never restated here."""

from __future__ import annotations

import schemas

# Search facets that are not record fields, and the referential of their values.
FACET_REFERENTIALS = {"categories": "thematiques-categories", "types": "types-de-services"}


def label(kind: str | None, field: str, value: object) -> str:
    """The label of `value` in `field` of a record of `kind` (a facet name when kind is None)."""
    if not isinstance(value, str):
        return str(value)
    if kind is None:
        referential = FACET_REFERENTIALS.get(field) or schemas.field_referentials("service").get(field)
    else:
        referential = schemas.field_referentials(kind).get(field)
    if referential is None:
        return value
    return schemas.referential_labels(referential).get(value, value)


def thematique_choices() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(category value, category label, [(sub-thématique value, label)]) for the search form."""
    labels = schemas.referential_labels("thematiques")
    category_labels = schemas.thematique_categories_labels()
    return [
        (category, category_labels.get(category, category), [(v, labels.get(v, v)) for v in subs])
        for category, subs in schemas.thematique_categories().items()
    ]
