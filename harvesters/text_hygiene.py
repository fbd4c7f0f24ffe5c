"""Characters nobody typed, and markup that would run, never reach the catalog.

Our free texts are plain text, for people and for API and bulk consumers, some of whom paste
them into a page without escaping them. The engine runs this on every item of every format,
where the items are read: in the reader process for a harvester that reads in a child, so that
the check costs the engine nothing. Every string of a record, at any depth of its lists and
objects, goes through four steps; each field repaired is reported as a warning, once per kind
of repair, and the record is written.

1. **Control characters** (`caracteres-de-controle`), invisible on screen:

   - C1 controls (U+0080 to U+009F): Windows-1252 text decoded as ISO-8859-1. Windows exports
     often declare ISO-8859-1 and write Windows-1252, whose bytes 0x80 to 0x9F are typographic
     signs; read as ISO-8859-1 they become controls. U+0092 was a ’, U+009C an « œ », U+0080 a
     « € ». They get back the character Windows-1252 meant. The WHATWG Encoding Standard reads
     the label ISO-8859-1 as Windows-1252 for that very reason. The five bytes Windows-1252 leaves
     undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) meant nothing: removed.
   - Other controls (U+0000 to U+001F except tab, line feed and carriage return; U+007F): a NUL
     left by a C program, a form feed or a bell from a word processor. JSON and CSV carry them
     (`\\u0000`), as do YAML escapes; XML 1.0 cannot. On a page they show as boxes, they split
     words for search and make any XML export invalid. Removed.

2. **Invisible format characters** (same code): the bidirectional controls (embeddings and
   overrides U+202A to U+202E, isolates U+2066 to U+2069, marks U+200E, U+200F and U+061C), which
   show a text in another order than it is stored (« \u202etxet » reads « text ») and hide what a
   name or an address really says; the zero-width space U+200B, the word joiner U+2060, the
   byte order mark U+FEFF and the soft hyphen U+00AD, which split or glue words for search without
   showing. Removed. The zero-width non-joiner and joiner (U+200C, U+200D) stay: Persian or Indic
   writing and emoji sequences need them.

3. **Web addresses** (`adresse-web-encodee`): a value that is a whole address
   (`https?://` in any case, then no space) is written into an `href="…"` by whoever shows it.
   The characters RFC 3986 never allows raw, « " < > ` { } | \\ ^ », would end the attribute
   (`https://x.fr/"><script>…`) or the tag: each is percent-encoded (`%22`…), which any server
   reads as the same address. A « \\ » where the host name ends (`https://x.fr\\@y.fr`) is the « / »
   browsers and our validator read there: encoded, it would put the host in the user name.
   This step comes before the next one, so that an address is encoded, not cut.
   In the fields the schema holds web addresses in (`lien_source`, `site_web`…), the value is
   one address whatever it holds: blanks around it are dropped, a tab or a line break inside it
   too (as browsers drop them), and a space inside is encoded (%20), so that the quotes after it
   (`https://x.fr/a "onmouseover=…`) are encoded as well, not left raw for a reuser's `href`.

4. **Active markup** (`balisage-actif`). A tag is read as a browser reads it (HTML's
   tokenizer): it opens at « < » or « </ » directly followed by an ASCII letter; its name runs to
   the first space, « / » or « > »; the tag runs to the first « > » (a « < » inside does not end
   it) or, when the text never closes it, to the end of the text. A tag is **active** when its
   name, in any case, is one of `ACTIVE_ELEMENTS` (it runs, loads, embeds something, or changes
   how the rest of the page is read), or when it carries an attribute with a value: after its
   name, a space or a « / », a name, then « = », spaces allowed before it (`<x a=…>`,
   `<div/onmouseover=…>`, `<a/href=javascript:…>`, `<img src = x>`). A lone « = » between spaces
   is an attribute named « = » without a value (« <Bac+2 = 300 € », « a <b = c »): prose.

   - An active tag is removed; what it enclosed stays as text (« alert(1) » is inert), and the
     end tag of an element whose start tag was removed goes with it (`<b onclick=…>9h</b>` → 9h).
   - An active tag the text never closes (`<img src=x onerror=alert(1)//`) would close at the
     next « > » of the page it is pasted into. It runs to the end of the text, which would go with
     it (« Niveau <Bac+2, tarif = 300 € »): it is defused instead, a space after each of its « < »
     (`< img src=x …`), as « < » followed by a space never opens a tag.
   - A text that is nothing but active tags (a name `<script>`, a condition type
     `<img src=x onerror=…>`) is defused the same way rather than emptied: an empty value would
     cost the record its field, or the record itself, for a defect the warning reports.
   - A Markdown autolink with a « = » (`<https://x.fr/?a=1>`, whose `?a` is an attribute to a
     browser, as `onclick` in `<https://x.fr/onclick=…>`) loses its chevrons, keeping its address.
   - A removal never joins two pieces into a new tag: after a « < » or « </ » that stays, a space
     takes the removed tag's place (`<<img a=1>img …>` → `< img …>`).

   - A Markdown link to a script (`[clic](javascript:…)`, also `vbscript:`, `data:`, `file:`, its
     scheme read with entities decoded, as renderers read it) stops being a link: a space after
     its « ] » (`[clic] (javascript:…)`); so does a reference definition to a script
     (`[f] : javascript:…`, used elsewhere as `[clic][f]`). An autolink to a script
     (`<javascript:…>`) loses its chevrons. DORA and data·inclusion descriptions are Markdown, and
     their reusers render them.

   Everything else is prose that looks like a tag, kept as written: « 3 < 5 », « <Bac+2 »,
   « jeunes <de 26 ans », « la balise <div> », `</b>`, `<https://exemple.fr>`, `<a@b.fr>`.

A text without « < » never meets the markup step; each tag is read once, its pattern never
failing once a « < » and a letter have matched: hostile texts (« <a » or « <img a= » a hundred
thousand times, `<<<…`) cost time in proportion to their length (`bench/hostile_text.py`).
`has_active_markup` and `without_active_markup` give this one definition of an active tag to the
harvesters that clean HTML themselves (`lheo_values`, `aides_text`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import cache
from typing import Any

import schemas
from catalog.validation import Problem
from catalog.validation.problems import plural
from harvesters.base import Item
from harvesters.http import URL_UNSAFE_CHARS

CODE = "caracteres-de-controle"
URL_CODE = "adresse-web-encodee"
MARKUP_CODE = "balisage-actif"

_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Bidi embeddings, overrides, isolates and marks; zero-width space, word joiner, BOM, soft hyphen.
_FORMATS = "\u00ad\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
_INVISIBLE = re.compile(f"[{_CONTROLS}{_FORMATS}]")
# Anything any step may change, but for web addresses (tested apart): one scan of an ordinary text.
_SUSPECT = re.compile(f"[{_CONTROLS}{_FORMATS}<]|\\][(:]")
# Byte 0x80 + n of Windows-1252, as a character; "" where Windows-1252 defines none.
_WINDOWS_1252 = [bytes([byte]).decode("cp1252", errors="ignore") for byte in range(0x80, 0xA0)]

_URL = re.compile(r"(?i:https?)://\S+")
_URL_UNSAFE = re.compile(f"[{re.escape(URL_UNSAFE_CHARS)}]")
_URL_ESCAPES = str.maketrans({char: f"%{ord(char):02X}" for char in URL_UNSAFE_CHARS})
_AUTHORITY_END = re.compile(r"[/?#\\]")
# What browsers drop from an address (WHATWG URL: tab and line breaks), and the other blanks.
_URL_DROPPED = re.compile(r"[\t\n\r]")
_URL_BLANK = re.compile(r"\s")

# Elements that run or load something (script, img, iframe, svg, link, meta, base, form…), or
# whose start changes how the page after it is read (style, textarea, title, xmp, noscript…).
ACTIVE_ELEMENTS = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "param", "svg", "math",
    "link", "meta", "base", "basefont", "form", "input", "button", "textarea", "select", "option", "optgroup",
    "keygen", "isindex", "template", "slot", "noscript", "noembed", "noframes", "xmp", "plaintext", "listing",
    "img", "image", "video", "audio", "source", "track", "picture", "portal", "bgsound", "layer", "ilayer",
    "xml", "import", "body", "html", "head", "title",
})
# A tag as HTML's tokenizer reads it: « < » or « </ », a letter, a name up to a space, « / » or
# « > », then anything but « > », then its « > » or the end of the text. Every part can be empty
# but the letter: once « <a » has matched, the match cannot fail, so no text is scanned twice.
_TAG = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)([^>]*)(>?)")
# An attribute with a value, in what follows a tag's name: a space or « / », a name (« = » may
# start it, even be all of it, as HTML's tokenizer reads it: `<x = =a>` has `=` = « a »),
# spaces, « = ». Linear: a name and the spaces after it are scanned from the one space or « / »
# before them.
_ATTRIBUTE_VALUE = re.compile(r"[\s/](?:=[^\s/>=]*|[^\s/>=]+)\s*=")
_AUTOLINK = re.compile(r"<[a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>\x00-\x1f\x7f]*>")
_TAG_START = re.compile(r"<(?=[a-zA-Z/])")
# A Markdown link's target: what follows « ]( ». Its scheme is judged on a bounded window,
# entities decoded (`javascript&colon;`, `&#106;avascript:`), as Markdown renderers decode them.
_MARKDOWN_TARGET = re.compile(r"\]\(")
# A link reference definition (`[f]: javascript:…`, used elsewhere as `[clic][f]`): a line that
# starts, after three spaces at most, with a label, then « ]: ».
_MARKDOWN_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]{1,999}\]:", re.MULTILINE)
_TARGET_WINDOW = 80
_SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
_NOT_IN_SCHEME = re.compile(r"[\s<\x00-\x1f]+")


class _Repairs:
    """What was done to one field's strings, for its warnings."""

    __slots__ = ("autolinks", "backslash_host", "blanks_dropped", "defused", "encoded", "formats", "removed",
                 "removed_tags", "restored", "script_links", "whole")

    def __init__(self) -> None:
        self.restored: list[str] = []
        self.removed: list[str] = []
        self.formats: list[str] = []
        self.encoded: list[str] = []
        self.backslash_host = False
        self.blanks_dropped = False
        self.removed_tags: list[str] = []
        self.defused: list[str] = []
        self.whole: list[str] = []
        self.autolinks = 0
        self.script_links = 0

    def warnings(self, name: str) -> list[Problem]:
        found = []
        if self.restored or self.removed or self.formats:
            found.append(_invisible_warning(name, self.restored, self.removed, self.formats))
        if self.encoded or self.backslash_host or self.blanks_dropped:
            found.append(_url_warning(name, self.encoded, self.backslash_host, self.blanks_dropped))
        if self.removed_tags or self.defused or self.whole or self.autolinks or self.script_links:
            found.append(_markup_warning(name, self))
        return found


def clean_items(items: Iterable[Item]) -> Iterator[Item]:
    for item in items:
        if item.row is not None:
            clean_row(item)
        # Where the report says the item is (« ligne 3 (velo-ecole) »), built from its raw id.
        item.reference = clean_text(item.reference)
        if item.id_hint:
            item.id_hint = clean_text(item.id_hint)
        # Messages quote the source's values (« « x » n'est ni une valeur… »): an escape sequence
        # there would reach the operator's terminal (clearing it, retitling it) and the report.
        if item.problems:
            item.problems = _clean_messages(item.problems)
        if item.warnings:
            item.warnings = _clean_messages(item.warnings)
        yield item


def _clean_messages(problems: list[Problem]) -> list[Problem]:
    return [replace(p, message=clean_text(p.message)) if _INVISIBLE.search(p.message) else p for p in problems]


def clean_text(value: str) -> str:
    """`value` without control or invisible format characters (repaired as in a record), for text
    that is not a record's: a DCAT catalog's titles, the place of an item in a report."""
    return _invisible(value, _Repairs()) if _INVISIBLE.search(value) else value


def clean_row(item: Item) -> None:
    """Repairs `item.row` in place and adds one warning per field and kind of repair."""
    row = item.row
    assert row is not None
    for name in _url_fields(item.kind):
        value = row.get(name)
        if type(value) is str and value.lstrip()[:4].lower() == "http" and _URL_BLANK.search(value):
            repairs = _Repairs()
            row[name] = _address(value, repairs)
            item.warnings.extend(repairs.warnings(name))
    for name, value in row.items():
        kind = type(value)
        if kind is str:
            if not _suspect(value):
                continue
        elif kind is list or kind is dict:
            if not _holds_suspect(value):
                continue
        else:
            continue
        repairs = _Repairs()
        cleaned = _clean(value, repairs)
        warnings = repairs.warnings(name)
        if warnings:  # « 3 < 5 », an address with nothing to encode: looked at, left as it is
            row[name] = cleaned
            item.warnings.extend(warnings)


@cache
def _url_fields(kind: str) -> tuple[str, ...]:
    """The fields of `kind` that hold a web address (its schema's `http-url` check)."""
    try:
        return schemas.url_fields(kind)
    except (KeyError, FileNotFoundError, ValueError):  # a harvester's own kinds (tests)
        return ()


def _address(value: str, repairs: _Repairs) -> str:
    """A web address field's value with no blank left: dropped around it and where browsers
    drop them, encoded elsewhere; then encoded as any address is (step 3)."""
    trimmed = _URL_DROPPED.sub("", value.strip())
    repairs.blanks_dropped = len(trimmed) < len(value)
    value = trimmed
    blanks = _URL_BLANK.findall(value)
    if blanks:
        repairs.encoded.extend(blanks)
        value = _URL_BLANK.sub(lambda found: f"%{ord(found.group()):02X}", value)
    if _is_unsafe_url(value):
        value = _encoded_url(value, repairs)
    return value


def has_active_markup(text: str) -> bool:
    """Whether `text` holds an active tag (the module's rule), closed or not."""
    if "<" not in text:
        return False
    return any(_active(match) for match in _TAG.finditer(text))


def without_active_markup(text: str) -> str:
    """`text` with its active tags removed, or defused where the text never closes them."""
    return _markup(text, _Repairs()) if "<" in text else text


# -- the steps ---------------------------------------------------------------------------------

# Rows of one source repeat their texts (an LHEO session carries its action's and formation's):
# each is judged once while it recurs. Few entries: the repeats come close together.
_JUDGED: dict[str, bool] = {}
_JUDGED_MAX = 1024


def _suspect(value: str) -> bool:
    judged = _JUDGED.get(value)
    if judged is None:
        if len(_JUDGED) >= _JUDGED_MAX:
            _JUDGED.clear()
        judged = _JUDGED[value] = _SUSPECT.search(value) is not None or _is_unsafe_url(value)
    return judged


def _holds_suspect(value: Any) -> bool:
    if type(value) is str:
        return _suspect(value)
    if type(value) is list:
        return any(_holds_suspect(part) for part in value)
    if type(value) is dict:
        return any(_holds_suspect(part) for part in value.values())
    return False


def _clean(value: Any, repairs: _Repairs) -> Any:
    if type(value) is str:
        if _INVISIBLE.search(value):
            value = _invisible(value, repairs)
        if _is_unsafe_url(value):
            value = _encoded_url(value, repairs)
        if "<" in value:
            value = _markup(value, repairs)
            if _is_unsafe_url(value):  # an autolink out of its chevrons, a « < » after it
                value = _encoded_url(value, repairs)
        if "](" in value or "]:" in value:
            value = _markdown_links(value, repairs)
        return value
    if type(value) is list:
        return [_clean(part, repairs) for part in value]
    if type(value) is dict:
        return {key: _clean(part, repairs) for key, part in value.items()}
    return value


def _is_unsafe_url(value: str) -> bool:
    return value[:4].lower() == "http" and _URL_UNSAFE.search(value) is not None and _URL.fullmatch(value) is not None


def _invisible(value: str, repairs: _Repairs) -> str:
    return _INVISIBLE.sub(lambda found: _replacement(found.group(), repairs), value)


def _replacement(char: str, repairs: _Repairs) -> str:
    code = ord(char)
    if 0x80 <= code <= 0x9F:
        meant = _WINDOWS_1252[code - 0x80]
        if meant:
            repairs.restored.append(meant)
            return meant
    (repairs.removed if code <= 0x9F else repairs.formats).append(f"U+{code:04X}")
    return ""


def _encoded_url(value: str, repairs: _Repairs) -> str:
    end = _AUTHORITY_END.search(value, value.index("://") + 3)
    if end is not None and end.group() == "\\":
        value = value[:end.start()] + "/" + value[end.end():]
        repairs.backslash_host = True
    repairs.encoded.extend(_URL_UNSAFE.findall(value))
    return value.translate(_URL_ESCAPES)


def _active(match: re.Match) -> bool:
    return match.group(2).lower() in ACTIVE_ELEMENTS or _ATTRIBUTE_VALUE.search(match.group(3)) is not None


def _markup(value: str, repairs: _Repairs) -> str:
    removed: list[str] = []
    defused: list[str] = []
    autolinks = script_autolinks = 0
    removed_elements: set[str] = set()

    def replace(match: re.Match) -> str:
        nonlocal autolinks, script_autolinks
        end_tag, name, inside, closed = match.groups()
        element = name.lower()
        if closed and _AUTOLINK.fullmatch(match.group()) and _runs_script(match.group()[1:-1]):
            # A Markdown autolink to a script (`<javascript:alert(1)>`) is a link once rendered:
            # out of its chevrons, it is text.
            script_autolinks += 1
            return match.group()[1:-1]
        if _active(match):
            if not closed:  # runs to the end of the text: defused, the text kept
                defused.append(element)
                return _TAG_START.sub("< ", match.group())
            if "=" in inside and _AUTOLINK.fullmatch(match.group()) and element not in ACTIVE_ELEMENTS:
                autolinks += 1
                kept = match.group()[1:-1]
            else:
                removed.append(element)
                if not end_tag:
                    removed_elements.add(element)
                kept = ""
        elif end_tag and closed and element in removed_elements:
            kept = ""
        else:
            return match.group()
        # A « < » or « </ » just before must not meet what follows (`<<img a=1>img …>`).
        start = match.start()
        if start and (value[start - 1] == "<" or value[start - 2:start] == "</"):
            return " " + kept
        return kept

    cleaned = _TAG.sub(replace, value)
    if not (removed or defused or autolinks or script_autolinks):
        return value
    if removed and not cleaned.strip():
        # Nothing but markup (`<script>`, a condition type `<img src=x onerror=…>`): an empty value
        # would cost the record its field, or the record itself. Every tag is defused instead.
        repairs.whole.extend(removed + defused)
        return _TAG_START.sub("< ", value)
    repairs.removed_tags.extend(removed)
    repairs.defused.extend(defused)
    repairs.autolinks += autolinks
    repairs.script_links += script_autolinks
    # `<img …> Texte` is « Texte », not « ␠Texte »; spaces the source wrote at either end stay.
    if not value[:1].isspace():
        cleaned = cleaned.lstrip()
    if not value[-1:].isspace():
        cleaned = cleaned.rstrip()
    return cleaned


def _markdown_links(value: str, repairs: _Repairs) -> str:
    """`[clic](javascript:…)` made plain text: a space after its « ] » (`[clic] (javascript:…)`),
    which no Markdown renderer reads as a link; so is a reference definition to a script
    (`[f] : javascript:…`). Descriptions from DORA or data·inclusion are Markdown, and rendered as
    such by their reusers."""
    targets = [*_MARKDOWN_TARGET.finditer(value), *_MARKDOWN_DEFINITION.finditer(value)]
    cuts = sorted(match.end() - 1 for match in targets
                  if _runs_script(value[match.end():match.end() + _TARGET_WINDOW]))
    if not cuts:
        return value
    repairs.script_links += len(cuts)
    pieces, start = [], 0
    for cut in cuts:
        pieces += [value[start:cut], " "]
        start = cut
    return "".join([*pieces, value[start:]])


def _runs_script(target: str) -> bool:
    scheme = _NOT_IN_SCHEME.sub("", html.unescape(target)).lower()
    return scheme.startswith(_SCRIPT_SCHEMES)


# -- warnings ----------------------------------------------------------------------------------

def _invisible_warning(name: str, restored: list[str], removed: list[str], formats: list[str]) -> Problem:
    said = []
    if restored:
        s = "s" if len(restored) > 1 else ""
        said.append(f"{plural(len(restored), 'signe')} Windows-1252 rétabli{s} ({' '.join(dict.fromkeys(restored))}) : "
                    "le texte avait été décodé en ISO-8859-1 au lieu de Windows-1252")
    if removed:
        s = "s" if len(removed) > 1 else ""
        said.append(f"{plural(len(removed), 'caractère')} de contrôle invisible{s} retiré{s} "
                    f"({', '.join(dict.fromkeys(removed))})")
    if formats:
        s = "s" if len(formats) > 1 else ""
        said.append(f"{plural(len(formats), 'caractère')} de mise en forme invisible{s} retiré{s} "
                    f"({', '.join(dict.fromkeys(formats))}) : sens d'écriture forcé, espace sans largeur, "
                    "césure ou marque d'ordre des octets")
    return Problem(name, CODE, f"Champ {name} : {' ; '.join(said)}.")


def _url_warning(name: str, encoded: list[str], backslash_host: bool, blanks_dropped: bool = False) -> Problem:
    said = []
    if blanks_dropped:
        said.append("blancs autour de l'adresse web, tabulations et retours à la ligne retirés, comme le font les "
                    "navigateurs")
    if encoded:
        chars = list(dict.fromkeys(encoded))
        said.append(f"{plural(len(encoded), 'caractère')} de l'adresse web encodé{'s' if len(encoded) > 1 else ''} "
                    f"({' '.join(f'{_shown_char(c)} → %{ord(c):02X}' for c in chars)}) : tels quels, ils la feraient sortir de "
                    "l'attribut href d'une page web ; l'adresse est la même")
    if backslash_host:
        said.append("le « \\ » qui suit le nom de domaine est écrit « / », comme le lisent les navigateurs")
    return Problem(name, URL_CODE, f"Champ {name} : {' ; '.join(said)}.")


def _shown_char(char: str) -> str:
    return char if char.strip() else f"U+{ord(char):04X}"  # a space shown as itself would not show


def _markup_warning(name: str, repairs: _Repairs) -> Problem:
    def tags(found: list[str]) -> str:
        return ", ".join(f"<{tag}>" for tag in dict.fromkeys(found))

    said = []
    if repairs.removed_tags:
        s = "s" if len(repairs.removed_tags) > 1 else ""
        said.append(f"{plural(len(repairs.removed_tags), 'balise')} active{s} retirée{s} ({tags(repairs.removed_tags)}), "
                    "seul le texte reste")
    if repairs.defused:
        s = "s" if len(repairs.defused) > 1 else ""
        said.append(f"{plural(len(repairs.defused), 'balise')} active{s} jamais fermée{s} neutralisée{s} "
                    f"({tags(repairs.defused)}) : une espace suit désormais chaque « < », sans quoi elle se fermerait "
                    "au premier « > » de la page")
    if repairs.whole:
        said.append(f"valeur faite seulement de balises actives ({tags(repairs.whole)}), neutralisées plutôt que "
                    "retirées : une espace suit désormais chaque « < »")
    if repairs.autolinks:
        s = "s" if repairs.autolinks > 1 else ""
        said.append(f"{plural(repairs.autolinks, 'adresse')} entre chevrons portant un « = » sortie{s} de ses chevrons")
    if repairs.script_links:
        said.append(f"{plural(repairs.script_links, 'lien')} Markdown vers un script (javascript:, data:…) "
                    "désactivé(s) : une espace suit désormais leur « ] », ou leurs chevrons sont retirés")
    return Problem(name, MARKUP_CODE, f"Champ {name} : {' ; '.join(said)}. Collé tel quel dans une page web, ce "
                   "texte y serait du balisage actif (script, chargement, attribut).")


def capped(text: str | None, limit: int | None) -> str | None:
    """`text` cut to `limit` characters, the cut marked « … » (None or 0: no limit): a text over
    its schema's length is published with its start, not refused whole."""
    if text is None or not limit or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"
