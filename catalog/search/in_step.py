"""The search index kept in step with a harvest, in a transaction committed after the catalog's.

Indexing what a harvest wrote once it has committed made a national feed wait for its index
(~40 % of an LHEO harvest) while the process reading the feed sat idle. Instead the engine,
after each batch it writes, asks `InStepIndex.follow` to index the records above its mark, read
through the harvest's own connection (its uncommitted writes included; no other writer of
records can commit meanwhile: `catalog.db.lock_record_writers`), in one write transaction of
the index left open: searches see none of it until the engine commits it, after the catalog.
The catalog rolled back (dry run, held for review, failure), the index rolls back with it.

The sync after the commit (`sync_index`) still runs: it finds nothing left, or catches up from
the watermark whatever the in-step indexing did not finish (a backend without write sessions,
Elasticsearch; the index busy with a rebuild; an error of the index, which ends the in-step
indexing, never the harvest; a crash between the two commits).
"""

from __future__ import annotations

import logging

from catalog.errors import UnusableInput
from catalog.search import BATCH, changes_in_batches, get_backend, iter_documents
from catalog.wal import LogCopies

log = logging.getLogger(__name__)


class InStepIndex:
    def __init__(self, engine, session, mark: int, batch_size: int):
        self.engine, self.session, self.mark, self.batch_size = engine, session, mark, batch_size

    @classmethod
    def open(cls, settings, engine, *, writes: bool = True) -> InStepIndex:
        """In step through a write session of the configured backend; without one (a dry run,
        which `writes` nothing, or no session to be had), every call does nothing and the sync
        after the commit does the work. Call it under the record writers' lock, before the run's
        first write."""
        idle = cls(engine, None, 0, BATCH)
        if not writes:
            return idle
        try:
            backend = get_backend(settings)
            opener = getattr(backend, "write_session", None)
            session = opener() if opener else None
        except UnusableInput:  # an index of an earlier layout: the sync after the commit says so
            return idle
        except Exception:
            log.warning("Index de recherche : indexation au fil du moissonnage impossible", exc_info=True)
            return idle
        if session is None:
            return idle
        try:
            mark = backend.get_watermark()
        except BaseException:
            session.rollback()
            raise
        return cls(engine, session, mark, getattr(backend, "batch_size", BATCH))

    def follow(self, conn) -> bool:
        """Index every record above the mark, as `conn` sees them; False once the in-step
        indexing has ended (an error, rolled back: the sync after the commit does the work)."""
        if self.session is None:
            return False
        try:
            for docs, gone, top in changes_in_batches(iter_documents(self.engine, self.mark, conn=conn),
                                                      self.batch_size):
                self.session.apply(docs, gone)
                self.mark = top
        except Exception:
            log.warning("Index de recherche : indexation au fil du moissonnage abandonnée", exc_info=True)
            self.rollback()
            return False
        return True

    def prepare(self) -> None:
        """The session's last writes, still invisible: done while the catalog commits (in its
        own file, they need nothing of that commit), so that `commit` has little left to do."""
        if self.session is None:
            return
        try:
            self.session.prepare()
        except Exception:
            log.warning("Index de recherche : indexation au fil du moissonnage abandonnée", exc_info=True)
            self.rollback()

    def commit(self, log_copies: LogCopies | None = None) -> None:
        """After the catalog's commit: what was indexed becomes visible, the watermark moves.
        With `log_copies`, the index's log is copied into its file in a thread (catalog/wal.py)."""
        if self.session is None:
            return
        session, self.session = self.session, None
        try:
            session.commit(self.mark, log_copies)
        except Exception:
            log.warning("Index de recherche : validation de l'indexation au fil de l'eau impossible", exc_info=True)

    def rollback(self) -> None:
        if self.session is None:
            return
        session, self.session = self.session, None
        try:
            session.rollback()
        except Exception:
            log.warning("Index de recherche : annulation impossible", exc_info=True)
