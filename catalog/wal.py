"""SQLite write-ahead logs of a harvest copied into their database files side by side.

A committing SQLite connection copies the log into the database file (a checkpoint, once the
log passes 1,000 pages) before its COMMIT returns: for a harvest's single large transaction,
as long as writing the pages in the first place (a 20 MB LHEO feed writes 60 MB of catalog,
50 MB of search index). A harvest commits the catalog, then the index: their checkpoints need
not wait for each other. The catalog's runs in a thread (SQLite works without the GIL) while
the index commits; the harvest returns once both are done, so nothing is left to a later writer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager

from sqlalchemy.engine import Connection

from catalog.db import is_sqlite, sqlite_wait_seconds


@contextmanager
def checkpoint_aside(conn: Connection) -> Iterator[CheckpointAside]:
    """For the block, `conn`'s commits leave the log as it is (SQLite); `.start()` after the
    commit copies it in a thread, joined when the block ends. Elsewhere, does nothing."""
    aside = CheckpointAside(conn if is_sqlite(conn) else None)
    try:
        yield aside
    finally:
        aside.end()


class CheckpointAside:
    def __init__(self, conn: Connection | None):
        self.conn, self.thread = conn, None
        self.path = conn.engine.url.database if conn is not None else None
        if self.path and self.path != ":memory:":
            self.pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
            conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        else:
            self.conn = None

    def start(self) -> None:
        if self.conn is not None and self.thread is None:
            self.thread = threading.Thread(target=_checkpoint, args=(self.path,), name="checkpoint", daemon=True)
            self.thread.start()

    def end(self) -> None:
        if self.thread is not None:
            self.thread.join()
        if self.conn is not None:
            conn, self.conn = self.conn, None
            try:
                conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={int(self.pages)}")
            except Exception:
                # Never back in the pool without its checkpoints (its log would grow forever).
                conn.invalidate()
                raise


def _checkpoint(path: str) -> None:
    # PASSIVE: copies what no reader still needs, never waits for one (a search of the site);
    # the rest goes at a later commit, as it would have.
    try:
        with closing(sqlite3.connect(path, timeout=sqlite_wait_seconds())) as conn:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error:
        pass  # a busy or full disk: the next commit's automatic checkpoint tries again
