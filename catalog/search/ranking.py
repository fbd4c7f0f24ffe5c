"""Relevance scores of the embedded index; lower is better (FTS5's sign).

- Sorted by relevance: FTS5's bm25 (name × 4, text × 1) over the query's words and synonyms,
  plus `EXACT_WEIGHT` × bm25 over the words actually typed. `bm25` asks FTS5 for every match
  (cost ∝ matches in the whole index); `bm25_of` computes the very same floats in Python for
  a few documents (cost ∝ those documents), from FTS5's own statistics.
- Sorted by distance, a score only orders records at the same distance: `window_scores`, a
  saturated weighted count, on the page's window only.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable

from catalog.search.analysis import analyze
from catalog.search.many import select_in
from catalog.search.tokens import Phrase, occurrences, regular

WEIGHTS = (4.0, 1.0)  # a_nom, a_body
EXACT_WEIGHT = 2.0  # how much more the typed words count than their synonyms
_K1, _B = 1.2, 0.75



def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def expanded_phrases(groups: list[tuple[Phrase, ...]]) -> list[Phrase]:
    """The phrases of the words-and-synonyms expression, in FTS5's order (duplicates within a
    group dropped, as the expression lists them once)."""
    return [p for group in groups for p in dict.fromkeys(group)]


def expression(groups: list[tuple[Phrase, ...]]) -> str:
    """The words-and-synonyms FTS5 expression: AND of groups, each an OR of quoted phrases."""
    parts = []
    for group in groups:
        quoted = [_quote(" ".join(p)) for p in dict.fromkeys(group)]
        parts.append(quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")")
    return " AND ".join(parts)


def exact_phrases(text: str) -> list[Phrase]:
    return [(t,) for t in analyze(text)]


def exact_expression(text: str) -> str:
    return " AND ".join(_quote(t) for t in analyze(text))


def bm25(conn: sqlite3.Connection, g: int, match: str,
         docids: list[int] | None = None) -> dict[int, float]:
    """FTS5's bm25 of every row matching `match` (or of these rows only: one lookup each)."""
    sql = (f"SELECT rowid, bm25(ftx_{g}, {WEIGHTS[0]}, {WEIGHTS[1]}) FROM ftx_{g} "
           f"WHERE ftx_{g} MATCH ?")
    if docids is None:
        return dict(conn.execute(sql, (match,)))
    return dict(conn.execute(sql + " AND rowid IN (SELECT value FROM json_each(?))",
                             (match, json.dumps(docids))))


def _varints(data: bytes) -> list[int]:
    """SQLite varints (FTS5's averages record and docsize blobs)."""
    out, i, n = [], 0, len(data)
    while i < n:
        value = 0
        for k in range(9):
            byte = data[i]
            i += 1
            if k == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        out.append(value)
    return out


def statistics(conn: sqlite3.Connection, g: int) -> tuple[int, int]:
    """(rows, tokens) as FTS5 keeps them for bm25 (its averages record)."""
    row = conn.execute(f"SELECT block FROM ftx_{g}_data WHERE id = 1").fetchone()
    # Empty until a first document is committed (an index being filled by its first harvest).
    values = _varints(row[0]) if row and row[0] else [0]
    return values[0], sum(values[1:])


def idf(rows: int, hits: int) -> float:
    """FTS5's inverse document frequency (floored, as FTS5 floors it, at 1e-6)."""
    value = math.log((rows - hits + 0.5) / (hits + 0.5))
    return value if value > 0.0 else 1e-6


def term(weight: float, freq: float, length: float, avgdl: float) -> float:
    """One phrase's share of FTS5's bm25 score, written as FTS5 computes it."""
    return weight * ((freq * (_K1 + 1.0)) / (freq + _K1 * (1 - _B + _B * length / avgdl)))


def bm25_of(conn: sqlite3.Connection, g: int, phrases: list[Phrase], hits: dict[Phrase, int],
            docids: Iterable[int]) -> dict[int, float] | None:
    """FTS5's bm25 for these documents, computed here operation for operation like FTS5's C
    code (same statistics, same order of additions), so the floats are the same.

    `hits`: rows containing each phrase (FTS5's document frequency). None when a document's
    text might not split or fold into FTS5's own tokens (then ask FTS5).
    """
    rows, tokens = statistics(conn, g)
    if not rows:
        return {}
    avgdl = float(tokens) / float(rows)
    weights = [idf(rows, hits.get(p, 0)) for p in phrases]
    scores: dict[int, float] = {}
    for docid, a_nom, a_body, size in select_in(
            conn, f"SELECT c.docid, c.a_nom, c.a_body, s.sz FROM content_{g} c "
                  f"JOIN ftx_{g}_docsize s ON s.id = c.docid WHERE c.docid IN {{ids}}", list(docids)):
        nom, body = (a_nom or "").split(), (a_body or "").split()
        if _varints(size) != [len(nom), len(body)] or not regular(f"{a_nom} {a_body}"):
            return None
        length = float(len(nom) + len(body))
        score = 0.0
        for weight, p in zip(weights, phrases):
            freq = WEIGHTS[0] * occurrences(nom, p) + WEIGHTS[1] * occurrences(body, p)
            score += term(weight, freq, length, avgdl)
        scores[docid] = -1.0 * score
    return scores


def window_scores(groups: list[tuple[Phrase, ...]], text: str,
                  rows: Iterable[tuple[int, str | None, str | None]]) -> dict[int, float]:
    """Scores that order records at the same distance (name ×4, typed words ×2, saturated).

    Scoring through FTS5 would walk every match of the words in France to reach these few
    rows; here it costs microseconds a row.
    """
    typed = set(analyze(text))
    out = {}
    for docid, a_nom, a_body in rows:
        nom, body = (a_nom or "").split(), (a_body or "").split()
        score = 0.0
        for group in groups:
            for phrase in group:
                weight = EXACT_WEIGHT + 1 if set(phrase) <= typed else 1.0
                for terms, column_weight in ((nom, 4.0), (body, 1.0)):
                    n = occurrences(terms, phrase)
                    score += weight * column_weight * n / (n + 1.0)
        out[docid] = -score / (1.0 + 0.01 * len(body))
    return out
