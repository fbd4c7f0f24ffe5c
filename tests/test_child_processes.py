"""Work done in a child process (catalog/child_iter.py): same results as in one process, and
a failure or death of the child leaves the catalog as it was."""

from __future__ import annotations

import errno
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import pytest

from catalog import child_iter
from catalog.child_iter import ChildFailed, ChildIterator
from catalog.errors import UnusableInput
from catalog.validation import validator_for
from harvesters.base import Harvester, Item
from harvesters.child_reader import ChildItems
from harvesters.engine import NO_ROOM, harvest
from harvesters.lheo import LheoHarvester
from tests.conftest import FIXTURES, stored_records
from tests.factories import service

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="fork needed")


def _squares(n):
    for i in range(n):
        if i == 7 and n == 13:
            raise UnusableInput("treize")
        yield i * i


def test_values_progress_and_result_come_back_in_order():
    made = {"n": 0}

    def squares():
        for i in range(1000):
            made["n"] += 1
            yield i * i

    it = ChildIterator(squares, batch=64, progress=lambda: made["n"], finish=os.getpid)
    values, progress = [], []
    for value in it:
        values.append(value)
        progress.append(it.progress)
    assert values == [i * i for i in range(1000)]
    # Progress is the child's, as of the batch each value came in.
    assert progress[0] == 64 and progress[64] == 128 and progress[-1] == it.progress == 1000
    assert made["n"] == 0  # counted in the child, not here
    assert it.result != os.getpid()  # finish() ran in the child


def test_an_exception_in_the_child_is_raised_in_the_parent():
    with pytest.raises(UnusableInput, match="treize"):
        list(ChildIterator(lambda: _squares(13), batch=2))


def test_a_child_that_dies_is_an_error_not_an_early_end():
    def dying():
        yield 1
        os._exit(3)

    with pytest.raises(ChildFailed, match="code 3"):
        list(ChildIterator(dying, batch=1))


def _big_values(made):
    for i in range(100):
        made.value += 1
        yield str(i) * 100_000  # far more than a pipe holds: without the queue the child would wait


def _pump_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.endswith("(réception)")]


def test_the_child_works_ahead_while_the_parent_is_busy_within_its_queue():
    made = multiprocessing.get_context("fork").Value("i", 0)  # shared with the forked child
    values = iter(ChildIterator(lambda: _big_values(made), batch=1, ahead=4))
    assert next(values) == "0" * 100_000
    # The parent holds one value and asks for no other: the child still goes on, up to the queue's
    # size (4) plus the message the receiving thread holds, those the pipe holds (1 MB: values of
    # 200 KB from the tenth on), the one being written, the one being made.
    deadline = time.monotonic() + 30
    while made.value < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert made.value >= 5
    time.sleep(0.3)
    assert made.value <= 1 + 4 + 3 + child_iter.PIPE_BYTES // 100_000  # and no further: memory stays bounded
    assert [len(v) for v in values] == [len(str(i)) * 100_000 for i in range(1, 100)]


def test_stopping_early_stops_the_child_and_the_receiving_thread():
    made = multiprocessing.get_context("fork").Value("i", 0)
    values = ChildIterator(lambda: _big_values(made), batch=1, ahead=2).__iter__()
    next(values)
    values.close()  # the consumer stops (an error of its own, Ctrl-C): the generator is closed
    assert _pump_threads() == []
    assert made.value < 100
    assert multiprocessing.active_children() == []


def test_a_failure_to_receive_is_an_error_not_a_wait(monkeypatch):
    def refused(self, maxlength=None):
        raise MemoryError("message trop gros")

    monkeypatch.setattr(multiprocessing.connection.Connection, "recv_bytes", refused)
    with pytest.raises(ChildFailed, match="Réception interrompue : MemoryError"):
        list(ChildIterator(lambda: iter(range(10)), batch=2))
    assert _pump_threads() == [] and multiprocessing.active_children() == []


class _ServicesInChild(Harvester):
    """Writes a few services then fails the way `mode` says, from the child process."""

    format: ClassVar[str] = "test-child"
    kinds: ClassVar[tuple[str, ...]] = ("service",)
    default_source: ClassVar[str] = "di"
    reads_in_child: ClassVar[bool] = True

    def __init__(self, location: str, mode: str, n: int = 30):
        super().__init__(location)
        self.mode, self.n, self.read = mode, n, 0

    def items(self) -> Iterator[Item]:
        for i in range(self.n):
            if i == self.n // 2 and self.mode == "unusable":
                raise UnusableInput("Flux tronqué.")
            if i == self.n // 2 and self.mode == "killed":
                os._exit(9)
            if i == self.n // 2 and self.mode == "out-of-memory":  # what the kernel's OOM killer does
                os.kill(os.getpid(), signal.SIGKILL)
            if i == self.n // 2 and self.mode == "bug":
                raise ZeroDivisionError("division by zero")
            if i == self.n // 2 and self.mode == "no-room":  # e.g. the temporary copy of a download
                raise OSError(errno.ENOSPC, "No space left on device")
            self.read += 1
            yield Item("service", service(i) | {"nom": f"{self.mode} {i}"})

    def covered_kinds(self) -> tuple[str, ...]:
        # Only the child knows it read everything: this must come back to the engine.
        return self.kinds if self.read == self.n else ()


def test_harvest_in_a_child_keeps_the_catalog_on_failure_and_death(settings, engine):
    first = harvest(_ServicesInChild("x", "ok"), source="di", settings=settings)
    assert first.status == "done" and first.counts["added"] == 30
    before = stored_records(engine)

    truncated = harvest(_ServicesInChild("x", "unusable"), source="di", settings=settings)
    assert truncated.status == "failed" and "Flux tronqué." in truncated.message
    assert stored_records(engine) == before

    with pytest.raises(ChildFailed):
        harvest(_ServicesInChild("x", "killed"), source="di", settings=settings)
    assert stored_records(engine) == before

    # The harvester's state comes back from the child: fewer services, read to the end,
    # are judged against the catalog (the missing ones start their grace period).
    fewer = harvest(_ServicesInChild("x", "ok", n=28), source="di", settings=settings)
    assert fewer.status == "done" and fewer.kinds == ["service"] and fewer.counts["missing"] == 2


def test_a_child_killed_by_the_system_is_said_plainly_not_an_internal_error(settings, engine):
    harvest(_ServicesInChild("x", "ok"), source="di", settings=settings)
    before = stored_records(engine)

    summary = harvest(_ServicesInChild("x", "out-of-memory"), source="di", settings=settings)
    assert summary.status == "failed"
    assert "a été tué (SIGKILL)" in summary.message and "faute de mémoire" in summary.message
    assert "Erreur interne" not in summary.message and "n'a pas été modifié" in summary.message
    assert stored_records(engine) == before


def test_a_full_disk_in_the_child_is_said_plainly_not_logged_as_a_bug(settings, engine, tmp_path, monkeypatch):
    harvest(_ServicesInChild("x", "ok"), source="di", settings=settings)
    before = stored_records(engine)
    logged = tmp_path / "logged-as-a-bug"  # written by the child (forked: the patch goes with it)
    monkeypatch.setattr(child_iter.log, "exception", lambda *args: logged.write_text(args[0]))

    summary = harvest(_ServicesInChild("x", "no-room"), source="di", settings=settings)
    assert summary.status == "failed" and summary.message.startswith(NO_ROOM)
    assert stored_records(engine) == before
    assert not logged.exists()
    with pytest.raises(ZeroDivisionError):  # the same patch does see a real failure
        harvest(_ServicesInChild("x", "bug"), source="di", settings=settings)
    assert logged.read_text() == "Processus « %s »"


def test_lheo_items_and_state_are_the_same_read_in_a_child():
    path = str(FIXTURES / "lheo" / "intercarif-defauts.xml")
    alone = LheoHarvester(path)
    expected = list(alone.items())
    in_child = LheoHarvester(path)
    items = list(ChildItems(in_child))
    assert [(i.reference, i.problems, i.warnings, i.id_hint) for i in items] == \
           [(i.reference, i.problems, i.warnings, i.id_hint) for i in expected]
    # Checked against the schema in the child: the parent gets the result and the row's identity.
    checked = [(validator_for(i.kind).check(i.row), {"source": i.row["source"], "id": i.row["id"]})
               if i.row is not None and not i.problems else (None, i.row) for i in expected]
    assert [(i.checked, i.row) for i in items] == checked
    assert any(i.checked for i in items)
    assert any(i.warnings for i in items) and any(i.problems for i in items)
    assert in_child.counts == alone.counts and in_child.variant == alone.variant
    assert in_child.corrections == alone.corrections and in_child.corrections.examples == alone.corrections.examples
    assert in_child.covered_kinds() == ("formation",)
