"""A harvest killed mid-run (kill -9) leaves the catalog exactly as it was before the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest
from sqlalchemy import func, select

from catalog.db import is_sqlite
from catalog.models import HarvestJob, Record, Revision
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.engine import harvest, reap_interrupted_jobs
from tests.conftest import FIXTURES
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
    harvest(DataInclusionHarvester(str(write_json(tmp_path / "services.json", [service(i) for i in range(20)]))),
            source="di", settings=settings)
    feed = b"".join(orjson.dumps(service(i)) + b"\n" for i in range(20, 2520))
    return start_stalled_cli(tmp_path, settings, engine, ["datainclusion", "--source", "di"], feed, "feed.ndjson")


def start_stalled_cli(tmp_path, settings, engine, harvest_args, feed: bytes, name: str):
    """`maillage harvest FORMAT FIFO …` fed `feed` through a pipe kept open afterwards, once
    its job is running and has had time to write what it read. Returns (process, job id)."""
    first = latest_job(engine)
    fifo = tmp_path / name
    os.mkfifo(fifo)
    env = os.environ | {"MAILLAGE_DATA_DIR": str(settings.data_dir)}
    format_name, *options = harvest_args
    process = subprocess.Popen(
        [sys.executable, "-m", "maillage", "harvest", format_name, str(fifo), *options, "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    writer_done = threading.Event()

    def write():
        with open(fifo, "wb") as pipe:
            pipe.write(feed)
            pipe.flush()
            writer_done.set()
            time.sleep(30)  # keep the pipe open: the harvester blocks, mid-run

    threading.Thread(target=write, daemon=True).start()
    assert writer_done.wait(60)
    deadline = time.time() + 60
    while (latest_job(engine) == first or job_status(engine, latest_job(engine)) != "running") \
            and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)  # let it write its batches inside the transaction
    assert process.poll() is None, process.stderr.read().decode()
    return process, latest_job(engine)


def reap_once_owner_gone(engine, within: float = 15.0) -> int:
    """The watchdog's count once the killed process's session is gone from the server.

    A killed client's PostgreSQL backend ends (and frees the job's lease) only when it notices the
    closed socket, a moment after the client's own death: a reaper that runs in that moment rightly
    sees the job still leased, and the next one reaps it. So ask again, as the watchdog would."""
    deadline = time.time() + within
    while not (reaped := reap_interrupted_jobs(engine)) and time.time() < deadline:
        time.sleep(0.2)
    return reaped


def test_killed_run_changes_nothing_and_is_reaped(tmp_path, settings, engine):
    process, job_id = start_stalled_harvest(tmp_path, settings, engine)
    before = counts(engine)
    process.send_signal(signal.SIGKILL)
    process.wait(10)

    assert counts(engine) == before
    assert job_status(engine, job_id) == "running"  # nobody told the database yet...
    assert reap_once_owner_gone(engine) == 1  # ...the watchdog does
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


def test_a_service_manager_stop_closes_the_job_and_changes_nothing(tmp_path, settings, engine):
    """docker compose stop, systemd: SIGTERM, then SIGKILL a few seconds later."""
    process, job_id = start_stalled_harvest(tmp_path, settings, engine)
    before = counts(engine)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=10)

    assert process.returncode == 1 and "Traceback" not in err.decode()
    assert counts(engine) == before
    with engine.connect() as conn:
        row = conn.execute(select(HarvestJob.status, HarvestJob.message, HarvestJob.added)
                           .where(HarvestJob.id == job_id)).one()
    stopped = "Arrêté par le système (SIGTERM : arrêt du service ou du conteneur). Le catalogue n'a pas été modifié."
    assert tuple(row) == ("failed", stopped, 0)


def test_a_stop_mid_lheo_feed_also_stops_its_reader_process(tmp_path, settings, engine):
    # LHEO is read in a child process (harvesters/child_reader.py); here it is stuck on a server
    # that sent half its feed and says no more.
    feed = (FIXTURES / "lheo" / "lheo-2.3.xml").read_bytes()
    with half_sending_server(feed) as url:
        env = os.environ | {"MAILLAGE_DATA_DIR": str(settings.data_dir), "MAILLAGE_HTTP_ALLOW_PRIVATE": "1"}
        process = subprocess.Popen([sys.executable, "-m", "maillage", "harvest", "lheo", url, "--json"],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while not (latest_job(engine) and job_status(engine, latest_job(engine)) == "running"
                   and children_of(process.pid)) and time.time() < deadline:
            time.sleep(0.1)
        reader_pids = children_of(process.pid)
        assert reader_pids, process.stderr.read().decode() if process.poll() is not None else "no reader process"
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)

    assert process.returncode == 1 and "Traceback" not in err.decode()
    assert not [pid for pid in reader_pids if os.path.exists(f"/proc/{pid}")]  # stopped and reaped
    with engine.connect() as conn:
        assert conn.execute(select(HarvestJob.message).where(HarvestJob.id == latest_job(engine))).scalar_one() \
            .startswith("Arrêté par le système (SIGTERM")


@contextmanager
def half_sending_server(body: bytes):
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            done.wait(30)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/offres.xml"
    finally:
        done.set()
        server.shutdown()
        server.server_close()


def children_of(pid: int) -> list[int]:
    return [int(child) for task in os.listdir(f"/proc/{pid}/task")
            for child in open(f"/proc/{pid}/task/{task}/children").read().split()]


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
    assert reap_once_owner_gone(engine) == 1 and job_status(engine, job_id) == "failed"
