"""Embedded search backend: one SQLite file; document sets as bitmaps, FTS5 for relevance.

A query is a handful of set operations in memory, whatever the number of matches
(`selection.py`); pages are cut nearest first on the grid or by score (`ordering.py`,
`topk.py`); FTS5 keeps bm25's statistics and scores what the classes cannot. Tables and writes:
`writer.py`; what a search reads and caches: `reader.py`. Text is analysed in Python
(`analysis.py`): FTS5 sees only stems, so its plain tokenizer suffices. The backend switches
generations for a rebuild (zero downtime) and never maps the file while writing.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from catalog.config import Settings
from catalog.db import sqlite_wait_seconds
from catalog.search import (
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResult,
    bitmaps,
    encode_cursor,
    topk,
)
from catalog.search.analysis import synonym_map
from catalog.search.geo import km
from catalog.search.ordering import (
    Row,
    cursor_values,
    plain_page,
    ranked_page,
    window_page,
)
from catalog.search.plan import Plan, make_plan
from catalog.search.postings import Vocabulary
from catalog.search.ranking import (
    EXACT_WEIGHT,
    bm25,
    bm25_of,
    exact_expression,
    exact_phrases,
    expanded_phrases,
    expression,
)
from catalog.search.reader import Reader, forget, postings_for
from catalog.search.selection import phrase_set, select
from catalog.search.tokens import FACET_PREFIX, IRREGULAR, multiword, word
from catalog.search.typos import correct_typos
from catalog.search.writer import GenerationWriter, create_tables, tables
from catalog.wal import LogCopies

SCHEMA_VERSION = "2"
# A write session (a harvest indexing as it goes) waits only a moment for the index's write lock,
# then leaves the work to the sync after its commit; other writers wait as the catalog's do
# (`catalog.db.sqlite_wait_seconds`).
SESSION_WAIT_MS = 200
# Pending set changes a write session keeps before writing them: memory bounded, each set's
# container written a few times per national feed rather than once per batch.
SESSION_PENDING_MAX = 400_000
# Page cache of a connection, in KB; smaller in a write session, which lasts a whole harvest:
# the process holds less beside the feed's reader, and a national feed is indexed faster
# (bench/lheo.py, 200 MB: 224 → 197 MB RSS, 10.4 → 11.2 MB/s).
CACHE_KB, SESSION_CACHE_KB = 32_000, 8_000
REBUILD_BATCH = 5000
# Relevance by Python (cost ∝ found documents) rather than FTS5 (cost ∝ every match of the
# words in the index) below this many found documents.
PYTHON_BM25_MAX = 3000


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
            conn = sqlite3.connect(self.path, timeout=sqlite_wait_seconds(), isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA temp_store=MEMORY")
            # A modest page cache: the hot data of searches lives in the process's set cache
            # (reader.py), and a writer's memory must not grow with the index.
            conn.execute(f"PRAGMA cache_size=-{CACHE_KB}")
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
            getattr(_local, "mapped", set()).discard(self.path)

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
        create_tables(self.conn, g)
        # The synonym phrases indexed as tokens, fixed for the generation (a phrase added to
        # the synonyms later is checked by FTS5 until the next rebuild).
        phrases = sorted(multiword(synonym_map()))
        self._set_meta(f"phrases_{g}", json.dumps(phrases))

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
                if exc_type:
                    backend._rollback()
                else:
                    backend.conn.execute("COMMIT")

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

    def _writer(self, g: int, vocabulary: Vocabulary | None = None) -> GenerationWriter:
        return GenerationWriter(self.conn, g, self._phrases(g), vocabulary or self._vocabulary(g))

    def index(self, documents: Iterable[SearchDocument]) -> int:
        self._mapped(False)
        self._generation(create=True)
        with self._transaction():
            # Read under the write lock: a rebuild in another process cannot switch it now.
            writer = self._writer(self._generation())
            n = writer.write(documents)
            writer.flush()
            if n:
                self._bump_version()
        return n

    def delete(self, keys: Iterable[tuple[str, str]]) -> int:
        self._mapped(False)
        self._generation(create=True)
        with self._transaction():
            writer = self._writer(self._generation())
            n = len(writer.remove([f"{kind}/{rid}" for kind, rid in keys]))
            writer.flush()
            if n:
                self._bump_version()
        return n

    def write_session(self) -> WriteSession | None:
        """One write transaction for many batches, committed by the caller (`in_step.py`); None
        when another process is writing the index now (a rebuild): wait no longer than a moment,
        the caller syncs after its own commit instead, as it would have anyway."""
        self._mapped(False)
        self._generation(create=True)
        conn = self.conn
        conn.execute(f"PRAGMA busy_timeout = {SESSION_WAIT_MS}")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return None
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(sqlite_wait_seconds() * 1000)}")
        try:
            # Read under the write lock: a rebuild in another process cannot switch it now.
            conn.execute(f"PRAGMA cache_size=-{SESSION_CACHE_KB}")
            return WriteSession(self, self._writer(self._generation()))
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.execute(f"PRAGMA cache_size=-{CACHE_KB}")  # a write session's smaller one, if any
        # Token ids given in the rolled-back transaction are gone from vocab_g: a cached one
        # would later name two tokens.
        self._vocabularies = {}

    def rebuild(self, documents: Iterable[SearchDocument], progress=None) -> int:
        """Build a new generation beside the live one, then switch in one transaction.

        Readers keep answering from the old generation until the switch (zero downtime), and
        WAL stays valid since the file is never replaced. The new generation is invisible
        until then, so its sets and positions are written once per block of ids, not per batch.
        """
        self._mapped(False)
        old = self._generation(create=True, check=False)  # a rebuild also upgrades the layout
        new = old + 1
        with self._transaction():
            for table in tables(new):
                self.conn.execute(f"DROP TABLE IF EXISTS {table}")
            self._create_tables(new)
            # No segment merging while filling: one 'optimize' at the end does it once.
            self.conn.execute(f"INSERT INTO ftx_{new}(ftx_{new}, rank) VALUES ('automerge', 0)")
        writer = self._writer(new, Vocabulary(self.conn, new))
        n = 0
        batch: list[SearchDocument] = []

        def write(batch: list[SearchDocument]) -> int:
            with self._transaction():
                done = writer.write(batch, replace_existing=False)
                writer.flush(bounded=True)
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
            for table in tables(old):
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
            if c.in_transaction:  # SQLite may have rolled back already: keep the real error
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
                    ranks.update(self._combine([
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
        return self._combine(results)

    @staticmethod
    def _combine(results: list[dict[int, float]]) -> dict[int, float]:
        ranks = results[0]
        if len(results) > 1:
            for docid, extra in results[1].items():
                if docid in ranks:
                    ranks[docid] = ranks[docid] + EXACT_WEIGHT * extra
        return ranks

    def _hits(self, reader: Reader, plan: Plan, rows: list[Row]) -> list[SearchHit]:
        content = {r[0]: r[1:] for r in reader.rows(
            "SELECT docid, kind, id, source, nom FROM content_{g} WHERE docid IN {ids}",
            [r.docid for r in rows])}
        hits = []
        for row in rows:
            kind, rid, source, nom = content[row.docid]
            hits.append(SearchHit(
                kind=kind, id=rid, nom=nom or "", source=source or "",
                score=(-row.rank if plan.query.text and row.rank else None),
                distance=(round(km(row.dist), 3) if row.dist is not None else None)))
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


class WriteSession:
    """Batches of changes applied in one open transaction of the index (`write_session`):
    invisible to searches until `commit`, gone at `rollback`."""

    def __init__(self, backend: SqliteBackend, writer: GenerationWriter):
        self.backend, self.writer = backend, writer
        self.changed = False

    def apply(self, docs: list[SearchDocument], gone: list[tuple[str, str]]) -> None:
        if docs:
            self.changed |= self.writer.write(docs) > 0
        if gone:
            self.changed |= bool(self.writer.remove([f"{kind}/{rid}" for kind, rid in gone]))
        self.writer.flush(bounded=True, pending_max=SESSION_PENDING_MAX)

    def prepare(self) -> None:
        """Write what is pending (the commit then has only its pages to write)."""
        self.writer.flush()

    def commit(self, watermark: int, log_copies: LogCopies | None = None) -> None:
        conn = self.backend.conn
        try:
            self.writer.flush()
            if self.changed:
                self.backend._bump_version()
            if watermark > self.backend.get_watermark():
                self.backend.set_watermark(watermark)
            if log_copies is None:
                conn.execute("COMMIT")
            else:
                with log_copies.leaving_log(conn, self.backend.close):
                    conn.execute("COMMIT")
        except BaseException:
            if self.backend.conn.in_transaction:
                self.rollback()
            raise
        finally:
            self.backend.conn.execute(f"PRAGMA cache_size=-{CACHE_KB}")

    def rollback(self) -> None:
        self.backend._rollback()
