"""Change numbers (`record.seq`) are committed in the order they are given: the search index
follows records by them, and a number committed late behind its watermark would never be read."""

from __future__ import annotations

import threading

from catalog.db import is_sqlite, reserve_sequence, writer_connection


def test_a_second_writer_waits_for_the_first_to_commit_and_numbers_after_it(engine):
    first = writer_connection(engine)
    first_tx = first.begin()
    reserved_first = reserve_sequence(first, 3)
    got: dict[str, list[int]] = {}

    def second_writer() -> None:
        with writer_connection(engine) as conn, conn.begin():
            got["second"] = reserve_sequence(conn, 2)

    thread = threading.Thread(target=second_writer)
    thread.start()
    thread.join(1.5)
    assert "second" not in got  # held back while the first writer's transaction is open
    first_tx.commit()
    first.close()
    thread.join(30)
    assert "second" in got
    if not is_sqlite(engine):
        # On SQLite numbers come from the records committed (none here); on PostgreSQL from a
        # sequence, and the second writer's come after the first's.
        assert min(got["second"]) > max(reserved_first)
