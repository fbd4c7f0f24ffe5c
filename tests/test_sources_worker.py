"""`maillage sources run --due --every N`, the worker of docker-compose: real processes, real
signals. It harvests what is due, sleeps, starts again; a stop (SIGTERM) between two cycles ends
it cleanly, a stop mid-harvest closes that job as interrupted; a cycle that cannot run is
retried at the next one instead of ending the worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import orjson
import pytest
from sqlalchemy import select

from catalog.models import HarvestJob
from tests.factories import service, write_json
from tests.test_harvest_killed import counts, job_status, latest_job

JOBS = HarvestJob.__table__


def maillage(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "maillage", *args], capture_output=True, text=True, check=True)


class Worker:
    """`maillage sources run ARGS` in a process of its own, its output read as it comes, from a
    pipe Python block-buffers, as under Docker (whatever the developer's PYTHONUNBUFFERED)."""

    def __init__(self, *args: str) -> None:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
        self.process = subprocess.Popen([sys.executable, "-m", "maillage", "sources", "run", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.out: list[str] = []
        self.reader = threading.Thread(target=lambda: self.out.extend(self.process.stdout), daemon=True)
        self.reader.start()

    @property
    def printed(self) -> str:
        return "".join(self.out)

    def stop(self) -> str:
        """SIGTERM, as docker compose stop sends; returns what it wrote on stderr."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"still running 10 s after SIGTERM; stderr: {self.process.stderr.read()}") from None
        self.reader.join(10)
        return self.process.stderr.read()


def wait_for(condition, what: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while not condition():
        assert time.time() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.1)


def jobs(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(JOBS.c.source, JOBS.c.status).order_by(JOBS.c.id))]


def test_a_stop_between_two_cycles_ends_the_worker_cleanly(tmp_path, settings, engine):
    path = write_json(tmp_path / "services.json", [service(i) for i in range(10)])
    maillage("sources", "add", "horaire", "datainclusion", str(path), "--schedule", "hourly")
    other = write_json(tmp_path / "autres.json", [service(i) for i in range(10, 15)])
    maillage("sources", "add", "quotidienne", "datainclusion", str(other), "--schedule", "daily")
    worker = Worker("--due", "--every", "60", "--json")
    # Each summary is a line of its own, there as soon as its harvest ends, while the worker
    # sleeps its minute: a log reader cannot wait for the end of a process that never ends.
    wait_for(lambda: worker.printed.count("\n") == 2, "the first cycle's two summaries")
    err = worker.stop()

    assert worker.process.returncode == 0 and "Arrêt demandé : l'ouvrier s'arrête." in err and "Traceback" not in err
    summaries = [orjson.loads(line) for line in worker.printed.splitlines()]
    assert [(s["source"], s["status"]) for s in summaries] == [("horaire", "done"), ("quotidienne", "done")]
    assert summaries[0]["counts"]["added"] == 10 and summaries[1]["counts"]["added"] == 5
    assert jobs(engine) == [("horaire", "done"), ("quotidienne", "done")]


def test_idle_cycles_write_nothing_between_the_json_lines(tmp_path, settings, engine):
    path = write_json(tmp_path / "services.json", [service(i) for i in range(3)])
    maillage("sources", "add", "horaire", "datainclusion", str(path), "--schedule", "hourly")
    worker = Worker("--due", "--every", "1", "--json")
    wait_for(lambda: worker.printed.count("\n") == 1, "the first cycle's summary")
    time.sleep(3)  # two or three cycles with nothing due
    worker.stop()

    assert [orjson.loads(line)["source"] for line in worker.printed.splitlines()] == ["horaire"]


def test_a_stop_mid_harvest_closes_its_job_and_changes_nothing(tmp_path, settings, engine):
    path = write_json(tmp_path / "services.json", [service(i) for i in range(20)])
    maillage("harvest", "datainclusion", str(path), "--source", "lente")
    fifo = tmp_path / "flux.ndjson"
    os.mkfifo(fifo)
    maillage("sources", "add", "lente", "datainclusion", str(fifo), "--schedule", "hourly")
    before = counts(engine)
    fed = threading.Event()

    def feed():  # 2,500 records, then the source says no more without ending
        with open(fifo, "wb") as pipe:
            pipe.writelines(orjson.dumps(service(i)) + b"\n" for i in range(20, 2520))
            pipe.flush()
            fed.set()
            time.sleep(30)

    threading.Thread(target=feed, daemon=True).start()
    worker = Worker("--every", "60")
    assert fed.wait(60)
    time.sleep(1.5)  # it writes what it read, in its open transaction
    wait_for(lambda: job_status(engine, latest_job(engine)) == "running", "the harvest to be running")
    err = worker.stop()

    assert worker.process.returncode == 1 and "Traceback" not in err
    assert "Arrêt demandé pendant un passage" in err
    assert counts(engine) == before
    with engine.connect() as conn:
        message = conn.execute(select(JOBS.c.message).where(JOBS.c.id == latest_job(engine))).scalar_one()
    assert message.startswith("Arrêté par le système (SIGTERM")


def test_a_cycle_that_cannot_run_is_retried_at_the_next(other_writer, tmp_path, settings, engine):
    path = write_json(tmp_path / "services.json", [service(i) for i in range(10)])
    maillage("sources", "add", "horaire", "datainclusion", str(path), "--schedule", "hourly")
    other_writer.hold(engine)  # another process writes to the catalog, for longer than we wait
    worker = Worker("--due", "--every", "1")
    try:
        wait_for(lambda: worker.printed.count("Le catalogue est occupé par une autre écriture") >= 2,
                 "two cycles finding the catalog busy")
        assert worker.process.poll() is None and jobs(engine) == []
        other_writer.release()
        wait_for(lambda: "10 ajoutés" in worker.printed, "a cycle with the catalog free")
    finally:
        err = worker.stop()
    assert worker.process.returncode == 0 and "Traceback" not in err
    assert jobs(engine) == [("horaire", "done")]


def test_a_worker_asked_for_an_unknown_source_stops_at_once(settings, engine):
    worker = subprocess.run([sys.executable, "-m", "maillage", "sources", "run", "inconnue", "--every", "60"],
                            check=False, capture_output=True, text=True, timeout=30)
    assert worker.returncode == 1 and "Source inconnue : « inconnue »" in worker.stderr


def test_a_stop_whose_exception_a_cycle_lost_still_ends_the_worker(monkeypatch):
    """Library code cleaning up may catch BaseException: the SIGTERM's exception is then lost,
    and later signals are ignored (harvesters/termination.py). The worker still stops before its
    next pause, instead of running on, deaf (a CI run once waited for it in vain)."""
    from harvesters.termination import sigterm_interrupts
    from maillage.cli import sources as cli

    cycles = []

    def cycle_losing_the_stop(*args):
        cycles.append(args)
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(10_000_000):  # the handler raises within a few instructions
                pass
            raise AssertionError("SIGTERM was not delivered")
        except KeyboardInterrupt:
            pass  # lost, as a library's clean-up may lose it
        return 0

    def no_pause(seconds):
        raise AssertionError(f"the worker paused {seconds} s after a stop")

    monkeypatch.setattr(cli, "_run_cycle", cycle_losing_the_stop)
    monkeypatch.setattr(time, "sleep", no_pause)
    with sigterm_interrupts(), pytest.raises(SystemExit) as stop:
        cli._work((), True, False, False, "lines", 3600)
    assert stop.value.code == 0 and len(cycles) == 1
