"""What the three aid harvesters share: territories, safe text, and the eligibility builder."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from catalog.validation import validator_for
from harvesters import aides_zones as zones
from harvesters.aides_conditions import Eligibility, Profile, declared_keys
from harvesters.aides_text import http_url, safe_text, to_date

DECOUPAGE = Path(__file__).resolve().parents[1] / "node_modules" / "@etalab" / "decoupage-administratif" / "data"


def test_the_region_table_is_the_official_cog():
    if not (DECOUPAGE / "departements.json").exists():
        pytest.skip("@etalab/decoupage-administratif absent (npm ci)")
    departements = json.loads((DECOUPAGE / "departements.json").read_text())
    regions = {r["code"]: r["nom"] for r in json.loads((DECOUPAGE / "regions.json").read_text()) if r["zone"] != "com"}
    official: dict[str, list[str]] = {}
    for d in departements:
        if d["zone"] != "com":
            official.setdefault(d["region"], []).append(d["code"])
    assert {code: sorted(deps) for code, (_, deps) in zones.REGIONS.items()} == \
           {code: sorted(deps) for code, deps in official.items()}
    assert {code: name for code, (name, _) in zones.REGIONS.items()} == regions


@pytest.mark.parametrize("reference,expected", [
    ("DEP-93", ["93"]), ("COM-93066", ["93066"]), ("COM-2A004", ["2A004"]), ("DEP-2B", ["2B"]),
    ("EPCI-200046977", ["200046977"]), ("PAYS-99100", ["france"]), ("PAYS-99134", ["99134"]),
    ("REG-94", ["2A", "2B"]), ("reg-53", ["22", "29", "35", "56"]), ("CTCD-6AE", ["67", "68"]),
    # Corsica's code before 1976, the only one `DEP-<digits>` can write: it was zone « 20 », found nowhere.
    ("DEP-20", ["2A", "2B"]),
])
def test_cog_references_become_zone_codes(reference, expected):
    assert zones.cog_reference(reference) == expected


@pytest.mark.parametrize("reference,message", [
    ("QPV-1234", "type de territoire inconnu"), ("DEP-123", "code département invalide"),
    ("DEP-96", "code département invalide"), ("DEP-00", "code département invalide"),
    ("REG-99", "code région invalide"), ("EPCI-2000", "code intercommunalité invalide"), ("93", "inconnu"),
])
def test_unreadable_cog_references_say_why(reference, message):
    with pytest.raises(ValueError, match=message):
        zones.cog_reference(reference)


def test_codes_lose_no_leading_zero():
    assert zones.departement_code(1) == "01" and zones.commune_code(1053) == "01053"
    assert zones.siren(200046977) == "200046977" and zones.siren("2000") is None
    assert zones.departements_of("outre-mer") == ("971", "972", "973", "974", "976")
    assert len(zones.departements_of("métropole")) == 96


@pytest.mark.parametrize("raw,expected", [
    ("<p>Un</p><p>Deux<br>trois</p>", "Un\n\nDeux\ntrois"),
    ('Voir <a href="https://a.fr/x" onclick="x()">le site</a>.', "Voir le site (https://a.fr/x)."),
    ('<a href="https://a.fr/x">https://a.fr/x</a>', "https://a.fr/x"),
    ("<img src=x onerror=alert(1)>Texte<style>p{}</style><script>alert(1)</script>", "Texte"),
    ("&lt;script&gt;alert(1)&lt;/script&gt;5 &lt; 6", "alert(1)5 < 6"),
    # Nested escapes rebuild a tag once the inner one goes: removed until none is left.
    ("Aide.&lt;&lt;b&gt;img src=x onerror=alert(1)&gt;", "Aide."),
    ("&lt;scr&lt;b&gt;ipt&gt;alert(1)&lt;/scr&lt;b&gt;ipt&gt;", "alert(1)"),
    ("Niveau &lt;Bac+2, 3 &lt; 5", "Niveau <Bac+2, 3 < 5"),
    # A « < » that starts no HTML element is prose, escaped or not: it swallowed the text up to
    # the next « > » (« jeunes 45 ans ») (harvesters/html_prose.py).
    ("<p>Jeunes &lt;de 26 ans et adultes &gt;45 ans</p>", "Jeunes <de 26 ans et adultes >45 ans"),
    ("<p>Jeunes <de 26 ans</p><p>Niveau <Bac+2</p>", "Jeunes <de 26 ans\n\nNiveau <Bac+2"),
    ("Un <x onclick=alert(1)>clic", "Un clic"),  # another name, but an attribute: still a tag
    ("Un **gras** et [un lien](https://b.fr)", "Un gras et un lien (https://b.fr)"),
    ("  \n <p> </p> ", None), (None, None), ("Déjà&nbsp;du texte", "Déjà du texte"),
    ("<p>ligne 1<br>\nligne 2</p>", "ligne 1\nligne 2"),  # one line break, not a blank line
    # Markdown as aides-jeunes writes it (YAML folded at 80 columns): a wrapped line is a space, a
    # loose list's items (blank line between them) start with their dash, not a dash alone.
    ("Deux bourses :\n\n- Loisirs'Ados pour un projet de voyage,\n  de loisirs.\n\n- Proj'Jeunes.\n",
     "Deux bourses :\n\n- Loisirs'Ados pour un projet de voyage, de loisirs.\n- Proj'Jeunes."),
    ("Un **texte** sur\ndeux lignes.  \nUne ligne forcée.", "Un texte sur deux lignes.\nUne ligne forcée."),
    # In HTML a line break of the source is a space: it split one condition into two.
    ("<p>Habiter Lyon depuis six mois\r\net disposer d'une promesse d'embauche.</p>",
     "Habiter Lyon depuis six mois et disposer d'une promesse d'embauche."),
    ("Effectuer son stage auprès d'un\n\n<a href=\"https://a.fr/oc\">organisme conventionné</a>",
     "Effectuer son stage auprès d'un organisme conventionné (https://a.fr/oc)"),
    # Table cells and definition terms end lines: « Module 135 heures » was one number.
    ("<table><tr><td>Module 1</td><td>35 heures</td></tr></table><dl><dt>Durée</dt><dd>3 mois</dd></dl>",
     "Module 1\n35 heures\n\nDurée\n3 mois"),
])
def test_safe_text_keeps_words_and_links_and_drops_markup(raw, expected):
    assert safe_text(raw) == expected


@pytest.mark.parametrize("raw,expected", [
    ("https://a.fr/x", "https://a.fr/x"), ("www.a.fr", "https://www.a.fr"), ("", None), ("a.fr", None),
    ("javascript:alert(1)", None), ("https://a.fr/x y", None), (42, None),
])
def test_links_need_a_web_scheme(raw, expected):
    assert http_url(raw) == expected


@pytest.mark.parametrize("raw,expected", [
    ("2025-10-15T15:00:00Z", date(2025, 10, 15)), ("2025-10-15", date(2025, 10, 15)),
    ("2025-02-10T10:00:00+01:00", date(2025, 2, 10)), ("15/10/2025", None), ("", None), (None, None),
])
def test_dates(raw, expected):
    assert to_date(raw) == expected


def test_the_flat_keys_never_exclude_a_person_a_profile_accepts():
    eligibility = Eligibility()
    eligibility.require_age(16, None)
    eligibility.profiles = [
        Profile("lyceen", "lycéen", "lyceen", age_max=20, boursier=True),
        Profile("apprenti", "apprenti", "apprenti", age_max=25),
    ]
    structured = eligibility.structured()
    assert {k: structured[k] for k in ("age_min", "age_max", "statuts")} == {
        "age_min": 16, "age_max": 25, "statuts": ["lyceen", "apprenti"]}
    assert "boursier" not in structured  # only the lycéen must be boursier
    assert structured["profils"] == [{"statut": "lyceen", "age_max": 20, "boursier": True},
                                     {"statut": "apprenti", "age_max": 25}]


def test_conditions_hold_only_what_the_schema_declares_and_validate():
    eligibility = Eligibility()
    eligibility.require_age(18, 25)
    eligibility.ceiling(12000, "an", "revenu-fiscal-reference")
    eligibility.exclude_territories(["93066"], "ne pas habiter Saint-Denis")
    eligibility.other("regime_securite_sociale", {"includes": ["regime_general"]}, "relever du régime général")
    conditions = eligibility.conditions()
    assert set(conditions) <= declared_keys()
    assert conditions["autres"] == [{"type": "regime_securite_sociale", "parametres": {"includes": ["regime_general"]},
                                     "texte": "Relever du régime général."}]
    assert eligibility.outside_schema() == {}
    row = {"source": "t", "id": "a", "nom": "Aide", "date_maj": "2025-01-01", "conditions": conditions,
           "conditions_texte": eligibility.text()}
    assert validator_for("aide").check(row)[1] == []
    assert eligibility.text().splitlines() == [
        "- Avoir entre 18 et 25 ans.",
        "- Avoir un revenu fiscal de référence par an inférieur ou égal à 12\u202f000 €.",
        "- Ne pas habiter Saint-Denis.", "- Relever du régime général.",
    ]
