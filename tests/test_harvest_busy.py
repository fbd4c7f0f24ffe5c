"""SQLite has one writer at a time, and a harvest writes from its first record to its commit. A
harvest started by another process meanwhile (a manual run during a scheduled one) waits for the
lock `MAILLAGE_SQLITE_WAIT_SECONDS` (60 s by default, 1 s here), then stops and says why: the
catalog stays as it was, and neither a traceback nor a job left « en cours » remains.

The other writer is a real one: a second SQLite connection holding `BEGIN IMMEDIATE`.
"""

from __future__ import annotations

import socket
import subprocess

from click.testing import CliRunner
from sqlalchemy import func, select

from catalog.models import HarvestJob
from harvesters import engine as engine_module
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.engine import harvest
from maillage.cli import main
from tests.factories import service, write_json
from tests.test_harvest_engine import snapshot

JOBS = HarvestJob.__table__
BUSY = ("Le catalogue est occupé par une autre écriture (un autre moissonnage ?) depuis plus de 1 s : "
        "relancez quand elle sera finie. Le catalogue n'a pas été modifié.")


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def run(path, settings):
    return harvest(DataInclusionHarvester(str(path)), source="di", settings=settings)


def job_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(JOBS)).scalar_one()


def test_a_harvest_while_another_writes_is_not_started_and_says_why(other_writer, tmp_path, settings, engine):
    run(write_json(tmp_path / "a.json", [service(i) for i in range(20)]), settings)
    # A job whose process died: whoever runs next must mark it failed, which is a write too.
    with engine.begin() as conn:
        conn.execute(JOBS.update().where(JOBS.c.id == 1).values(status="running", pid=dead_pid(),
                                                                  host=socket.gethostname()))
    before, jobs = snapshot(engine), job_count(engine)
    other_writer.hold(engine)

    summary = run(write_json(tmp_path / "b.json", [service(i) for i in range(40)]), settings)
    assert summary.job_id is None and summary.status == "failed"
    assert summary.message == f"Moissonnage non lancé. {BUSY}"
    assert summary.counts["read"] == summary.counts["added"] == 0

    # The CLI says the same in French, exit code 1, and no traceback.
    result = CliRunner().invoke(main, ["harvest", "datainclusion", str(tmp_path / "b.json"), "--source", "di"])
    assert result.exit_code == 1
    assert result.output.startswith("Moissonnage non enregistré — source « di » (datainclusion)\nStatut : échoué")
    assert BUSY in result.output and "Traceback" not in result.output
    sources_run = CliRunner().invoke(main, ["sources", "run", "--due"])
    assert sources_run.exit_code == 1 and f"Aucune source moissonnée. {BUSY[:60]}" in sources_run.output
    assert "Traceback" not in sources_run.output

    other_writer.release()
    assert snapshot(engine) == before and job_count(engine) == jobs
    assert run(write_json(tmp_path / "b.json", [service(i) for i in range(40)]), settings).counts["added"] == 20
    with engine.connect() as conn:  # and the dead job was reaped once the lock was free
        assert conn.execute(select(JOBS.c.status).where(JOBS.c.id == 1)).scalar_one() == "failed"


def test_the_lock_taken_between_the_job_and_its_run_fails_the_job_not_the_process(
        other_writer, tmp_path, settings, engine, monkeypatch):
    run(write_json(tmp_path / "a.json", [service(i) for i in range(20)]), settings)
    before = snapshot(engine)
    writer_connection, close_job = engine_module.writer_connection, engine_module.close_job

    def taken_first(engine_):  # another process takes the lock just before the run asks for it
        other_writer.hold(engine_)
        return writer_connection(engine_)

    def released_then_closed(*args, **kwargs):  # and lets it go before the job is closed
        other_writer.release()
        return close_job(*args, **kwargs)

    monkeypatch.setattr(engine_module, "writer_connection", taken_first)
    monkeypatch.setattr(engine_module, "close_job", released_then_closed)
    summary = run(write_json(tmp_path / "b.json", [service(i) for i in range(40)]), settings)

    assert summary.status == "failed" and summary.message == BUSY
    assert summary.job_id is not None and snapshot(engine) == before
    with engine.connect() as conn:
        row = conn.execute(select(JOBS).where(JOBS.c.id == summary.job_id)).mappings().one()
    assert row["status"] == "failed" and row["message"] == BUSY and row["finished_at"] is not None


def test_a_job_the_catalog_was_too_busy_to_close_is_closed_by_the_next_run_of_the_process(
        other_writer, tmp_path, settings, engine, monkeypatch):
    """The run committed, then another writer held the lock while its job was closed: the job
    stayed « en cours », and in a worker (its pid alive) held its source for a day, each later
    run refused as « déjà en cours »."""
    close_job = engine_module.close_job

    def busy_while_closing(engine_, *args, **kwargs):
        other_writer.hold(engine_)
        try:
            return close_job(engine_, *args, **kwargs)
        finally:
            other_writer.release()

    monkeypatch.setattr(engine_module, "close_job", busy_while_closing)
    first = run(write_json(tmp_path / "a.json", [service(i) for i in range(20)]), settings)
    with engine.connect() as conn:
        assert conn.execute(select(JOBS.c.status).where(JOBS.c.id == first.job_id)).scalar_one() == "running"
    monkeypatch.setattr(engine_module, "close_job", close_job)
    second = run(write_json(tmp_path / "a.json", [service(i) for i in range(20)]), settings)
    assert second.status == "done" and second.counts["unchanged"] == 20, second.message
    with engine.connect() as conn:
        row = conn.execute(select(JOBS).where(JOBS.c.id == first.job_id)).mappings().one()
    assert row["status"] == "done" and row["added"] == 20  # as it ended, not « interrompu »
    assert "le catalogue était occupé par une autre écriture" in row["message"]
