"""French text analysis, shared by the embedded index and the Elasticsearch settings.

One pipeline, written once: lowercase → elisions ("l'hébergement") → accent folding →
stop words → Snowball French stemming. The embedded backend runs it in Python (FTS5 cannot load
a custom tokenizer from Python); the Elasticsearch backend declares the same chain as an analyzer
(`elastic.index_settings`) with the same stop words and synonyms, so both find the same records.
Synonyms apply at query time, so changing them never requires a reindex for correct answers;
the embedded index also keeps multi-word synonyms as tokens of each generation (faster), and
checks a phrase added since through FTS5 until the next rebuild.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import Stemmer

SYNONYMS_FILE = Path(__file__).with_name("synonyms.txt")

# Elided articles and pronouns: "l'", "d'", "qu'", "jusqu'"... (the ES elision filter's list).
ELISIONS = ("l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu", "lorsqu", "puisqu")

# French stop words, accent-folded (Lucene's French list, trimmed of words that carry meaning
# in our domain such as "sans" — "sans abri", "sans emploi").
STOP_WORDS = frozenset(
    """a au aux avec ce ces dans de des du elle en et eux il je la le les leur lui ma mais me
    meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes
    toi ton tu un une vos votre vous c d j l m n s t y ete etee etees etes etant suis es est
    sommes etes sont serai seras sera serons serez seront serais serait serions seriez seraient
    etais etait etions etiez etaient fus fut fumes futes furent sois soit soyons soyez soient
    fusse fusses fut fussions fussiez fussent ayant eu eue eues eus ai as avons avez ont aurai
    auras aura aurons aurez auront aurais aurait aurions auriez auraient avais avait avions
    aviez avaient eut eumes eutes eurent aie aies ait ayons ayez aient eusse eusses eut
    eussions eussiez eussent ceci cela cet cette ici ils les leurs quel quels quelle quelles
    sur si""".split()  # noqa: SIM905 - a list to read, not to edit
)

_WORD = re.compile(r"[^\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("french")


def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _CharFolds(dict):
    """Code point → its folded text (ligatures, NFKD, combining marks dropped), computed the
    first time the character is seen. Folding character by character is exact: NFKD only
    reorders combining marks, and those are dropped. A fold is taken to its fixed point ("ǽ"
    → "æ" → "ae"), so that folding twice changes nothing: "ǽ" and "æ" are the same word.

    `separators`: for tokenizing, characters that cannot be part of a word ("—", "«", "…",
    no-break spaces) fold to a space, so that French text is ASCII once folded and is cut by
    the fast ASCII path rather than the regular expression (same tokens either way)."""

    def __init__(self, extra: dict[str, str] | None = None, *, separators: bool = False):
        super().__init__()
        self.extra = extra or {}
        self.separators = separators

    def __missing__(self, code: int) -> str:
        folded = self._once(chr(code))
        for _ in range(4):  # Unicode folds settle in one or two passes
            again = "".join(map(self._once, folded))
            if again == folded:
                break
            folded = again
        if self.separators:
            folded = "".join(c if c.isascii() or _WORD.fullmatch(c) else " " for c in folded)
        self[code] = folded
        return folded

    def _once(self, char: str) -> str:
        return _fold_char(self.extra.get(char, char))


_FOLDS = _CharFolds()
# For words(): the apostrophes that Unicode counts as letters ("lʼhébergement") become "'".
_WORD_FOLDS = _CharFolds({"’": "'", "ʼ": "'"}, separators=True)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")  # ASCII needs no folding once lowercased


def _fold_chars(text: str, folds: _CharFolds) -> str:
    # One str.replace per distinct non-ASCII character (é, è, à, ’...): folds are fixed points,
    # so a later replace never changes what an earlier one wrote.
    for char in set("".join(_NON_ASCII.findall(text))):
        text = text.replace(char, folds[ord(char)])
    return text


def fold(text: str) -> str:
    """Lowercase and strip accents: "Hébergement" → "hebergement"."""
    text = text.lower()
    return text if text.isascii() else _fold_chars(text, _FOLDS)


# ASCII characters outside words ([^\W_]): a folded ASCII text is cut on them by translate()
# and split(), several times faster than the regular expression.
_ASCII_SEPARATORS = {c: " " for c in range(128) if not chr(c).isalnum()}


def _tokens(lowered: str) -> list[str]:
    """The word tokens (letters and digits) of a lowercased text, folded."""
    if not lowered.isascii():
        lowered = _fold_chars(lowered, _WORD_FOLDS)
        if not lowered.isascii():
            return _WORD.findall(lowered)
    return lowered.translate(_ASCII_SEPARATORS).split()


def _dropped(token: str) -> bool:
    # The tokenizer splits "l'hebergement" into "l" + "hebergement"; a lone elided article is
    # a stop word anyway, so elisions vanish with them.
    return token in STOP_WORDS or (len(token) == 1 and not token.isdigit())


def words(text: str) -> list[str]:
    """Folded words without elisions and stop words, before stemming."""
    return [token for token in _tokens(text.lower()) if not _dropped(token)]


_STEMS: dict[str, str] = {}
_KEPT = 200_000  # distinct words remembered per table (a few tens of MB at most)


def stem(word: str) -> str:
    global _STEMS
    found = _STEMS.get(word)
    if found is None:
        if len(_STEMS) >= _KEPT:
            _STEMS = {}  # a new dict: a thread still reading the old one is unharmed
        found = _STEMS[word] = _stemmer().stemWord(word)
    return found


# Token → its index term, or _DROP for stop words and lone letters: one lookup per token.
_TERMS: dict[str, str | int] = {}
_DROP = 0  # not "": Snowball may stem odd words to an empty term, which is kept


def _learn(tokens: list[str]) -> dict[str, str | int]:
    """The table, now holding every one of `tokens` (a full table is replaced by a new one
    learning all of them, not only those the old one lacked)."""
    global _TERMS
    terms = _TERMS
    new = {t for t in tokens if t not in terms}
    if len(terms) + len(new) > _KEPT:
        terms = _TERMS = {}
        new = set(tokens)
    kept = [t for t in new if not _dropped(t)]
    learnt = dict.fromkeys(new, _DROP)
    learnt.update(zip(kept, _stemmer().stemWords(kept)))
    terms.update(learnt)  # one update: a searching thread never sees a word as dropped
    return terms


def analyze(text: str | None) -> list[str]:
    """Index terms of a text, in order."""
    if not text:
        return []
    tokens = _tokens(text.lower())
    terms = list(map(_TERMS.get, tokens))
    if None in terms:
        terms = list(map(_learn(tokens).get, tokens))
    return [term for term in terms if term is not _DROP]


@lru_cache(maxsize=1)
def synonym_groups() -> tuple[tuple[str, ...], ...]:
    """The synonym file, as groups of raw expressions (for the Elasticsearch synonym filter)."""
    groups = []
    for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            groups.append(tuple(e.strip() for e in line.split(",") if e.strip()))
    return tuple(groups)


@lru_cache(maxsize=1)
def synonym_map() -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Analyzed expression → every analyzed expression of its group (itself included)."""
    mapping: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for group in synonym_groups():
        analyzed = {tuple(analyze(expr)) for expr in group}
        analyzed.discard(())
        for expr in analyzed:
            mapping.setdefault(expr, set()).update(analyzed)
    return {k: tuple(sorted(v)) for k, v in mapping.items()}


def query_groups(text: str) -> list[tuple[tuple[str, ...], ...]]:
    """A query text as AND-ed groups of alternatives; each alternative is a phrase of terms.

    "aide au permis" → [(("aid",),), (("conduit",), ("cod", "rout"), ("permis",))]: every group
    must match, any alternative of a group will do. Multi-word synonyms are matched greedily,
    longest first.
    """
    terms = analyze(text)
    synonyms = synonym_map()
    longest = max((len(k) for k in synonyms), default=1)
    groups: list[tuple[tuple[str, ...], ...]] = []
    i = 0
    while i < len(terms):
        for size in range(min(longest, len(terms) - i), 0, -1):
            expr = tuple(terms[i : i + size])
            if expr in synonyms:
                groups.append(synonyms[expr])
                i += size
                break
        else:
            groups.append(((terms[i],),))
            i += 1
    return groups
