"""A harvest's logs copied into their database files in threads (catalog/wal.py), its catalog
committed in a thread beside the index's last writes (catalog/commit_beside.py)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from catalog.commit_beside import CommitBeside
from catalog.db import is_sqlite
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
