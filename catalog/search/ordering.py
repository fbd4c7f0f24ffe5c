"""The page: the found documents in order, after a keyset cursor.

Orders (unchanged): by distance — (sd, rank, key) — or by relevance — (rank, sd, key); sd is
the haversine term to the searched place (1e18 without a position or a place), rank the
relevance score (0.0 without text). Sorted by distance, rows are taken nearest first through
the grid (`Nearest`), so a page costs what its neighbourhood holds, not what France holds;
the score is then computed for the page's window only, as it only orders equal distances.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from catalog.errors import UnusableInput
from catalog.search import bitmaps, decode_cursor
from catalog.search.geo import Center, lower_bound, upper_bound
from catalog.search.plan import Plan
from catalog.search.ranking import window_scores
from catalog.search.reader import Reader
from catalog.search.tokens import LOCATED

NO_DISTANCE = 1e18  # sorts records without a distance last


@dataclass
class Row:
    docid: int
    sd: float
    dist: float | None  # the haversine term, when the record has a position and the query a place
    rank: float | None
    key: str = ""

    def values(self, order: tuple[str, ...]) -> tuple:
        return tuple(getattr(self, name) for name in order)


def cursor_values(plan: Plan) -> tuple | None:
    if not plan.query.after:
        return None
    values = decode_cursor(plan.query.after)
    if (len(values) != 3 or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                    for v in values[:2]) or not isinstance(values[2], str)):
        raise UnusableInput("Curseur de pagination illisible.")
    return (float(values[0]), float(values[1]), values[2])


class Nearest:
    """Located documents of a set, nearest first, found cell by cell (best-first on the grid:
    a cell is opened when no unopened cell can hold anything nearer)."""

    def __init__(self, reader: Reader, located: int, center: Center, lower: float):
        self.reader, self.located, self.center, self.lower = reader, located, center, lower
        self.heap = [(lower_bound(center, c), c) for c in reader.roots()]
        heapq.heapify(self.heap)
        self.found: list[tuple[float, int]] = []  # (h, docid) with h ≥ lower
        self._sorted = True
        self.located_bytes: bytes | None = None

    def _open_next(self) -> None:
        _, cell = heapq.heappop(self.heap)
        if upper_bound(self.center, cell) < self.lower:
            return  # wholly before the cursor
        if cell[0] == 0:
            data = self.located_bytes
            if data is None:
                data = self.located_bytes = bitmaps.as_bytes(self.located, 0)
            ids = [d for d in self.reader.cell_ids(cell) if bitmaps.contains(data, d)]
            lower = self.lower
            self.found += [(h, d) for d, h in zip(ids, self.reader.terms(self.center, ids))
                           if h >= lower]
            self._sorted = False
            return
        if not self.located & self.reader.cell_bits(cell):
            return
        for child in self.reader.children(cell):
            heapq.heappush(self.heap, (lower_bound(self.center, child), child))

    def rows(self) -> list[tuple[float, int]]:
        if not self._sorted:
            self.found.sort()
            self._sorted = True
        return self.found

    def ensure(self, need: int) -> list[tuple[float, int]]:
        """At least `need` rows, with every row up to the need-th (ties included), if the set
        holds that many; nearest first."""
        while self.heap:
            if len(self.found) >= need and self.rows()[need - 1][0] < self.heap[0][0]:
                break
            self._open_next()
        return self.rows()

    def beyond(self, upper: float) -> bool:
        """Whether a located document lies farther than `upper`."""
        while True:
            if self.found and self.rows()[-1][0] > upper:
                return True
            if not self.heap:
                return False
            self._open_next()


def _keys(reader: Reader, docids: list[int]) -> dict[int, str]:
    return dict(reader.rows("SELECT docid, key FROM doc_{g} WHERE docid IN {ids}", docids))


def _by_key(reader: Reader, found: int, after: str | None, count: int) -> list[tuple[str, int]]:
    """The `count` smallest (key, docid) of a set, keys above `after`."""
    size = found.bit_count()
    if size <= 20_000:
        rows = sorted((k, d) for d, k in _keys(reader, bitmaps.members(found, size)).items()
                      if after is None or k > after)
        return rows[:count]
    # A large set: walk the key index until enough members go by (≈ count × N / size rows).
    data = bitmaps.as_bytes(found, 0)
    out: list[tuple[str, int]] = []
    cursor = reader.conn.execute(
        f"SELECT key, docid FROM doc_{reader.g} WHERE key > ? ORDER BY key",
        ("" if after is None else after,))
    while len(out) < count:
        batch = cursor.fetchmany(512)
        if not batch:
            break
        out.extend(r for r in batch if bitmaps.contains(data, r[1]))
    cursor.close()
    return out[:count]


def _unplaced(reader: Reader, unplaced: int, cursor: tuple | None, order: tuple[str, ...],
              rank: float, count: int) -> list[Row]:
    """Rows without a distance (sd = NO_DISTANCE) of equal rank, in key order after the cursor."""
    after = None
    if cursor is not None:
        c = dict(zip(order, cursor))
        head = (NO_DISTANCE, rank) if order[0] == "sd" else (rank, NO_DISTANCE)
        mine = (c[order[0]], c[order[1]])
        if head < mine:
            return []
        if head == mine:
            after = c["key"]
    return [Row(d, NO_DISTANCE, None, rank, k) for k, d in _by_key(reader, unplaced, after, count)]


def plain_page(reader: Reader, plan: Plan, found: int, order: tuple[str, ...],
               cursor: tuple | None) -> list[Row]:
    """Without text (rank 0.0): distance then key order; `size + 1` rows after the cursor."""
    want = plan.query.size + 1
    rows: list[Row] = []
    located = found & reader.bits(LOCATED) if plan.center is not None else 0
    if located:
        lower = cursor[order.index("sd")] if cursor else -1.0
        near = Nearest(reader, located, Center(*plan.center), lower)
        need = want
        while True:
            found_rows = near.ensure(need)
            ties = sum(1 for h, _ in found_rows if h == lower)
            if need >= want + ties or len(found_rows) < need:
                break
            need = want + ties
        head = found_rows[:need]
        if head:  # every row at the last distance, whatever its key
            last = head[-1][0]
            head += [r for r in found_rows[need:] if r[0] == last]
        keys = _keys(reader, [d for _, d in head])
        rows = sorted((Row(d, h, h, 0.0, keys[d]) for h, d in head),
                      key=lambda r: r.values(order))
        if cursor is not None:
            rows = [r for r in rows if r.values(order) > cursor]
        rows = rows[:want]
    if len(rows) < want:
        rows += _unplaced(reader, found & ~located, cursor, order, 0.0, want - len(rows))
    return rows


def ranked_page(reader: Reader, plan: Plan, found: int, ranks: dict[int, float],
                order: tuple[str, ...], cursor: tuple | None) -> list[Row]:
    """Sorted by relevance: rank, then distance, then key."""
    want = plan.query.size + 1
    candidates = [(r, d) for d, r in ranks.items()]
    if cursor is not None:
        candidates = [c for c in candidates if c[0] >= cursor[0]]
    need = want + (sum(1 for r, _ in candidates if r == cursor[0]) if cursor else 0)
    head = heapq.nsmallest(need, candidates)
    if head:
        last = head[-1][0]
        head = [c for c in candidates if c[0] < last] + [c for c in candidates if c[0] == last]
    keys = _keys(reader, [d for _, d in head])
    terms: dict[int, float] = {}
    if plan.center is not None:
        data = bitmaps.as_bytes(found & reader.bits(LOCATED), 0)
        ids = sorted(d for _, d in head if bitmaps.contains(data, d))
        terms = dict(zip(ids, reader.terms(Center(*plan.center), ids)))
    rows = []
    for rank, docid in head:
        h = terms.get(docid)
        rows.append(Row(docid, NO_DISTANCE if h is None else h, h, rank, keys[docid]))
    rows.sort(key=lambda r: r.values(order))
    if cursor is not None:
        rows = [r for r in rows if r.values(order) > cursor]
    return rows[:want]


def window_page(reader: Reader, plan: Plan, found: int, order: tuple[str, ...],
                cursor: tuple | None) -> tuple[list[Row], float, bool]:
    """Sorted by distance with text: (rows, upper, more beyond upper).

    The window to score runs from the cursor's distance to the distance of the row that closes
    this page, ties included, so the order inside it is the full order.
    """
    size = plan.query.size
    lower = cursor[0] if cursor else -1.0
    located = found & reader.bits(LOCATED) if plan.center is not None else 0
    unplaced = found & ~located
    near = Nearest(reader, located, Center(*plan.center), lower) if located else None
    found_rows = near.ensure(1) if near else []
    if lower == NO_DISTANCE:
        before = unplaced.bit_count()
    else:
        before = sum(1 for h, _ in found_rows if h == lower)
    if near:
        found_rows = near.ensure(before + size + 1)
    if len(found_rows) > before + size:
        upper = found_rows[before + size][0]
    else:
        upper = NO_DISTANCE  # the closing row is unplaced, or there is none
    window = [(h, d) for h, d in found_rows if h <= upper]
    if upper == NO_DISTANCE:
        window += [(NO_DISTANCE, d) for d in bitmaps.members(unplaced)]
    texts = reader.rows("SELECT docid, a_nom, a_body, kind || '/' || id FROM content_{g} "
                        "WHERE docid IN {ids}", [d for _, d in window])
    scores = window_scores(plan.groups, plan.query.text, [t[:3] for t in texts])
    keys = {t[0]: t[3] for t in texts}
    rows = [Row(d, h, None if h == NO_DISTANCE else h, scores[d], keys[d]) for h, d in window]
    rows.sort(key=lambda r: r.values(order))
    if cursor is not None:
        rows = [r for r in rows if r.values(order) > cursor]
    rows = rows[:size + 1]
    more = len(rows) > size
    if not more and rows:
        more = (near.beyond(upper) if near else False) or (upper < NO_DISTANCE and bool(unplaced))
    return rows, upper, more
