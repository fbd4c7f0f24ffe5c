"""A service's quality score, as data·inclusion computes it (`score_qualite`, 0 to 1).

data·inclusion's `/search/services` filters on it (`score_qualite_minimum`) and reusers expect
it; the validated records never carry one (our schemas have no such field), so the search
document computes it from the published record with the official criteria of the
`data-inclusion-schema` package (address, contact, fees, description length, freshness…),
rather than a copy of them that would drift. Other kinds have no official score: None.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


def service_score(data: dict[str, Any]) -> float | None:
    """The official score of a published service; None when the official model refuses it."""
    from data_inclusion.schema.v1 import Service  # the official model: imported once needed
    from data_inclusion.schema.v1.score_qualite import score

    try:
        service = Service.model_validate({key: value for key, value in data.items() if value is not None})
        return score(service)[0]
    except (ValidationError, ValueError, TypeError, ZeroDivisionError):
        return None
