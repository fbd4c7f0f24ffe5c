"""Typo tolerance: one-letter slips in words of 4 letters or more.

A query word whose stem the index does not know is replaced by the most frequent of its
one-edit variants (a letter missing, extra, wrong, or two letters swapped) whose stem the index
knows. Editing the *word* rather than the stem matters: "hebergment" stems to itself, while its
variant "hebergement" stems to the indexed "heberg". Words the index knows are never touched,
nor are words with a digit: codes ("K2204", "RNCP34849", "93066") are exact, and the code one
slip away is another métier or certification, not what was asked for.
"""

from __future__ import annotations

import string
from collections.abc import Callable

from catalog.search.analysis import stem, words

LETTERS = string.ascii_lowercase
MIN_LENGTH = 4

Lookup = Callable[[list[str]], dict[str, int]]  # stems → document frequency, for known ones


def variants(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in LETTERS if c != b[0]}
    inserts = {a + c + b for a, b in splits for c in LETTERS}
    return (deletes | swaps | replaces | inserts) - {word}


def correct_typos(text: str, known: Lookup) -> str:
    """The query text with unknown words replaced by their best known variant, if any."""
    found = words(text)
    stems = {w: stem(w) for w in found}
    present = known(sorted(set(stems.values())))
    fixed = []
    for word in found:
        if stems[word] in present or len(word) < MIN_LENGTH or _has_digit(word):
            fixed.append(word)
            continue
        candidates = {v: stem(v) for v in variants(word)}
        freq = known(sorted(set(candidates.values())))
        # The longest known stem is the most specific reading ("informatiqe" is "informatique",
        # stem "informat", not some "inform…" word); frequency breaks ties.
        best = max(((len(s), freq[s], v) for v, s in candidates.items() if s in freq),
                   default=None)
        fixed.append(best[2] if best else word)
    return " ".join(fixed)


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)
