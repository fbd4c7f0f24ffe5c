"""A harvest killed mid-run (kill -9) leaves the catalog exactly as it was before the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import func, select

from catalog.db import is_sqlite
from catalog.models import HarvestJob, Record, Revision
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.engine import harvest, reap_interrupted_jobs
from tests.factories import service, write_json


def counts(engine):
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(Record)).scalar_one(),
            conn.execute(select(func.count()).select_from(Revision)).scalar_one(),
            conn.execute(select(func.max(Record.seq))).scalar_one(),
        )


def job_status(engine, job_id):
    with engine.connect() as conn:
        return conn.execute(select(HarvestJob.status).where(HarvestJob.id == job_id)).scalar_one_or_none()


def latest_job(engine):
    with engine.connect() as conn:
        return conn.execute(select(func.max(HarvestJob.id))).scalar_one()


def start_stalled_harvest(tmp_path, settings, engine):
    """A CLI harvest that has read and written 2,500 records (in its open transaction) and
    waits for more: the source is a pipe kept open. Returns (process, its job id)."""
    first = harvest(DataInclusionHarvester(str(write_json(tmp_path / "services.json", [service(i) for i in range(20)]))),
                    source="di", settings=settings)
    fifo = tmp_path / "feed.ndjson"
    os.mkfifo(fifo)
    env = os.environ | {"MAILLAGE_DATA_DIR": str(settings.data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "maillage", "harvest", "datainclusion", str(fifo), "--source", "di", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    writer_done = threading.Event()

    def feed():
        with open(fifo, "wb") as pipe:
            pipe.writelines(orjson.dumps(service(i)) + b"\n" for i in range(20, 2520))
            pipe.flush()
            writer_done.set()
            time.sleep(30)  # keep the pipe open: the harvester blocks, mid-run

    threading.Thread(target=feed, daemon=True).start()
    assert writer_done.wait(60)
    deadline = time.time() + 60
    while (latest_job(engine) == first.job_id or job_status(engine, latest_job(engine)) != "running") \
            and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)  # let it write its batches inside the transaction
    assert process.poll() is None, process.stderr.read().decode()
    return process, latest_job(engine)


def test_killed_run_changes_nothing_and_is_reaped(tmp_path, settings, engine):
    process, job_id = start_stalled_harvest(tmp_path, settings, engine)
    before = counts(engine)
    process.send_signal(signal.SIGKILL)
    process.wait(10)

    assert counts(engine) == before
    assert job_status(engine, job_id) == "running"  # nobody told the database yet...
    assert reap_interrupted_jobs(engine) == 1  # ...the watchdog does
    assert job_status(engine, job_id) == "failed"
    # And the catalog is fully usable afterwards.
    summary = harvest(DataInclusionHarvester(str(tmp_path / "services.json")), source="di", settings=settings)
    assert summary.counts["unchanged"] == 20


def test_ctrl_c_changes_nothing_and_says_so(tmp_path, settings, engine):
    process, job_id = start_stalled_harvest(tmp_path, settings, engine)
    before = counts(engine)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)

    assert process.returncode == 1 and "Traceback" not in err.decode()  # click: « Aborted! »
    assert counts(engine) == before
    with engine.connect() as conn:
        row = conn.execute(select(HarvestJob.status, HarvestJob.message, HarvestJob.added)
                           .where(HarvestJob.id == job_id)).one()
    assert tuple(row) == ("failed", "Interrompu à la demande (Ctrl-C). Le catalogue n'a pas été modifié.", 0)


def test_on_postgresql_a_job_lives_as_long_as_its_process_wherever_that_runs(settings, engine):
    if is_sqlite(engine):
        pytest.skip("leases are PostgreSQL's; on SQLite a job is judged by its host and pid")
    # A job started in another process, as in another container: its host and pid say nothing here.
    owner = subprocess.Popen([sys.executable, "-c", (
        "import sys\n"
        "from catalog.config import load_settings\n"
        "from catalog.db import get_engine\n"
        "from harvesters.datainclusion import DataInclusionHarvester\n"
        "from harvesters.engine import start_job\n"
        "engine = get_engine(load_settings())\n"
        "print(start_job(engine, DataInclusionHarvester('x.json'), 'di', dry_run=False, force=False), flush=True)\n"
        "sys.stdin.read()\n")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    job_id = int(owner.stdout.readline())
    with engine.begin() as conn:
        conn.execute(HarvestJob.__table__.update().where(HarvestJob.id == job_id).values(
            status="running", host="un-autre-conteneur", pid=1,
            started_at=datetime.now(UTC) - timedelta(days=2)))  # older than STALE_AFTER too

    assert reap_interrupted_jobs(engine) == 0 and job_status(engine, job_id) == "running"
    owner.kill()
    owner.wait(10)
    assert reap_interrupted_jobs(engine) == 1 and job_status(engine, job_id) == "failed"
