"""French text analysis, shared by the embedded index and the Elasticsearch settings.

One pipeline, written once: lowercase → elisions ("l'hébergement") → accent folding →
stop words → Snowball French stemming. The embedded backend runs it in Python (FTS5 cannot load
a custom tokenizer from Python); the Elasticsearch backend declares the same chain as an analyzer
(`elastic.index_settings`) with the same stop words and synonyms, so both find the same records.
Synonyms apply at query time only, so changing them never requires a reindex.
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
    sur si""".split()
)

_WORD = re.compile(r"[^\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("french")


class _CharFolds(dict):
    """Code point → its folded text (ligatures, NFKD, combining marks dropped), computed the
    first time the character is seen. Folding character by character is exact: NFKD only
    reorders combining marks, and those are dropped."""

    def __init__(self, extra: dict[str, str] | None = None):
        super().__init__()
        self.extra = extra or {}

    def __missing__(self, code: int) -> str:
        char = self.extra.get(chr(code), chr(code)).translate(_LIGATURES)
        decomposed = unicodedata.normalize("NFKD", char)
        folded = self[code] = "".join(c for c in decomposed if not unicodedata.combining(c))
        return folded


_FOLDS = _CharFolds()
# For words(): the apostrophes that Unicode counts as letters ("lʼhébergement") become "'".
_WORD_FOLDS = _CharFolds({"’": "'", "ʼ": "'"})
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")  # ASCII needs no folding once lowercased


def fold(text: str) -> str:
    """Lowercase and strip accents: "Hébergement" → "hebergement"."""
    text = text.lower()
    if text.isascii():
        return text
    return _NON_ASCII.sub(lambda run: run.group().translate(_FOLDS), text)


def words(text: str) -> list[str]:
    """Folded words without elisions and stop words, before stemming."""
    text = text.lower()
    if not text.isascii():
        text = _NON_ASCII.sub(lambda run: run.group().translate(_WORD_FOLDS), text)
    # The tokenizer splits "l'hebergement" into "l" + "hebergement"; a lone elided article is
    # a stop word anyway, so elisions vanish with them.
    return [token for token in _WORD.findall(text)
            if token not in STOP_WORDS and (len(token) > 1 or token.isdigit())]


_STEMS: dict[str, str] = {}
_STEMS_KEPT = 200_000  # distinct words remembered (a few tens of MB at most)


def stem(word: str) -> str:
    found = _STEMS.get(word)
    return found if found is not None else analyze_words([word])[0]


def analyze_words(found: list[str]) -> list[str]:
    """Stems of words, each distinct word stemmed once per process."""
    global _STEMS
    stems = _STEMS
    missing = [w for w in set(found) if w not in stems]
    if missing:
        if len(stems) + len(missing) > _STEMS_KEPT:
            stems = _STEMS = {}  # a new dict: a thread still reading the old one is unharmed
            missing = list(set(found))
        stems.update(zip(missing, _stemmer().stemWords(missing)))
    return [stems[w] for w in found]


def analyze(text: str | None) -> list[str]:
    """Index terms of a text, in order."""
    if not text:
        return []
    return analyze_words(words(text))


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
