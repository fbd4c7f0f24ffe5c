"""Texts written to make a harvester's regular expressions work forever.

A pattern such as `<li[^>]*>` is retried from each « <li » of a text that never closes it, and
scans to the end each time: « <li » twenty thousand times took 9 s, a hundred thousand several
minutes, for one field of one record. Each pattern below stops where the next match could start,
which keeps the scan linear. The tests check that property on random texts made of the pieces
that trip them; `bench/hostile_text.py` measures the time itself. (Addresses in free texts:
tests/test_privacy.py.)
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from harvesters import aides_text, html_prose, lheo_values, mobiville, text_hygiene
from harvesters.aides_text import safe_text
from harvesters.base import Item
from harvesters.lheo_values import text as lheo_text
from harvesters.text_hygiene import clean_row, has_active_markup, without_active_markup

PIECES = ["<", ">", "/", " ", "\n", "a", "li", "br", "p", "span", ' style="display:none"', " href=", '"', "http://x.fr",
          "</a>", "<a ", "</span>", "<span>", "<li>", "<br/>", "</p>", "[", "]", "(", ")", "**", "&amp;", "@", ".",
          '<span style="display:none">', '<a href="http://x.fr">', "a" * 40]
texts = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)

TAGS = {
    "lheo_values._BLOCK_END": lheo_values._BLOCK_END, "lheo_values._LOOKS_LIKE_HTML": lheo_values._LOOKS_LIKE_HTML,
    "html_prose.TAG": html_prose.TAG, "html_prose.LINE_BREAK": html_prose.LINE_BREAK,
    "html_prose.LIST_ITEM": html_prose.LIST_ITEM,  # `<li>` and the `<p>` right after it: two whole tags
    "aides_text._BLOCK_END": aides_text._BLOCK_END, "mobiville.BLOCK_END": mobiville.BLOCK_END,
}


@settings(max_examples=400, deadline=None)
@given(texts)
def test_a_tag_never_runs_into_the_next_one(value):
    for name, pattern in TAGS.items():
        for match in pattern.finditer(value):
            tags = re.findall(r"<[^<]*", match.group())
            assert len(tags) <= 2 and all(tag.rstrip().endswith(">") for tag in tags), (name, match.group())
            assert len(tags) <= 1 or name == "html_prose.LIST_ITEM", (name, match.group())


@settings(max_examples=400, deadline=None)
@given(texts)
def test_a_link_or_hidden_span_ends_before_the_next_one_opens(value):
    for match in aides_text._LINK.finditer(value):
        assert "<" not in match.group()[1:match.start(2) - match.start()], match.group()
        assert re.search(r"</?a\b", match.group(2), re.IGNORECASE) is None, match.group()
    for match in mobiville.HIDDEN.finditer(value):
        assert re.search(r"</?span\b", match.group(1), re.IGNORECASE) is None, match.group()
    for match in aides_text._MARKDOWN.finditer(value):
        if match.group().startswith("["):
            assert match.group().count("[") == 1 and match.group().count("(") == 1, match.group()


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([" ", "\t", ",", ";", "|", "a", "b", "."]), max_size=14).map("".join))
def test_separators_read_as_before(value):
    """The spaces around a separator are tried once, from the start of their run; the result is
    the one of the plain pattern."""
    from harvesters.mobilite_csv import LIST_SEPARATORS

    assert LIST_SEPARATORS.split(value) == re.split(r"\s*[|;,]\s*", value)


def test_hostile_texts_still_read_as_text():
    # Markup that never closes: nh3 reads it as a browser would (nothing visible); LHEO, seeing no
    # complete tag, keeps it as text (escaped where it is shown).
    assert safe_text("<li " * 5000) is None
    assert lheo_text("<li " * 5000) == ("<li " * 5000).strip()
    assert safe_text("[a](" * 3) == "[a]([a]([a]("
    assert lheo_text("Atelier <b>CV</b><br/>" * 2) == "Atelier CV\nAtelier CV"
    assert safe_text('<a href="https://exemple.fr/aide">la fiche</a> et <a href="https://x.fr">') is not None
    assert mobiville._who('<span style="display:none">salarié^ alternance</span>Salariés') == (
        ["salarié", "alternance"], "Salariés")


# What the central hygiene pass (harvesters/text_hygiene.py) reads as a tag: its pattern spans a
# « < » as a browser does, so the property that keeps it linear is another one.
MARKUP_PIECES = ["<", ">", "/", " ", "=", '"', "a", "img", "IMG", "script", "b", "<a", "</", "<img a=", "<div/onclick=",
                 "<<", "</b>", "<https://x.fr/?a=1>", "https://x.fr/", "\u202e", "\x00", "alert(1)", "<!--", "-->"]
markup_texts = st.lists(st.sampled_from(MARKUP_PIECES), max_size=16).map("".join)


@settings(max_examples=500, deadline=None)
@given(markup_texts)
def test_a_tag_once_opened_is_read_to_its_end_in_one_match(value):
    """Once « < » and a letter matched, the tag pattern cannot fail: a match attempt that fails
    costs one character, one that succeeds is never read again, so the scan is linear."""
    for position in range(len(value)):
        if re.match(r"</?[a-zA-Z]", value[position:position + 3]):
            match = text_hygiene._TAG.match(value, position)
            assert match is not None and (match.group(4) == ">" or match.end() == len(value))


@settings(max_examples=500, deadline=None)
@given(markup_texts)
def test_no_active_markup_survives_and_a_second_pass_changes_nothing(value):
    cleaned = without_active_markup(value)
    assert not has_active_markup(cleaned), cleaned
    assert without_active_markup(cleaned) == cleaned
    item = Item("aide", {"description": value})
    clean_row(item)
    again = Item("aide", dict(item.row))
    clean_row(again)
    assert again.row == item.row and again.warnings == []


HOSTILE_MARKUP = {  # shape of n characters: what the hygiene pass leaves of it
    "<a jamais fermé, inerte": (lambda n: "<a " * (n // 3), lambda n: "<a " * (n // 3)),
    "<img a= jamais fermé": (lambda n: "<img a=" * (n // 7), lambda n: "< img a=" * (n // 7)),
    "<<< puis une balise": (lambda n: "<" * n + "img src=x onerror=alert(1)>", lambda n: "<" * (n - 1)),
    "</ répété": (lambda n: "</" * (n // 2), lambda n: "</" * (n // 2)),
    "<x a a a… jamais fermé": (lambda n: "<x" + " a" * (n // 2), lambda n: "<x" + " a" * (n // 2)),
    "<div/onclick=1>x répété": (lambda n: "<div/onclick=1>x" * (n // 16), lambda n: "x" * (n // 16)),
    "](javascript: répété": (lambda n: "](javascript:" * (n // 13), lambda n: "] (javascript:" * (n // 13)),
    "]( puis espaces": (lambda n: "](" + " " * n, lambda n: "](" + " " * n),
}


def _hygiene(value: str) -> str:
    item = Item("aide", {"description": value})
    clean_row(item)
    return item.row["description"]


def test_hostile_markup_is_cleaned_to_what_it_should_be():
    """Each shape took seconds to minutes with a pattern retried from each « < » (or each space)
    to the end of the text. What each leaves is checked here; its time, linear in its length, is
    measured by bench/hostile_text.py (the patterns' linearity is checked above, by structure)."""
    for name, (make, expected) in HOSTILE_MARKUP.items():
        assert _hygiene(make(100_000)) == expected(100_000), name
    url = "https://x.fr/" + '"' * 100_000
    assert without_active_markup(url) == url
