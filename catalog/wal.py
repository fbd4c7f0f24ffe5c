"""SQLite write-ahead logs of a harvest copied into their database files beside other work.

A committing SQLite connection copies the log into the database file (a checkpoint, once the
log passes 1,000 pages) before its COMMIT returns: for a harvest's single large transaction,
as long as writing the pages in the first place (a 20 MB LHEO feed writes 33 MB of catalog,
25 MB of search index). A harvest commits the catalog, then the index, then records its job
and report: none of that needs to wait for a copy. So each of its commits leaves its log as it
is (`LogCopies.leaving_log`) and a thread copies it (SQLite works without the GIL) while the
harvest goes on; the harvest returns once every copy is done (`wait`), so nothing is left to a
later writer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from typing import Any

from catalog.db import sqlite_wait_seconds


class LogCopies:
    """The log copies (checkpoints) started after commits, running in threads until `wait()`."""

    def __init__(self) -> None:
        self._copies: list[tuple[threading.Thread, str]] = []

    @contextmanager
    def leaving_log(self, conn: Any, restore_failed: Callable[[], None] = lambda: None) -> Iterator[None]:
        """For the block (a commit of the DB-API connection `conn`), the connection does not
        copy its log; once the block succeeds, a thread does. The connection gets its automatic
        checkpoints back right after the block, whatever it did (`restore_failed` runs if that
        fails: never back in a pool without them, its log would grow forever). Pragmas go to the
        driver itself: through SQLAlchemy, one after the commit would begin a transaction. Not an
        SQLite file (PostgreSQL, memory): the block just runs."""
        path = _file_of(conn)
        if path is None:
            yield
            return
        pages = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        conn.execute("PRAGMA wal_autocheckpoint=0")
        try:
            yield
        finally:
            try:
                conn.execute(f"PRAGMA wal_autocheckpoint={int(pages)}")
            except BaseException:
                restore_failed()
                raise
        thread = threading.Thread(target=_checkpoint, args=(path,), name="checkpoint", daemon=True)
        thread.start()
        self._copies.append((thread, path))

    def wait(self) -> None:
        """Once every copy is done, what commits added to a log meanwhile (the job's record,
        whose own checkpoint found the copy under way) is copied too."""
        paths = {path: None for _, path in self._copies}
        while self._copies:
            self._copies.pop()[0].join()
        for path in paths:
            _checkpoint(path)


def _file_of(conn: Any) -> str | None:
    if not isinstance(conn, sqlite3.Connection):
        return None
    return conn.execute("PRAGMA database_list").fetchone()[2] or None  # "" for a memory database


def _checkpoint(path: str) -> None:
    # PASSIVE: copies what no reader still needs, never waits for one (a search of the site);
    # the rest goes at a later commit, as it would have.
    try:
        with closing(sqlite3.connect(path, timeout=sqlite_wait_seconds())) as conn:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error:
        pass  # a busy or full disk: the next commit's automatic checkpoint tries again
