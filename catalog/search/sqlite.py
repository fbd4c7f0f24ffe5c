"""Embedded search backend: one SQLite file; document sets as bitmaps, FTS5 for relevance.

Layout (generation `g`, see `rebuild`):
- `doc_g`: one narrow row per document (key, quality score, duplicate group, tag token ids);
- `content_g`: the analysed name and text, kind/id/source/name and the record's JSON (read for
  the page only); external content of `ftx_g`;
- `ftx_g` (FTS5): the analysed name and text, for bm25 when results are sorted by relevance;
- `vocab_g` / `post_g` (`postings.py`): one document set per token — words, synonym phrases,
  filter and facet values, eligibility zones, grid cells — so that a query is a handful of
  set operations in memory, whatever the number of matches (`selection.py`);
- `geo_g`: positions by block of document ids, for exact distances (`reader.py`).
Pages are cut nearest first on the grid, or by score (`ordering.py`). Text is analysed in
Python (`analysis.py`): FTS5 sees only stems, so its plain tokenizer suffices.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from catalog.config import Settings
from catalog.search import (
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResult,
    bitmaps,
    encode_cursor,
    topk,
)
from catalog.search.analysis import analyze, synonym_map
from catalog.search.bitmaps import BLOCK, BLOCK_BITS
from catalog.search.geo import km
from catalog.search.ordering import (
    Row,
    cursor_values,
    plain_page,
    ranked_page,
    window_page,
)
from catalog.search.plan import Plan, make_plan
from catalog.search.postings import PostingWriter, Vocabulary
from catalog.search.postings import create_tables as create_posting_tables
from catalog.search.postings import tables as posting_tables
from catalog.search.ranking import (
    EXACT_WEIGHT,
    bm25,
    bm25_of,
    exact_expression,
    exact_phrases,
    expanded_phrases,
    expression,
)
from catalog.search.reader import (
    NAN,
    Reader,
    create_geo_table,
    empty_block,
    forget,
    postings_for,
)
from catalog.search.selection import phrase_set, select
from catalog.search.tokens import (
    FACET_PREFIX,
    IRREGULAR,
    multiword,
    regular,
    tag_tokens,
    text_tokens,
    word,
)
from catalog.search.typos import correct_typos

SCHEMA_VERSION = "2"
REBUILD_BATCH = 5000
# Relevance by Python (cost ∝ found documents) rather than FTS5 (cost ∝ every match of the
# words in the index) below this many found documents.
PYTHON_BM25_MAX = 3000


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


_local = threading.local()


class SqliteBackend:
    name = "sqlite"
    # Changes applied per transaction by sync_index: each transaction rewrites the containers
    # its documents touch, so larger batches write each container less often (memory: a few
    # tens of MB of documents, whatever the index size).
    batch_size = 4000

    def __init__(self, settings: Settings, territories=None, path: Path | None = None):
        self.settings = settings
        self.path = Path(path or settings.search_index_path)
        self._territories = territories
        self._vocabularies: dict[tuple[int, int], Vocabulary] = {}

    # -- plumbing -------------------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        # One connection per thread and file: sqlite3 connections must not cross threads.
        conns = getattr(_local, "conns", None)
        if conns is None:
            conns = _local.conns = {}
        conn = conns.get(self.path)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA temp_store=MEMORY")
            # A modest page cache: the hot data of searches lives in the process's set cache
            # (reader.py), and a writer's memory must not grow with the index.
            conn.execute("PRAGMA cache_size=-32000")
            conn.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)")
            conns[self.path] = conn
            _local.mapped = getattr(_local, "mapped", set())
        return conn

    def _mapped(self, on: bool) -> None:
        """Searches read the file mapped (shared, reclaimable pages, no copy); writers do not,
        so that a sync's resident memory stays that of its batches, whatever the index size."""
        conn, mapped = self.conn, _local.mapped
        if on != (self.path in mapped):
            conn.execute(f"PRAGMA mmap_size={2147418112 if on else 0}")
            (mapped.add if on else mapped.discard)(self.path)

    def close(self) -> None:
        conns = getattr(_local, "conns", {})
        conn = conns.pop(self.path, None)
        if conn is not None:
            conn.close()

    def _meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def _bump_version(self) -> None:
        """Tell searching processes that their caches of this index are stale."""
        self.conn.execute("INSERT INTO meta(key, value) VALUES ('version', '1') ON CONFLICT(key) "
                          "DO UPDATE SET value = CAST(value AS INTEGER) + 1")

    def _generation(self, create: bool = False, check: bool = True) -> int | None:
        gen = self._meta("generation")
        if gen is None and create:
            with self._transaction():
                gen = self._meta("generation")
                if gen is None:
                    self._create_tables(1)
                    self._set_meta("generation", "1")
                    self._set_meta("schema", SCHEMA_VERSION)
                    self._set_meta("uid", secrets.token_hex(8))
                    gen = "1"
        if check and gen is not None and self._meta("schema") != SCHEMA_VERSION:
            from catalog.errors import UnusableInput

            raise UnusableInput("L'index de recherche date d'une version antérieure : "
                                "lancez « maillage index rebuild ».")
        return int(gen) if gen is not None else None

    def _create_tables(self, g: int) -> None:
        c = self.conn
        c.execute(f"""CREATE TABLE IF NOT EXISTS doc_{g}(
            docid INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, score REAL, groupe TEXT,
            tags BLOB NOT NULL)""")
        c.execute(f"""CREATE TABLE IF NOT EXISTS content_{g}(
            docid INTEGER PRIMARY KEY, a_nom TEXT, a_body TEXT, kind TEXT, id TEXT,
            source TEXT, nom TEXT, data TEXT)""")
        c.execute(f"""CREATE VIRTUAL TABLE IF NOT EXISTS ftx_{g} USING fts5(
            a_nom, a_body, content='content_{g}', content_rowid='docid',
            tokenize="unicode61 remove_diacritics 0 tokenchars '_'")""")
        create_posting_tables(c, g)
        create_geo_table(c, g)
        # The synonym phrases indexed as tokens, fixed for the generation (a phrase added to
        # the synonyms later is checked by FTS5 until the next rebuild).
        phrases = sorted(multiword(synonym_map()))
        self._set_meta(f"phrases_{g}", json.dumps(phrases))

    @staticmethod
    def _tables(g: int) -> tuple[str, ...]:
        # fts_g and facet_g: tables of the first layout (schema 1), dropped by a rebuild.
        return (f"ftx_{g}", f"content_{g}", f"doc_{g}", f"geo_{g}", *posting_tables(g),
                f"fts_{g}", f"facet_{g}")

    def _phrases(self, g: int) -> frozenset[tuple[str, ...]]:
        return frozenset(tuple(p) for p in json.loads(self._meta(f"phrases_{g}", "[]")))

    def _territories_view(self):
        if self._territories is None:
            from catalog.db import get_engine
            from catalog.territories import get_territories

            return get_territories(get_engine(self.settings))
        return self._territories

    def _transaction(self):
        backend = self

        class _Tx:
            def __enter__(self):
                backend.conn.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type, exc, tb):
                backend.conn.execute("ROLLBACK" if exc_type else "COMMIT")

        return _Tx()

    # -- watermark ------------------------------------------------------------------------
    def get_watermark(self) -> int:
        return int(self._meta("watermark", "0") or 0)

    def set_watermark(self, seq: int) -> None:
        self._set_meta("watermark", str(int(seq)))

    def count(self) -> int:
        g = self._generation()
        if g is None:
            return 0
        return self.conn.execute(f"SELECT count(*) FROM doc_{g}").fetchone()[0]

    # -- writing --------------------------------------------------------------------------
    def _vocabulary(self, g: int) -> Vocabulary:
        key = (id(self.conn), g)
        vocab = self._vocabularies.get(key)
        if vocab is None:
            self._vocabularies = {key: Vocabulary(self.conn, g)}  # older generations go
            vocab = self._vocabularies[key]
        vocab.next_id = None  # another process may have added tokens since
        return vocab

    @staticmethod
    def _prepare(doc: SearchDocument, phrases) -> _Prepared:
        nom_terms, body_terms = analyze(doc.nom), analyze(doc.text)
        a_nom, a_body = " ".join(nom_terms), " ".join(body_terms)
        words = text_tokens(nom_terms, body_terms, phrases, regular(a_nom) and regular(a_body))
        return _Prepared(doc, a_nom, a_body, words, tag_tokens(doc))

    def _write(self, g: int, docs: Iterable[SearchDocument], writer: PostingWriter,
               positions: dict[int, tuple[float, float]], replace_existing: bool = True) -> int:
        phrases = self._phrases(g)
        latest = {doc.key: doc for doc in docs}  # a key given twice: the last one wins
        prepared = [self._prepare(doc, phrases) for doc in latest.values()]
        if not prepared:
            return 0
        c = self.conn
        if replace_existing:
            self._remove(g, list(latest), writer, positions)
        vocab = writer.vocab
        tokens: set[str] = set()
        for p in prepared:
            tokens.update(p.words)
            tokens.update(p.tags)
        vocab.resolve(tokens)
        ids = vocab.ids
        first = c.execute(f"SELECT COALESCE(MAX(docid), 0) + 1 FROM doc_{g}").fetchone()[0]
        docs_rows, content_rows, fts_rows = [], [], []
        for docid, p in enumerate(prepared, first):
            doc = p.doc
            tags = array("I", map(ids.__getitem__, p.tags))
            docs_rows.append((docid, doc.key, doc.score_qualite, doc.groupe_doublons,
                              tags.tobytes()))
            data = doc.raw if doc.raw is not None else json.dumps(
                doc.data, ensure_ascii=False, separators=(",", ":"))
            content_rows.append((docid, p.a_nom, p.a_body, doc.kind, doc.id, doc.source, doc.nom,
                                 data))
            fts_rows.append((docid, p.a_nom, p.a_body))
            writer.add(docid, p.words)
            writer.add(docid, p.tags)
            if doc.located:
                positions[docid] = (doc.latitude, doc.longitude)
        c.executemany(f"INSERT INTO doc_{g}(docid, key, score, groupe, tags) VALUES (?,?,?,?,?)",
                      docs_rows)
        c.executemany(f"INSERT INTO content_{g}(docid, a_nom, a_body, kind, id, source, nom, data)"
                      " VALUES (?,?,?,?,?,?,?,?)", content_rows)
        c.executemany(f"INSERT INTO ftx_{g}(rowid, a_nom, a_body) VALUES (?,?,?)", fts_rows)
        return len(prepared)

    def _remove(self, g: int, keys: list[str], writer: PostingWriter,
                positions: dict[int, tuple[float, float]]) -> int:
        c = self.conn
        rows = []
        for start in range(0, len(keys), 5000):
            rows += c.execute(
                f"SELECT d.docid, d.tags, c.a_nom, c.a_body FROM doc_{g} d "
                f"JOIN content_{g} c ON c.docid = d.docid "
                "WHERE d.key IN (SELECT value FROM json_each(?))",
                (json.dumps(keys[start:start + 5000]),)).fetchall()
        if not rows:
            return 0
        phrases = self._phrases(g)
        words = {docid: _text_tokens(a_nom, a_body, phrases) for docid, _, a_nom, a_body in rows}
        writer.vocab.resolve(t for ts in words.values() for t in ts)
        tokens = writer.vocab.ids
        for docid, tags, _, _ in rows:
            ids = array("I")
            ids.frombytes(tags)
            writer.remove(docid, ids)
            writer.remove(docid, (tokens[t] for t in words[docid]))
            positions[docid] = (NAN, NAN)
        # External-content FTS5 forgets a row only when told its exact indexed values.
        c.executemany(f"INSERT INTO ftx_{g}(ftx_{g}, rowid, a_nom, a_body) "
                      "VALUES ('delete', ?, ?, ?)", [(r[0], r[2], r[3]) for r in rows])
        c.executemany(f"DELETE FROM content_{g} WHERE docid = ?", [(r[0],) for r in rows])
        c.executemany(f"DELETE FROM doc_{g} WHERE docid = ?", [(r[0],) for r in rows])
        return len(rows)

    def _save_positions(self, g: int, positions: dict[int, tuple[float, float]]) -> None:
        by_block: dict[int, list[tuple[int, float, float]]] = {}
        for docid, (lat, lon) in positions.items():
            by_block.setdefault(docid >> BLOCK_BITS, []).append((docid & (BLOCK - 1), lat, lon))
        c = self.conn
        for block, changes in by_block.items():
            row = c.execute(f"SELECT lat, lon FROM geo_{g} WHERE block = ?", (block,)).fetchone()
            lat, lon = empty_block(), empty_block()
            if row:
                lat, lon = array("d"), array("d")
                lat.frombytes(row[0])
                lon.frombytes(row[1])
            for i, la, lo in changes:
                lat[i], lon[i] = la, lo
            c.execute(f"INSERT OR REPLACE INTO geo_{g}(block, lat, lon) VALUES (?, ?, ?)",
                      (block, lat.tobytes(), lon.tobytes()))
        positions.clear()

    def index(self, documents: Iterable[SearchDocument]) -> int:
        self._mapped(False)
        g = self._generation(create=True)
        with self._transaction():
            writer, positions = PostingWriter(self.conn, g, self._vocabulary(g)), {}
            n = self._write(g, documents, writer, positions)
            writer.flush()
            self._save_positions(g, positions)
            self._bump_version()
        return n

    def delete(self, keys: Iterable[tuple[str, str]]) -> int:
        self._mapped(False)
        g = self._generation(create=True)
        with self._transaction():
            writer, positions = PostingWriter(self.conn, g, self._vocabulary(g)), {}
            n = self._remove(g, [f"{kind}/{rid}" for kind, rid in keys], writer, positions)
            writer.flush()
            self._save_positions(g, positions)
            self._bump_version()
        return n

    def rebuild(self, documents: Iterable[SearchDocument], total: int | None = None,
                progress=None) -> int:
        """Build a new generation beside the live one, then switch in one transaction.

        Readers keep answering from the old generation until the switch (zero downtime), and
        WAL stays valid since the file is never replaced. The new generation is invisible
        until then, so its sets and positions are written once per block of ids, not per batch.
        """
        self._mapped(False)
        old = self._generation(create=True, check=False)  # a rebuild also upgrades the layout
        new = old + 1
        with self._transaction():
            for table in self._tables(new):
                self.conn.execute(f"DROP TABLE IF EXISTS {table}")
            self._create_tables(new)
            # No segment merging while filling: one 'optimize' at the end does it once.
            self.conn.execute(f"INSERT INTO ftx_{new}(ftx_{new}, rank) VALUES ('automerge', 0)")
        writer = PostingWriter(self.conn, new, Vocabulary(self.conn, new))
        positions: dict[int, tuple[float, float]] = {}
        n = 0
        batch: list[SearchDocument] = []

        def write(batch: list[SearchDocument]) -> int:
            with self._transaction():
                done = self._write(new, batch, writer, positions, replace_existing=False)
                if writer.pending() >= 2_000_000:  # bounded memory: ~30,000 documents
                    writer.flush()
                if len(positions) >= BLOCK:
                    self._save_positions(new, positions)
            if progress and batch:
                progress(len(batch))
            return done

        for doc in documents:
            batch.append(doc)
            if len(batch) >= REBUILD_BATCH:
                n += write(batch)
                batch = []
        n += write(batch)
        with self._transaction():
            writer.flush()
            self._save_positions(new, positions)
        # Merge FTS5 segments into one b-tree: fewer segments to walk per query.
        with self._transaction():
            self.conn.execute(f"INSERT INTO ftx_{new}(ftx_{new}) VALUES ('optimize')")
            self.conn.execute(f"INSERT INTO ftx_{new}(ftx_{new}, rank) VALUES ('automerge', 4)")
        with self._transaction():
            self._set_meta("generation", str(new))
            self._set_meta("schema", SCHEMA_VERSION)
            if self._meta("uid") is None:
                self._set_meta("uid", secrets.token_hex(8))
            self._bump_version()
            for table in self._tables(old):
                self.conn.execute(f"DROP TABLE IF EXISTS {table}")
            self.conn.execute("DELETE FROM meta WHERE key = ?", (f"phrases_{old}",))
        forget(str(self.path))
        return n

    # -- searching ------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        make_plan(query, self._territories_view())  # validates before touching the index
        self._mapped(True)
        c = self.conn
        c.execute("BEGIN")  # one snapshot for the whole search, even if a writer commits
        try:
            state = dict(c.execute("SELECT key, value FROM meta WHERE key IN "
                                   "('generation', 'version', 'uid', 'schema')"))
            if "generation" not in state:
                return SearchResult(hits=[], total=0, facets={f: {} for f in query.facets})
            g = self._generation()
            postings = postings_for(str(self.path), g, (state.get("uid"), g, state.get("version")))
            reader = Reader(c, g, postings, self._phrases(g))
            if query.text:
                query = replace(query, text=correct_typos(query.text, self._known_terms(reader)))
            return self._search(reader, make_plan(query, self._territories_view()))
        finally:
            c.execute("COMMIT")

    @staticmethod
    def _known_terms(reader: Reader):
        def known(terms: list[str]) -> dict[str, int]:
            # Document frequency capped at 1,000: the typo rule breaks ties on it, as it did
            # when it counted matches up to that limit.
            found = reader.dfs([word(t) for t in terms])
            return {t: min(found[word(t)], 1000) for t in terms if word(t) in found}

        return known

    def _search(self, reader: Reader, plan: Plan) -> SearchResult:
        q = plan.query
        found = select(reader, plan)
        total = found.bit_count()
        facets = self._facets(reader, found, q.facets) if q.facets else {}
        order = ("sd", "rank", "key") if q.effective_sort == "distance" else ("rank", "sd", "key")
        cursor = cursor_values(plan)
        more = None
        if not plan.has_text:
            rows = plain_page(reader, plan, found, order, cursor)
        elif q.effective_sort == "distance":
            rows, _upper, more = window_page(reader, plan, found, order, cursor)
        else:
            ranks = self._relevance(reader, plan, found, total, cursor)
            rows = ranked_page(reader, plan, found, ranks, order, cursor)
        if more is None:
            more = len(rows) > q.size
        rows = rows[:q.size]
        hits = self._hits(reader, plan, rows)
        next_cursor = encode_cursor(list(rows[-1].values(order))) if more and rows else None
        return SearchResult(hits=hits, total=total, facets=facets, next=next_cursor)

    def _relevance(self, reader: Reader, plan: Plan, found: int, total: int,
                   cursor: tuple | None) -> dict[int, float]:
        """bm25 over the words and synonyms, plus EXACT_WEIGHT × bm25 over the typed words:
        for every found document, or at least for those the page can hold (`topk`)."""
        text = plan.query.text
        expanded, exact = expression(plan.groups), exact_expression(text)
        passes = [(expanded_phrases(plan.groups), expanded)]
        if exact and exact != expanded:
            passes.append((exact_phrases(text), exact))
        if total > PYTHON_BM25_MAX:
            ranks = topk.best(reader, found, total, passes[0][0],
                              passes[1][0] if len(passes) > 1 else [], plan.query.size + 1,
                              cursor[0] if cursor else None)
            if ranks is not None:
                odd = found & reader.bits(IRREGULAR)
                if odd:  # a few documents FTS5 must score itself
                    ranks.update(self._combine(reader, [
                        bm25(reader.conn, reader.g, match, bitmaps.members(odd))
                        for _, match in passes]))
                return ranks
        results: list[dict[int, float]] = []
        for number, (phrases, match) in enumerate(passes):
            scores = None
            if total <= PYTHON_BM25_MAX:
                sets = {p: phrase_set(reader, p) for p in phrases}
                matching = found  # every found document matches the words-and-synonyms pass
                if number:  # the typed words: every one of them
                    for p in phrases:
                        matching &= sets[p]
                hits = {p: s.bit_count() for p, s in sets.items()}
                scores = bm25_of(reader.conn, reader.g, phrases, hits, bitmaps.members(matching))
            if scores is None:
                data = bitmaps.as_bytes(found, 0)
                scores = {d: s for d, s in bm25(reader.conn, reader.g, match).items()
                          if bitmaps.contains(data, d)}
            results.append(scores)
        return self._combine(reader, results)

    @staticmethod
    def _combine(reader: Reader, results: list[dict[int, float]]) -> dict[int, float]:
        ranks = results[0]
        if len(results) > 1:
            for docid, extra in results[1].items():
                if docid in ranks:
                    ranks[docid] = ranks[docid] + EXACT_WEIGHT * extra
        return ranks

    def _hits(self, reader: Reader, plan: Plan, rows: list[Row]) -> list[SearchHit]:
        content = {r[0]: r[1:] for r in reader.rows(
            "SELECT docid, kind, id, source, nom, data FROM content_{g} WHERE docid IN {ids}",
            [r.docid for r in rows])}
        hits = []
        for row in rows:
            kind, rid, source, nom, data = content[row.docid]
            hits.append(SearchHit(
                kind=kind, id=rid, nom=nom or "", source=source or "",
                score=(-row.rank if plan.query.text and row.rank else None),
                distance=(round(km(row.dist), 3) if row.dist is not None else None),
                data=json.loads(data)))
        return hits

    def _facets(self, reader: Reader, found: int, names: list[str]) -> dict[str, dict[str, int]]:
        out = {}
        for name in names:
            prefix = FACET_PREFIX[name]
            counts = {}
            for token, _df in reader.with_prefix(prefix):
                n = (found & reader.bits(token)).bit_count()
                if n:
                    counts[token[len(prefix):]] = n
            out[name] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        return out
