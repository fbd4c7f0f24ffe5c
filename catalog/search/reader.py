"""One committed state of the embedded index, as a search reads it.

Everything here is cached per process and per state (`Postings`): token sets, positions by
block of document ids, the grid's cells. A search opens a read transaction, finds the state
(index uid, generation, version) and reuses what earlier searches of that state loaded.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from array import array
from bisect import bisect_left

from catalog.search.bitmaps import BLOCK, BLOCK_BITS
from catalog.search.geo import TOP, Cell, Center, cell_token, children, parse_cell
from catalog.search.many import select_in
from catalog.search.postings import Postings
from catalog.search.tokens import Phrase

NAN = math.nan
_OFFSET = BLOCK - 1

_states: dict[str, Postings] = {}
_states_lock = threading.Lock()


def create_geo_table(conn: sqlite3.Connection, g: int) -> None:
    # Positions by block of 65,536 document ids (NaN: none), loaded whole by searches.
    conn.execute(f"CREATE TABLE IF NOT EXISTS geo_{g}(block INTEGER PRIMARY KEY, "
                 "lat BLOB NOT NULL, lon BLOB NOT NULL)")


def empty_block() -> array:
    return array("d", [NAN]) * BLOCK


def postings_for(path: str, g: int, state: tuple) -> Postings:
    """The cache of an index state; a new state (any write) starts an empty one."""
    with _states_lock:
        current = _states.get(path)
        if current is None or current.state != state:
            current = _states[path] = Postings(g, state)
        return current


def forget(path: str) -> None:
    with _states_lock:
        _states.pop(path, None)


class Reader:
    def __init__(self, conn: sqlite3.Connection, g: int, postings: Postings,
                 phrases: frozenset[Phrase]):
        self.conn, self.g, self.postings, self.phrases = conn, g, postings, phrases

    def bits(self, token: str, cache: bool = True) -> int:
        return self.postings.bits(self.conn, token, cache)

    def any_of(self, tokens: list[str]) -> int:
        out = 0
        for token in dict.fromkeys(tokens):
            out |= self.bits(token)
        return out

    def union(self, tokens: list[str]) -> int:
        return self.postings.union(self.conn, tokens)

    def df(self, token: str) -> int:
        return self.postings.df(self.conn, token)

    def dfs(self, tokens: list[str]) -> dict[str, int]:
        return self.postings.dfs(self.conn, tokens)

    def with_prefix(self, prefix: str) -> list[tuple[str, int]]:
        return self.postings.with_prefix(self.conn, prefix)

    # -- grid -----------------------------------------------------------------------------
    def roots(self) -> list[Cell]:
        """The coarsest cells that hold at least one document."""
        cache = self.postings.extra
        if "roots" not in cache:
            cache["roots"] = [parse_cell(t) for t, _ in self.with_prefix(f"g{TOP}:")]
        return cache["roots"]

    def children(self, cell: Cell) -> list[Cell]:
        """The cells of the level below that hold at least one document."""
        cache = self.postings.extra.setdefault("children", {})
        found = cache.get(cell)
        if found is None:
            tokens = {cell_token(c): c for c in children(cell)}
            found = cache[cell] = [tokens[t] for t in self.dfs(list(tokens))]
        return found

    def cell_bits(self, cell: Cell) -> int:
        return self.bits(cell_token(cell))

    def cell_ids(self, cell: Cell) -> array:
        # The finest cells are many and small: kept as id arrays, not as whole-range sets.
        return self.postings.ids(self.conn, cell_token(cell))

    # -- positions ------------------------------------------------------------------------
    def positions(self, block: int) -> tuple[array, array]:
        cache = self.postings.extra.setdefault("geo", {})
        found = cache.get(block)
        if found is None:
            row = self.conn.execute(f"SELECT lat, lon FROM geo_{self.g} WHERE block = ?",
                                    (block,)).fetchone()
            if row is None:
                found = (empty_block(), empty_block())
            else:
                lat, lon = array("d"), array("d")
                lat.frombytes(row[0])
                lon.frombytes(row[1])
                found = (lat, lon)
            cache[block] = found
        return found

    def terms(self, center: Center, docids) -> list[float]:
        """The haversine terms from `center` of documents (ids ascending)."""
        out: list[float] = []
        start, n = 0, len(docids)
        while start < n:
            block = docids[start] >> BLOCK_BITS
            end = bisect_left(docids, (block + 1) << BLOCK_BITS, start)
            lat, lon = self.positions(block)
            out += center.terms(lat, lon, [d & _OFFSET for d in docids[start:end]])
            start = end
        return out

    # -- rows -----------------------------------------------------------------------------
    def rows(self, sql: str, docids: list[int], *args) -> list[tuple]:
        """`sql` (with `{ids}` where the id list goes) for many document ids, in chunks."""
        return list(select_in(self.conn, sql.format(g=self.g, ids="{ids}"), docids, *args))
