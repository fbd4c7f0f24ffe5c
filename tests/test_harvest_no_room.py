"""A harvest that runs out of room, or fails half-way: the catalog stays as it was, and its job
says so in French, with the counts of what it wrote (nothing), not of what it had planned.

The disk is filled for real, in SQLite's own terms: `PRAGMA max_page_count` caps the database
at its size, so a write that needs one more page fails with SQLITE_FULL (« database or disk is
full »), the error a full disk gives.
"""

from __future__ import annotations

import errno
import sqlite3

import psycopg.errors
import pytest
import sqlalchemy.exc
from sqlalchemy import event, select

from catalog.db import is_sqlite, storage_full
from catalog.models import HarvestJob
from harvesters import engine as engine_module
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.engine import harvest
from harvesters.report import iter_lines
from tests.factories import service, write_json
from tests.test_harvest_engine import snapshot

JOBS = HarvestJob.__table__
LOTS_OF_ROOM = 1 << 30  # pages: SQLite's default cap is higher still


def run(path, settings, **kwargs):
    return harvest(DataInclusionHarvester(str(path)), source="di", settings=settings, **kwargs)


def sqlite_full_error() -> sqlite3.OperationalError:
    """A genuine SQLITE_FULL, as SQLite raises it."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t(x)")
    conn.execute("PRAGMA max_page_count = 2")
    try:
        conn.execute("INSERT INTO t VALUES (zeroblob(100000))")
    except sqlite3.OperationalError as exc:
        return exc
    finally:
        conn.close()
    raise AssertionError("SQLite wrote 100 kB into two pages")


@pytest.fixture
def full_disk(engine, monkeypatch):
    """`.writers()`: from then on, a harvest's writing connection has no page to spare;
    `.everywhere()`: every connection the engine hands out (the job's bookkeeping too)."""
    if not is_sqlite(engine):
        pytest.skip("max_page_count is SQLite's; PostgreSQL's disk_full is checked by storage_full below")

    def cap(dbapi_connection) -> None:
        size = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {size}")

    def uncap(dbapi_connection, _record) -> None:  # a connection back in the pool gets its room back
        dbapi_connection.execute(f"PRAGMA max_page_count = {LOTS_OF_ROOM}")

    writer_connection = engine_module.writer_connection

    def capped_writer(engine_):
        conn = writer_connection(engine_)
        cap(conn.connection.driver_connection)
        return conn

    def capped_checkout(dbapi_connection, _record, _proxy) -> None:
        cap(dbapi_connection)

    class Disk:
        @staticmethod
        def writers() -> None:
            monkeypatch.setattr(engine_module, "writer_connection", capped_writer)

        @staticmethod
        def everywhere() -> None:
            Disk.writers()
            event.listen(engine, "checkout", capped_checkout)

    event.listen(engine, "checkin", uncap)
    yield Disk
    if event.contains(engine, "checkout", capped_checkout):
        event.remove(engine, "checkout", capped_checkout)
    event.remove(engine, "checkin", uncap)


def job_row(engine, job_id):
    with engine.connect() as conn:
        return conn.execute(select(JOBS).where(JOBS.c.id == job_id)).mappings().one()


def line_statuses(engine, job_id) -> set[str]:
    with engine.connect() as conn:
        return {line["status"] for line in iter_lines(conn, job_id)}


def long_records(first: int, last: int) -> list[dict]:
    return [service(i) | {"description": "Un texte assez long pour remplir des pages. " * 40}
            for i in range(first, last)]


def test_a_full_disk_fails_the_run_in_french_and_the_catalog_stays(tmp_path, settings, engine, full_disk):
    records = [service(i) for i in range(20)]
    assert run(write_json(tmp_path / "a.json", records), settings).counts["added"] == 20
    before = snapshot(engine)

    full_disk.writers()
    records += long_records(20, 600)
    records[3]["nom"] = None  # one invalid record: a line the report keeps
    summary = run(write_json(tmp_path / "b.json", records), settings, batch_size=200)

    assert summary.status == "failed"
    assert summary.message == ("Plus de place pour écrire (disque ou base de données pleins) : libérez de "
                               "l'espace, puis relancez. Le catalogue n'a pas été modifié.")
    assert snapshot(engine) == before
    assert summary.counts["read"] >= 200 and summary.counts["invalid"] == 1
    assert all(summary.counts[name] == 0 for name in engine_module.WRITE_OUTCOMES)
    row = job_row(engine, summary.job_id)
    assert row["status"] == "failed" and row["added"] == row["unchanged"] == 0
    assert row["read"] == summary.counts["read"] and row["message"] == summary.message
    assert line_statuses(engine, summary.job_id) == {"invalid"}  # no « ajouté » it never wrote


def test_no_room_even_for_the_report_still_closes_the_job(tmp_path, settings, engine, full_disk):
    run(write_json(tmp_path / "a.json", [service(i) for i in range(20)]), settings)
    before = snapshot(engine)
    full_disk.everywhere()
    records = long_records(0, 400)
    for record in records[::2]:
        record["frais"] = "hors-référentiel"  # 200 invalid records: report lines with no page to go to
    summary = run(write_json(tmp_path / "b.json", records), settings)

    assert summary.status == "failed" and snapshot(engine) == before
    assert summary.message.endswith("Le catalogue n'a pas été modifié. Rapport détaillé non enregistré, "
                                    "faute de place (disque ou base de données pleins).")
    row = job_row(engine, summary.job_id)
    assert row["status"] == "failed" and row["message"] == summary.message  # closed, not left « en cours »
    assert row["invalid"] == summary.counts["invalid"] == 200
    assert line_statuses(engine, summary.job_id) == set()
    assert summary.groups and summary.groups[0].count == 200  # the terminal still gets the grouped errors


def test_a_feed_cut_after_some_batches_reports_nothing_written(tmp_path, settings, engine):
    run(write_json(tmp_path / "a.json", [service(i) for i in range(20)]), settings)
    before = snapshot(engine)
    whole = write_json(tmp_path / "b.json", [service(i) for i in range(1000)]).read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(whole[: len(whole) * 9 // 10])
    summary = run(cut, settings, batch_size=200)

    assert summary.status == "failed" and "tronqué" in summary.message
    assert snapshot(engine) == before
    assert summary.counts["read"] >= 800  # four batches went through validation and writing
    assert all(summary.counts[name] == 0 for name in engine_module.WRITE_OUTCOMES)
    assert job_row(engine, summary.job_id)["added"] == 0
    assert line_statuses(engine, summary.job_id) == set()


def test_a_bug_is_still_raised_and_recorded_as_such(tmp_path, settings, engine, monkeypatch):
    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(engine_module.RecordWriter, "write", broken)
    with pytest.raises(ZeroDivisionError):
        run(write_json(tmp_path / "a.json", [service(i) for i in range(5)]), settings)
    with engine.connect() as conn:
        row = conn.execute(select(JOBS).order_by(JOBS.c.id.desc())).mappings().first()
    assert row["status"] == "failed" and row["message"].startswith("Erreur interne (ZeroDivisionError")


@pytest.mark.parametrize(("error", "full"), [
    (sqlite_full_error(), True),
    (sqlalchemy.exc.OperationalError("INSERT", {}, sqlite_full_error()), True),
    (sqlite3.OperationalError("database is locked"), False),
    (sqlalchemy.exc.OperationalError("INSERT", {}, psycopg.errors.DiskFull("could not extend file")), True),
    (sqlalchemy.exc.OperationalError("INSERT", {}, psycopg.errors.QueryCanceled("timeout")), False),
    (OSError(errno.ENOSPC, "No space left on device"), True),
    (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
    (OSError(errno.EACCES, "Permission denied"), False),
    (ValueError("database or disk is full"), False),  # the words alone are not the error
], ids=["sqlite", "sqlite-wrapped", "sqlite-locked", "postgresql", "postgresql-other", "enospc", "edquot",
        "eacces", "words-only"])
def test_storage_full_tells_no_room_from_other_errors(error, full):
    assert storage_full(error) is full
