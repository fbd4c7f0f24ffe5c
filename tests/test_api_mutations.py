"""Bad API pages never stop a harvest with an internal error: the recorded pages of every API
(data·inclusion, DORA, aides-territoires and its perimeters, aides-jeunes benefits and
institutions), each page key and each field of the first record given a value of the wrong
type in turn, replayed through `responses`, give a summary and a French reason.

The file forms of these formats are mutated in test_harvest_mutations; what only the API path
reads (page keys, `items` holding something else than objects, perimeter lookups) is here.
Found this way: a data·inclusion page whose `items` held a number, a perimeter page whose
`results` was not a list.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses

from harvesters.aides_jeunes import AidesJeunesHarvester
from harvesters.aides_territoires import AidesTerritoiresHarvester
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.dora import DoraHarvester
from harvesters.engine import harvest
from tests.conftest import FIXTURES
from tests.test_harvest_mutations import WRONG_TYPES, assert_reported

DI = "https://api.data.inclusion.gouv.fr"
DORA = "https://api.dora.inclusion.beta.gouv.fr"
AT = "https://aides-territoires.beta.gouv.fr"
AJ = "https://mes-aides.1jeune1solution.beta.gouv.fr"


def recorded(path: str) -> Any:
    return json.loads((FIXTURES / path).read_text(encoding="utf-8"))


def first_record(document: Any) -> dict | None:
    records = document if isinstance(document, list) else next(
        (value for value in document.values() if isinstance(value, list)), None)
    return records[0] if records and isinstance(records[0], dict) else None


def mutations(document: Any, rng: random.Random) -> Iterator[tuple[str, Any]]:
    """Every page key with every wrong type; every field of the first record with three of them."""
    if isinstance(document, dict):
        for key in document:
            for value in WRONG_TYPES:
                changed = copy.deepcopy(document)
                changed[key] = value
                yield f"page[{key}]={value!r}", changed
    for field in list(first_record(document) or {}):
        for value in rng.sample(WRONG_TYPES, 3):
            changed = copy.deepcopy(document)
            first_record(changed)[field] = value
            yield f"[0][{field}]={value!r}", changed


# (name, harvester, {address pattern: recorded page}, the page to mutate)
APIS: list[tuple[str, Callable[[], Any], dict[str, Any], str]] = [
    ("datainclusion", lambda: DataInclusionHarvester(DI, options={"kinds": ["service"]}, credentials="t"),
     {f"{DI}/api/v1/services": "datainclusion/services-page-1.json"}, f"{DI}/api/v1/services"),
    ("dora", lambda: DoraHarvester(DORA, options={"kinds": ["structure"]}, credentials="t"),
     {f"{DORA}/api/v2/structures/": "dora/structures-page-2.json"}, f"{DORA}/api/v2/structures/"),
    ("aides-territoires", lambda: AidesTerritoiresHarvester(AT, credentials="jeton"),
     {f"{AT}/api/aids/": "aides/aides-territoires/aids-page-2.json",
      f"{AT}/api/perimeters/": "aides/aides-territoires/perimetres-lyon.json"}, f"{AT}/api/aids/"),
    ("aides-territoires-perimetres", lambda: AidesTerritoiresHarvester(AT, credentials="jeton"),
     {f"{AT}/api/aids/": "aides/aides-territoires/aids-page-2.json",
      f"{AT}/api/perimeters/": "aides/aides-territoires/perimetres-lyon.json"}, f"{AT}/api/perimeters/"),
    ("aides-jeunes-benefits", lambda: AidesJeunesHarvester(AJ),
     {f"{AJ}/api/benefits": "aides/aides-jeunes-api/benefits.json",
      f"{AJ}/api/institutions": "aides/aides-jeunes-api/institutions.json"}, f"{AJ}/api/benefits"),
    ("aides-jeunes-institutions", lambda: AidesJeunesHarvester(AJ),
     {f"{AJ}/api/benefits": "aides/aides-jeunes-api/benefits.json",
      f"{AJ}/api/institutions": "aides/aides-jeunes-api/institutions.json"}, f"{AJ}/api/institutions"),
]


def pages_of(fixtures: dict[str, str]) -> dict[str, Any]:
    pages = {address: recorded(path) for address, path in fixtures.items()}
    for page in pages.values():
        if isinstance(page, dict) and "next" in page:
            page["next"] = None  # one page: the mutation is what is read
    return pages


def replay(make: Callable[[], Any], pages: dict[str, Any], settings):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(f"{AT}/api/connexion/", json={"token": "jwt"})
        for address, page in pages.items():
            rsps.get(re.compile(re.escape(address) + r"(\?.*)?$"), json=page)
        return harvest(make(), source="essai-api", settings=settings, dry_run=True)


@pytest.mark.parametrize(("name", "make", "fixtures", "mutated"), APIS, ids=[api[0] for api in APIS])
def test_an_api_page_with_a_value_of_the_wrong_type_is_reported_never_a_crash(settings, name, make, fixtures,
                                                                             mutated):
    pages = pages_of(fixtures)
    baseline = replay(make, pages, settings)
    assert baseline.status in ("done", "done-with-errors") and baseline.counts["added"] > 0, baseline.message
    for what, page in mutations(pages[mutated], random.Random(name)):
        assert_reported(replay(make, pages | {mutated: page}, settings), f"{name} {what}")
