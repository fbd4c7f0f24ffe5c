"""Text, links and dates as aid sources write them, made safe for our schemas.

Aid descriptions arrive as HTML (aides-jeunes, Aides-territoires), Markdown (some producers of
dispositif-aide files) or plain text. Our `description` and `conditions_texte` are plain text:
markup is turned into line breaks and list dashes, links keep their address in brackets, and
nh3 (the Rust `ammonia` sanitizer) removes every tag — scripts and styles with their content —
so that nothing a producer wrote can reach a page as markup.
"""

from __future__ import annotations

import html
import re
from datetime import date

import nh3
from markdown_it import MarkdownIt

from harvesters.html_prose import LINE_BREAK, LIST_ITEM, TAG, escape_prose
from harvesters.text_hygiene import capped as cut_to
from harvesters.text_hygiene import without_active_markup
from harvesters.written_dates import written_date

# Each pattern stops where the next could start (a tag at the next « < », a link's label at the
# next « <a » or « </a », a Markdown link at the next « [ » or « ( »): a hostile text (« <a » or
# « [a]( » ten thousand times, never closed) is read in linear time, not rescanned to its end
# from each opening.
_MARKDOWN = re.compile(r"\[[^\[\]\n]+\]\([^()\s]+\)|\*\*[^*\n]+\*\*|^\s*[-*] \S|^#{1,6} \S", re.MULTILINE)
_LINK = re.compile(r"<a\b[^<>]*?\bhref\s*=\s*[\"']?(https?://[^\"'\s<>]+)[\"']?[^<>]*>"
                   r"([^<]*(?:<(?!/?a\b)[^<]*)*)</a\s*>", re.IGNORECASE)
_BLOCK_END = re.compile(r"</(?:p|div|h[1-6]|tr|td|th|dt|dd|ul|ol|table|blockquote)\s*>", re.IGNORECASE)
_SOURCE_LINE_BREAK = re.compile(r"\r\n?|\n")
_SPACES = re.compile(r"[ \t\u00a0\u202f]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_LOOSE_LIST = re.compile(r"^(- [^\n]*)\n\n(?=- )", re.MULTILINE)
_STRAY_STARS = re.compile(r"\*{2,3}")
_MARKDOWN_RENDERER = MarkdownIt("commonmark", {"html": False})
# A line wrapped inside a paragraph (YAML folded at 80 columns) is a space, as a browser shows it;
# only a hard break (two spaces, a backslash) starts a new line.
_MARKDOWN_RENDERER.add_render_rule("softbreak", lambda *_: " ")


def safe_text(value: object, *, markdown: bool = False) -> str | None:
    """Plain text from HTML, Markdown or text; None when nothing is left.

    Markdown is recognised in a text without tags. `markdown=True` is for a source whose texts
    are Markdown whatever they hold (DORA's editor): its `<br>` are hard line breaks, and any
    other tag is shown as text, then removed, as a Markdown renderer without HTML does."""
    if value is None:
        return None
    text = str(value)
    if markdown:
        # Bold its editor left unpaired (« **Ateliers pour les seniors ** », a space before the
        # closing stars) is no emphasis to CommonMark: its stars would stay in the text.
        text = _STRAY_STARS.sub("", _MARKDOWN_RENDERER.render(LINE_BREAK.sub("  \n", text)))
    elif not TAG.search(text) and _MARKDOWN.search(text):
        text = _MARKDOWN_RENDERER.render(text)
    if TAG.search(text):
        # HTML: a line break in its source is a space, as a browser shows it; its tags say where
        # lines end. Kept, « Effectuer son stage auprès d'un\n<a …>organisme</a> » became two
        # conditions of an aid (Eligibility.text makes each line one).
        text = _SOURCE_LINE_BREAK.sub(" ", LINE_BREAK.sub("<br>", text))
    text = escape_prose(text)  # « jeunes <de 26 ans » is no tag (harvesters/html_prose.py)
    text = _LINK.sub(_link_as_text, text)
    text = LINE_BREAK.sub("\n", text)
    text = _BLOCK_END.sub(_block_end, text)
    text = LIST_ITEM.sub("\n- ", text)
    # Every remaining tag goes; script/style/... go with their content (nh3's defaults). Escaped
    # markup (`&lt;script&gt;`) becomes text that looks like a tag once unescaped: it goes too,
    # until none is left — one pass would let nested escapes (`&lt;&lt;b&gt;img …&gt;`) rebuild a tag.
    text = without_tags(html.unescape(nh3.clean(text, tags=set())))
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    text = _LOOSE_LIST.sub("\\1\n", text)
    return text or None


DESCRIPTION_MAX = 20000  # the `aide` schema's maxLength


def capped(text: str | None, limit: int = DESCRIPTION_MAX) -> str | None:
    """An aid's description cut to the schema's length (text_hygiene.capped)."""
    return cut_to(text, limit)


def without_tags(text: str) -> str:
    """Text with no tag of HTML left; a « < » that starts none (« 3 < 5 », « <Bac+2 », « jeunes
    <de 26 ans et >45 ans ») stays.

    A tag the text never closes is no `<x…>`, but an active one (`<img src=x onerror=…`, escaped
    by the source so that nh3 kept it as text) would close at the next « > » of a page it is
    pasted into: it is defused as `harvesters/text_hygiene.py` does for every format."""
    if "<" not in text:
        return text
    for _ in range(3):  # twice-escaped markup is a real defect; more is built to rebuild tags
        stripped = TAG.sub("", text)
        if stripped == text:
            break
        text = stripped
    else:
        # Still tags after three passes: stripping layer by layer would take quadratic time on a
        # hostile text (`<<<…b>b>b>`). Without any « < », no tag can form.
        if TAG.search(text):
            return text.replace("<", "")
    return without_active_markup(text)


def _block_end(match: re.Match) -> str:
    # A paragraph ends with a blank line, a list or a table row with a line break.
    tag = match.group(0).lower()
    return tag + ("\n" if tag[2:4] in ("ul", "ol", "tr", "td", "th", "dt", "dd") else "\n\n")


def _link_as_text(match: re.Match) -> str:
    url, label = match.group(1), match.group(2)
    label_text = html.unescape(nh3.clean(label, tags=set())).strip()
    if not label_text or label_text.rstrip("/") == url.rstrip("/"):
        return url
    return f"{label} ({url})"


def http_url(value: object) -> str | None:
    """A web address with its scheme, or None (`www.x.fr` gains `https://`; anything else is refused)."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if url.lower().startswith("www."):
        url = "https://" + url
    if re.match(r"^https?://[^\s/?#]+\.[^\s/?#]+", url, re.IGNORECASE) and not re.search(r"\s", url):
        return url
    return None


def to_date(value: object) -> date | None:
    """A date from `AAAA-MM-JJ`, an ISO 8601 date-time (`2025-10-15T15:00:00Z`) or a date object."""
    return written_date(value, french=False)


def sentence_case(text: str) -> str:
    """aides-jeunes writes labels for the middle of a sentence (« aide au permis… »)."""
    return text[:1].upper() + text[1:] if text else text


def slug_list(value: object, separator: str = "|") -> list[str]:
    """Values of a `a|b|c` cell (dispositif-aide), trimmed, without empties or repeats."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(separator)
    seen: dict[str, None] = {}
    for item in items:
        text = str(item).strip()
        if text:
            seen.setdefault(text, None)
    return list(seen)


def texts(value: object) -> list[str]:
    """The texts of a JSON list of names (financeurs, publics…); a lone text is a list of one.
    A number, an object or `true` where a list is expected is a defect of that record: nothing."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [str(item) for item in value if isinstance(item, (str, int, float)) and not isinstance(item, bool)
            and str(item).strip()]


def code_text(value: object) -> str | None:
    """A code (type, unit, periodicity…) as the source gives it, when it is a text. A list or an
    object in its place is a defect, and cannot even be looked up in a table (unhashable)."""
    return value if isinstance(value, str) else None


def option_flag(value: object, default: bool = False) -> bool:
    """A yes/no option, given as a boolean (sources.json) or as text (`--option include_private=oui`)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "vrai", "oui", "yes", "on"):
        return True
    if text in ("0", "false", "faux", "non", "no", "off"):
        return False
    raise ValueError(f"valeur oui/non attendue, « {value} » reçu")
