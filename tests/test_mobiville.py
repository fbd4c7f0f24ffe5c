"""Mobiville-style aids (HTML text fields, hidden filter tags) → solution-mobilite."""

from __future__ import annotations

import json

import pytest

from harvesters.engine import harvest
from harvesters.mobiville import MobivilleHarvester, safe_text
from tests.conftest import FIXTURES, corpus_path, stored_records

HERE = FIXTURES / "mobilite" / "mobiville"



def test_aids_map_to_solutions_with_safe_text(settings, engine):
    summary = harvest(MobivilleHarvester(str(HERE / "aides.json"), options={"date_maj": "2025-01-15"}),
                      settings=settings)
    assert (summary.counts["read"], summary.counts["added"], summary.counts["invalid"]) == (4, 3, 1)
    saved = stored_records(engine)
    permis = saved["mobiville--aide-permis-emploi"]
    assert permis["nom"] == "Aide au permis pour l'emploi"
    assert permis["categorie"] == "aide-financiere"
    assert permis["zone_eligibilite"] == ["france"] and permis["date_maj"] == "2025-01-15"
    assert permis["porteur_nom"] == "France Travail"
    # No markup, no script survives; line breaks do.
    assert "<" not in permis["description"] and "alert" not in permis["description"]
    assert permis["description"].startswith("Un coup de pouce de 500 € pour votre permis B\n\nL'aide finance")
    assert "Quand faire la demande : Avant l'inscription" in permis["description"]
    assert permis["conditions_texte"] == "Être inscrit à France Travail depuis 6 mois.\n\nAide soumise à conditions."
    # Both age brackets: no age restriction, so not « jeunes ».
    assert permis["publics"] == ["demandeurs-emploi"]
    assert permis["publics_precisions"] == "- Demandeurs d’emploi inscrits depuis 6 mois\n- Âgés de 18 ans au moins"
    assert permis["thematiques"] == ["mobilite--financer-ma-mobilite"]

    garage = saved["mobiville--garage-solidaire-rhone"]
    assert garage["categorie"] == "garage-solidaire"
    assert garage["thematiques"] == ["mobilite--entretenir-reparer-son-vehicule"]
    assert garage["publics"] == ["demandeurs-emploi", "actifs", "etudiants", "jeunes"]
    assert "publics_precisions" not in garage  # the whole « who » was tags

    logement = saved["mobiville--logement-temporaire"]
    assert logement["categorie"] == "conseil-mobilite"
    assert logement["thematiques"] == ["logement-hebergement--louer-un-logement",
                                       "logement-hebergement--rechercher-une-solution-dhebergement-temporaire"]
    assert "publics" not in logement and logement["publics_precisions"] == "Salariés en mobilité professionnelle"
    assert "Cumul avec d'autres aides : Cumulable avec l'AVANCE LOCA-PASS®" in logement["description"]

    errors = json.dumps(summary.as_dict()["errors"], ensure_ascii=False)
    assert "n'a pas de « slug »" in errors and "aide n°4" in errors


@pytest.mark.parametrize("option", [["93", "200054781"], "93, 200054781"])  # a source's list; the CLI's text
def test_the_zone_can_be_narrowed_by_the_source(settings, engine, option):
    harvester = MobivilleHarvester(str(HERE / "aides.json"), options={"zone_eligibilite": option})
    harvest(harvester, settings=settings)
    assert stored_records(engine)["mobiville--garage-solidaire-rhone"]["zone_eligibilite"] == ["93", "200054781"]


def test_a_zone_option_without_codes_is_refused(settings, engine):
    summary = harvest(MobivilleHarvester(str(HERE / "aides.json"), options={"zone_eligibilite": " , "}),
                      settings=settings)
    assert summary.status == "failed" and "Option zone_eligibilite illisible" in summary.message
    assert stored_records(engine) == {}


def test_a_truncated_file_changes_nothing(settings, engine):
    summary = harvest(MobivilleHarvester(str(HERE / "tronque.json")), settings=settings)
    assert summary.status == "failed" and "tronqué" in summary.message
    assert "\n" not in summary.message and "right here" not in summary.message  # yajl's drawing left out
    assert stored_records(engine) == {}


@pytest.mark.parametrize("html, text", [
    ("a<br/>b", "a\nb"),
    ("<ul><li>un</li><li>deux</li></ul>", "- un\n- deux"),
    ("a<br>\nb", "a\nb"),  # one line break, not a blank line
    ("<ul>\n<li>\n<p>un</p>\n</li>\n</ul>", "- un"),  # a loose list: the dash before its text
    ("1&nbsp;000&nbsp;€ &amp; plus", "1 000 € & plus"),
    ("<style>p{}</style><p onclick='x()'>ok</p>", "ok"),
    # Escaped markup is text that looks like a tag once unescaped: no tag is left, however nested.
    ("&lt;&lt;b&gt;img src=x onerror=alert(1)&gt;", ""),
    ("&lt;script&gt;alert(1)&lt;/script&gt;", "alert(1)"),
    ("&amp;lt;script&amp;gt;", "&lt;script&gt;"),
    ("Niveau &lt;Bac+2, 3 &lt; 5", "Niveau <Bac+2, 3 < 5"),
    ("<p>Pour les &lt;de 26 ans et les &gt;45 ans</p>", "Pour les <de 26 ans et les >45 ans"),
    ("<p>Pour les <de 26 ans</p><p>Suite</p>", "Pour les <de 26 ans\nSuite"),
    (None, ""),
])
def test_safe_text(html, text):
    assert safe_text(html) == text


@pytest.mark.corpus
def test_corpus_mobiville_helps_all_harvest(settings, engine):
    path = corpus_path("mobilite", "mobiville", "helps.json")
    aids = json.loads(path.read_text(encoding="utf-8"))
    assert len(aids) == len({a["slug"] for a in aids}) == 17  # counted independently
    summary = harvest(MobivilleHarvester(str(path), options={"date_maj": "2022-11-08"}), settings=settings)
    assert summary.status == "done", summary.as_dict()
    assert (summary.counts["added"], summary.counts["invalid"]) == (17, 0)
    saved = stored_records(engine).values()
    assert all("<" not in d["description"] for d in saved)
    categories = sorted(d["categorie"] for d in saved)
    assert categories.count("aide-financiere") == 4  # the four « Aide financière »
    assert categories.count("garage-solidaire") == 1  # Renault's garages solidaires
    assert categories.count("conseil-mobilite") == 12
    assert all(d.get("publics") for d in saved)  # every aid carries Mobiville's tags


def test_a_truncated_file_is_said_to_stop_before_its_end(settings, engine):
    """yajl's « parse error: premature EOF » was the only explanation."""
    summary = harvest(MobivilleHarvester(str(HERE / "tronque.json")), settings=settings)
    assert "JSON tronqué ou mal formé après" in summary.message
    assert "le document s'arrête avant sa fin (téléchargement ou export interrompu ?)" in summary.message
    assert "premature" not in summary.message and "parse error" not in summary.message


def test_a_file_with_a_byte_order_mark_is_read(settings, engine, tmp_path):
    """Refused as « JSON tronqué ou mal formé (lexical error: invalid char in json text.) »."""
    path = tmp_path / "aides.json"
    path.write_bytes(b"\xef\xbb\xbf" + (HERE / "aides.json").read_bytes())
    summary = harvest(MobivilleHarvester(str(path), options={"date_maj": "2025-01-15"}), settings=settings)
    assert (summary.counts["read"], summary.counts["added"]) == (4, 3), summary.message
    assert stored_records(engine)["mobiville--aide-permis-emploi"]["nom"] == "Aide au permis pour l'emploi"
