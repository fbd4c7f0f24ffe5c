"""publicodes-aides-velo rules (YAML) → solution-mobilite (bike-purchase aids)."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from harvesters.aides_velo import AidesVeloHarvester, _amounts, _french
from harvesters.cut_short import CODE
from harvesters.engine import harvest
from tests.conftest import FIXTURES, corpus_path, stored_records

HERE = FIXTURES / "mobilite" / "aides-velo"




def test_rules_map_to_aids_with_zones_amounts_and_conditions(settings, engine, territories):
    harvester = AidesVeloHarvester(str(HERE / "aides.publicodes"), options={"date_maj": "2025-03-01"})
    summary = harvest(harvester, settings=settings)
    # 6 aids (the computation rules are not aids): 4 mapped, 2 reported.
    assert (summary.counts["read"], summary.counts["added"], summary.counts["invalid"]) == (6, 4, 2)
    saved = stored_records(engine)
    montreuil = saved["aides-velo--montreuil"]
    assert montreuil["nom"] == "Aide à l'achat d'un vélo — Ville de Montreuil"
    assert montreuil["porteur_nom"] == "Ville de Montreuil" and montreuil["categorie"] == "aide-financiere"
    assert montreuil["zone_eligibilite"] == ["93048"]
    assert (montreuil.get("montant_min"), montreuil["montant_max"]) == (None, 300.0)
    assert montreuil["montant_texte"] == "25 % du prix du vélo, dans la limite de 300 €"
    # A ceiling per part is no household ceiling: it stays in the text only.
    assert montreuil["conditions"] == {"age_min": 18}
    assert "- revenu fiscal de référence par part inférieur à 1\u202f600 € par mois" in montreuil["conditions_texte"]
    assert montreuil["modes_transport"] == ["velo", "velo-assistance-electrique"]
    assert montreuil["date_maj"] == "2025-02-12"
    lyon = saved["aides-velo--lyon-metropole"]
    assert lyon["zone_eligibilite"] == ["200046977"] and lyon["porteur_nom"] == "Métropole de Lyon"
    # The age bound under « une de ces conditions » is an alternative, not a rule for everyone.
    assert lyon["conditions"] == {"age_min": 18, "age_max": 25}
    assert "L'une de ces conditions :" in lyon["conditions_texte"] and "epci" not in lyon["conditions_texte"]
    assert (lyon["montant_min"], lyon["montant_max"], lyon["date_fin"]) == (100.0, 100.0, "2025-12-31")
    assert lyon["date_maj"] == "2025-03-01"  # no date in the rule: the option's
    assert saved["aides-velo--ile-de-france"]["zone_eligibilite"] == ["93"]  # région 11 in the fixture COG
    assert saved["aides-velo--luxembourg"]["zone_eligibilite"] == ["99137"]
    text = json.dumps(summary.as_dict()["errors"], ensure_ascii=False)
    assert "EPCI « CC des Nuages » introuvable" in text
    assert "« 31/02/2025 » n'est pas une date" in text


def test_without_territories_epci_and_region_aids_are_reported(settings, engine):
    summary = harvest(AidesVeloHarvester(str(HERE / "aides.publicodes")), settings=settings)
    assert (summary.counts["added"], summary.counts["invalid"]) == (2, 4)
    assert set(stored_records(engine)) == {"aides-velo--montreuil", "aides-velo--luxembourg"}


@pytest.mark.parametrize("name, expected", [("bombe.publicodes", "(ligne 2, colonne 8 : alias YAML refusé"),
                                            ("casse.publicodes", ("YAML illisible : le fichier s'arrête au milieu d'un "
                                             "texte entre guillemets, d'une liste ou d'un objet, tronqué ? (ligne 3, "
                                             "colonne 1 : expected ',' or ']'"))])
def test_hostile_or_broken_yaml_is_refused(settings, engine, name, expected):
    summary = harvest(AidesVeloHarvester(str(HERE / name)), settings=settings)
    assert summary.status == "failed" and expected in summary.message
    assert "\n" not in summary.message  # the position said in words, not drawn with a caret
    assert stored_records(engine) == {}


@pytest.mark.corpus
def test_corpus_aides_velo_rules(settings, engine):
    path = corpus_path("mobilite", "publicodes-aides-velo", "aides.publicodes")
    rules = yaml.safe_load(path.read_text(encoding="utf-8"))
    aids = {k: v for k, v in rules.items() if k.startswith("aides . ") and isinstance(v, dict) and v.get("titre")}
    assert len(aids) == 330  # counted independently
    # EPCI names and régions need the territory tables, which this test does not load.
    needs_cog = [k for k, v in aids.items()
                 if re.search(r"localisation \. (epci|région) =", yaml.safe_dump(v.get("applicable si"),
                                                                               allow_unicode=True))]
    summary = harvest(AidesVeloHarvester(str(path), options={"date_maj": "2026-04-24"}), settings=settings)
    assert summary.status == "done-with-errors"
    assert summary.counts["read"] == 330
    assert (summary.counts["added"], summary.counts["invalid"]) == (330 - len(needs_cog), len(needs_cog))
    assert len(needs_cog) == 185  # 179 rules name an EPCI, 7 a région (one both)


def _rules(tmp_path, text: str) -> str:
    path = tmp_path / "aides.publicodes"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_ceiling_per_part_never_becomes_a_household_ceiling(settings, engine, tmp_path):
    """« revenu fiscal de référence par part <= 15400 €/an » was stored as a household RFR ceiling
    of 15 400 €, which excluded a couple with two children earning 40 000 € that the aid accepts."""
    path = _rules(tmp_path, """aides . x:
  titre: Ville X
  applicable si:
    toutes ces conditions:
      - localisation . code insee = "93048"
      - revenu fiscal de référence par part <= 15400 €/an
  valeur: 100 €
""")
    harvest(AidesVeloHarvester(path, options={"date_maj": "2025-03-01"}), settings=settings)
    aide = stored_records(engine)["aides-velo--x"]
    assert "conditions" not in aide
    assert aide["conditions_texte"] == "- revenu fiscal de référence par part inférieur ou égal à 15\u202f400 € par an"


def test_excluded_communes_are_kept_as_data_and_as_text(settings, engine, tmp_path):
    """`non applicable si` localisations were dropped, leaving « L'une de ces conditions : » over nothing."""
    path = _rules(tmp_path, """aides . tours rural:
  titre: Région Centre-Val de Loire
  applicable si: localisation . département = "37"
  non applicable si:
    une de ces conditions:
      - localisation . code insee = "37261"
      - localisation . code insee = "37273"
      - localisation . epci = "Tours Métropole Val de Loire"
      - toutes ces conditions:
          - localisation . code insee = "37050"
          - vélo . cargo
  valeur: 200 €
""")
    summary = harvest(AidesVeloHarvester(path, options={"date_maj": "2025-03-01"}), settings=settings)
    assert summary.counts["added"] == 1, summary.message
    aide = stored_records(engine)["aides-velo--tours-rural"]
    assert aide["zone_eligibilite"] == ["37"]
    # 37050 excludes only cargo bikes: not a territory excluded for everyone. The EPCI needs the
    # territory tables (not loaded here): in the text only.
    assert aide["conditions"] == {"territoires_exclus": ["37261", "37273"]}
    assert aide["conditions_texte"].splitlines() == [
        "Non applicable si :", "  L'une de ces conditions :", "    - commune (code INSEE) 37261",
        "    - commune (code INSEE) 37273", "    - intercommunalité Tours Métropole Val de Loire",
        "    Toutes ces conditions :", "      - commune (code INSEE) 37050", "      - vélo cargo"]


@pytest.mark.parametrize("text, expected", [
    ("aides . x:\n  titre: 'Ville de Saint-", ("YAML illisible : le fichier s'arrête au milieu d'un texte entre "
                                              "guillemets, d'une liste ou d'un objet, tronqué ? (ligne 2, colonne 26 : "
                                              "found unexpected end of stream)")),
    ("<!DOCTYPE html>\n<html><body>Erreur 502</body></html>\n", "page HTML reçue au lieu de données YAML"),
])
def test_a_cut_file_or_an_html_page_is_said_in_french(settings, engine, tmp_path, text, expected):
    """PyYAML's « found unexpected end of stream » was the only explanation of a cut file; an
    HTML page was « un ensemble de règles publicodes (objet YAML) est attendu »."""
    path = tmp_path / "aides.publicodes"
    path.write_text(text, encoding="utf-8")
    summary = harvest(AidesVeloHarvester(str(path)), settings=settings)
    assert summary.status == "failed" and str(tmp_path) not in summary.message and f"{path.name} : {expected}" in summary.message, summary.message
    assert stored_records(engine) == {}


def test_a_file_cut_inside_its_last_rule_leaves_its_aid_as_it_was(settings, engine, tmp_path):
    """A rules file cut inside its last rule still parses, that aid's description or conditions cut
    short; it used to be published so (harvesters/cut_short.py)."""
    whole = """aides . x:
  titre: Ville X
  applicable si: localisation . code insee = "93048"
  valeur: 100 €
  description: Aide à l'achat d'un vélo pour les habitants de Montreuil.
"""

    def run(text):
        return harvest(AidesVeloHarvester(_rules(tmp_path, text), options={"date_maj": "2025-03-01"}),
                       settings=settings)

    assert run(whole).counts["added"] == 1
    cut = run(whole[:whole.index("treuil")])
    assert cut.counts["invalid"] == 1 and [g.code for g in cut.groups] == [CODE], cut.as_dict()
    assert stored_records(engine)["aides-velo--x"]["description"].endswith("de Montreuil.")
    assert cut.counts["missing"] == 0

    meant = run(whole[:whole.index("treuil")] + "\n")  # ends with its line break: the change is the source's
    assert meant.counts["updated"] == 1, meant.as_dict()
    assert stored_records(engine)["aides-velo--x"]["description"].endswith("de Mon")

    # Only the last rule is judged: an earlier one, shortened, is the source's change.
    added = run(whole.replace("de Montreuil.", "de M.") + whole.replace("aides . x", "aides . y").rstrip("\n"))
    assert (added.counts["updated"], added.counts["added"], added.counts["warnings"]) == (1, 1, 1), added.as_dict()


def test_places_every_beneficiary_must_meet_narrow_the_zone_instead_of_widening_it(settings, engine, tmp_path):
    """The corpus's « aides . region centre »: région 24 and one of 60 rural EPCI gave the whole
    region, its aid named after the first EPCI. And « de 15 à 25 ans » beside « majeur » let 15 stand."""
    path = _rules(tmp_path, """aides . departement rural:
  titre: Département de la Seine-Saint-Denis
  applicable si:
    toutes ces conditions:
      - localisation . département = "93"
      - demandeur . âge . majeur
      - demandeur . âge . de 15 à 25 ans
      - une de ces conditions:
          - localisation . code insee = "93048"
          - localisation . code insee = "93066"
  valeur: 200 €
aides . departement ou commune:
  titre: Département ou commune
  applicable si:
    une de ces conditions:
      - localisation . département = "93"
      - localisation . code insee = "75056"
  valeur: 100 €
""")
    summary = harvest(AidesVeloHarvester(path, options={"date_maj": "2025-03-01"}), settings=settings)
    assert summary.counts["added"] == 2, summary.message
    saved = stored_records(engine)
    rural = saved["aides-velo--departement-rural"]
    assert rural["zone_eligibilite"] == ["93048", "93066"]
    assert rural["porteur_nom"] == "Département de la Seine-Saint-Denis"  # the titre, never the first EPCI
    assert rural["conditions"]["age_min"] == 18
    # Alternatives stay a union.
    assert saved["aides-velo--departement-ou-commune"]["zone_eligibilite"] == ["93", "75056"]


@pytest.mark.parametrize("value, ceiling, amounts", [
    ("100€", None, (100, 100, None)),
    # A fixed amount under a ceiling of its own is a maximum (the corpus' Pays de Saverne: 100 €
    # capped at 10 % of the price, 60 € for a 600 € bike); it was published as a fixed 100 €.
    ("100€", "10% * vélo . prix", (None, 100, "Jusqu'à 100 €, dans la limite de 10 % du prix du vélo")),
    ("100€", "200€ - aides . commune",
     (None, 100, "Jusqu'à 100 €, dans la limite d'un plafond qui dépend de la situation (voir le lien)")),
    ("300€", "250€", (None, 250, "Jusqu'à 250 €")),
    ("50% * vélo . prix", "400€", (None, 400, "50 % du prix du vélo, dans la limite de 400 €")),
])
def test_a_ceiling_makes_an_amount_a_maximum(value, ceiling, amounts):
    assert _amounts(value, ceiling) == amounts


IDF_CEILING = {"variations": [
    {"si": "vélo . adapté", "alors": "1200 €"},
    {"si": {"une de ces conditions": ["vélo . électrique", "vélo . cargo"]}, "alors": "400 €"},
    {"si": {"toutes ces conditions": ["vélo . mécanique simple", "demandeur . âge . de 15 à 25 ans"]}, "alors": "100 €"},
    {"sinon": "0 €"}]}


def test_a_percentage_keeps_a_ceiling_that_varies():
    """The corpus' Île-de-France (50 % of the price, capped at 1 200 € for an adapted bike, 400 €
    for an electric one…) was published as « 50 % du prix du vélo », with no ceiling at all."""
    assert _amounts("50% * vélo . prix", IDF_CEILING) == (None, 1200, (
        "50 % du prix du vélo, dans la limite de : 1\u202f200 € si vélo adapté ; sinon 400 € si vélo électrique ou "
        "vélo cargo ; sinon 100 € si vélo mécanique simple et âge de 15 à 25 ans ; sinon 0 €"))
    # A ceiling that depends on income, each case on the bike (the corpus' La Cali): said case by
    # case. Without a `sinon`, some cases have no ceiling the source states: no highest amount.
    by_income = {"variations": [
        {"si": "revenu fiscal de référence par part <= 7100 €/an",
         "alors": {"variations": [{"si": "vélo . cargo", "alors": "500€"}, {"sinon": "400€"}]}},
        {"si": "revenu fiscal de référence par part <= 15400 €/an", "alors": "300€"}]}
    assert _amounts("40% * vélo . prix", by_income) == (None, None, (
        "40 % du prix du vélo, dans la limite de : si revenu fiscal de référence par part inférieur ou égal à "
        "7\u202f100 € par an : (500 € si vélo cargo ; sinon 400 €) ; sinon 300 € si revenu fiscal de référence "
        "par part inférieur ou égal à 15\u202f400 € par an"))
    # A fixed amount under such a ceiling: the lower of the two.
    assert _amounts("300 €", {"variations": [{"si": "vélo . cargo", "alors": "500€"}, {"sinon": "200€"}]}) == (
        None, 300, "Jusqu'à 300 €, dans la limite de : 500 € si vélo cargo ; sinon 200 €")


def test_only_the_namespace_of_a_status_is_dropped():
    """`demandeur . statut . demandeur d'emploi` was written « statut d'emploi »: every
    « demandeur » went, not only the namespace's."""
    assert _french({"une de ces conditions": ["demandeur . statut . demandeur d'emploi",
                                              "demandeur . statut . apprenti",
                                              "demandeur . en situation de handicap"]}) == [
        "L'une de ces conditions :", "  - demandeur d'emploi", "  - demandeur apprenti",
        "  - demandeur en situation de handicap"]


@pytest.mark.parametrize("condition, french", [
    ("revenu fiscal de référence par part <= 14089 €/an",
     "revenu fiscal de référence par part inférieur ou égal à 14\u202f089 € par an"),
    ("revenu fiscal de référence par part < 1600€/mois", "revenu fiscal de référence par part inférieur à 1\u202f600 € par mois"),
    ("vélo . prix >= 600€", "prix du vélo supérieur ou égal à 600 €"),
    ("demandeur . âge >= 16 an", "âge d'au moins 16 ans"),
    ("demandeur . âge < 30 an", "âge de moins de 30 ans"),
    ("demandeur . âge . majeur", "demandeur majeur"),
    ("vélo . état . neuf", "vélo neuf"),
    ("vélo . état . occasion", "vélo d'occasion"),
    ("vélo . adapté = non", "vélo non adapté"),
    ("foyer . imposable = non", "foyer non imposable"),
    ("revenu fiscal de référence par part . nombre de parts < 2", "nombre de parts fiscales inférieur à 2"),
    ("aides . commune > 0€", "montant des aides de la commune supérieur à 0 €"),
    # What cannot be said whole stays as written, never half translated.
    ("revenu fiscal de référence par part <= ISR . deuxième tranche",
     "revenu fiscal de référence par part <= ISR . deuxième tranche"),
    ("vélo . prix <= 2 * plafond", "vélo . prix <= 2 * plafond"),
    ("abonné TER", "abonné TER"),
])
def test_conditions_are_written_in_french(condition, french):
    """Conditions were raw publicodes: « revenu fiscal de référence par part <= 14089 €/an »,
    « vélo état neuf », « âge >= 16 an », « foyer imposable = non »."""
    assert _french(condition) == [f"- {french}"]


def test_references_to_other_aids_and_variations_are_said_in_french():
    """« Non applicable si : - occitanie bonus forfait mobilité durable », « est non applicable :
    - aides ile de france », a `variations` written as headings « variations : / si : / alors : »."""
    aids = {"aides . ile de france": "« Île-de-France Mobilités »"}
    assert _french({"toutes ces conditions": [
        {"une de ces conditions": [{"est non applicable": "aides . ile de france"},
                                   "aides . ile de france < 50% * vélo . prix"]},
        {"variations": [{"si": "vélo . cargo", "alors": "vélo . prix <= 4000€"}, {"sinon": "vélo . prix <= 3000€"}]},
    ]}, aids=aids) == [
        "Toutes ces conditions :",
        "  L'une de ces conditions :",
        "    - aide « Île-de-France Mobilités » non applicable",
        "    - montant de l'aide « Île-de-France Mobilités » inférieur à 50 % du prix du vélo",
        ("  - si vélo cargo : prix du vélo inférieur ou égal à 4\u202f000 € ; sinon : prix du vélo inférieur ou égal "
         "à 3\u202f000 €")]
    # Referred to from inside another aid's rule, the name resolves as publicodes does.
    assert _french("ile de france", aids=aids) == ["- aide « Île-de-France Mobilités » applicable"]


def test_the_aid_is_named_after_what_it_is_and_its_giver_is_the_porteur(settings, engine, tmp_path):
    """The `titre` (« Ville de Saint-Denis ») was the record's name and `porteur_nom` stayed empty;
    two aids titled alike are told apart where another refers to them."""
    path = _rules(tmp_path, """aides . saint-denis:
  titre: Ville de Saint-Denis
  applicable si: localisation . code insee = "93066"
  valeur: 100 €
aides . saint-denis cargo:
  titre: Ville de Saint-Denis
  applicable si: localisation . code insee = "93066"
  non applicable si: saint-denis
  valeur: 300 €
""")
    harvest(AidesVeloHarvester(path, options={"date_maj": "2025-03-01"}), settings=settings)
    saved = stored_records(engine)
    aide = saved["aides-velo--saint-denis"]
    assert (aide["nom"], aide["porteur_nom"]) == ("Aide à l'achat d'un vélo — Ville de Saint-Denis",
                                                  "Ville de Saint-Denis")
    assert saved["aides-velo--saint-denis-cargo"]["conditions_texte"].splitlines() == [
        "Non applicable si :", "  - aide « Ville de Saint-Denis » (saint-denis) applicable"]
