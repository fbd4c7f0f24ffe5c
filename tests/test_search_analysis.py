"""French analysis shared by both backends: folding, elisions, stop words, stems, synonyms."""

from __future__ import annotations

from catalog.search.analysis import analyze, fold, query_groups
from catalog.search.documents import build_document
from catalog.search.geo import covering_cells, haversine_km
from catalog.search.typos import correct_typos, variants


def test_same_terms_for_accents_case_plurals_and_elisions():
    forms = ["hébergement", "Hebergements", "HÉBERGEMENT", "l'hébergement", "l’hébergement"]
    assert {tuple(analyze(f)) for f in forms} == {("heberg",)}
    assert fold("Œuvre Ça") == "oeuvre ca"
    assert analyze("aide à la garde d'enfants") == ["aid", "gard", "enfant"]
    assert analyze("sans abri") == ["san", "abri"]  # "sans" is kept: it carries meaning


def test_synonym_groups_are_alternatives_and_multi_word():
    groups = query_groups("hébergement d'urgence")
    assert groups[0] == (("abri",), ("heberg",), ("log",))
    assert query_groups("revenu de solidarité active") == [(("revenu", "solidarit", "activ"),
                                                           ("rsa",))]
    assert query_groups("menuiserie") == [(("menuiser",),)]


def test_typo_variants_and_correction():
    assert "hebergement" in variants("hebergment") and "logement" in variants("logmeent")
    known = {"heberg": 3, "urgenc": 2, "informat": 1, "inform": 9}
    lookup = lambda ts: {t: known[t] for t in ts if t in known}  # noqa: E731
    assert analyze(correct_typos("hebergment d'urgence", lookup)) == ["heberg", "urgenc"]
    assert analyze(correct_typos("informatiqe", lookup)) == ["informat"]
    assert correct_typos("zzz", lookup) == "zzz"  # too short to guess


def test_document_reads_fields_defensively():
    doc = build_document("service", "x--1", {
        "nom": "N", "frais": "gratuit, payant", "thematiques": ["mobilite--preparer-un-permis"],
        "latitude": "48.5", "longitude": None, "code_postal": "97411",
        "zone_eligibilite": ["99100", "93"]})
    assert doc.frais == ["gratuit", "payant"] and doc.categories == ["mobilite"]
    assert doc.latitude is None and doc.code_departement == "974"
    assert doc.zone_eligibilite == ["93", "france"] and doc.zoned
    assert "permis" in doc.text.lower()  # the thématique's label is searchable


def test_grid_covers_the_circle():
    cells = covering_cells(48.85, 2.35, 50)
    assert cells and len(cells) <= 4
    assert covering_cells(48.85, 2.35, 2000) is None  # too wide: SQL distance only
    assert 390 < haversine_km(48.8566, 2.3522, 45.7640, 4.8357) < 393  # Paris–Lyon, ~391.5 km
