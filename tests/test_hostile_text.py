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

from harvesters import aides_text, lheo_values, mobiville
from harvesters.aides_text import safe_text
from harvesters.lheo_values import text as lheo_text

PIECES = ["<", ">", "/", " ", "\n", "a", "li", "br", "p", "span", ' style="display:none"', " href=", '"', "http://x.fr",
          "</a>", "<a ", "</span>", "<span>", "<li>", "<br/>", "</p>", "[", "]", "(", ")", "**", "&amp;", "@", ".",
          '<span style="display:none">', '<a href="http://x.fr">', "a" * 40]
texts = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)

TAGS = {
    "lheo_values._LIST_ITEM": lheo_values._LIST_ITEM, "lheo_values._BLOCK_END": lheo_values._BLOCK_END,
    "lheo_values._LOOKS_LIKE_HTML": lheo_values._LOOKS_LIKE_HTML, "aides_text._TAG": aides_text._TAG,
    "aides_text._LIST_ITEM": aides_text._LIST_ITEM, "aides_text._LINE_BREAK": aides_text._LINE_BREAK,
    "mobiville.LINE_END": mobiville.LINE_END, "mobiville.LIST_ITEM": mobiville.LIST_ITEM,
}


@settings(max_examples=400, deadline=None)
@given(texts)
def test_a_tag_never_runs_into_the_next_one(value):
    for name, pattern in TAGS.items():
        for match in pattern.finditer(value):
            assert "<" not in match.group()[1:], (name, match.group())


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
