"""`maillage demo load`: the demo sources harvest through the real harvesters, with no invalid record."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import orjson
from click.testing import CliRunner

from catalog.sources import get_source
from maillage.cli import main

DEMO = Path(__file__).resolve().parents[1] / "demo"
MINE = DEMO / "datainclusion"


def load(*args):
    return CliRunner().invoke(main, ["demo", "load", *args, "--json"])


def make_demo_module():
    spec = importlib.util.spec_from_file_location("make_demo", MINE / "make_demo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_datainclusion_demo_harvests_every_record(tmp_path, settings, engine):
    shutil.copytree(MINE, tmp_path / "demo" / "datainclusion")
    structures = json.loads((MINE / "structures.json").read_text(encoding="utf-8"))
    with open(MINE / "services.csv", encoding="utf-8", newline="") as f:
        services = list(csv.DictReader(f))
    assert (len(structures), len(services)) == (40, 200)
    result = load(str(tmp_path / "demo"))
    assert result.exit_code == 0, result.output
    by_source = {s["source"]: s for s in orjson.loads(result.output)}
    assert by_source["demo-insertion-structures"]["kinds"] == ["structure"]
    assert by_source["demo-insertion-services"]["kinds"] == ["service"]
    assert {name: (s["status"], s["counts"]["added"], s["counts"]["invalid"]) for name, s in by_source.items()} == {
        "demo-insertion-structures": ("done", 40, 0), "demo-insertion-services": ("done", 200, 0)}
    # Locations were resolved relative to the sources.json, not to the current directory.
    assert get_source(engine, "demo-insertion-services").location == str(
        (tmp_path / "demo" / "datainclusion" / "services.csv").resolve())
    again = {s["source"]: s["counts"] for s in orjson.loads(load(str(tmp_path / "demo")).output)}
    assert again["demo-insertion-services"]["unchanged"] == 200 and again["demo-insertion-services"]["added"] == 0


def test_demo_content_is_varied_and_consistent():
    structures = json.loads((MINE / "structures.json").read_text(encoding="utf-8"))
    with open(MINE / "services.csv", encoding="utf-8", newline="") as f:
        services = list(csv.DictReader(f))
    structure_ids = {s["id"] for s in structures}
    assert len(structure_ids) == 40 and len({s["id"] for s in services}) == 200
    assert {s["structure_id"] for s in services} == structure_ids  # every structure offers services
    assert {s["code_insee"][:2] for s in structures} == {"93", "75", "69", "13", "59"}
    themes = {t for s in services for t in json.loads(s["thematiques"])}
    assert len(themes) >= 50 and len({t.split("--")[0] for t in themes}) >= 14
    publics = {p for s in services for p in json.loads(s["publics"])}
    assert len(publics) >= 10
    zones = {z for s in services for z in json.loads(s["zone_eligibilite"])}
    assert "france" in zones and "200057867" in zones and "93" in zones and "93066" in zones
    remote = [s for s in services if json.loads(s["modes_accueil"]) == ["a-distance"]]
    assert remote and all(not s["adresse"] for s in remote)
    assert {s["frais"] for s in services} == {"gratuit", "payant"}
    assert all(not s["contact_nom_prenom"] for s in services)  # no personal data in the demo


def test_make_demo_writes_exactly_the_committed_files():
    module = make_demo_module()
    structures, services = module.build()
    assert json.dumps(structures, ensure_ascii=False, indent=1) + "\n" == \
        (MINE / "structures.json").read_text(encoding="utf-8")
    assert module.services_csv(services) == (MINE / "services.csv").read_text(encoding="utf-8")
    assert sum(p.stat().st_size for p in MINE.iterdir()) < 300_000


def test_every_demo_family_loads_without_invalid_records(settings, engine):
    result = load()
    summaries = orjson.loads(result.output)
    problems = [(s["source"], s["status"], s["counts"]["invalid"], s.get("message")) for s in summaries
                if s["status"] != "done" or s["counts"]["invalid"]]
    assert result.exit_code == 0 and problems == []
    assert {"demo-insertion-structures", "demo-insertion-services"} <= {s["source"] for s in summaries}
    # Issue 3: a harvest of each family is visible in the demo, through every format but the
    # remote-only API of aides-territoires.
    from harvesters import FORMATS

    assert {s["format"] for s in summaries} == set(FORMATS) - {"aides-territoires"}


def test_unusable_sources_json_and_failing_source(tmp_path, settings, engine):
    (tmp_path / "casse").mkdir()
    (tmp_path / "casse" / "sources.json").write_text('[{"name": "x", "format": "datainclusion"}]', encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", "load", str(tmp_path)])
    assert result.exit_code == 2 and "« location » sont obligatoires" in result.output
    (tmp_path / "casse" / "sources.json").write_text(
        '[{"name": "x", "format": "datainclusion", "location": "absent.json"}]', encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", "load", str(tmp_path)])
    assert result.exit_code == 1 and "Échec pour : x." in result.output


def test_the_demo_s_last_line_counts_records_and_registered_sources_apart():
    """« 338 enregistrements ajoutés » for 335 records: the DCAT catalog's 3 sources were counted."""
    from maillage.cli.demo import demo_totals

    summaries = [{"format": "lheo", "counts": {"added": 32, "invalid": 1}},
                 {"format": "dcat", "counts": {"added": 3, "invalid": 0}},
                 {"format": "dora", "counts": {"added": 10}}]
    assert demo_totals(summaries) == ("Démo : 3 source(s) moissonnée(s), 42 fiche(s) ajoutée(s), 1 invalide(s) ; "
                                      "3 source(s) enregistrée(s) depuis 1 catalogue(s) DCAT.")
