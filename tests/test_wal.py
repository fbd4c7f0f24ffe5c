"""A harvest's logs copied into their database files in threads (catalog/wal.py), its catalog
committed in a thread beside the index's last writes (catalog/commit_beside.py)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from catalog.commit_beside import CommitBeside
from catalog.db import is_sqlite
from catalog.wal import LogCopies
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.engine import harvest
from tests.factories import service, write_json


def test_after_a_harvest_the_log_is_in_the_file_and_connections_checkpoint_again(tmp_path, settings, engine):
    if not is_sqlite(engine):
        pytest.skip("SQLite's write-ahead log")
    path = write_json(tmp_path / "services.json", [service(i) for i in range(300)])
    summary = harvest(DataInclusionHarvester(str(path)), source="di", settings=settings)
    assert summary.status == "done" and summary.counts["added"] == 300
    for database in (engine.url.database, settings.search_index_path):
        with closing(sqlite3.connect(database)) as other:
            busy, logged, copied = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and logged == copied, database  # nothing was left for a later writer
    # Every pooled connection, the harvest's among them, commits with automatic checkpoints again.
    pooled = [engine.connect() for _ in range(engine.pool.checkedin())]
    try:
        assert [conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() for conn in pooled] == [1000] * len(pooled)
    finally:
        for conn in pooled:
            conn.close()


def test_a_commit_beside_says_when_it_is_done_and_raises_its_error_where_it_is_awaited():
    done = []
    assert CommitBeside(lambda: done.append(1)).wait() is True and done == [1]

    def fails():
        raise sqlite3.OperationalError("database or disk is full")

    pending = CommitBeside(fails)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        pending.wait()


def test_a_connection_whose_checkpoints_cannot_come_back_is_given_up_and_nothing_is_copied(tmp_path):
    class Breaks(sqlite3.Connection):
        broken = False

        def execute(self, sql, *args):
            if self.broken and sql.startswith("PRAGMA wal_autocheckpoint="):
                raise sqlite3.OperationalError("disk I/O error")
            return super().execute(sql, *args)

    conn = sqlite3.connect(tmp_path / "a.sqlite", factory=Breaks, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    given_up, copies = [], LogCopies()
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"), \
            copies.leaving_log(conn, lambda: given_up.append(True)):
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0  # the commit leaves its log
        conn.execute("CREATE TABLE t(x)")
        conn.broken = True
    assert given_up == [True] and copies._copies == []
    conn.close()


def test_without_an_sqlite_file_the_block_just_runs():
    ran, memory = [], sqlite3.connect(":memory:")
    with LogCopies().leaving_log(memory):
        ran.append(memory.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    assert ran == [1000]  # untouched: a memory database has no log to leave
    with LogCopies().leaving_log(object()):  # PostgreSQL's driver connection
        ran.append("postgresql")
    assert ran == [1000, "postgresql"]
