"""A harvest's catalog log copied into the database file beside the index's commit (catalog/wal.py)."""

from __future__ import annotations

import sqlite3

import pytest

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
    with sqlite3.connect(engine.url.database) as other:
        busy, logged, copied = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and logged == copied  # nothing was left for a later writer
    # Every pooled connection, the harvest's among them, commits with automatic checkpoints again.
    pooled = [engine.connect() for _ in range(engine.pool.checkedin())]
    try:
        assert [conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() for conn in pooled] == [1000] * len(pooled)
    finally:
        for conn in pooled:
            conn.close()
