"""Writing one generation of the embedded index: documents in and out, their sets, positions.

Tables of generation g (read by `reader.py`, searched by `selection.py` and `ordering.py`):
- `doc_g`: one narrow row per document (key, quality score, duplicate group, tag token ids —
  kept so that removing a document removes it from exactly the sets it was added to);
- `content_g`: the analysed name and text, kind/id/source/name; external content of `ftx_g`
  (the record itself is read from the catalog: a generation made before November 2026 has a
  `data` column, left empty since and dropped by a rebuild);
- `ftx_g` (FTS5): the analysed name and text, for bm25 when results are sorted by relevance;
- `vocab_g` / `post_g` (`postings.py`): one document set per token (`tokens.py`);
- `geo_g` (`reader.py`): positions by block of document ids.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Iterable
from dataclasses import dataclass

from catalog.search import SearchDocument
from catalog.search.analysis import analyze
from catalog.search.bitmaps import BLOCK, BLOCK_BITS
from catalog.search.many import select_in
from catalog.search.postings import PostingWriter, Vocabulary
from catalog.search.postings import create_tables as create_posting_tables
from catalog.search.postings import tables as posting_tables
from catalog.search.reader import NAN, create_geo_table, empty_block
from catalog.search.tokens import Phrase, regular, tag_tokens, text_tokens

# Pending set changes a rebuild keeps before writing them (~30,000 documents): memory bounded.
PENDING_MAX = 2_000_000


def create_tables(conn: sqlite3.Connection, g: int) -> None:
    conn.execute(f"""CREATE TABLE IF NOT EXISTS doc_{g}(
        docid INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, score REAL, groupe TEXT,
        tags BLOB NOT NULL)""")
    conn.execute(f"""CREATE TABLE IF NOT EXISTS content_{g}(
        docid INTEGER PRIMARY KEY, a_nom TEXT, a_body TEXT, kind TEXT, id TEXT,
        source TEXT, nom TEXT)""")
    conn.execute(f"""CREATE VIRTUAL TABLE IF NOT EXISTS ftx_{g} USING fts5(
        a_nom, a_body, content='content_{g}', content_rowid='docid',
        tokenize="unicode61 remove_diacritics 0 tokenchars '_'")""")
    create_posting_tables(conn, g)
    create_geo_table(conn, g)


def tables(g: int) -> tuple[str, ...]:
    # fts_g and facet_g: tables of the first layout (schema 1), dropped by a rebuild.
    return (f"ftx_{g}", f"content_{g}", f"doc_{g}", f"geo_{g}", *posting_tables(g),
            f"fts_{g}", f"facet_{g}")


@dataclass
class _Prepared:
    doc: SearchDocument
    a_nom: str
    a_body: str
    words: list[str]
    tags: list[str]


def _text_tokens(a_nom: str | None, a_body: str | None, phrases) -> list[str]:
    a_nom, a_body = a_nom or "", a_body or ""
    return text_tokens(a_nom.split(), a_body.split(), phrases, regular(a_nom) and regular(a_body))


class GenerationWriter:
    """Writes inside the caller's transactions; `flush` applies what is pending."""

    def __init__(self, conn: sqlite3.Connection, g: int, phrases: frozenset[Phrase],
                 vocabulary: Vocabulary):
        self.conn, self.g, self.phrases = conn, g, phrases
        self.postings = PostingWriter(conn, g, vocabulary)
        self.positions: dict[int, tuple[float, float]] = {}

    def _prepare(self, docs: Iterable[SearchDocument]) -> list[_Prepared]:
        # Records often share their text: an LHEO feed gives one record per session of an
        # action, each with the action's name and description. Analysed once per batch.
        analysed: dict[tuple[str, str], tuple[str, str, list[str]]] = {}
        prepared = []
        for doc in docs:
            text = (doc.nom or "", doc.text or "")
            if text not in analysed:
                nom_terms, body_terms = analyze(doc.nom), analyze(doc.text)
                a_nom, a_body = " ".join(nom_terms), " ".join(body_terms)
                analysed[text] = (a_nom, a_body, text_tokens(
                    nom_terms, body_terms, self.phrases, regular(a_nom) and regular(a_body)))
            a_nom, a_body, words = analysed[text]
            prepared.append(_Prepared(doc, a_nom, a_body, words, tag_tokens(doc)))
        return prepared

    def write(self, docs: Iterable[SearchDocument], replace_existing: bool = True) -> int:
        g, c = self.g, self.conn
        latest = {doc.key: doc for doc in docs}  # a key given twice: the last one wins
        prepared = self._prepare(latest.values())
        if not prepared:
            return 0
        # Read before removing: the highest id may be one of the documents re-indexed here.
        first = c.execute(f"SELECT COALESCE(MAX(docid), 0) + 1 FROM doc_{g}").fetchone()[0]
        # A re-indexed document keeps its id: sets, positions and bitmaps are sized by the
        # highest id, which must follow the number of documents, not of updates.
        reused = self.remove(list(latest)) if replace_existing else {}
        vocab = self.postings.vocab
        tokens: set[str] = set()
        for p in prepared:
            tokens.update(p.words)
            tokens.update(p.tags)
        vocab.resolve(tokens)
        ids = vocab.ids
        fresh = iter(range(first, first + len(prepared)))
        # In id order, so that each token's additions arrive sorted (PostingWriter.flush).
        numbered = sorted(((reused.get(p.doc.key) or next(fresh), p) for p in prepared),
                          key=lambda pair: pair[0])
        docs_rows, content_rows, fts_rows = [], [], []
        for docid, p in numbered:
            doc = p.doc
            tags = array("I", map(ids.__getitem__, p.tags))
            docs_rows.append((docid, doc.key, doc.score_qualite, doc.groupe_doublons,
                              tags.tobytes()))
            content_rows.append((docid, p.a_nom, p.a_body, doc.kind, doc.id, doc.source, doc.nom))
            fts_rows.append((docid, p.a_nom, p.a_body))
            self.postings.add(docid, p.words)
            self.postings.add(docid, p.tags)
            if doc.located:
                self.positions[docid] = (doc.latitude, doc.longitude)
        c.executemany(f"INSERT INTO doc_{g}(docid, key, score, groupe, tags) VALUES (?,?,?,?,?)",
                      docs_rows)
        c.executemany(f"INSERT INTO content_{g}(docid, a_nom, a_body, kind, id, source, nom)"
                      " VALUES (?,?,?,?,?,?,?)", content_rows)
        c.executemany(f"INSERT INTO ftx_{g}(rowid, a_nom, a_body) VALUES (?,?,?)", fts_rows)
        return len(prepared)

    def remove(self, keys: list[str]) -> dict[str, int]:
        """Take documents out of the index; returns the id each one had."""
        g, c = self.g, self.conn
        rows = list(select_in(c, f"SELECT d.docid, d.tags, c.a_nom, c.a_body, d.key FROM doc_{g} d "
                                 f"JOIN content_{g} c ON c.docid = d.docid WHERE d.key IN {{ids}}", keys))
        if not rows:
            return {}
        words = {docid: _text_tokens(a_nom, a_body, self.phrases)
                 for docid, _, a_nom, a_body, _ in rows}
        vocab = self.postings.vocab
        vocab.resolve({t for ts in words.values() for t in ts})
        for docid, tags, _, _, _ in rows:
            ids = array("I")
            ids.frombytes(tags)
            self.postings.remove(docid, ids)
            self.postings.remove(docid, map(vocab.ids.__getitem__, words[docid]))
            self.positions[docid] = (NAN, NAN)
        # External-content FTS5 forgets a row only when told its exact indexed values.
        c.executemany(f"INSERT INTO ftx_{g}(ftx_{g}, rowid, a_nom, a_body) "
                      "VALUES ('delete', ?, ?, ?)", [(r[0], r[2], r[3]) for r in rows])
        c.executemany(f"DELETE FROM content_{g} WHERE docid = ?", [(r[0],) for r in rows])
        c.executemany(f"DELETE FROM doc_{g} WHERE docid = ?", [(r[0],) for r in rows])
        return {r[4]: r[0] for r in rows}

    def flush(self, bounded: bool = False, pending_max: int = PENDING_MAX) -> None:
        """Write pending sets and positions (`bounded`: only once they weigh enough — a
        rebuild's new generation is invisible until its switch, so it writes each container
        and block of positions a few times rather than once per batch)."""
        if not bounded or self.postings.pending() >= pending_max:
            self.postings.flush()
        if not bounded or len(self.positions) >= BLOCK:
            self._save_positions()

    def _save_positions(self) -> None:
        by_block: dict[int, list[tuple[int, float, float]]] = {}
        for docid, (lat, lon) in self.positions.items():
            by_block.setdefault(docid >> BLOCK_BITS, []).append((docid & (BLOCK - 1), lat, lon))
        for block, changes in by_block.items():
            row = self.conn.execute(f"SELECT lat, lon FROM geo_{self.g} WHERE block = ?",
                                    (block,)).fetchone()
            lat, lon = empty_block(), empty_block()
            if row:
                lat, lon = array("d"), array("d")
                lat.frombytes(row[0])
                lon.frombytes(row[1])
            for i, la, lo in changes:
                lat[i], lon[i] = la, lo
            self.conn.execute(f"INSERT OR REPLACE INTO geo_{self.g}(block, lat, lon) "
                              "VALUES (?, ?, ?)", (block, lat.tobytes(), lon.tobytes()))
        self.positions.clear()
