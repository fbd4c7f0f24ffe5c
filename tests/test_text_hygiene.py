"""A source's text cleaned before the catalog, and reported: control and invisible format characters,
active markup, web addresses that would break out of their `href` (harvesters/text_hygiene.py)."""

from __future__ import annotations

import pytest

from harvesters.base import Item
from harvesters.engine import harvest
from harvesters.lheo import LheoHarvester
from harvesters.mobilite_csv import MobiliteCsvHarvester
from harvesters.text_hygiene import (
    CODE,
    MARKUP_CODE,
    URL_CODE,
    clean_row,
    clean_text,
    has_active_markup,
)
from tests.conftest import FIXTURES, stored_records


def test_windows_1252_signs_read_as_controls_are_given_back():
    item = Item("formation", {"nom": "Découvrir l\x92entreprise", "description": "C\x9cur de métier \x80",
                              "duree_heures": 35})
    clean_row(item)
    assert item.row == {"nom": "Découvrir l’entreprise", "description": "Cœur de métier €", "duree_heures": 35}
    assert [(w.field, w.code) for w in item.warnings] == [("nom", CODE), ("description", CODE)]
    assert "1 signe Windows-1252 rétabli (’)" in item.warnings[0].message
    assert "2 signes Windows-1252 rétablis (œ €)" in item.warnings[1].message


def test_invisible_controls_are_removed_wherever_the_text_sits():
    item = Item("aide", {
        "nom": "Aide\x00 au permis\x07",
        "publics": ["jeunes\x0c", "femmes"],
        "conditions": {"age": {"texte": "moins de 26\x1b ans", "max": 25}},
        "notes": "undefined in Windows-1252: \x81\x8d\x8f\x90\x9d; DEL\x7f",
    })
    clean_row(item)
    assert item.row == {
        "nom": "Aide au permis",
        "publics": ["jeunes", "femmes"],
        "conditions": {"age": {"texte": "moins de 26 ans", "max": 25}},
        "notes": "undefined in Windows-1252: ; DEL",
    }
    messages = {w.field: w.message for w in item.warnings}
    assert messages["nom"] == "Champ nom : 2 caractères de contrôle invisibles retirés (U+0000, U+0007)."
    assert "(U+0081, U+008D, U+008F, U+0090, U+009D, U+007F)" in messages["notes"]
    assert set(messages) == {"nom", "publics", "conditions", "notes"}


def test_clean_text_is_left_as_it_is():
    description = "Ligne 1\nLigne 2\r\n\tretrait, accents é ï ç, guillemets « » ’, emoji 🚲"
    row = {"nom": "Atelier", "description": description, "publics": ["jeunes"], "frais": None, "prix": 0.5}
    item = Item("formation", dict(row))
    clean_row(item)
    assert item.row == row and item.warnings == []
    assert item.row["description"] is description  # not even copied


def test_a_csv_with_a_nul_byte_is_stored_clean_and_reported(tmp_path, settings, engine):
    text = (FIXTURES / "mobilite" / "csv" / "virgule.csv").read_bytes()
    path = tmp_path / "plateformes.csv"
    path.write_bytes(text.replace(b"voitures et", b"voitures\x00 et\x07"))
    summary = harvest(MobiliteCsvHarvester(str(path)), source="plateformes", settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 1 and summary.counts["warnings"] == 1
    [record] = stored_records(engine, "solution-mobilite").values()
    assert record["nom"] == "Location solidaire, voitures et scooters"
    [group] = [g for g in summary.groups if g.status == "warning"]
    assert (group.field, group.code) == ("nom", CODE)


@pytest.mark.parametrize("in_child", [True, False], ids=["lecteur-a-part", "un-seul-processus"])
def test_an_lheo_feed_declared_latin1_written_in_windows_1252(tmp_path, settings, engine, monkeypatch, in_child):
    """EDOF-like exports declare ISO-8859-1 and write Windows-1252: libxml2 reads the ’ (0x92)
    as U+0092, which XML 1.0 allows. Repaired in the reader process as in the engine's own."""
    monkeypatch.setenv("MAILLAGE_CHILD_PROCESSES", "1" if in_child else "0")
    data = (FIXTURES / "lheo" / "edof-latin1.xml").read_bytes()
    assert b"le linge d'un particulier" in data
    path = tmp_path / "edof.xml"
    path.write_bytes(data.replace(b"le linge d'un particulier", b"le linge d\x92un particulier"))
    summary = harvest(LheoHarvester(str(path)), source="edof", settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 1 and summary.counts["warnings"] == 1
    [record] = stored_records(engine, "formation").values()
    assert "Entretenir le logement et le linge d’un particulier" in record["description"]
    assert "\x92" not in record["description"]
    [group] = [g for g in summary.groups if g.code == CODE]
    assert (group.status, group.field) == ("warning", "description") and "(’)" in group.message


def test_the_reference_built_from_a_raw_id_is_cleaned_too(tmp_path, settings, engine):
    text = (FIXTURES / "mobilite" / "csv" / "virgule.csv").read_bytes()
    path = tmp_path / "plateformes.csv"
    path.write_bytes(text.replace(b"location-93,", b"location\x00-93,"))
    summary = harvest(MobiliteCsvHarvester(str(path)), source="plateformes", settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 1
    # No `source` column or option: the harvest's source names the ids.
    assert list(stored_records(engine, "solution-mobilite")) == ["plateformes--location-93"]
    [group] = [g for g in summary.groups if g.code == CODE]
    assert group.field == "id" and group.examples == ["ligne 2 (location-93)"]


def test_a_message_quoting_the_source_carries_no_escape_sequence(tmp_path, settings, engine):
    """« « Garage\x1b[2J\x1b]0;PWNED\x07 » n'est ni une valeur… » cleared the operator's screen
    and retitled the terminal, from the summary, `jobs show` and `jobs report`."""
    text = (FIXTURES / "mobilite" / "csv" / "virgule.csv").read_bytes()
    path = tmp_path / "plateformes.csv"
    path.write_bytes(text.replace(b"location solidaire,", b"Garage\x1b[2J\x1b]0;PWNED\x07,"))
    summary = harvest(MobiliteCsvHarvester(str(path)), source="plateformes", settings=settings)
    assert summary.counts["invalid"] == 1
    [group] = [g for g in summary.groups if g.field == "categorie"]
    assert "Garage[2J]0;PWNED" in group.message and "\x1b" not in group.message and "\x07" not in group.message


def test_a_failure_message_quoting_a_nul_is_stored_on_every_backend(tmp_path, settings, engine):
    """PostgreSQL's text cannot hold NUL: the job and its message must be stored all the same."""
    from harvesters.frictionless_package import FrictionlessHarvester
    from harvesters.jobs import job_summary

    source = FIXTURES / "frictionless" / "mapped"
    path = tmp_path / "annuaire.csv"
    path.write_bytes((source / "annuaire-lyon.csv").read_bytes().replace(b"Code commune", b"Code\x00commune", 1))
    harvester = FrictionlessHarvester(str(path), options={"mapping": str(source / "correspondance.yml")})
    summary = harvest(harvester, source="lyon", settings=settings)
    assert summary.status == "failed" and "« Code commune »" in summary.message
    stored = job_summary(engine, summary.job_id)
    assert stored["status"] == "failed" and "Codecommune" in stored["message"] and "\x00" not in stored["message"]


# -- active markup, web addresses, invisible format characters --------------------------------

def _cleaned(value):
    item = Item("aide", {"champ": value})
    clean_row(item)
    return item.row["champ"], item.warnings


def test_active_markup_is_removed_from_every_string_of_the_row():
    """Published text is plain text, pasted unescaped into pages by some consumers: no tag that
    runs or loads something, nor any tag carrying an attribute, may reach them."""
    item = Item("service", {
        "nom": "<script>alert(1)</script>Atelier",
        "description": '<img src=x onerror=alert(1)>Diagnostic <svg onload=alert(2)>mobilité <iframe src=//x.fr></iframe>'
                       '<a href="javascript:alert(4)">clic</a> <div style="width:expression(alert(6))">css</div>',
        "horaires_accueil": "<b onmouseover=alert(3)>9h</b>-12h",
        "operateurs": ["<x onclick=alert(4)>Op", "Karos"],
        "conditions": {"autres": [{"texte": "Note : <script>alert(2)</script>", "max": 3}]},
        "duree_heures": 35,
    })
    clean_row(item)
    assert item.row == {
        "nom": "alert(1)Atelier",  # the tags go, their text stays: « alert(1) » as text is inert
        "description": "Diagnostic mobilité clic css",
        "horaires_accueil": "9h-12h",
        "operateurs": ["Op", "Karos"],
        "conditions": {"autres": [{"texte": "Note : alert(2)", "max": 3}]},
        "duree_heures": 35,
    }
    messages = {w.field: w.message for w in item.warnings if w.code == MARKUP_CODE}
    assert set(messages) == {"nom", "description", "horaires_accueil", "operateurs", "conditions"}
    assert messages["nom"].startswith("Champ nom : 2 balises actives retirées (<script>)")
    assert "(<img>, <svg>, <iframe>, <a>, <div>)" in messages["description"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("<div/onmouseover=alert(1)>survol</div> ici", "survol ici"),  # an attribute after « / »
    ("<a/href=javascript:alert(1)>clic</a> ici", "clic ici"),
    ("Voir <IMG SRC=x OnError=alert(1)> ici", "Voir  ici"),  # any case
    ("<ScRiPt>alert(1)</sCrIpT> ici", "alert(1) ici"),
    ("<svg/onload=alert(1)> ici", "ici"),
    ("<x <y=1 onclick=alert(1)>texte", "texte"),  # one tag to a browser, « < » inside or not
    ("Aide <b>gratuite</b> <style>p{}</style>", "Aide <b>gratuite</b> p{}"),  # <b> is inert, <style> not
])
def test_a_tag_is_active_by_its_name_or_by_an_attribute_however_written(raw, expected):
    value, [warning] = _cleaned(raw)
    assert (value, warning.code) == (expected, MARKUP_CODE)


def test_an_unclosed_active_tag_is_defused_not_cut():
    """Pasted into a page, `<img src=x onerror=…` closes at the page's next « > »; it runs to the
    end of our text, so removing it would remove that text: a space after its « < » defuses it."""
    value, [warning] = _cleaned("Réparations <img src=x onerror=alert(2)// pas cher")
    assert value == "Réparations < img src=x onerror=alert(2)// pas cher"
    assert "1 balise active jamais fermée neutralisée (<img>)" in warning.message
    # Every « < » inside it is defused, not only the first.
    assert _cleaned("<div a=1 <img src=x onerror=alert(1)")[0] == "< div a=1 < img src=x onerror=alert(1)"
    assert _cleaned("Tarif <script")[0] == "Tarif < script"
    assert not has_active_markup(value)


def test_a_value_made_only_of_active_markup_is_defused_not_emptied():
    # An empty value would cost the record its field, or the record itself (a condition's type).
    value, [warning] = _cleaned("<img src=x onerror=alert(1)>")
    assert value == "< img src=x onerror=alert(1)>"
    assert "valeur faite seulement de balises actives (<img>)" in warning.message
    assert _cleaned("<script></script>")[0] == "< script>< /script>"


@pytest.mark.parametrize("prose", [
    "Niveau <Bac+2", "3 < 5 et 7 > 2", "jeunes <de 26 ans", "x<=3", "la balise <div> et </b>",
    "Aide <b>gratuite</b> <p>", "Niveau <Bac ou niveau >Bac+2 : nous contacter.", "Tarif <Bac+2 = 300 € >",
    "<https://exemple.fr/aides> ou <contact@exemple.fr>", "<!-- note -->", "< img src=x onerror=alert(1)>",
])
def test_prose_that_looks_like_markup_is_kept(prose):
    item = Item("aide", {"description": prose, "publics": [prose]})
    clean_row(item)
    assert item.warnings == [] and item.row["description"] is prose and item.row["publics"][0] is prose
    assert not has_active_markup(prose)


@pytest.mark.parametrize(("raw", "expected"), [
    ("<<img a=1>img src=x onerror=alert(1)>", "< img src=x onerror=alert(1)>"),
    ("</<img a=1>img a=2>", "</ img a=2>"),
    ("<<script>script>alert(1)<</script>/script>", "< script>alert(1)< /script>"),
])
def test_removing_a_tag_never_builds_a_new_one(raw, expected):
    value, _ = _cleaned(raw)
    assert value == expected and not has_active_markup(value)
    assert _cleaned(value) == (value, [])  # nothing left to do


@pytest.mark.parametrize(("raw", "expected"), [
    ("[clic](javascript:alert(1))", "[clic] (javascript:alert(1))"),
    ("Voir [ici](https://x.fr) ou [là](JaVa&#115;cript&colon;alert(1)).",
     "Voir [ici](https://x.fr) ou [là] (JaVa&#115;cript&colon;alert(1))."),
    ("[a](  data:text/html,<b>x</b>)", "[a] (  data:text/html,<b>x</b>)"),
])
def test_a_markdown_link_to_a_script_is_no_longer_a_link(raw, expected):
    value, [warning] = _cleaned(raw)
    assert value == expected and warning.code == MARKUP_CODE and "lien Markdown vers un script" in warning.message
    assert _cleaned(value) == (value, [])


def test_a_markdown_link_to_a_web_page_is_kept():
    assert _cleaned("Inscription : [le formulaire](https://exemple.fr/inscription) (gratuit).") == (
        "Inscription : [le formulaire](https://exemple.fr/inscription) (gratuit).", [])


def test_a_markdown_autolink_holding_an_equals_sign_keeps_its_address():
    # `<https://x.fr/onclick=alert(1)>` is a tag with an onclick attribute to a browser.
    value, [warning] = _cleaned("Voir <https://exemple.fr/aide?id=3> ou <https://x.fr/onclick=alert(1)>.")
    assert value == "Voir https://exemple.fr/aide?id=3 ou https://x.fr/onclick=alert(1)."
    assert "2 adresses entre chevrons portant un « = » sorties de ses chevrons" in warning.message


@pytest.mark.parametrize(("raw", "expected"), [
    ('https://exemple.fr/a"onmouseover="alert(1)', "https://exemple.fr/a%22onmouseover=%22alert(1)"),
    ('https://x.fr/"><script>alert(5)</script>', "https://x.fr/%22%3E%3Cscript%3Ealert(5)%3C/script%3E"),
    ("HTTP://x.fr/a{b}|c^d`e\\f", "HTTP://x.fr/a%7Bb%7D%7Cc%5Ed%60e%5Cf"),
    # A « \ » ending the host is a « / » to browsers and to our validator: encoded, it would make
    # « x.fr » a user name and « y.fr » the host.
    ("https://x.fr\\@y.fr/<p>", "https://x.fr/@y.fr/%3Cp%3E"),
])
def test_a_web_address_that_would_leave_its_href_is_percent_encoded(raw, expected):
    from catalog.validation.rules import is_http_url

    value, [warning] = _cleaned(raw)
    assert (value, warning.code) == (expected, URL_CODE)  # encoded before the markup step: not cut
    assert is_http_url(value)
    assert "l'adresse est la même" in warning.message or "\\" in raw
    assert _cleaned([raw])[0] == [expected]  # in a list too


@pytest.mark.parametrize("written, published", [
    ('https://exemple.fr/demande "onmouseover="alert(document.domain)" x="',
     "https://exemple.fr/demande%20%22onmouseover=%22alert(document.domain)%22%20x=%22"),
    ('https://exemple.fr/services/1\t"autofocus onfocus="alert(1)',
     "https://exemple.fr/services/1%22autofocus%20onfocus=%22alert(1)"),
    (' https://exemple.fr/inscription\n', "https://exemple.fr/inscription"),
    ("https://exemple.fr/mon dossier", "https://exemple.fr/mon%20dossier"),
])
def test_a_web_address_field_is_one_address_whatever_blanks_it_holds(written, published):
    """A blank made the value « prose », so its quotes were published raw, for a reuser's
    `<a href="{lien}">` to close the attribute on. In a field the schema holds addresses in, the
    value is one address: no blank, no raw quote."""
    item = Item("service", {"lien_mobilisation": written, "description": written})
    clean_row(item)
    assert item.row["lien_mobilisation"] == published
    assert item.row["description"] == written  # prose keeps its blanks and quotes
    [warning] = item.warnings
    assert warning.code == URL_CODE and warning.field == "lien_mobilisation"


def test_an_ordinary_address_or_a_text_holding_one_is_not_encoded():
    for value in ("https://exemple.fr/aides?id=3&x=%20#haut", 'Voir "https://x.fr/a"', "https://x.fr/a b\"c"):
        item = Item("aide", {"lien": value})
        clean_row(item)
        assert item.row["lien"] is value and not [w for w in item.warnings if w.code == URL_CODE]


def test_invisible_format_characters_are_removed_and_joiners_kept():
    raw = ("Aide\u202e txet\u202c\u200b au\u2066 permis\u2069 \ufeffB\u200e\u200f\u061c\u2060, "
           "micro\u00adcrédit ; \u200c\u200d et 👩\u200d💻 restent")
    value, [warning] = _cleaned(raw)
    assert value == "Aide txet au permis B, microcrédit ; \u200c\u200d et 👩\u200d💻 restent"
    assert warning.code == CODE and warning.message == (
        "Champ champ : 11 caractères de mise en forme invisibles retirés (U+202E, U+202C, U+200B, U+2066, "
        "U+2069, U+FEFF, U+200E, U+200F, U+061C, U+2060, U+00AD) : sens d'écriture forcé, espace sans largeur, "
        "césure ou marque d'ordre des octets.")
    assert clean_text("ligne\u202e 3") == "ligne 3"  # a report's reference, a DCAT catalog's title


def test_aid_and_mobiville_texts_defuse_an_escaped_unclosed_tag():
    """nh3 keeps `&lt;img src=x onerror=…` as text, which unescaping makes a tag with no « > »."""
    from harvesters import mobiville
    from harvesters.aides_text import safe_text, without_tags

    assert safe_text("Aide &lt;img src=x onerror=alert(1)//") == "Aide < img src=x onerror=alert(1)//"
    assert mobiville.safe_text("Aide &lt;img src=x onerror=alert(1)//") == "Aide < img src=x onerror=alert(1)//"
    assert without_tags("<Bac+2 et 3 < 5") == "<Bac+2 et 3 < 5"  # prose kept


def test_a_csv_with_markup_and_a_breaking_link_is_stored_inert_and_reported(tmp_path, settings, engine):
    text = (FIXTURES / "mobilite" / "csv" / "virgule.csv").read_text(encoding="utf-8-sig")
    text = text.replace("id,nom,", "id,lien_demarche,nom,").replace(
        'location-93,"Location', 'location-93,"https://x.fr/""><script>alert(5)</script>","<img src=x onerror=alert(1)>Location')
    path = tmp_path / "plateformes.csv"
    path.write_text(text, encoding="utf-8")
    summary = harvest(MobiliteCsvHarvester(str(path)), source="plateformes", settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 1
    [record] = stored_records(engine, "solution-mobilite").values()
    assert record["nom"] == "Location solidaire, voitures et scooters"
    assert record["lien_demarche"] == "https://x.fr/%22%3E%3Cscript%3Ealert(5)%3C/script%3E"
    assert {(g.field, g.code) for g in summary.groups if g.status == "warning"} == {
        ("nom", MARKUP_CODE), ("lien_demarche", URL_CODE)}


@pytest.mark.parametrize(("raw", "expected"), [
    # A reference definition, used elsewhere in the text as `[clic][f]`.
    ("Voir [clic][f].\n\n[f]: javascript:alert(1)", "Voir [clic][f].\n\n[f] : javascript:alert(1)"),
    # Entities are read in a definition's destination, as renderers read them.
    ("[f]:\n  <JaVa&#115;cript:alert(1)>", "[f] :\n  <JaVa&#115;cript:alert(1)>"),
    # An autolink: `<javascript:alert(1)>` renders as a link.
    ("Cliquez <javascript:alert(1)> ici", "Cliquez javascript:alert(1) ici"),
    ("<data:text/html;base64,PHNjcmlwdD4>", "data:text/html;base64,PHNjcmlwdD4"),
])
def test_markdown_reference_definitions_and_autolinks_to_a_script_are_no_longer_links(raw, expected):
    value, [warning] = _cleaned(raw)
    assert value == expected and warning.code == MARKUP_CODE and "lien Markdown vers un script" in warning.message
    assert _cleaned(value) == (value, [])


def test_reference_definitions_and_autolinks_to_web_pages_are_kept():
    text = "Voir [le site][f] ou <https://exemple.fr/aide>.\n\n[f]: https://exemple.fr\nNote [1]: rien."
    assert _cleaned(text) == (text, [])
