"""LHEO values as producers really write them, made clean (`harvesters/lheo.py` uses these).

Every function takes the raw text of one element (or None) and returns a clean value or None.
None means "absent": a placeholder, an unknown date, a malformed code. An optional value that
would fail validation is dropped here rather than passed on, so that one bad telephone number
does not cost a whole training session; `Corrections` counts what was dropped or repaired,
for the harvest's log.

The defects handled come from real feeds (Intercarif, ONISEP, EDOF exports): `00000000` and
`AAAAMM00` dates, comma decimals and currency signs, HTML escaped or in CDATA, `-` and
`Non renseigné` placeholders, URLs without a scheme, 15-character SIRETs, 4-digit postal
codes whose leading zero was lost, a postal code written where the INSEE code belongs.
"""

from __future__ import annotations

import calendar
import html
import math
import re
import unicodedata
from collections import Counter
from datetime import UTC, date, datetime
from functools import lru_cache

import nh3

from catalog.validation.rules import is_email, is_http_url
from harvesters.html_prose import LINE_BREAK, LIST_ITEM, escape_prose
from harvesters.text_hygiene import capped, has_active_markup

# -- text ------------------------------------------------------------------------------------

# What producers write when they have nothing to say (compared folded: lower case, no accents).
PLACEHOLDERS = frozenset({
    "", "-", "--", "---", ".", "..", "...", "?", "/", "x", "xx", "xxx", "nc", "n.c", "n.c.", "n/c",
    "na", "n/a", "nr", "null", "none", "nil", "sans objet", "non renseigne", "non renseignee",
    "non communique", "non communiquee", "non precise", "non precisee", "a completer", "a renseigner",
    "inconnu", "inconnue", "neant",
})

# Block-level tags after which a line ends, so that paragraphs and list items stay apart.
# A tag's inside is `[^<>]*`, never `[^>]*`, and no two runs of spaces can share the same
# characters: a hostile text (« <li » ten thousand times, « < » then a million spaces) is read
# in linear time, instead of being rescanned to its end from each « < ».
# A table's cells and a definition list's terms end lines too (« Module 1 » then « 35 heures »,
# not « Module 135 heures »); a row ends a paragraph.
_BLOCK_END = re.compile(r"<\s*/\s*(?:p|div|h[1-6]|tr|ul|ol|table|blockquote|td|th|dt|dd|section|article|caption)\s*>"
                        r"|<\s*hr(?:[\s/][^<>]*)?>", re.IGNORECASE)
# A name may carry a prefix: Word's `<o:p></o:p>` is markup, as html_prose counts it.
_TAG = re.compile(r"<(?:\s*/)?\s*[a-zA-Z][a-zA-Z0-9]*(?::[a-zA-Z][a-zA-Z0-9]*)?(?:[\s/][^<>]*)?>")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+\d*);")
_LOOKS_LIKE_HTML = re.compile(_TAG.pattern + "|" + _ENTITY.pattern)
_BLANK_LINES = re.compile(r"\n{3,}")
_LIST_AFTER_PARAGRAPH = re.compile(r"\n\n- ")


_COMBINING = re.compile(r"[\u0300-\u036f]+")  # the accents NFKD splits off French letters


def fold(value: str) -> str:
    """Lower case without accents, for comparisons ("Non renseigné" → "non renseigne")."""
    if value.isascii():
        return value.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", value.casefold()))


def is_placeholder(value: str) -> bool:
    if len(value) > 24:
        return False
    lowered = value.lower()
    if lowered in PLACEHOLDERS:
        return True
    folded = fold(lowered).strip()
    return folded in PLACEHOLDERS or folded.strip(" .") in PLACEHOLDERS


def text(raw: str | None, *, max_length: int | None = None) -> str | None:
    """Plain text from a text element: HTML (escaped or CDATA) reduced to safe text, lines kept.

    lxml already turned `&lt;p&gt;` and `<![CDATA[<p>]]>` into the same `<p>`. A text that was
    escaped once more as a whole (`&amp;lt;p&amp;gt;`) has no tag but shows some after one pass,
    hence a second one. A text with real tags is decoded once only: what it escaped inside them
    (« <p>Balises &lt;div&gt;</p> », « Niveau &lt;Bac ») is the producer's text, kept, unless it
    is an active tag, which a second pass removes: an element that runs, loads or embeds something,
    or any tag with an attribute (`<img src=x onerror=…>`, `<div/onmouseover=…>`), as
    `harvesters/text_hygiene.py` defines it for every format (`has_active_markup`). What is left
    (« la balise <div> », « <Bac+2 ») is prose, and so is a « < » before a name that is no HTML
    element (« jeunes <de 26 ans et >45 ans »), which the HTML parser would swallow up to the
    next « > » (`harvesters/html_prose.py`). A plain text's unclosed tag
    (`<img src=x onerror=…`, no « > ») is left to that module, which defuses it and says so.
    """
    if raw is None:
        return None
    value = raw
    if ("<" in value or "&" in value) and _LOOKS_LIKE_HTML.search(value):
        tagged = "<" in value and _TAG.search(value) is not None
        value = _strip_html(value)
        # HTML escaped as a whole (a tag shows after one pass), or text escaped twice (an entity
        # does: « propret&amp;amp;eacute; » → « propret&eacute; »).
        if not tagged and (("<" in value and _TAG.search(value)) or ("&" in value and _ENTITY.search(value))):
            value = _strip_html(value)
        # Nested escapes (`&lt;&lt;b&gt;img …&gt;`) can rebuild an active tag pass after pass.
        for _ in range(8):
            if not has_active_markup(value):
                break
            stripped = _strip_html(value, prose=False)  # read as a browser would, prose « < » included
            if stripped == value:
                break
            value = stripped
    value = _normalize_space(value)
    if "\n\n- " in value:  # a list right after its paragraph: no blank line between them
        value = _LIST_AFTER_PARAGRAPH.sub("\n- ", value)
    if not value or is_placeholder(value):
        return None
    return capped(value, max_length)


def _strip_html(value: str, *, prose: bool = True) -> str:
    """`value`'s text; `prose`: a « < » that starts no markup stays text (harvesters/html_prose.py)."""
    value = LIST_ITEM.sub("\n- ", value)
    value = LINE_BREAK.sub("\n", value)
    value = _BLOCK_END.sub("\n", value)
    if prose:
        value = escape_prose(value)
    # nh3 (ammonia) parses like a browser and keeps no tag at all; its output is escaped
    # HTML text, which `html.unescape` turns back into the plain text we store.
    return html.unescape(nh3.clean(value, tags=set(), strip_comments=True))


def _normalize_space(value: str) -> str:
    # str.split() splits on every Unicode space (no-break ones included) and drops the ends.
    if "\n" not in value and "\r" not in value:
        return " ".join(value.split())
    lines = [" ".join(line.split()) for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    joined = "\n".join(lines).strip("\n")
    return _BLANK_LINES.sub("\n\n", joined)


def line(raw: str | None) -> str | None:
    """A one-line text (a name, a town, an address line): no HTML, no line breaks."""
    value = text(raw)
    return " ".join(value.split()) if value else None


def paragraphs(*values: str | None, max_length: int | None = None) -> str | None:
    """Several texts as paragraphs, repeated ones once (objectif and contenu often coincide)."""
    kept: list[str] = []
    for value in values:
        if value and value not in kept:
            kept.append(value)
    if not kept:
        return None
    return capped("\n\n".join(kept), max_length)


# -- codes and flags -------------------------------------------------------------------------

def code(raw: str | None) -> str | None:
    """A dictionary key (`dict-niveaux`, `dict-financeurs`...): digits, leading zeros dropped."""
    if raw is None:
        return None
    value = raw.strip()
    if not (value.isascii() and value.isdigit()):  # « 4² », « ① » are digits to str.isdigit, not to int()
        return None
    return str(int(value))


def boolean(raw: str | None) -> bool | None:
    """`dict-boolean`: 0 = non, 1 = oui (some producers write oui/non, true/false)."""
    if raw is None:
        return None
    value = fold(raw.strip())
    if value in ("1", "oui", "true", "o", "vrai"):
        return True
    if value in ("0", "non", "false", "n", "faux"):
        return False
    return None


def pattern_code(raw: str | None, regex: re.Pattern[str], *, prefix: str = "") -> str | None:
    """A code of a nomenclature (FORMACODE, ROME, NSF, RNCP...), its prefix removed when present."""
    if raw is None:
        return None
    value = raw.strip()
    if prefix and value.upper().startswith(prefix):
        value = value[len(prefix):].strip()
    return value if regex.fullmatch(value) else None


FORMACODE = re.compile(r"\d{5}")
ROME = re.compile(r"[A-N]\d{4}")
NSF = re.compile(r"\d{3}[a-z]?")
CERTIF_NUMBER = re.compile(r"\d{1,6}")


def rome(raw: str | None) -> str | None:
    return pattern_code(raw.upper() if raw else raw, ROME)


def nsf(raw: str | None) -> str | None:
    return pattern_code(raw.lower() if raw else raw, NSF)


def unique(values) -> list:
    """Values in order, each once, None dropped (the schema's `unique-items` check)."""
    # A dict keeps the first of each in order, in linear time: a feed repeating one code thousands
    # of times must not cost a list scan per repetition. Every value mapped here is a string.
    return list(dict.fromkeys(value for value in values if value is not None))


# -- dates -----------------------------------------------------------------------------------

# Not followed by a digit: « 202503011 » is a typo, not the 1st of March.
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?!\d)")
_UNKNOWN_DATES = frozenset({"00000000", "99999999"})


def lheo_date(raw: str | None, *, end: bool = False) -> date | None:
    """A LHEO date, `AAAAMMJJ` (or ISO `AAAA-MM-JJ`, or an ISO timestamp).

    `00000000` (unknown start) and `99999999` (unknown end) are absent; `AAAAMM00` names a month
    and `AAAA0000` a year (the LHEO rule), taken as their first day — or last day for an end.
    """
    if raw is None:
        return None
    match = _DATE.match(raw.strip())
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    if year == 0 or year == 9999:
        return None
    if month == 0:
        month, day = (12, 31) if end else (1, 1)
    if day == 0:
        day = calendar.monthrange(year, month)[1] if end and 1 <= month <= 12 else 1
    try:
        return date(year, month, day)
    except ValueError:
        return None


def unknown_date(raw: str) -> bool:
    """`00000000` or `99999999`: LHEO's « not known », not a defect."""
    return raw.strip() in _UNKNOWN_DATES


def modification_date(raw: str | None) -> date | None:
    """The UTC date of a modification timestamp (`horodatage-modification`, ISO with its offset:
    `2026-11-25T01:00:00+04:00` is 24 November in UTC, the calendar `date_maj` is checked
    against); a date without a time is taken as written."""
    if raw is None:
        return None
    value = raw.strip()
    if len(value) > 10 and value[10:11] in ("T", " ") and (value.endswith("Z") or "+" in value[10:]
                                                         or "-" in value[10:]):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return lheo_date(value)
        if moment.tzinfo is not None:
            return moment.astimezone(UTC).date()
    return lheo_date(value)


# -- numbers ---------------------------------------------------------------------------------

_NUMBER_NOISE = re.compile(r"[\s\u00a0\u202f€$]|eur(?:os?)?|ttc|ht", re.IGNORECASE)


_EXCLUDING_TAX = re.compile(r"(?<![^\W\d_])H\.?\s?T\.?(?![^\W\d_])|hors[\s-]+tax", re.IGNORECASE)


def excludes_tax(raw: str | None) -> bool:
    """Whether a price says it is before tax: « 1 500 € HT », « 1500HT », « 1 500 hors taxes »."""
    return bool(raw) and _EXCLUDING_TAX.search(raw) is not None


# Thousands grouped by the separator that is not the decimal mark: « 1.234.567 », « 1,234 ».
_GROUPED = re.compile(r"[1-9]\d{0,2}(?:[.,]\d{3})+")
_AMBIGUOUS = re.compile(r"[1-9]\d{0,2}[.,]\d{3}")


def decimal(raw: str | None) -> float | None:
    """A decimal as French or English writers put it: `1 234,50 €` → 1234.5, `1,234.50` →
    1234.5, `12.5` (LHEO's xs:decimal) → 12.5. Negative or unreadable numbers are absent.

    With both marks, the last one is the decimal mark. One mark repeated groups thousands
    (`1.234.567`). One mark followed by exactly three digits (`1.500`, `1,500`) may be either:
    1,5 or 1 500; reading it wrong would multiply or divide a price by 1000, so it is absent
    (`ambiguous_decimal` tells the caller why, to report it).
    """
    if raw is None:
        return None
    value = _NUMBER_NOISE.sub("", raw)
    if not value:
        return None
    if "," in value or "." in value:
        comma, dot = value.rfind(","), value.rfind(".")
        mark = "," if comma > dot else "."
        whole, _, fraction = value.rpartition(mark)
        other = "." if mark == "," else ","
        if other in whole:  # « 1.234,50 », « 1,234.50 »: the other mark groups thousands
            if not _GROUPED.fullmatch(whole) or "," in fraction or "." in fraction:
                return None
            value = whole.replace(other, "") + "." + fraction
        elif mark in whole:  # « 1.234.567 »: thousands only
            if not _GROUPED.fullmatch(value):
                return None
            value = value.replace(mark, "")
        elif _AMBIGUOUS.fullmatch(value):  # « 1.500 »: 1,5 or 1 500?
            return None
        else:
            value = whole + "." + fraction
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    # A whole number as an int (4500, not 4500.0), while a float holds it exactly (2⁵³): a larger
    # one made an int of hundreds of digits, which the catalog's JSON cannot store.
    return int(number) if number.is_integer() and number <= 2**53 else number


_HOURS_UNIT = re.compile(r"\s*(?:h|hrs?|heures?)\.?\s*$", re.IGNORECASE)
_FREE = frozenset({"gratuit", "gratuite", "gratuits", "gratuites"})


def hours(raw: str | None) -> float | None:
    """A number of hours, its unit written or not (« 35 », « 35 h », « 35,5 heures »)."""
    return decimal(_HOURS_UNIT.sub("", raw)) if raw is not None else None


def is_free(raw: str | None) -> bool:
    """« Gratuit » written where a price belongs."""
    return raw is not None and fold(raw).strip(" .!") in _FREE


def ambiguous_decimal(raw: str | None) -> bool:
    """Whether `decimal(raw)` is None because its one mark may be decimal or thousands (`1.500`)."""
    return raw is not None and _AMBIGUOUS.fullmatch(_NUMBER_NOISE.sub("", raw)) is not None


def coordinate(raw: str | None, limit: float) -> float | None:
    """A WGS 84 degree (comma decimals accepted), within ±limit."""
    if raw is None:
        return None
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        return None
    if not math.isfinite(value) or abs(value) > limit:
        return None
    return value


# -- web, mail, telephone --------------------------------------------------------------------

_NDA = re.compile(r"\w{11}")
_COMMUNE = re.compile(r"\d{5}|2[AB]\d{3}")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def url(raw: str | None) -> str | None:
    """A web address; `www.exemple.fr` (no scheme, as producers often write) gets `https://`."""
    value = line(raw)
    if not value or " " in value:
        return None
    if not _SCHEME.match(value):
        if value.startswith("//"):
            value = "https:" + value
        elif "." in value.split("/")[0] and "@" not in value.split("/")[0]:
            value = "https://" + value
        else:
            return None
    return value if is_http_url(value) else None


def email(raw: str | None) -> str | None:
    value = line(raw)
    if not value:
        return None
    value = value.removeprefix("mailto:").strip()
    return value if is_email(value) else None


_PHONE_NOISE = re.compile(r"[\s.\-/()\u00a0]")
_FRENCH_PHONE = re.compile(r"0[1-9]\d{8}")
_E164 = re.compile(r"\+[1-9]\d{7,14}")


# Overseas départements share the French 10-digit plan but not its country code (ARCEP plan:
# geographic 02 62/63/69, 05 90/94/96; mobile 06 39/90/91/92/93/94/96/97). Only these blocks,
# each wholly assigned to one country code: a number elsewhere stays +33.
OVERSEAS_PREFIXES = {
    "262": "262", "263": "262", "269": "262", "639": "262", "692": "262", "693": "262",  # La Réunion, Mayotte
    "590": "590", "690": "590", "691": "590",  # Guadeloupe, Saint-Martin, Saint-Barthélemy
    "594": "594", "694": "594",  # Guyane
    "596": "596", "696": "596", "697": "596",  # Martinique
}


def telephone(raw: str | None) -> str | None:
    """One French telephone number in E.164 (`01 23 45 67 89` → `+33123456789`,
    `0262 12 34 56` → `+262262123456`)."""
    value = line(raw)
    if not value:
        return None
    digits = _PHONE_NOISE.sub("", value)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+330"):  # « +33 (0)1 48 … »: the trunk 0 written in brackets
        digits = "+33" + digits[4:]
    if _FRENCH_PHONE.fullmatch(digits):
        country = OVERSEAS_PREFIXES.get(digits[1:4], "33")
        return f"+{country}{digits[1:]}"
    if _E164.fullmatch(digits) and (not digits.startswith("+33") or len(digits) == 12):
        if digits.startswith("+33") and digits[3:6] in OVERSEAS_PREFIXES:  # « +33 262 … »: a common slip
            return f"+{OVERSEAS_PREFIXES[digits[3:6]]}{digits[3:]}"
        return digits
    return None


# -- organisations ---------------------------------------------------------------------------

def siret(raw: str | None) -> tuple[str | None, str | None]:
    """A SIRET as a 14-digit string, and what was wrong with the raw value (None: nothing).

    Kept as text: leading zeros are part of the number. A 15-character value with a leading
    zero (a known export defect) is read without that zero when the rest is a valid SIRET.
    Anything that is not a valid SIRET (length, INSEE check digit, all zeros) is dropped:
    a wrong SIRET would attach the offer to another organisation.
    """
    if raw is None:
        return None, None
    value = "".join(raw.split()).replace(".", "").replace("-", "")
    if not value or is_placeholder(value):
        return None, None
    if len(value) == 15 and value.startswith("0") and _valid_siret(value[1:]):
        return value[1:], "siret-15"
    if len(value) != 14 or not value.isdigit():
        return None, "siret-format"
    if not _valid_siret(value):
        return None, "siret-invalide"
    return value, None


@lru_cache(maxsize=4096)  # organisations recur across a feed's formations
def _valid_siret(value: str) -> bool:
    """python-stdnum's rule (Luhn on the SIRET and its SIREN; La Poste's establishments: digit sum
    a multiple of 5), written inline because it runs once per formation of national feeds;
    tests/test_lheo_values.py checks it against stdnum. All zeros is a placeholder."""
    if value.strip("0") == "":
        return False
    if value.startswith("356000000") and value != "35600000000048":
        return sum(map(int, value)) % 5 == 0
    return _luhn(value) and _luhn(value[:9])


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = ord(char) - 48
        if position % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def numero_activite(raw: str | None) -> str | None:
    """The 11-character declaration number; all-same-digit fillers (`99999999999`) are absent."""
    value = "".join((raw or "").split())
    if _NDA.fullmatch(value) is None or len(set(value)) == 1:
        return None
    return value


# -- places ----------------------------------------------------------------------------------

def postal_code(raw: str | None) -> str | None:
    value = "".join((raw or "").split())
    if len(value) == 4 and value.isdigit():  # the leading zero of 01000-09999 lost in a spreadsheet
        value = "0" + value
    return value if len(value) == 5 and value.isdigit() and value != "00000" else None


def insee_code(raw: str | None, *, postal: str | None, commune: str | None) -> tuple[str | None, str | None]:
    """A commune's COG code, and the repair made (None: none).

    Arrondissement codes (Paris 751xx, Lyon 6938x, Marseille 132xx) are kept: the search maps
    them to their commune. A postal code written in place of the INSEE code is repaired where it
    is recognisable without a table: Paris's 750xx never is a commune code, and for Lyon and
    Marseille the town's name tells the arrondissement from Affoux (69001) or Aix (13001).
    """
    value = "".join((raw or "").split()).upper()
    if len(value) == 4 and value.isdigit():
        value = "0" + value
    if _COMMUNE.fullmatch(value) is None or value.startswith("00"):
        return None, None
    if re.fullmatch(r"750(?:0[1-9]|1\d|20)", value):
        return "751" + value[3:], "insee-arrondissement"
    town = fold(commune or "")
    if value == postal and "lyon" in town and re.fullmatch(r"6900[1-9]", value):
        return "6938" + value[4], "insee-arrondissement"
    if value == postal and "marseille" in town and re.fullmatch(r"130(?:0[1-9]|1[0-6])", value):
        return "132" + value[3:], "insee-arrondissement"
    return value, None


# Overseas: the five départements, then the collectivities the COG lists as départements
# (Saint-Pierre-et-Miquelon 975… Nouvelle-Calédonie 988, Clipperton 989).
_DEPARTEMENT = re.compile(r"0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|97[1-8]|98[46-9]")


def departement(raw: str | None) -> str | None:
    """A département's COG code (« 93 », « 2A », « 974 »; « 1 » and « 093 » as written by
    spreadsheets); None for anything else (« Seine-Saint-Denis », « 20 »)."""
    value = "".join((raw or "").split()).upper()
    if value.isdigit():
        value = value.zfill(2) if len(value) == 1 else value[1:] if len(value) == 3 and value[0] == "0" else value
    return value if _DEPARTEMENT.fullmatch(value) else None


# Régions (COG since 2016) and their départements: a région's zone is its départements' list.
REGION_DEPARTEMENTS: dict[str, tuple[str, ...]] = {
    "01": ("971",), "02": ("972",), "03": ("973",), "04": ("974",), "06": ("976",),
    "11": ("75", "77", "78", "91", "92", "93", "94", "95"),
    "24": ("18", "28", "36", "37", "41", "45"),
    "27": ("21", "25", "39", "58", "70", "71", "89", "90"),
    "28": ("14", "27", "50", "61", "76"),
    "32": ("02", "59", "60", "62", "80"),
    "44": ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88"),
    "52": ("44", "49", "53", "72", "85"),
    "53": ("22", "29", "35", "56"),
    "75": ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"),
    "76": ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"),
    "84": ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"),
    "93": ("04", "05", "06", "13", "83", "84"),
    "94": ("2A", "2B"),
}
REGION_OF_DEPARTEMENT = {dep: region for region, deps in REGION_DEPARTEMENTS.items() for dep in deps}


class Corrections(Counter):
    """How many values of each kind were repaired or dropped, with the first few places."""

    def __init__(self, counts: dict[str, int] | None = None) -> None:
        super().__init__(counts or {})
        self.examples: dict[str, list[str]] = {}

    def __reduce__(self):  # Counter's own forgets `examples` (sent back by a child reader)
        return type(self), (dict(self),), {"examples": self.examples}

    def note(self, what: str, where: str) -> None:
        self[what] += 1
        examples = self.examples.setdefault(what, [])
        if len(examples) < 5:
            examples.append(where)
