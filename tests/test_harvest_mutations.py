"""Bad input never stops a harvest with an internal error: every fixture of every format, cut,
garbled, re-encoded, or with a value of the wrong type, gives a summary and a French reason.

Seeded and small (dry runs), so it runs in the suite, on SQLite then on PostgreSQL; the
mutations are those that once found crashes (a truncated mapping file, `financers: 12`, a
condition type given as a list, a NUL or a 400-character id that only PostgreSQL refused).
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from harvesters import harvester_class
from harvesters.engine import harvest
from tests.conftest import FIXTURES

STATUSES = {"done", "done-with-errors", "failed", "held"}

# (format, fixture folder, file to mutate, location given to the harvester, options with paths)
FILES = [
    ("lheo", "lheo", "lheo-2.3.xml", "lheo-2.3.xml", {}),
    ("lheo", "lheo", "edof-latin1.xml", "edof-latin1.xml", {}),
    ("datainclusion", "datainclusion", "services-page-1.json", "services-page-1.json", {}),
    ("dora", "dora", "structures-page-1.json", "structures-page-1.json", {}),
    ("dispositif-aide", "aides/dispositif-aide", "valide.csv", "valide.csv", {}),
    ("dispositif-aide", "aides/dispositif-aide", "paquet/datapackage.json", "paquet/datapackage.json", {}),
    ("aides-jeunes", "aides/aides-jeunes", "data/benefits/javascript/caf-93-aide-bafa.yml", ".", {}),
    ("aides-velo", "mobilite/aides-velo", "aides.publicodes", "aides.publicodes", {}),
    ("covoiturage", "mobilite/covoiturage", "campagnes.json", "campagnes.json", {}),
    ("mobiville", "mobilite/mobiville", "aides.json", "aides.json", {}),
    ("mobilite-csv", "mobilite/csv", "plateformes.csv", "plateformes.csv", {}),
    ("frictionless", "frictionless/declared", "datapackage.json", "datapackage.json", {}),
    ("frictionless", "frictionless/mapped", "correspondance.yml", "annuaire-lyon.csv",
     {"mapping": "correspondance.yml"}),
    ("dcat", "dcat", "catalogue.ttl", "catalogue.ttl", {}),
]


def byte_mutations(data: bytes, rng: random.Random):
    yield "vide", b""
    for cut in sorted(rng.sample(range(1, len(data)), 4)):
        yield f"coupé à {cut}", data[:cut]
    for n in range(3):
        garbled = bytearray(data)
        for _ in range(3):
            garbled[rng.randrange(len(data))] = rng.randrange(256)
        yield f"octets changés {n}", bytes(garbled)
    yield "UTF-16", data.decode("utf-8", "replace").encode("utf-16")
    yield "octet nul", data[: len(data) // 2] + b"\x00" + data[len(data) // 2:]
    lines = data.split(b"\n")
    if len(lines) > 3:
        kept = list(lines)
        del kept[rng.randrange(1, len(kept))]
        yield "ligne perdue", b"\n".join(kept)


def run(fmt: str, folder: Path, location: str, options: dict, settings):
    options = {name: str(folder / value) for name, value in options.items()}
    harvester = harvester_class(fmt)(str((folder / location).resolve()), options=options)
    return harvest(harvester, source=f"essai-{fmt}", settings=settings, dry_run=True)


def assert_reported(summary, what: str) -> None:
    assert summary.status in STATUSES, what
    assert not (summary.message or "").startswith("Erreur interne"), f"{what} : {summary.message}"
    if summary.status == "failed":
        assert summary.message and "\n" not in summary.message.strip(), f"{what} : {summary.message!r}"


@pytest.mark.parametrize("fmt, folder, name, location, options", FILES, ids=[f"{f[0]}:{f[2]}" for f in FILES])
def test_a_damaged_file_is_reported_never_a_crash(tmp_path, settings, fmt, folder, name, location, options):
    copy = tmp_path / "source"
    shutil.copytree(FIXTURES / folder, copy)
    original = (copy / name).read_bytes()
    for what, data in byte_mutations(original, random.Random(name)):
        (copy / name).write_bytes(data)
        assert_reported(run(fmt, copy, location, options, settings), f"{name} {what}")


# JSON fixtures: each field of the first element given each JSON type in turn.
JSON_FILES = [
    ("datainclusion", "datainclusion", "services-page-1.json"),
    ("dora", "dora", "services-page-1.json"),
    ("dispositif-aide", "aides/dispositif-aide", "dispositifs.json"),
    ("mobiville", "mobilite/mobiville", "aides.json"),
    ("covoiturage", "mobilite/covoiturage", "campagnes.json"),
]
WRONG_TYPES = (None, 12, 1.5e308, True, "x", [], [1, {"a": 2}], {}, {"a": [1]})


def first_element(document):
    if isinstance(document, list):
        return document[0]
    return next(value[0] for value in document.values() if isinstance(value, list) and value)


@pytest.mark.parametrize("fmt, folder, name", JSON_FILES, ids=[f"{f[0]}:{f[2]}" for f in JSON_FILES])
def test_a_field_of_the_wrong_type_is_reported_never_a_crash(tmp_path, settings, fmt, folder, name):
    copy = tmp_path / "source"
    shutil.copytree(FIXTURES / folder, copy)
    original = json.loads((copy / name).read_text(encoding="utf-8"))
    for field in list(first_element(original)):
        for value in WRONG_TYPES:
            document = json.loads(json.dumps(original))
            first_element(document)[field] = value
            (copy / name).write_text(json.dumps(document), encoding="utf-8")
            assert_reported(run(fmt, copy, name, {}, settings), f"{name} {field}={value!r}")


# CSV fixtures: each cell of the first row given odd text in turn (too long for a column, a number
# beyond 64 bits, a NUL, a formula, a half list, an impossible date).
CSV_FILES = [
    ("mobilite-csv", "mobilite/csv", "plateformes.csv"),
    ("dispositif-aide", "aides/dispositif-aide", "valide.csv"),
    ("datainclusion", "validate", "services.csv"),
]
ODD_CELLS = ("", "x" * 400, "1e400", "99999999999999999999999", "a\x00b", "=1+1", "[", "2025-02-30")


@pytest.mark.parametrize("fmt, folder, name", CSV_FILES, ids=[f"{f[0]}:{f[2]}" for f in CSV_FILES])
def test_an_odd_cell_is_reported_never_a_crash(tmp_path, settings, fmt, folder, name):
    import csv
    import io

    copy = tmp_path / "source"
    shutil.copytree(FIXTURES / folder, copy)
    text = (copy / name).read_text(encoding="utf-8-sig")
    delimiter = ";" if text.count(";") > text.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    for column, header in enumerate(rows[0]):
        for value in ODD_CELLS:
            changed = [list(row) for row in rows]
            changed[1][column] = value
            out = io.StringIO()
            csv.writer(out, delimiter=delimiter).writerows(changed)
            (copy / name).write_text(out.getvalue(), encoding="utf-8")
            assert_reported(run(fmt, copy, name, {}, settings), f"{name} {header}={value[:20]!r}")
