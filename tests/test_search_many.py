"""`select_in` (catalog/search/many.py): one query's rows for any number of values."""

from __future__ import annotations

import sqlite3

from catalog.search.many import select_in


def _table() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, kind TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, "pair" if i % 2 == 0 else "impair") for i in range(100)])
    return conn


def test_every_chunk_is_asked_and_parameters_follow_the_set():
    conn = _table()
    wanted = [3, 4, 5, 10, 11, 99, 250]  # 250 matches nothing
    rows = select_in(conn, "SELECT id FROM t WHERE id IN {ids} AND kind = ? ORDER BY id", wanted, "impair",
                     chunk=2)
    assert [r[0] for r in rows] == [3, 5, 11, 99]


def test_strings_and_the_set_as_a_table():
    conn = _table()
    rows = list(select_in(conn, "SELECT j.value, t.id FROM {ids} j JOIN t ON t.id = j.value + 1",
                          [0, 98, 99], chunk=1))
    assert rows == [(0, 1), (98, 99)]
    assert list(select_in(conn, "SELECT count(*) FROM t WHERE kind IN {ids}", ["pair", "autre"])) == [(50,)]


def test_no_values_no_query():
    conn = _table()
    assert list(select_in(conn, "SELECT * FROM nowhere WHERE id IN {ids}", [])) == []
