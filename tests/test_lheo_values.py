"""LHEO value cleaning (`harvesters/lheo_values.py`) and vocabularies (`lheo_vocab.py`)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harvesters import lheo_values as V
from harvesters.lheo_vocab import publics, thematiques


@pytest.mark.parametrize(("raw", "expected"), [
    ("20250115", date(2025, 1, 15)),
    ("2025-01-15", date(2025, 1, 15)),
    ("2025-01-15T09:30:00+01:00", date(2025, 1, 15)),
    ("00000000", None),
    ("99999999", None),
    ("20250200", date(2025, 2, 1)),
    ("20250000", date(2025, 1, 1)),
    ("20250231", None),
    ("31/12/2025", None),
    ("", None),
    (None, None),
])
def test_dates(raw, expected):
    assert V.lheo_date(raw) == expected


def test_month_and_year_dates_end_on_their_last_day():
    assert V.lheo_date("20240200", end=True) == date(2024, 2, 29)
    assert V.lheo_date("20250000", end=True) == date(2025, 12, 31)


@pytest.mark.parametrize(("raw", "expected"), [
    ("4500", 4500), ("4 500,50", 4500.5), ("4\u202f500,50 €", 4500.5), ("1.234,5", 1234.5),
    ("12.5", 12.5), ("0", 0), ("-3", None), ("NaN", None), ("inf", None), ("gratuit", None), ("", None),
])
def test_decimals(raw, expected):
    assert V.decimal(raw) == expected


def test_a_huge_whole_number_stays_a_float_the_catalog_can_store():
    # int(1e308) has 309 digits, which no JSON store holds: the record could not be written.
    assert type(V.decimal("1e308")) is float and type(V.decimal("9" * 30)) is float
    assert type(V.decimal(str(2**53))) is int


@pytest.mark.parametrize(("raw", "expected"), [
    ("-", None), ("  Non renseigné ", None), ("NC", None), ("n.c.", None), ("N/C", None), ("...", None),
    ("Néant", None), ("Aucune", "Aucune"), ("Temps plein", "Temps plein"),
    ("&lt;p&gt;Un&lt;/p&gt;&lt;p&gt;Deux&lt;/p&gt;", "Un\nDeux"),
])
def test_text_placeholders_and_escaped_html(raw, expected):
    assert V.text(raw) == expected


def test_text_from_html():
    html = "<p>Objectif&nbsp;:</p><ul><li>lire</li><li>écrire</li></ul><p>Fin <b>du</b> texte</p><style>p{}</style>"
    assert V.text(html) == "Objectif :\n- lire\n- écrire\nFin du texte"
    assert V.text("<script>alert('x')</script>Titre") == "Titre"
    assert V.text("a < b et c > d") == "a < b et c > d"  # not markup: left alone
    assert V.text("Ligne 1\r\n\r\n\r\n\r\nLigne 2") == "Ligne 1\n\nLigne 2"
    assert V.text("x" * 50, max_length=10) == "xxxxxxxxx…"
    # A loose list (each item's text in a paragraph) and a line break followed by a newline, as
    # HTML editors write them: « -\nlire », and a blank line after each break, before.
    assert V.text("<ul>\n<li>\n<p>lire</p>\n</li>\n<li><p>écrire</p></li>\n</ul>") == "- lire\n- écrire"
    assert V.text("Ligne 1<br>\nLigne 2<br />\r\nLigne 3") == "Ligne 1\nLigne 2\nLigne 3"
    # Cells and terms stay apart: « Module 135 heures » read as one number.
    table = "<table><tr><td>Module 1</td><td>35 heures</td></tr><tr><th>Module 2</th><td>70 heures</td></tr></table>"
    assert V.text(table) == "Module 1\n35 heures\n\nModule 2\n70 heures"
    assert V.text("<dl><dt>Durée</dt><dd>35 h</dd></dl>Fin<hr>Après") == "Durée\n35 h\nFin\nAprès"
    # Word's prefixed tags are markup, alone too.
    assert V.text("Avoir 18 ans<o:p></o:p>") == "Avoir 18 ans"
    # A title escaped twice has no tag to reveal it: its entities show after one pass.
    assert V.text("Agent de propret&amp;eacute; et d&amp;#039;hygi&amp;egrave;ne") == \
        "Agent de propreté et d'hygiène"


@pytest.mark.parametrize(("raw", "expected"), [
    ("www.exemple.fr", "https://www.exemple.fr"),
    ("exemple.fr/formations?id=3", "https://exemple.fr/formations?id=3"),
    ("http://exemple.fr", "http://exemple.fr"),
    ("//cdn.exemple.fr/x", "https://cdn.exemple.fr/x"),
    ("-", None), ("ftp://exemple.fr", None), ("contact@exemple.fr", None), ("pas une url", None),
])
def test_urls(raw, expected):
    assert V.url(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("01 23 45 67 89", "+33123456789"), ("01.23.45.67.89", "+33123456789"), ("+33 1 23 45 67 89", "+33123456789"),
    ("0033123456789", "+33123456789"), ("11 11", None), ("1111", None), ("-", None),
    ("+33 (0)1 48 30 00 01", "+33148300001"), ("0033 (0)6 12 34 56 78", "+33612345678"),  # trunk 0 in brackets
])
def test_telephones(raw, expected):
    assert V.telephone(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("00301234100016", ("00301234100016", None)),  # leading zeros are part of the number
    ("003 012 341 00016", ("00301234100016", None)),
    ("077567227200157", ("77567227200157", "siret-15")),
    ("011111111111111", (None, "siret-format")),
    ("12345678901234", (None, "siret-invalide")),
    ("00000000000000", (None, "siret-invalide")),
    ("-", (None, None)),
    (None, (None, None)),
])
def test_sirets(raw, expected):
    assert V.siret(raw) == expected


@pytest.mark.parametrize(("raw", "postal", "commune", "expected"), [
    ("93066", "93200", "Saint-Denis", ("93066", None)),
    ("75111", "75011", "Paris", ("75111", None)),  # arrondissement codes are kept
    ("75011", "75011", "Paris", ("75111", "insee-arrondissement")),
    ("69003", "69003", "Lyon", ("69383", "insee-arrondissement")),
    ("69001", "69790", "Affoux", ("69001", None)),  # a real commune, not Lyon 1er
    ("13001", "13100", "Aix-en-Provence", ("13001", None)),
    ("13005", "13005", "MARSEILLE", ("13205", "insee-arrondissement")),
    ("2A004", "20000", "Ajaccio", ("2A004", None)),
    ("1053", "01000", "Bourg-en-Bresse", ("01053", None)),
    ("-", None, None, (None, None)),
    ("00000", "00000", "Inconnue", (None, None)),
])
def test_insee_codes(raw, postal, commune, expected):
    assert V.insee_code(raw, postal=postal, commune=commune) == expected


def test_siret_check_agrees_with_python_stdnum():
    import random

    from stdnum.fr import siret as stdnum_siret

    rng = random.Random(7)
    samples = [f"{rng.randrange(10**14):014d}" for _ in range(5000)]
    samples += [f"356000000{rng.randrange(10**5):05d}" for _ in range(500)] + ["35600000000048"]
    samples += [s[:-1] + str(d) for s in ("13002801200016", "77567227200157") for d in range(10)]
    for value in samples:
        assert V._valid_siret(value) == stdnum_siret.is_valid(value), value
    assert 100 < sum(map(V._valid_siret, samples)) < len(samples) - 100  # both kinds tried


def test_postal_codes_and_declaration_numbers():
    assert V.postal_code("1000") == "01000" and V.postal_code("93 200") == "93200" and V.postal_code("9320") == "09320"
    assert V.postal_code("ABCDE") is None and V.postal_code("00000") is None
    assert V.numero_activite("11930123456") == "11930123456"
    assert V.numero_activite("99999999999") is None and V.numero_activite("123") is None


def test_codes():
    assert V.code("04") == "4" and V.code(" 2 ") == "2" and V.code("x") is None
    assert V.code("4²") is None and V.code("①") is None  # digits to str.isdigit, a traceback in int()
    assert V.rome("k2204") == "K2204" and V.rome("21131") is None  # ROME v1 codes are not ROME v3
    assert V.nsf("343T") == "343t"
    assert V.pattern_code("RNCP34849", V.CERTIF_NUMBER, prefix="RNCP") == "34849"
    assert V.pattern_code("RS5063", V.CERTIF_NUMBER, prefix="RS") == "5063"
    assert V.boolean("1") is True and V.boolean("non") is False and V.boolean("peut-être") is None


def test_publics():
    assert publics(["80006", "81024"]) == ["demandeurs-emploi", "jeunes"]
    assert publics(["80009", "80006"]) == ["demandeurs-emploi", "jeunes"]
    assert publics(["83056", "80006"]) == ["tous-publics"]  # never combined with others
    assert publics(["99999"]) is None


@pytest.mark.parametrize(("title", "objective", "cpf", "formacodes", "expected"), [
    ("Préparation au permis B", None, [], [], "mobilite--preparer-un-permis"),
    ("Permis C1E poids lourd", None, [], [], "mobilite--preparer-un-permis"),
    ("Code de la route", None, [], [], "mobilite--preparer-un-permis"),
    ("Français langue étrangère A1", None, [], [], "lecture-ecriture-calcul--maitriser-le-francais"),
    ("Atelier d'écriture", None, [], ["15043"], "lecture-ecriture-calcul--maitriser-le-francais"),
    ("Remise à niveau", "5", [], [], "lecture-ecriture-calcul--maitriser-le-calcul"),
    ("Initiation à l'informatique", None, [], [], "numerique--maitriser-les-fondamentaux-du-numerique"),
    ("Accompagnement", None, ["CPF202"], [], "choisir-un-metier--identifier-ses-points-forts-et-ses-competences"),
    ("Accompagnement VAE", None, [], [], "preparer-sa-candidature--valoriser-ses-competences"),
    ("Parcours", "4", [], [], "creer-une-entreprise--definir-son-projet-de-creation-dentreprise"),
])
def test_thematiques(title, objective, cpf, formacodes, expected):
    found = thematiques(title=title, objective=objective, cpf_codes=cpf, formacodes=formacodes)
    assert found[0] == "se-former--trouver-sa-formation" and expected in found


@pytest.mark.parametrize("title", ["Permis d'exploitation (débit de boissons)", "CACES R489", "Permis de construire"])
def test_no_driving_licence_where_there_is_none(title):
    assert "mobilite--preparer-un-permis" not in thematiques(title=title, objective=None, cpf_codes=[], formacodes=[])


@pytest.mark.parametrize(("raw", "expected"), [
    # Text the producer escaped inside its HTML is its text: decoded once, not read as tags.
    ("<p>Balises &lt;div&gt;, &lt;span&gt; et CSS</p>", "Balises <div>, <span> et CSS"),
    ("<p>Niveau &lt;Bac ou niveau &gt;Bac+2 : nous contacter.</p>", "Niveau <Bac ou niveau >Bac+2 : nous contacter."),
    # HTML escaped as a whole (no tag before decoding) is still HTML.
    ("&lt;p&gt;a &amp;lt;div&amp;gt; b&lt;/p&gt;&lt;p&gt;c&lt;/p&gt;", "a <div> b\nc"),
    # Never an active tag, however many times it was escaped.
    ("<p>&lt;script&gt;alert(1)&lt;/script&gt;Fin</p>", "Fin"),
    ("<p>Voir &lt;img src=x onerror=alert(1)&gt;</p>", "Voir"),
    ("&lt;&lt;b&gt;img src=x onerror=alert(1)&gt;Fin", "Fin"),
    # An attribute after a « / » is an attribute (`<div/onmouseover=…>`), in any case: the one
    # definition of an active tag, harvesters/text_hygiene.py's.
    ("<p>Voir &lt;div/onmouseover=alert(1)&gt;survol&lt;/div&gt;</p>", "Voir survol"),
    ("<p>&lt;a/href=javascript:alert(1)&gt;clic&lt;/a&gt; ici</p>", "clic ici"),
    ("<p>Repas</p> &lt;BODY/ONLOAD=alert(1)&gt;", "Repas"),
    ("<p>&lt;x/onclick=alert(1)&gt;Fin</p>", "Fin"),
    ('a<br class="x">b<br xmlns="http://lheo.gouv.fr/2.3"/>c', "a\nb\nc"),
])
def test_text_escaped_inside_html_is_kept_as_text(raw, expected):
    assert V.text(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    # A « < » the producer wrote as prose (escaped once in the XML: lxml hands it over as « < »)
    # was read as a tag by the HTML parser, which swallowed the text up to the next « > ».
    ("Public : jeunes <de 26 ans et adultes >45 ans", "Public : jeunes <de 26 ans et adultes >45 ans"),
    ("<p>Niveau <Bac+2</p>", "Niveau <Bac+2"),
    ("<b>Jeunes</b> <de 26 ans, demandeurs d'emploi >45 ans", "Jeunes <de 26 ans, demandeurs d'emploi >45 ans"),
    ("&lt;p&gt;Public &amp;lt;de 26 ans&lt;/p&gt;", "Public <de 26 ans"),
    # Real tags are still read as tags, whatever their case.
    ("<P>Un</P><DIV>Deux<BR/>trois</DIV><ul><li>a</li><li>b</li></ul>", "Un\nDeux\ntrois\n- a\n- b"),
    ("<p>Salle <span>B</span> <deux portes></p>", "Salle B <deux portes>"),
])
def test_a_less_than_sign_before_no_html_element_is_prose(raw, expected):
    assert V.text(raw) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["<", ">", "/", " ", "=", "a", "br", "img", "script", "&lt;", "\n", "x" * 20]),
                max_size=14).map("".join))
def test_the_tag_patterns_never_run_into_the_next_tag(value):
    # As tests/test_hostile_text.py checks for the others (and for text_hygiene's active tags,
    # which lheo_values uses): linear on « < » repeated.
    for pattern in (V._TAG, V._BLOCK_END):
        for match in pattern.finditer(value):
            assert "<" not in match.group()[1:], match.group()


@pytest.mark.parametrize(("raw", "expected"), [
    ("0262 12 34 56", "+262262123456"), ("0692 12 34 56", "+262692123456"), ("0639 12 34 56", "+262639123456"),
    ("0269 61 23 45", "+262269612345"), ("0590 12 34 56", "+590590123456"), ("0690 12 34 56", "+590690123456"),
    ("0594 12 34 56", "+594594123456"), ("0694 12 34 56", "+594694123456"), ("0596 12 34 56", "+596596123456"),
    ("0696 12 34 56", "+596696123456"), ("+33 2 62 12 34 56", "+262262123456"), ("+262 262 12 34 56", "+262262123456"),
    ("0612345678", "+33612345678"), ("0261 00 00 00", "+33261000000"),  # not an overseas block: +33
])
def test_overseas_telephones_get_their_own_country_code(raw, expected):
    assert V.telephone(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("1,234.50", 1234.5), ("1.234,50", 1234.5), ("1,234,567", 1234567), ("1.234.567", 1234567),
    ("12.500,00 €", 12500), ("0.500", 0.5), ("1234.500", 1234.5), ("1,23", 1.23), ("4,500,50", None),
    # One mark then three digits: 1,5 or 1 500? Never guessed.
    ("1.500", None), ("1,500", None), ("12.500", None),
])
def test_decimals_with_thousands_separators(raw, expected):
    assert V.decimal(raw) == expected
    assert V.ambiguous_decimal(raw) is (raw in ("1.500", "1,500", "12.500"))


def test_departement_codes_and_modification_dates():
    assert [V.departement(v) for v in ("93", "1", "093", "2a", "974", "988", "Seine-Saint-Denis", "20", "99", "980", None)] \
        == ["93", "01", "93", "2A", "974", "988", None, None, None, None, None]
    # A timestamp's offset counts: 1 a.m. in La Réunion is the day before in UTC.
    assert V.modification_date("2026-11-25T01:00:00+04:00") == date(2026, 11, 24)
    assert V.modification_date("2026-11-24T23:30:00-02:00") == date(2026, 11, 25)
    assert V.modification_date("2026-11-25T01:00:00") == V.modification_date("20261125") == date(2026, 11, 25)



class _CountedCode(str):
    """A code that counts how often it is compared: `unique` must not scan what it has kept."""
    comparisons = 0

    def __eq__(self, other):
        _CountedCode.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_unique_keeps_first_order_and_is_linear():
    assert V.unique(["b", None, "a", "b", "c", "a"]) == ["b", "a", "c"]
    # 2,000 distinct codes, each written twice (as distinct objects, like codes read from a feed):
    # a scan of the kept list per value would compare ≈ 4 million times.
    codes = [_CountedCode(f"{n:05d}") for n in range(2_000)] * 2
    codes = [_CountedCode(str(code)) for code in codes]
    _CountedCode.comparisons = 0
    assert V.unique(codes) == codes[:2_000]
    assert _CountedCode.comparisons <= 3 * len(codes)
