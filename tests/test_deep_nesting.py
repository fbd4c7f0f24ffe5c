"""A document nested thousands of levels deep (a few kilobytes of `[[[[…]]]]`) is refused with
its reason, in every format that can nest; the catalog stays as it was.

Before catalog/nesting.py, such a file ended the run with an internal error (RecursionError in
the mapping, the validation or the reader's pickling) and, read by ijson, cost memory in the
square of its depth: 20 000 levels, 2 GB, then the kernel killed the harvest. The depth used
here (5 000) is one the old code survived long enough to fail on, without filling the machine.
"""

from __future__ import annotations

import json
import shutil

import pytest
import responses

from catalog.nesting import MAX_DEPTH, refuse_too_deep, too_deep
from harvesters import harvester_class
from harvesters.engine import harvest
from tests.conftest import FIXTURES

DEPTH = 5000
DEEP_LIST = "[" * DEPTH + "]" * DEPTH
REFUSED = f"imbriqués sur plus de {MAX_DEPTH} niveaux"


def test_depth_is_measured_without_recursion():
    value: list = []
    for _ in range(200_000):  # far past Python's recursion limit
        value = [value]
    assert too_deep(value) and not too_deep([[{"a": [1]}]] * 3)
    assert too_deep([[[]]], limit=2) and not too_deep([[]], limit=2)
    with pytest.raises(Exception, match=REFUSED):
        refuse_too_deep({"a": value}, "x.json")


def test_shared_containers_are_walked_once_per_depth():
    """A parsed YAML alias is one container reached by many paths: 2^60 paths here. Walked path
    by path, the check never ended (a 540-byte YAML took 31 s, ten times more per level)."""
    shallow: list = ["x"]
    for _ in range(MAX_DEPTH - 2):
        shallow = [shallow, shallow]
    assert not too_deep(shallow)  # MAX_DEPTH - 1 levels, however many paths
    deep = [shallow, shallow]
    assert not too_deep(deep) and too_deep([deep])
    # The same container met first shallow, then deeper: the deeper walk still counts.
    assert too_deep([shallow, [[[shallow]]]])
    ring: list = []
    ring.append(ring)  # YAML `&a [*a]`: a container holding itself
    assert too_deep({"a": ring})


def deep_copy_of(tmp_path, folder: str, name: str, edit) -> None:
    shutil.copytree(FIXTURES / folder, tmp_path / "src")
    path = tmp_path / "src" / name
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


def _first_record_gets_a_deep_field(text: str) -> str:
    return text.replace("{", '{"profondeur": @@, ', 2).replace("@@", DEEP_LIST)


def _first_record_gets_a_field_orjson_reads(text: str) -> str:
    # 900 levels: under orjson's own limit (1024, past which it refuses the file itself); the
    # check is ours, before the recursive walks that would fail.
    return text.replace("{", '{"profondeur": @@, ', 2).replace("@@", "[" * 900 + "]" * 900)


# (format, fixture folder, file edited, location harvested, edit)
CASES = [
    ("datainclusion", "datainclusion", "services-page-1.json", "services-page-1.json", _first_record_gets_a_deep_field),
    ("dora", "dora", "structures-page-1.json", "structures-page-1.json", _first_record_gets_a_deep_field),
    ("mobiville", "mobilite/mobiville", "aides.json", "aides.json", _first_record_gets_a_deep_field),
    ("covoiturage", "mobilite/covoiturage", "campagnes.json", "campagnes.json",
     _first_record_gets_a_field_orjson_reads),
    ("dispositif-aide", "aides/dispositif-aide", "paquet/datapackage.json", "paquet/datapackage.json",
     _first_record_gets_a_field_orjson_reads),
    ("frictionless", "frictionless/mapped", "correspondance.yml", "annuaire-lyon.csv",
     lambda text: text + f"\nprofondeur: {DEEP_LIST}\n"),
    ("aides-velo", "mobilite/aides-velo", "aides.publicodes", "aides.publicodes",
     lambda text: text + f"\nprofondeur: {DEEP_LIST}\n"),
    ("dcat", "dcat", "catalogue.jsonld", "catalogue.jsonld", _first_record_gets_a_field_orjson_reads),
]


@pytest.mark.parametrize("fmt, folder, name, location, edit", CASES, ids=[c[0] for c in CASES])
def test_a_deeply_nested_document_is_refused_with_its_reason(tmp_path, settings, engine, fmt, folder, name,
                                                             location, edit):
    deep_copy_of(tmp_path, folder, name, edit)
    options = {"mapping": str(tmp_path / "src" / "correspondance.yml")} if fmt == "frictionless" else {}
    summary = harvest(harvester_class(fmt)(str(tmp_path / "src" / location), options=options),
                      source=f"essai-{fmt}", settings=settings)
    assert summary.status == "failed" and REFUSED in summary.message, summary.message


def test_one_deep_line_of_ndjson_is_refused_with_its_line(tmp_path, settings, engine):
    from harvesters.datainclusion import DataInclusionHarvester

    record = json.loads((FIXTURES / "datainclusion" / "services-page-1.json").read_text(encoding="utf-8"))
    first = record[0] if isinstance(record, list) else next(v[0] for v in record.values() if isinstance(v, list))
    deep = "[" * 900 + "]" * 900  # under orjson's own limit (1024): the depth check is ours
    path = tmp_path / "services.ndjson"
    path.write_text(json.dumps(first) + "\n" + json.dumps(first).replace("{", f'{{"profondeur": {deep}, ', 1) + "\n",
                    encoding="utf-8")
    summary = harvest(DataInclusionHarvester(str(path)), source="essai", settings=settings)
    assert summary.status == "failed" and f"services.ndjson, ligne 2 : listes ou objets {REFUSED}" in summary.message


def test_a_deep_api_page_is_refused(settings, engine):
    from harvesters.datainclusion import DataInclusionHarvester

    api = "https://api.data.inclusion.gouv.fr"
    body = '{"items": [{"id": "x", "profondeur": ' + "[" * 900 + "]" * 900 + '}], "total": 1, "page": 1, "size": 3}'
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{api}/api/v1/structures", body=body, content_type="application/json")
        summary = harvest(DataInclusionHarvester(api, options={"page_size": 3}), source="di-api", settings=settings)
    assert summary.status == "failed" and REFUSED in summary.message, summary.message


def test_a_deep_aides_jeunes_file_is_refused_alone(tmp_path, settings, engine):
    from harvesters.aides_jeunes import AidesJeunesHarvester

    shutil.copytree(FIXTURES / "aides" / "aides-jeunes", tmp_path / "aj")
    benefit = tmp_path / "aj" / "data" / "benefits" / "javascript" / "caf-93-aide-bafa.yml"
    benefit.write_text(benefit.read_text(encoding="utf-8") + f"\nprofondeur: {DEEP_LIST}\n", encoding="utf-8")
    intact = harvest(AidesJeunesHarvester(str(FIXTURES / "aides" / "aides-jeunes")), source="aj", settings=settings,
                     dry_run=True)
    summary = harvest(AidesJeunesHarvester(str(tmp_path / "aj")), source="aj", settings=settings, dry_run=True)
    assert summary.status == "done-with-errors"
    assert summary.counts["invalid"] == intact.counts["invalid"] + 1  # that aid alone; the others flow
    assert summary.counts["added"] == intact.counts["added"] - 1


def test_a_deep_turtle_catalog_says_so_in_french(tmp_path, settings, engine):
    from harvesters.dcat import DcatHarvester

    path = tmp_path / "catalogue.ttl"
    path.write_text((FIXTURES / "dcat" / "catalogue.ttl").read_text(encoding="utf-8")
                    + "\n<http://x/a> <http://x/p> " + "[ <http://x/p> " * DEPTH + "1" + " ]" * DEPTH + " .\n",
                    encoding="utf-8")
    summary = harvest(DcatHarvester(str(path)), settings=settings)
    assert summary.status == "failed" and "imbriqués trop profondément" in summary.message, summary.message
