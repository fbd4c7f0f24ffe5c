"""French analysis shared by both backends: folding, elisions, stop words, stems, synonyms."""

from __future__ import annotations

import math
import random

from catalog.search.analysis import analyze, fold, query_groups
from catalog.search.documents import build_document
from catalog.search.geo import (
    Center,
    cell_size,
    cells_of,
    children,
    haversine_km,
    km,
    lower_bound,
    max_term,
    upper_bound,
)
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
    lookup = lambda ts: {t: known[t] for t in ts if t in known}
    assert analyze(correct_typos("hebergment d'urgence", lookup)) == ["heberg", "urgenc"]
    assert analyze(correct_typos("informatiqe", lookup)) == ["informat"]
    assert correct_typos("zzz", lookup) == "zzz"  # too short to guess
    # A code is exact: the code one slip away is another métier or certification.
    codes = {"m2204": 4, "2204": 2, "rncp34849": 1}
    lookup = lambda ts: {t: codes[t] for t in ts if t in codes}
    assert correct_typos("K2204", lookup) == "k2204" and correct_typos("RNCP34848", lookup) == "rncp34848"


def test_formation_codes_are_searchable_as_people_write_them():
    doc = build_document("formation", "carif--1", {
        "nom": "CACES R489", "codes_rome": ["N1101"], "formacodes": ["31811"],
        "code_rncp": "34849", "code_rs": "5629"})
    terms = set(analyze(doc.text))
    for query in ("N1101", "n1101", "31811", "RNCP34849", "RNCP 34849", "34849", "RS5629", "RS 5629", "5629"):
        assert set(analyze(query)) <= terms, query
    # Nothing is added for a record without codes (services, aides).
    assert build_document("service", "di--1", {"nom": "Accueil", "description": "Accueil de jour"}).text == "Accueil de jour"


def test_document_reads_fields_defensively():
    doc = build_document("service", "x--1", {
        "nom": "N", "frais": "gratuit, payant", "thematiques": ["mobilite--preparer-un-permis"],
        "latitude": "48.5", "longitude": None, "code_postal": "97411",
        "zone_eligibilite": ["99100", "93"]})
    assert doc.frais == ["gratuit", "payant"] and doc.categories == ["mobilite"]
    assert doc.latitude is None and doc.code_departement == "974"
    assert doc.zone_eligibilite == ["93", "france"] and doc.zoned
    assert "permis" in doc.text.lower()  # the thématique's label is searchable


def test_grid_bounds_hold_every_point_of_a_cell():
    rnd = random.Random(1)
    center = Center(48.85, 2.35)
    for _ in range(300):
        lat, lon = rnd.uniform(41, 51), rnd.uniform(-5, 9)
        fine = cells_of(lat, lon)
        assert [c[0] for c in fine] == [0, 1, 2, 3]
        assert all(fine[k] in set(children(fine[k + 1])) for k in range(3))
        for cell in fine:
            h = center.h(lat, lon)
            assert lower_bound(center, cell) <= h <= upper_bound(center, cell)
    # A point at a cell's corner is within the bounds too; sizes nest by four.
    assert cell_size(1) == 4 * cell_size(0) and cell_size(3) == 16 * cell_size(1)
    lats, lons = [rnd.uniform(41, 51) for _ in range(50)], [rnd.uniform(-5, 9) for _ in range(50)]
    assert center.terms(lats, lons, range(50)) == [center.h(a, b) for a, b in zip(lats, lons)]
    assert abs(km(max_term(50)) - 50) < 1e-9
    assert upper_bound(center, cells_of(48.85, 2.35)[0]) < max_term(50)  # inside a 50 km circle
    assert lower_bound(center, cells_of(45.76, 4.84)[0]) > max_term(300)  # Lyon: outside 300 km
    assert 390 < haversine_km(48.8566, 2.3522, 45.7640, 4.8357) < 393  # Paris–Lyon, ~391.5 km
    assert math.isclose(km(Center(48.8566, 2.3522).h(45.7640, 4.8357)),
                        haversine_km(48.8566, 2.3522, 45.7640, 4.8357), rel_tol=1e-9)


def _reference_fold(text: str, extra: dict | None = None) -> str:
    """The analysis pipeline written plainly (the fast one must give the same results)."""
    import unicodedata

    text = text.lower()
    while True:  # to the fixed point: "ǽ" → "æ" → "ae"
        folded = text.translate(str.maketrans({**(extra or {}), "œ": "oe", "æ": "ae", "ß": "ss"}))
        folded = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
        if folded == text:
            return text
        text = folded


def _reference_analyze(text: str) -> list[str]:
    import re

    import Stemmer

    from catalog.search.analysis import STOP_WORDS

    apostrophes = {"’": "'", "`": "'", "ʼ": "'"}
    tokens = [t for t in re.findall(r"[^\W_]+", _reference_fold(text, apostrophes))
              if t not in STOP_WORDS and not (len(t) == 1 and not t.isdigit())]
    return Stemmer.Stemmer("french").stemWords(tokens)


def test_fast_analysis_equals_the_plain_pipeline():
    rnd = random.Random(5)
    latin = ([chr(c) for c in range(0x20, 0x250)] + list("’ʼ`' ") * 20 + list("abcdefgh ijkl") * 10
             + [chr(c) for c in range(0x1E00, 0x1F00)] + ["ﬁ", "½", "²", "ℌ", "İ", "Σ", "_", "\x1c"])
    anything = [chr(c) for c in range(0x20, 0x3000)] + latin
    texts = ["Hébergement d’urgence : l'accès aux SOINS, Œuvre, straße, ǽ æ", "ΟΔΟΣ Σ", "HH"]
    for pool in (latin, anything):
        texts += ["".join(rnd.choice(pool) for _ in range(rnd.randint(0, 50))) for _ in range(3000)]
    for text in texts:
        assert fold(text) == _reference_fold(text), text
        assert analyze(text) == _reference_analyze(text), text


def test_analysis_stays_exact_when_its_term_table_fills_up(monkeypatch):
    # A million records with numbered names hold more distinct words than the table keeps: a
    # text whose words are half known, half new, arriving as the table is replaced, must still
    # get every one of its terms (it once got None for the known half).
    from catalog.search import analysis

    monkeypatch.setattr(analysis, "_KEPT", 50)
    monkeypatch.setattr(analysis, "_TERMS", {})
    texts = [f"Accompagnement au permis de conduire n°{i} à Saint-Denis, atelier {i * 7}"
             for i in range(200)]
    for text in texts:
        assert analyze(text) == _reference_analyze(text), text
        assert len(analysis._TERMS) <= 50


def test_zone_codes_are_written_as_the_territories_write_them():
    from catalog.search.documents import normalize_zone

    assert [normalize_zone(z) for z in ("2a004", " 2b ", "93066", "France", "99100")] == [
        "2A004", "2B", "93066", "france", "france"]


def test_a_record_with_only_a_postal_code_is_in_the_departement_of_its_communes():
    """« 20000 » (Ajaccio) was in département « 20 », which no filter names (2A, 2B)."""
    from catalog.territories import CommuneInfo, Territories

    ajaccio = CommuneInfo(code="2A004", nom="Ajaccio", type="commune-actuelle", departement="2A", region="94")
    known = Territories(communes={"2A004": ajaccio}, postal_codes={"20000": ["2A004"]})
    placed = {postal: build_document("service", "x--1", {"nom": "N", "code_postal": postal}, territories=known)
              for postal in ("20000", "20090", "98000", "97411", "75011", "97133", "97150")}
    assert {postal: doc.code_departement for postal, doc in placed.items()} == {
        "20000": "2A", "20090": None, "98000": None, "97411": "974", "75011": "75",
        "97133": "977", "97150": "978"}  # Saint-Barthélemy, Saint-Martin: Guadeloupe's codes
