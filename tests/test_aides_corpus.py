"""The real aid files of ../shared/corpus (skipped when the corpus is absent).

Counts are checked against counts made independently of the harvesters (file globs, regular
expressions, the csv module), and the vocabulary our aides-jeunes mapping knows is checked
against the authoritative Decap CMS configuration of aides-jeunes.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from catalog.errors import UnusableInput
from harvesters import aides_jeunes as aj
from harvesters import aides_jeunes_conditions as ajc
from harvesters import aides_zones as zones
from harvesters.aides_jeunes import AidesJeunesHarvester
from harvesters.dispositif_aide import DispositifAideHarvester
from harvesters.engine import harvest
from tests.conftest import corpus_path

pytestmark = pytest.mark.corpus


def test_every_aides_jeunes_benefit_is_harvested_or_reported(settings, engine):
    root = corpus_path("aides", "aides-jeunes")
    files = sorted((root / "data" / "benefits").glob("*/*.yml"))
    private = [p for p in files if re.search(r"^private:\s*true\s*$", p.read_text(encoding="utf-8"), re.MULTILINE)]
    assert (len(files), len(private)) == (552, 63)  # 431 javascript + 121 openfisca
    harvester = AidesJeunesHarvester(str(root), options={"date_maj": "2026-08-19"})
    summary = harvest(harvester, settings=settings)
    assert summary.counts["read"] == len(files)
    assert summary.counts["added"] == len(files) - len(private) == 489
    # The only items left out are the benefits aides-jeunes itself hides; every other one validates.
    assert summary.counts["invalid"] == len(private)
    assert [(g.code, g.count) for g in summary.groups if g.status == "invalid"] == [("non-publiee", 63)]
    # Every condition is kept as data (situations in `profils`, the rest in `autres`), every
    # condition type read; without the territory tables, the one postal-code condition widens
    # its aid's zone to its institution's, with a warning.
    warned = {g.code: g.count for g in summary.groups if g.status == "warning"}
    assert warned == {"zone-elargie": 1}
    notes = harvester.notes
    assert (notes.mapped, notes.structured, notes.fully_mapped, notes.without_zone) == (489, 477, 488, 0)
    assert notes.unknown_types == {}
    assert dict(notes.outside_schema) == {}
    again = harvest(AidesJeunesHarvester(str(root), options={"date_maj": "2026-08-19"}), settings=settings)
    assert again.counts["unchanged"] == 489 and again.counts["added"] == again.counts["updated"] == 0


def test_every_institution_file_is_read():
    data = corpus_path("aides", "aides-jeunes", "data")
    files = sorted((data / "institutions").glob("*.yml"))
    assert len(files) == 871
    errors = [(p.name, error) for p in files for _, error in [aj.load_yaml(p)] if error]
    assert errors == []
    types = {aj.load_yaml(p)[0]["type"] for p in files}
    assert types <= aj.INSTITUTION_TYPES == {p.stem for p in (data / "institution_types").glob("*.yml")}


def _config() -> dict:
    path = corpus_path("aides", "aides-jeunes", "contribuer", "public", "admin", "config.yml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _names(types: list[dict]) -> set[str]:
    return {t["name"] for t in types}


def _options(field: dict) -> dict[str, str]:
    return {str(o["value"]): o["label"] for o in field.get("options", [])}


def test_the_aides_jeunes_vocabulary_matches_its_cms_configuration():
    fields = _config()["fields"]
    general = _names(fields["field_general_conditions"]["types"])
    handled = set(ajc.GEOGRAPHIC_TYPES) | {"attached_to_institution", "age", "quotient_familial", "beneficiaire_rsa",
                                          "excluded_epcis", "codes_postaux", "not", "regime_securite_sociale",
                                          "statut_occupation_logement"} | set(ajc.FLAG_SENTENCES)
    assert general == handled
    profiles = fields["field_eligibility_profile"]["types"]
    assert _names(profiles) == set(ajc.PROFILES)
    profile_conditions = {c["name"] for p in profiles for c in p["fields"][0]["types"]}
    assert profile_conditions == {"age", "boursier", "taux_incapacite", "annee_etude", "mention_baccalaureat",
                                  "formation_sanitaire_social"}
    years = {v for p in profiles for c in p["fields"][0]["types"] if c["name"] == "annee_etude"
             for v in _options(c["fields"][0])}
    assert years == set(ajc.ANNEES_ETUDE)
    assert set(_options(fields["field_mention_baccalaureat"]["fields"][0])) == set(ajc.MENTIONS_BAC)
    assert set(_options(fields["field_select_regime_securite_sociale"])) == set(ajc.REGIMES)
    assert set(_options(fields["field_select_statut_occupation_logement"])) == set(ajc.LOGEMENTS)
    assert set(_options(fields["field_benefit_amount_periodicity"])) == aj.PERIODICITES
    assert set(_options(fields["field_result_unit"])) == set(aj.UNITS)
    # The région table of `aides_zones`: same codes and names as the CMS offers.
    regions = _options(fields["field_regions"]["fields"][0])
    assert {code: name.replace("’", "'") for code, name in regions.items()} == {
        code: name for code, (name, _) in zones.REGIONS.items()}


def _csv_rows(path: Path) -> int:
    with open(path, newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


def test_every_dispositif_aide_file_is_harvested_or_refused_with_its_reason():
    folder = corpus_path("schemas-examples", "schema-dispositif-aide")
    outcomes = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        harvester = DispositifAideHarvester(str(path))
        try:
            rows = [item.row for item in harvester.items()]
        except UnusableInput as exc:
            outcomes[str(path.relative_to(folder))] = str(exc)
            continue
        outcomes[str(path.relative_to(folder))] = rows
        assert all(rows), harvester.notes.rejected
    refused = {name for name, outcome in outcomes.items() if isinstance(outcome, str)}
    assert refused == {"build/dispositif-aide/schema.json", "build/dispositif-aide-professionnels/schema.json",
                       "schema/core/schema-core.json", "schema/extensions/cible/professionnels.json"}
    assert all("est un schéma Table Schema" in outcomes[name] for name in refused)
    for name in ("build/dispositif-aide/exemple.csv", "build/dispositif-aide-professionnels/exemple.csv",
                 "build/exemple-complet.csv"):
        assert len(outcomes[name]) == _csv_rows(folder / name) == 1
    # The data package's two resources (the core example and the professionnels one).
    assert len(outcomes["datapackage.json"]) == 2
    core, pro = outcomes["datapackage.json"]
    assert core["zone_eligibilite"] == ["france"] and core["conditions"]["territoires_exclus"][-1] == "83141"
    assert len(core["conditions"]["territoires_exclus"]) == 12 + 1 + 1 - 1  # REG-84 ⊃ DEP-01, plus COM-83141
    assert "Compter au plus 249 salariés." in pro["conditions_texte"]
