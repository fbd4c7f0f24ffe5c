"""The aid demo (`demo/aides`) and the CLI names of the aid formats."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import orjson
from click.testing import CliRunner

from maillage.cli import main
from tests.conftest import FIXTURES

DEMO = Path(__file__).resolve().parents[1] / "demo" / "aides"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_the_aid_demo_harvests_every_aid_without_error(tmp_path, settings):
    shutil.copytree(DEMO, tmp_path / "demo" / "aides")
    result = invoke("demo", "load", tmp_path / "demo", "--json")
    assert result.exit_code == 0, result.output
    summaries = {s["source"]: s for s in orjson.loads(result.output)}
    assert {name: (s["status"], s["counts"]["added"], s["counts"]["invalid"]) for name, s in summaries.items()} == {
        "aides-jeunes-demo": ("done", 15, 0), "dispositifs-aide-demo": ("done", 6, 0)}
    sources = json.loads((DEMO / "sources.json").read_text(encoding="utf-8"))
    assert {s["format"] for s in sources} == {"aides-jeunes", "dispositif-aide"}


def test_each_format_has_its_cli_name_and_text_options(settings, monkeypatch):
    monkeypatch.delenv("AIDES_TERRITOIRES_API_TOKEN", raising=False)
    jeunes = invoke("harvest", "aides-jeunes", FIXTURES / "aides" / "aides-jeunes", "--option", "include_private=oui",
                    "--option", "date_maj=2025-03-01", "--dry-run", "--json")
    summary = json.loads(jeunes.output)
    assert summary["format"] == "aides-jeunes" and summary["counts"]["added"] == 8  # the private one too
    refused = invoke("harvest", "aides-jeunes", FIXTURES / "aides" / "aides-jeunes", "--option",
                     "include_private=peut-être", "--json")
    assert refused.exit_code == 1 and "oui/non" in json.loads(refused.output)["message"]
    dispositifs = invoke("harvest", "dispositif-aide", FIXTURES / "aides" / "dispositif-aide" / "valide.csv",
                         "--source", "cd93", "--option", "source=cd93", "--json")
    assert json.loads(dispositifs.output)["counts"]["added"] == 3
    territoires = invoke("harvest", "aides-territoires", "https://aides-territoires.beta.gouv.fr", "--json")
    assert "AIDES_TERRITOIRES_API_TOKEN" in json.loads(territoires.output)["message"]  # no token: nothing asked
