"""Token → document set, stored in SQLite, read as Python integers (`bitmaps.py`).

Tables of generation g: `vocab_g(tokid, token, df)` and `post_g(id = tokid << 16 | block,
data)`, one container per token and block of 65,536 document ids.

`PostingWriter` gathers a transaction's additions and removals and rewrites each touched
container once, at `flush`. `Postings` reads one committed state of the index for searches:
token sets are cached in the process (least recently used first out, within a byte budget) and
the whole cache is dropped as soon as the index changes (its `version` in `meta`).
"""

from __future__ import annotations

import sqlite3
import threading
from array import array
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from itertools import pairwise

from catalog.search import bitmaps
from catalog.search.bitmaps import BLOCK_BITS
from catalog.search.many import select_in

_LOW = (1 << BLOCK_BITS) - 1
_UNKNOWN = object()  # not yet looked up (None: looked up, absent)


def create_tables(conn: sqlite3.Connection, g: int) -> None:
    conn.execute(f"CREATE TABLE IF NOT EXISTS vocab_{g}(tokid INTEGER PRIMARY KEY, "
                 "token TEXT NOT NULL UNIQUE, df INTEGER NOT NULL)")
    conn.execute(f"CREATE TABLE IF NOT EXISTS post_{g}(id INTEGER PRIMARY KEY, data BLOB NOT NULL)")


def tables(g: int) -> tuple[str, ...]:
    return (f"vocab_{g}", f"post_{g}")


class Vocabulary:
    """Token ↔ id of one generation, created on first use (a writer's cache)."""

    def __init__(self, conn: sqlite3.Connection, g: int):
        self.conn, self.g = conn, g
        self.ids: dict[str, int] = {}
        self.next_id: int | None = None

    # Tokens remembered between batches: the vocabulary of a large catalog (numbers, names)
    # outgrows any fixed budget, and a writer's memory must not grow with the index.
    KEPT = 250_000

    def resolve(self, tokens: Iterable[str]) -> None:
        """Make `ids` hold every one of `tokens` (new ones get the next ids)."""
        if len(self.ids) > self.KEPT:
            self.ids = {}  # callers read `ids` after resolving, never a copy kept from before
        known = self.ids
        missing = [t for t in (tokens if isinstance(tokens, set) else set(tokens)) if t not in known]
        if not missing:
            return
        self.ids.update(select_in(self.conn, f"SELECT token, tokid FROM vocab_{self.g} WHERE token IN {{ids}}",
                                  missing))
        new = [t for t in missing if t not in self.ids]
        if new:
            if self.next_id is None:
                self.next_id = self.conn.execute(
                    f"SELECT COALESCE(MAX(tokid), 0) + 1 FROM vocab_{self.g}").fetchone()[0]
            rows = [(self.next_id + k, t) for k, t in enumerate(sorted(new))]
            self.next_id += len(rows)
            self.conn.executemany(f"INSERT INTO vocab_{self.g}(tokid, token, df) VALUES (?, ?, 0)",
                                  rows)
            self.ids.update((t, i) for i, t in rows)

    def __getitem__(self, token: str) -> int:
        return self.ids[token]


class PostingWriter:
    """Additions and removals of one transaction, applied container by container at `flush`."""

    def __init__(self, conn: sqlite3.Connection, g: int, vocabulary: Vocabulary):
        self.conn, self.g, self.vocab = conn, g, vocabulary
        self.adds: defaultdict[int, list[int]] = defaultdict(list)
        self.removes: defaultdict[int, list[int]] = defaultdict(list)

    def add(self, docid: int, tokens: Iterable[str]) -> None:
        adds = self.adds
        for tokid in map(self.vocab.ids.__getitem__, tokens):
            adds[tokid].append(docid)

    def remove(self, docid: int, tokids: Iterable[int]) -> None:
        for tokid in tokids:
            self.removes[tokid].append(docid)

    def pending(self) -> int:
        return sum(map(len, self.adds.values())) + sum(map(len, self.removes.values()))

    def flush(self) -> None:
        changes: defaultdict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        df: defaultdict[int, int] = defaultdict(int)
        for side, pending in ((0, self.adds), (1, self.removes)):
            sign = -1 if side else 1
            for tokid, docids in pending.items():
                df[tokid] += sign * len(docids)
                base = tokid << BLOCK_BITS
                first, last = docids[0] >> BLOCK_BITS, docids[-1] >> BLOCK_BITS
                if first == last and side == 0:  # new documents: consecutive ids, one block
                    changes[base | first][0].extend([d & _LOW for d in docids])
                    continue
                for d in docids:
                    changes[base | (d >> BLOCK_BITS)][side].append(d & _LOW)
        self.adds.clear()
        self.removes.clear()
        if not changes:
            return
        keys = sorted(changes)
        existing: dict[int, bytes] = dict(
            select_in(self.conn, f"SELECT id, data FROM post_{self.g} WHERE id IN {{ids}}", keys))
        writes, deletes = [], []
        for key in keys:
            added, removed = changes[key]
            data = _apply(existing.get(key), added, removed)
            if data:
                writes.append((key, data))
            elif key in existing:
                deletes.append((key,))
        self.conn.executemany(f"INSERT OR REPLACE INTO post_{self.g}(id, data) VALUES (?, ?)",
                              writes)
        self.conn.executemany(f"DELETE FROM post_{self.g} WHERE id = ?", deletes)
        self.conn.executemany(f"UPDATE vocab_{self.g} SET df = df + ? WHERE tokid = ?",
                              [(n, tokid) for tokid, n in df.items() if n])


def _apply(data: bytes | None, added: list[int], removed: list[int]) -> bytes:
    """A container with offsets added and removed (removals first: a re-indexed document may
    leave and come back under the same id within one transaction)."""
    if data is not None and len(data) == bitmaps.DENSE_BYTES:
        bits = bytearray(data)
        for v in removed:
            bits[v >> 3] &= ~(1 << (v & 7)) & 0xFF
        for v in added:
            bits[v >> 3] |= 1 << (v & 7)
        if int.from_bytes(bits, "little").bit_count() >= bitmaps.DENSE_MIN:
            return bytes(bits)
        return bitmaps.encode(array("H", bitmaps.decode(bytes(bits))))
    offsets = bitmaps.decode(data) if data else array("H")
    if removed:
        gone = set(removed)
        offsets = array("H", (v for v in offsets if v not in gone))
    if added:
        if not offsets or (added[0] > offsets[-1] and _ascending(added)):
            offsets.extend(added)  # the common case: new documents get the highest ids
        else:
            offsets = array("H", sorted(set(offsets).union(added)))
    return bitmaps.encode(offsets) if offsets else b""


def _ascending(values: list[int]) -> bool:
    return all(a < b for a, b in pairwise(values))


class Postings:
    """Document sets of one committed index state, for searching (cached per process)."""

    BUDGET = 192 << 20  # bytes of cached sets per index state
    VOCAB_KEPT = 200_000  # token entries (present or absent) remembered per index state
    IDS_BUDGET = 32 << 20  # bytes of cached id arrays

    def __init__(self, g: int, state: tuple):
        self.g, self.state = g, state
        self._vocab: dict[str, tuple[int, int] | None] = {}
        self._sets: OrderedDict[str, int] = OrderedDict()
        self._bytes = 0
        self._ids: OrderedDict[str, array] = OrderedDict()
        self._ids_bytes = 0
        self._prefixes: dict[str, list[tuple[str, int]]] = {}
        self.lock = threading.Lock()
        self.extra: dict = {}  # other per-state caches (circles, grid roots...)

    def _remember(self, token: str, entry: tuple[int, int] | None) -> tuple[int, int] | None:
        # Typo correction asks about hundreds of candidate words, most absent: bounded.
        if len(self._vocab) >= self.VOCAB_KEPT:
            self._vocab = {}  # a new dict: a thread reading the old one is unharmed
        self._vocab[token] = entry
        return entry

    def _entry(self, conn: sqlite3.Connection, token: str) -> tuple[int, int] | None:
        entry = self._vocab.get(token, _UNKNOWN)
        if entry is _UNKNOWN:
            row = conn.execute(f"SELECT tokid, df FROM vocab_{self.g} WHERE token = ?",
                               (token,)).fetchone()
            entry = self._remember(token, (row[0], row[1]) if row and row[1] > 0 else None)
        return entry

    def df(self, conn: sqlite3.Connection, token: str) -> int:
        entry = self._entry(conn, token)
        return entry[1] if entry else 0

    def dfs(self, conn: sqlite3.Connection, tokens: list[str]) -> dict[str, int]:
        """Document frequencies of many tokens at once (typo candidates)."""
        known: dict[str, int] = {}
        missing = []
        for t in set(tokens):
            entry = self._vocab.get(t, _UNKNOWN)
            if entry is _UNKNOWN:
                missing.append(t)
            elif entry:
                known[t] = entry[1]
        found = {t: (i, n) for t, i, n in select_in(
            conn, f"SELECT token, tokid, df FROM vocab_{self.g} WHERE token IN {{ids}}", missing)}
        for t in missing:
            entry = self._remember(t, found[t] if t in found and found[t][1] > 0 else None)
            if entry:
                known[t] = entry[1]
        return {t: known[t] for t in tokens if t in known}

    def with_prefix(self, conn: sqlite3.Connection, prefix: str) -> list[tuple[str, int]]:
        """(token, df) of every present token starting with `prefix`."""
        if prefix not in self._prefixes:
            upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            self._prefixes[prefix] = [(t, n) for t, n in conn.execute(
                f"SELECT token, df FROM vocab_{self.g} WHERE token >= ? AND token < ? "
                "AND df > 0", (prefix, upper))]
        return self._prefixes[prefix]

    def bits(self, conn: sqlite3.Connection, token: str, cache: bool = True) -> int:
        with self.lock:
            x = self._sets.get(token)
            if x is not None:
                self._sets.move_to_end(token)
                return x
        x = self.union(conn, [token])
        if cache:
            with self.lock:
                if token not in self._sets:
                    self._sets[token] = x
                    self._bytes += (x.bit_length() >> 3) + 32
                    while self._bytes > self.BUDGET and len(self._sets) > 1:
                        _, old = self._sets.popitem(last=False)
                        self._bytes -= (old.bit_length() >> 3) + 32
        return x

    def ids(self, conn: sqlite3.Connection, token: str) -> array:
        """A token's documents as an array of ids (small sets: grid cells of the finest level)."""
        with self.lock:
            found = self._ids.get(token)
            if found is not None:
                self._ids.move_to_end(token)
                return found
        found = array("I")
        entry = self._entry(conn, token)
        if entry:
            low = entry[0] << BLOCK_BITS
            for key, data in conn.execute(
                    f"SELECT id, data FROM post_{self.g} WHERE id BETWEEN ? AND ?",
                    (low, low | _LOW)):
                base = (key & _LOW) << BLOCK_BITS
                found.extend(base + v for v in bitmaps.decode(data))
        with self.lock:
            if token in self._ids:  # another thread read it meanwhile
                return self._ids[token]
            self._ids[token] = found
            self._ids_bytes += 4 * len(found) + 64
            while self._ids_bytes > self.IDS_BUDGET and len(self._ids) > 1:
                _, old = self._ids.popitem(last=False)
                self._ids_bytes -= 4 * len(old) + 64
        return found

    def _containers(self, conn: sqlite3.Connection, tokens: Iterable[str]) -> list[tuple[int, bytes]]:
        """(id, data) of every container of these tokens, in one query."""
        ids = [e[0] for e in (self._entry(conn, t) for t in tokens) if e]
        if not ids:
            return []
        if len(ids) == 1:
            low = ids[0] << BLOCK_BITS
            return conn.execute(f"SELECT id, data FROM post_{self.g} WHERE id BETWEEN ? AND ?",
                                (low, low | _LOW)).fetchall()
        return list(select_in(
            conn, f"SELECT p.id, p.data FROM {{ids}} j JOIN post_{self.g} p "
                  f"ON p.id BETWEEN j.value << {BLOCK_BITS} AND (j.value << {BLOCK_BITS}) | {_LOW}",
            ids, chunk=500))

    def union(self, conn: sqlite3.Connection, tokens: Iterable[str]) -> int:
        """The union of several tokens' sets, read from their containers in one pass."""
        parts = self._containers(conn, tokens)
        if not parts:
            return 0
        top = max(key & _LOW for key, _ in parts)
        target = bytearray((top + 1) * bitmaps.DENSE_BYTES)
        filled: set[int] = set()
        for key, data in parts:
            bitmaps.decode_into(data, key & _LOW, target, filled)
        return int.from_bytes(target, "little")

    def union_ids(self, conn: sqlite3.Connection, tokens: Iterable[str]) -> list[int]:
        """The documents of several small sets, as ascending ids (not cached)."""
        found: list[int] = []
        for key, data in self._containers(conn, tokens):
            base = (key & _LOW) << BLOCK_BITS
            found += [base + v for v in bitmaps.decode(data)]
        found.sort()
        return found
