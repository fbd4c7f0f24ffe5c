"""Every demo source, cut short at points of its last row and elsewhere, leaves the catalog as it
was: no published record shortened, or changed in its date alone, and none archived. A cut that
falls exactly on a line break is a shorter file, not a cut one: its missing records wait out their
grace period (and the breaker stops a source that shrinks too much)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harvesters import harvester_class
from harvesters.cut_short import cut_fields
from harvesters.engine import harvest

DEMO = Path(__file__).resolve().parent.parent / "demo"
# The file each source reads (a Frictionless package's data, not its descriptor). aides-jeunes
# (a directory of files) and DCAT (no records) are tested on their own.
SOURCES = [(group.name, source) for group in sorted(DEMO.iterdir()) if (group / "sources.json").exists()
           for source in json.loads((group / "sources.json").read_text(encoding="utf-8"))
           if source["format"] not in ("aides-jeunes", "dcat")]
CUT_FILE = {"frictionless": "services-ccas.csv"}


def _catalog(engine) -> dict[tuple[str, str], tuple[dict, str]]:
    from sqlalchemy import select

    from catalog.models import Record

    with engine.connect() as conn:
        rows = conn.execute(select(Record.kind, Record.id, Record.data, Record.status)).all()
    return {(kind, id_): (json.loads(data) if isinstance(data, str) else data, status)
            for kind, id_, data, status in rows}


@pytest.mark.parametrize("group, source", SOURCES, ids=[source["name"] for _, source in SOURCES])
def test_a_cut_demo_source_never_shortens_nor_archives_a_record(tmp_path, settings, engine, group, source):
    shutil.copytree(DEMO / group, tmp_path / group)
    location = tmp_path / group / source["location"]
    cut_file = tmp_path / group / CUT_FILE.get(source["format"], source["location"])
    whole = cut_file.read_bytes()

    def run():
        harvester = harvester_class(source["format"])(str(location), options=dict(source.get("options", {})))
        return harvest(harvester, source=source["name"], settings=settings)

    assert run().counts["added"] > 0
    published = _catalog(engine)
    size = len(whole)
    # Inside the last row or rule (its last cells, its date), and three points further up.
    for cut in sorted({size - k for k in (2, 3, 4, 6, 9, 14, 25)} | {size // 4, size // 2, 3 * size // 4}):
        cut_file.write_bytes(whole[:cut])
        summary = run()
        after = _catalog(engine)
        for key, (data, status) in published.items():
            new, new_status = after[key]
            assert new_status == status, (cut, key, summary.as_dict())
            assert new == data or not cut_fields(data, new), (cut, key, data, new)
        cut_file.write_bytes(whole)
        assert run().counts["added"] == 0 and _catalog(engine) == published, cut


AIDES_JEUNES = DEMO / "aides" / "aides-jeunes" / "data"


@pytest.mark.parametrize("path", [
    "benefits/javascript/ville-de-montreuil-aide-transport-reprise-emploi.yml", "institutions/ville_de_montreuil.yml",
])
def test_a_cut_aides_jeunes_file_never_changes_an_aid(tmp_path, settings, engine, path):
    """aides-jeunes files always end with a line break: one that does not may have been cut
    anywhere, in the aid's own file or in its institution's, and changes no published aid."""
    shutil.copytree(AIDES_JEUNES.parent, tmp_path / "aides-jeunes")
    cut_file = tmp_path / "aides-jeunes" / "data" / path
    whole = cut_file.read_bytes()

    def run():
        harvester = harvester_class("aides-jeunes")(str(tmp_path / "aides-jeunes"), options={"date_maj": "2025-03-01"})
        return harvest(harvester, source="aides-jeunes-demo", settings=settings)

    assert run().counts["added"] > 0
    published = _catalog(engine)
    size = len(whole)
    # A cut on a line break leaves a shorter file, which ends as every file does: not judged here.
    cuts = [cut for cut in range(size // 3, size - 1, max(1, size // 12)) if whole[cut - 1:cut] != b"\n"]
    assert len(cuts) >= 5
    for cut in cuts:
        cut_file.write_bytes(whole[:cut])
        run()
        assert _catalog(engine) == published, cut
    cut_file.write_bytes(whole)
    assert run().counts["updated"] == 0 and _catalog(engine) == published
