"""Embedded search backend: one SQLite file, FTS5 for words and filters, exact distance in SQL.

Layout (generation `g`, see `rebuild`):
- `doc_g`: one *narrow* row per document (key, position, remote/zoned flags, zone codes, quality,
  duplicate group, facet value ids) — all that filtering, sorting and facet counting read, so
  that at a million records it stays in the page cache (a lookup per candidate row must be cheap).
- `facet_g`: the facet values, numbered.
- `content_g`: the analysed text, the record's kind/id/source/name and JSON (read for the page
  only); external content of both FTS tables.
- `fts_g` (detail=none): analysed name and text plus `tags`, the filter tokens (kind,
  thématiques, publics, zone codes, location codes, grid cells...). One MATCH intersects words,
  filters, eligibility and the spatial pre-cut with FTS5's skipping iterators, and computes no
  score, so it stays cheap however many filter tokens a query ORs.
- `ftx_g` (detail=full): the text alone, to score (bm25) only the rows that passed, on the
  query's words only, and to check multi-word phrases exactly.
SQL then checks the exact distance and sorts. Text is analysed in Python (`analysis.py`): FTS5
sees only stems, so its plain tokenizer suffices.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import threading
from dataclasses import replace
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from catalog.config import Settings
from catalog.search import (
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResult,
    decode_cursor,
    encode_cursor,
)
from catalog.search.analysis import analyze
from catalog.search.typos import correct_typos
from catalog.search.geo import EARTH_RADIUS_KM, cell_tokens, covering_cells
from catalog.search.plan import Plan, make_plan

SCHEMA_VERSION = "1"
# bm25 weights per FTS column: the name counts most; tags never score.
BM25 = "bm25(ftx_{g}, 4.0, 1.0)"
EXACT_WEIGHT = 2.0  # how much more the typed words count than their synonyms
_SLUG = re.compile(r"[a-z0-9-]+")
NO_DISTANCE = 1e18  # sorts records without a distance last
ZONED = "pl_zone"  # tag of records placed by their zone only (see SearchDocument.zoned)


def tag(prefix: str, value: str) -> str:
    """A filter token; readable for slugs, hashed for anything the tokenizer would split."""
    if _SLUG.fullmatch(value):
        return f"{prefix}_{value.replace('-', '_')}"
    return f"{prefix}_h_{hashlib.sha1(value.encode()).hexdigest()[:16]}"


def document_tags(doc: SearchDocument) -> list[str]:
    tags = [tag("ki", doc.kind)]
    if doc.source:
        tags.append(tag("so", doc.source))
    tags += [tag("th", v) for v in doc.thematiques + doc.categories]
    tags += [tag("pu", v) for v in doc.publics]
    tags += [tag("fr", v) for v in doc.frais]
    tags += [tag("ma", v) for v in doc.modes_accueil]
    tags += [tag("ty", v) for v in doc.types]
    for prefix, value in (("co", doc.code_commune), ("ep", doc.code_epci),
                          ("dp", doc.code_departement), ("rg", doc.code_region)):
        if value:
            tags.append(tag(prefix, value))
    if doc.located:
        tags += cell_tokens(doc.latitude, doc.longitude)
    elif doc.zoned:
        tags.append(ZONED)
    return tags


def zones_text(zones: list[str]) -> str:
    """Zone codes as "|93|11|" ("" when unrestricted), for a cheap per-row check in SQL."""
    return "|" + "|".join(zones) + "|" if zones else ""


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _any(tokens: Iterable[str]) -> str:
    tokens = list(dict.fromkeys(tokens))
    return tokens[0] if len(tokens) == 1 else "(" + " OR ".join(tokens) + ")"


def text_expression(plan: Plan) -> str:
    """The words of the query for the scoring table (phrases kept)."""
    return " AND ".join(_any(_quote(" ".join(phrase)) for phrase in group) for group in plan.groups)


def match_expression(plan: Plan) -> str | None:
    """The filtering MATCH string for a plan, or None when nothing needs matching.

    The filtering table has no positions: a phrase is matched as all its words here, and
    exactly by `text_expression` on the scoring table.
    """
    q = plan.query
    parts = []
    for group in plan.groups:
        alternatives = [_quote(p[0]) if len(p) == 1 else "(" + " AND ".join(map(_quote, p)) + ")"
                        for p in group]
        parts.append(_any(alternatives))
    filters: list[str] = []
    for prefix, values in (("ki", q.kinds), ("so", q.sources), ("th", q.thematiques),
                           ("pu", q.publics), ("fr", q.frais), ("ma", q.modes_accueil),
                           ("ty", q.types)):
        if values:
            filters.append(_any(_quote(tag(prefix, v)) for v in values))
    for prefix, value in (("ep", q.code_epci), ("dp", q.code_departement), ("rg", q.code_region)):
        if value:
            filters.append(_quote(tag(prefix, value.strip())))
    # Kept whatever the distance: remote records, and (for a commune) zone-only records.
    placed = [_quote(tag("ma", "a-distance"))]
    if plan.eligible_zones is not None:
        placed.append(_quote(ZONED))
    if plan.onsite_commune:
        filters.append(_any(placed + [_quote(tag("co", plan.onsite_commune))]))
    elif plan.center is not None:
        cells = covering_cells(plan.center[0], plan.center[1], plan.radius_km)
        if cells is not None:
            filters.append(_any(placed + [_quote(c) for c in cells]))
    if filters:
        # No column filter (detail=none has none): tags hold a "_" that no stem has.
        parts.extend(filters)
    return " AND ".join(parts) if parts else None


def _km(h: float) -> float:
    """Kilometres from the haversine term h."""
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(max(0.0, h))))


def _occurrences(terms: list[str], phrase: tuple[str, ...]) -> int:
    if len(phrase) == 1:
        return terms.count(phrase[0])
    size = len(phrase)
    return sum(1 for i in range(len(terms) - size + 1) if tuple(terms[i : i + size]) == phrase)


_local = threading.local()


class SqliteBackend:
    name = "sqlite"

    def __init__(self, settings: Settings, territories=None, path: Path | None = None):
        self.settings = settings
        self.path = Path(path or settings.search_index_path)
        self._territories = territories

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
            conn.execute("PRAGMA cache_size=-200000")  # 200 MB page cache: the hot FTS pages
            # Map the whole file (up to the 2 GB build limit): no read() per page once warm.
            conn.execute("PRAGMA mmap_size=2147418112")
            conn.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)")
            conns[self.path] = conn
        return conn

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

    def _generation(self, create: bool = False) -> int | None:
        gen = self._meta("generation")
        if gen is None and create:
            with self._transaction():
                gen = self._meta("generation")
                if gen is None:
                    self._create_tables(1)
                    self._set_meta("generation", "1")
                    self._set_meta("schema", SCHEMA_VERSION)
                    gen = "1"
        return int(gen) if gen is not None else None

    def _create_tables(self, g: int) -> None:
        c = self.conn
        c.execute(f"""CREATE TABLE IF NOT EXISTS doc_{g}(
            docid INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, lat REAL, lon REAL,
            remote INTEGER NOT NULL, zoned INTEGER NOT NULL, zones TEXT NOT NULL, score REAL,
            groupe TEXT, facets TEXT NOT NULL)""")
        c.execute(f"""CREATE TABLE IF NOT EXISTS facet_{g}(
            id INTEGER PRIMARY KEY, name TEXT NOT NULL, value TEXT NOT NULL, UNIQUE(name, value))""")
        c.execute(f"""CREATE TABLE IF NOT EXISTS content_{g}(
            docid INTEGER PRIMARY KEY, a_nom TEXT, a_body TEXT, a_tags TEXT, kind TEXT,
            id TEXT, source TEXT, nom TEXT, data TEXT)""")
        c.execute(f"""CREATE VIRTUAL TABLE IF NOT EXISTS fts_{g} USING fts5(
            a_nom, a_body, a_tags, content='content_{g}', content_rowid='docid', detail=none,
            tokenize="unicode61 remove_diacritics 0 tokenchars '_'")""")
        c.execute(f"""CREATE VIRTUAL TABLE IF NOT EXISTS ftx_{g} USING fts5(
            a_nom, a_body, content='content_{g}', content_rowid='docid',
            tokenize="unicode61 remove_diacritics 0 tokenchars '_'")""")

    @staticmethod
    def _tables(g: int) -> tuple[str, ...]:
        return (f"fts_{g}", f"ftx_{g}", f"content_{g}", f"doc_{g}", f"facet_{g}")

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
    def _facet_id(self, g: int, cache: dict, name: str, value: str) -> int:
        fid = cache.get((name, value))
        if fid is None:
            c = self.conn
            c.execute(f"INSERT OR IGNORE INTO facet_{g}(name, value) VALUES (?, ?)", (name, value))
            fid = c.execute(f"SELECT id FROM facet_{g} WHERE name = ? AND value = ?",
                            (name, value)).fetchone()[0]
            cache[(name, value)] = fid
        return fid

    def _write(self, g: int, docs: Iterable[SearchDocument], replace_existing: bool = True) -> int:
        c = self.conn
        cache: dict = {}
        n = 0
        for doc in docs:
            if replace_existing:
                self._remove(g, doc.key)
            ids = sorted({self._facet_id(g, cache, name, v)
                          for name, values in doc.facet_values().items() for v in values})
            cur = c.execute(
                f"INSERT INTO doc_{g}(key, lat, lon, remote, zoned, zones, score, groupe, facets)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (doc.key, doc.latitude, doc.longitude, int(doc.remote), int(doc.zoned),
                 zones_text(doc.zone_eligibilite), doc.score_qualite, doc.groupe_doublons,
                 " ".join(map(str, ids))))
            docid = cur.lastrowid
            a_nom, a_body, a_tags = (" ".join(analyze(doc.nom)), " ".join(analyze(doc.text)),
                                     " ".join(document_tags(doc)))
            c.execute(f"INSERT INTO content_{g}(docid, a_nom, a_body, a_tags, kind, id, source,"
                      " nom, data) VALUES (?,?,?,?,?,?,?,?,?)",
                      (docid, a_nom, a_body, a_tags, doc.kind, doc.id, doc.source, doc.nom,
                       json.dumps(doc.data, ensure_ascii=False, separators=(",", ":"))))
            c.execute(f"INSERT INTO fts_{g}(rowid, a_nom, a_body, a_tags) VALUES (?,?,?,?)",
                      (docid, a_nom, a_body, a_tags))
            c.execute(f"INSERT INTO ftx_{g}(rowid, a_nom, a_body) VALUES (?,?,?)",
                      (docid, a_nom, a_body))
            n += 1
        return n

    def _remove(self, g: int, key: str) -> bool:
        c = self.conn
        row = c.execute(
            f"SELECT d.docid, c.a_nom, c.a_body, c.a_tags FROM doc_{g} d "
            f"JOIN content_{g} c ON c.docid = d.docid WHERE d.key = ?", (key,)).fetchone()
        if row is None:
            return False
        # External-content FTS5 forgets a row only when told its exact indexed values.
        c.execute(f"INSERT INTO fts_{g}(fts_{g}, rowid, a_nom, a_body, a_tags) "
                  "VALUES ('delete', ?, ?, ?, ?)", row)
        c.execute(f"INSERT INTO ftx_{g}(ftx_{g}, rowid, a_nom, a_body) "
                  "VALUES ('delete', ?, ?, ?)", row[:3])
        c.execute(f"DELETE FROM content_{g} WHERE docid = ?", (row[0],))
        c.execute(f"DELETE FROM doc_{g} WHERE docid = ?", (row[0],))
        return True

    def index(self, documents: Iterable[SearchDocument]) -> int:
        g = self._generation(create=True)
        with self._transaction():
            return self._write(g, documents)

    def delete(self, keys: Iterable[tuple[str, str]]) -> int:
        g = self._generation(create=True)
        with self._transaction():
            return sum(self._remove(g, f"{kind}/{rid}") for kind, rid in keys)

    def rebuild(self, documents: Iterable[SearchDocument], total: int | None = None,
                progress=None) -> int:
        """Build a new generation beside the live one, then switch in one transaction.

        Readers keep answering from the old generation until the switch (zero downtime), and
        WAL stays valid since the file is never replaced.
        """
        old = self._generation(create=True)
        new = old + 1
        with self._transaction():
            for table in self._tables(new):
                self.conn.execute(f"DROP TABLE IF EXISTS {table}")
            self._create_tables(new)
        n = 0
        batch: list[SearchDocument] = []
        for doc in documents:
            batch.append(doc)
            if len(batch) >= 5000:
                with self._transaction():
                    n += self._write(new, batch, replace_existing=False)
                if progress:
                    progress(len(batch))
                batch = []
        with self._transaction():
            n += self._write(new, batch, replace_existing=False)
        if progress and batch:
            progress(len(batch))
        # Merge FTS5 segments into one b-tree: fewer segments to walk per query.
        with self._transaction():
            self.conn.execute(f"INSERT INTO fts_{new}(fts_{new}) VALUES ('optimize')")
            self.conn.execute(f"INSERT INTO ftx_{new}(ftx_{new}) VALUES ('optimize')")
        with self._transaction():
            self._set_meta("generation", str(new))
            for table in self._tables(old):
                self.conn.execute(f"DROP TABLE IF EXISTS {table}")
        return n

    # -- searching ------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        make_plan(query, self._territories_view())  # validates before touching the index
        g = self._generation()
        if g is None:
            return SearchResult(hits=[], total=0, facets={f: {} for f in query.facets})
        c = self.conn
        c.execute("BEGIN")  # one snapshot for the whole search, even if a writer commits
        try:
            if query.text:
                query = replace(query, text=correct_typos(query.text, self._known_terms(g)))
            return self._search(g, make_plan(query, self._territories_view()))
        finally:
            c.execute("COMMIT")

    def _known_terms(self, g: int):
        def known(terms: list[str]) -> dict[str, int]:
            # Presence and (capped) document frequency straight from the index: fts5vocab
            # would walk every doclist to count.
            found = {}
            for term in terms:
                n = self.conn.execute(
                    f"SELECT count(*) FROM (SELECT rowid FROM ftx_{g} WHERE ftx_{g} MATCH ? "
                    "LIMIT 1000)", (_quote(term),)).fetchone()[0]
                if n:
                    found[term] = n
            return found

        return known

    def _search(self, g: int, plan: Plan) -> SearchResult:
        q = plan.query
        c = self.conn
        c.execute("CREATE TEMP TABLE IF NOT EXISTS hits(docid INTEGER PRIMARY KEY, sd REAL, "
                  "dist REAL, rank REAL, key TEXT)")
        c.execute("CREATE TEMP TABLE IF NOT EXISTS ranks(docid INTEGER PRIMARY KEY, rank REAL)")
        c.execute("DELETE FROM temp.hits")
        params: dict[str, Any] = {}
        match = match_expression(plan)
        where = []
        if plan.center is not None:
            # The haversine term h (0 ≤ h ≤ 1) grows with the distance: rows are filtered and
            # sorted on it, and only the page's rows get it turned into kilometres. That saves
            # the sqrt/asin per row, a third of the SQL cost at a million records.
            lat = plan.center[0]
            params.update(lat=lat, lon=plan.center[1], half=math.pi / 360, rad=math.pi / 180,
                          coslat=math.cos(math.radians(lat)),
                          hmax=math.sin(min(plan.radius_km / (2 * EARTH_RADIUS_KM), math.pi / 2)) ** 2)
            dist = ("(pow(sin((d.lat - :lat) * :half), 2) + :coslat * cos(d.lat * :rad) * "
                    "pow(sin((d.lon - :lon) * :half), 2))")
            zoned = "d.zoned = 1 OR " if plan.eligible_zones is not None else ""
            where.append(f"(d.remote = 1 OR {zoned}{dist} <= :hmax)")
        else:
            dist = "NULL"
        if plan.eligible_zones is not None:
            # Eligibility is checked on the rows the FTS cut left: its zone lists would be long
            # OR branches there (most records are unrestricted or national).
            checks = ["d.zones = ''"]
            for i, zone in enumerate(sorted(plan.eligible_zones)):
                params[f"z{i}"] = f"|{zone}|"
                checks.append(f"instr(d.zones, :z{i}) > 0")
            where.append("(" + " OR ".join(checks) + ")")
        if q.score_qualite_minimum is not None:
            where.append("d.score >= :smin")
            params["smin"] = float(q.score_qualite_minimum)
        rank = "NULL" if plan.has_text else "0.0"  # scored below, on the text alone
        if match:
            params["match"] = match
            # CROSS JOIN pins FTS5 as the outer loop: the planner may otherwise probe the FTS
            # table once per document row, re-opening every term's doclist each time.
            source = f"fts_{g} CROSS JOIN doc_{g} d ON d.docid = fts_{g}.rowid"
            where.insert(0, f"fts_{g} MATCH :match")
        else:
            source = f"doc_{g} d"
        sql = (f"INSERT INTO temp.hits(docid, sd, dist, rank, key) SELECT d.docid, "
               f"coalesce({dist}, {NO_DISTANCE}), {dist}, {rank}, d.key FROM {source}")
        if where:
            sql += " WHERE " + " AND ".join(where)
        c.execute(sql, params)
        # Sorted by distance, the score only orders equal distances: score the page's window
        # only (see _page). Multi-word alternatives ("code de la route") were matched word by
        # word above; their phrase is checked here on every row, without scoring, so the total
        # stays exact.
        deferred = plan.has_text and q.effective_sort == "distance"
        if deferred and any(len(p) > 1 for group in plan.groups for p in group):
            c.execute(f"DELETE FROM temp.hits WHERE docid NOT IN (SELECT rowid FROM ftx_{g} "
                      f"WHERE ftx_{g} MATCH ?)", (text_expression(plan),))
        if plan.has_text and not deferred:
            self._rank(g, plan)
            c.execute("DELETE FROM temp.hits WHERE rank IS NULL")  # a phrase did not hold
        if q.exclure_doublons:
            # Keep the best record of each duplicate group (quality, then key) among the hits.
            c.execute(f"""DELETE FROM temp.hits WHERE docid IN (
                SELECT docid FROM (SELECT h.docid, row_number() OVER (
                    PARTITION BY coalesce(d.groupe, d.key)
                    ORDER BY d.score DESC NULLS LAST, d.key) AS rn
                FROM temp.hits h CROSS JOIN doc_{g} d ON d.docid = h.docid
                WHERE d.groupe IS NOT NULL) WHERE rn > 1)""")
        total = c.execute("SELECT count(*) FROM temp.hits").fetchone()[0]
        facets = self._facets(g, q.facets) if q.facets else {}
        hits, last = self._page(g, plan, deferred)
        return SearchResult(hits=hits, total=total, facets=facets, next=last)

    def _rank(self, g: int, plan: Plan, window: str = "", args: tuple = ()) -> None:
        """Score hits (those in `window`, an SQL condition on h.sd) on the query's words."""
        c = self.conn
        cond = f" AND {window}" if window else ""
        c.execute("DELETE FROM temp.ranks")
        # Scores land in their own keyed table first: an UPDATE ... FROM a virtual-table
        # subquery may rescan the subquery for every row.
        c.execute(f"""INSERT INTO temp.ranks(docid, rank)
            SELECT h.docid, {BM25.format(g=g)} FROM ftx_{g}
            CROSS JOIN temp.hits h ON h.docid = ftx_{g}.rowid WHERE ftx_{g} MATCH ?{cond}""",
                  (text_expression(plan), *args))
        c.execute("UPDATE temp.hits SET rank = (SELECT r.rank FROM temp.ranks r "
                  f"WHERE r.docid = hits.docid) WHERE docid IN (SELECT docid FROM temp.ranks)")
        exact = " AND ".join(_quote(t) for t in analyze(plan.query.text))
        if exact and exact != text_expression(plan):
            # Synonyms widen the net; the words actually typed weigh extra, so "code de la
            # route" ranks the code course above the permis ones it also finds.
            c.execute("DELETE FROM temp.ranks")
            c.execute(f"""INSERT INTO temp.ranks(docid, rank)
                SELECT h.docid, {BM25.format(g=g)} FROM ftx_{g}
                CROSS JOIN temp.hits h ON h.docid = ftx_{g}.rowid
                WHERE ftx_{g} MATCH ?{cond}""", (exact, *args))
            c.execute(f"UPDATE temp.hits SET rank = rank + {EXACT_WEIGHT} * (SELECT r.rank "
                      "FROM temp.ranks r WHERE r.docid = hits.docid) "
                      "WHERE docid IN (SELECT docid FROM temp.ranks)")

    def _rank_window(self, g: int, plan: Plan, lower: float, upper: float) -> None:
        """Score the rows of a distance window in Python, from their analysed text.

        Scoring through FTS5 would walk every match of the words in France to reach these few
        rows; here the score only orders records at the same distance, so a plain weighted
        term count (name ×4, typed words ×2, saturated) is enough and costs microseconds.
        """
        rows = self.conn.execute(
            f"SELECT h.docid, c.a_nom, c.a_body FROM temp.hits h CROSS JOIN content_{g} c "
            "ON c.docid = h.docid WHERE h.sd BETWEEN ? AND ?", (lower, upper)).fetchall()
        typed = set(analyze(plan.query.text))
        updates = []
        for docid, a_nom, a_body in rows:
            nom, body = (a_nom or "").split(), (a_body or "").split()
            score = 0.0
            for group in plan.groups:
                for phrase in group:
                    weight = EXACT_WEIGHT + 1 if set(phrase) <= typed else 1.0
                    for terms, column_weight in ((nom, 4.0), (body, 1.0)):
                        n = _occurrences(terms, phrase)
                        score += weight * column_weight * n / (n + 1.0)
            updates.append((-score / (1.0 + 0.01 * len(body)), docid))
        self.conn.executemany("UPDATE temp.hits SET rank = ? WHERE docid = ?", updates)

    def _page(self, g: int, plan: Plan, deferred: bool) -> tuple[list[SearchHit], str | None]:
        q = plan.query
        order = ("sd", "rank", "key") if q.effective_sort == "distance" else ("rank", "sd", "key")
        cond, args = "", []
        values = None
        if q.after:
            values = decode_cursor(q.after)
            if len(values) != 3:
                from catalog.errors import UnusableInput

                raise UnusableInput("Curseur de pagination illisible.")
            cond, args = f"WHERE ({', '.join(order)}) > (?, ?, ?)", list(values)
        if deferred:
            # The window to score: from the cursor's distance to the distance of the row that
            # closes this page, ties included, so the order inside it is the full order.
            lower = float(values[0]) if values else -1.0
            before = self.conn.execute("SELECT count(*) FROM temp.hits WHERE sd = ?",
                                       (lower,)).fetchone()[0]
            row = self.conn.execute(
                "SELECT sd FROM temp.hits WHERE sd >= ? ORDER BY sd LIMIT 1 OFFSET ?",
                (lower, before + q.size)).fetchone()
            upper = row[0] if row else NO_DISTANCE
            self._rank_window(g, plan, lower, upper)
            cond = (cond + " AND " if cond else "WHERE ") + "sd <= ?"
            args.append(upper)
        rows = self.conn.execute(
            f"SELECT h.docid, h.dist, h.rank, h.sd, h.key, c.kind, c.id, c.source, c.nom, c.data "
            f"FROM (SELECT * FROM temp.hits {cond} ORDER BY {', '.join(order)} LIMIT ?) h "
            f"JOIN content_{g} c ON c.docid = h.docid "
            f"ORDER BY {', '.join('h.' + o for o in order)}", (*args, q.size + 1)).fetchall()
        more = len(rows) > q.size
        rows = rows[: q.size]
        if deferred and not more and rows:
            # The window ended the page early only if hits remain beyond it.
            more = self.conn.execute("SELECT 1 FROM temp.hits WHERE sd > ? LIMIT 1",
                                     (args[-1],)).fetchone() is not None
        hits = [SearchHit(kind=r[5], id=r[6], nom=r[8] or "", source=r[7] or "",
                          score=(-r[2] if q.text and r[2] else None),
                          distance=(round(_km(r[1]), 3) if r[1] is not None else None),
                          data=json.loads(r[9])) for r in rows]
        cursor = None
        if more and rows:
            last = rows[-1]
            by_name = {"sd": last[3], "rank": last[2], "key": last[4]}
            cursor = encode_cursor([by_name[o] for o in order])
        return hits, cursor

    def _facets(self, g: int, names: list[str]) -> dict[str, dict[str, int]]:
        counted = Counter(" ".join(r[0] for r in self.conn.execute(
            f"SELECT d.facets FROM temp.hits h CROSS JOIN doc_{g} d ON d.docid = h.docid")
        ).split())
        wanted = set(names)
        labels = {fid: (name, value) for fid, name, value in self.conn.execute(
            f"SELECT id, name, value FROM facet_{g}") if name in wanted}
        counts: dict[str, Counter] = {name: Counter() for name in names}
        for fid, n in counted.items():
            label = labels.get(int(fid))
            if label:
                counts[label[0]][label[1]] = n
        return {name: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))
                for name, c in counts.items()}
