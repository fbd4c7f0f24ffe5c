"""A « < » in a producer's HTML that starts no tag is prose, and stays in the text.

Sources write « jeunes <de 26 ans et adultes >45 ans » or « Niveau <Bac+2 », in HTML descriptions
(aides-territoires, Mobiville, LHEO's CDATA) as in plain ones. An HTML parser reads like a
browser: a « < » followed by a letter opens a tag, which runs to the next « > » and is dropped
with everything in it (« jeunes 45 ans »). So before a description is parsed, a « < » is escaped
unless what follows names an element of HTML (current or obsolete, in any case, `</p>` included),
one of Word's namespaced tags (`<o:p>`), a comment, a doctype or a processing instruction.

Safety does not rest on this: an active tag with another name (`<x onclick=…>`) is kept as text
here, and `harvesters/text_hygiene.py` defuses it in every record.
"""

from __future__ import annotations

import re

from harvesters.text_hygiene import ACTIVE_ELEMENTS

HTML_ELEMENTS = ACTIVE_ELEMENTS | frozenset({
    "a", "abbr", "acronym", "address", "area", "article", "aside", "b", "bdi", "bdo", "big", "blink",
    "blockquote", "br", "canvas", "caption", "center", "cite", "code", "col", "colgroup", "data", "datalist",
    "dd", "del", "details", "dfn", "dialog", "dir", "div", "dl", "dt", "em", "fieldset", "figcaption", "figure",
    "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "i", "ins", "kbd", "label",
    "legend", "li", "main", "map", "mark", "marquee", "menu", "meter", "nav", "nobr", "ol", "output", "p",
    "pre", "progress", "q", "rb", "rp", "rt", "rtc", "ruby", "s", "samp", "search", "section", "small", "span",
    "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr",
    "tt", "u", "ul", "var", "wbr",
})


def _by_first_letter(names: frozenset[str]) -> str:
    """The names as one alternation per first letter (`a(?:bbr|rea|)|b(?:r|ig|)…`): a « < » is
    checked against some twenty letters instead of a hundred and fifty names, in each text."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name[0], []).append(re.escape(name[1:]))
    return "|".join(f"{first}(?:{'|'.join(sorted(rests, key=len, reverse=True))})"
                    for first, rests in sorted(groups.items()))


# What may follow a « < » that opens markup. The name must end there (`<b>`, `<br/>`, `<p class>`),
# not go on (`<Bac+2`, `<de 26 ans`). Bounded look-ahead: linear in the text, however hostile.
_MARKUP_START = f"/?(?:{_by_first_letter(HTML_ELEMENTS)})(?![\\w:.-])|/?(?:o|v|w|m|x|st1):[a-zA-Z]|[!?]"
_PROSE_LESS_THAN = re.compile(f"<(?!{_MARKUP_START})", re.IGNORECASE)
# A tag (or comment) of HTML, up to its « > »; `[^<>]*` so that no text is scanned twice.
TAG = re.compile(f"<(?:{_MARKUP_START})[^<>]*>", re.IGNORECASE)


def escape_prose(html: str) -> str:
    """`html` with each « < » that starts no markup written `&lt;`, for an HTML parser."""
    return _PROSE_LESS_THAN.sub("&lt;", html) if "<" in html else html


# -- HTML as lines of text (shared by the aides, LHEO and Mobiville readers) ---------------------

# A list item opens with a dash. In a loose list its text sits in a paragraph (`<li>\n<p>`): the
# dash goes before that text, not on a line of its own.
LIST_ITEM = re.compile(r"<\s*li(?:\s[^<>]*)?>\s*(?:<\s*p(?:\s[^<>]*)?>)?", re.IGNORECASE)
# A line break, with the newline that usually follows it in the source (`<br>\n`): one line
# break, not a blank line.
LINE_BREAK = re.compile(r"<\s*br(?:[\s/][^<>]*)?>(?:\r?\n)?", re.IGNORECASE)
