"""The search index written as a harvest goes, committed after the catalog (catalog/search/in_step.py)."""

from __future__ import annotations

import errno
import gc
import sqlite3
import threading

import pytest

import catalog.search
from catalog.search import SearchQuery, build_document, get_backend
from catalog.search.sqlite import WriteSession
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.engine import harvest
from harvesters.jobs import list_jobs
from tests.factories import service, write_json


def run(path, settings, harvester=DataInclusionHarvester, **kwargs):
    return harvest(harvester(str(path)), source=kwargs.pop("source", "di"), settings=settings, **kwargs)


def found(settings, text: str) -> set[str]:
    """Ids found, searched from a thread of their own (a connection of its own, as a web worker)."""
    result: dict[str, set[str]] = {}

    def search() -> None:
        hits = get_backend(settings).search(SearchQuery(text=text, size=100)).hits
        result["ids"] = {hit.id for hit in hits}

    thread = threading.Thread(target=search)
    thread.start()
    thread.join(30)
    return result["ids"]


@pytest.fixture
def no_sync_after_commit(monkeypatch):
    """Only what was indexed during the run reaches the index."""
    monkeypatch.setattr(catalog.search, "sync_index", lambda *args, **kwargs: 0)


def test_a_harvest_indexes_as_it_writes_and_searches_see_it_once_committed(tmp_path, settings, no_sync_after_commit):
    path = write_json(tmp_path / "services.json", [service(i, nom=f"Atelier zythologie {i}") for i in range(6)])
    written, release, seen_meanwhile = threading.Event(), threading.Event(), {}

    class PausesBeforeItsLastItem(DataInclusionHarvester):
        def items(self):
            for position, item in enumerate(super().items()):
                if position == 5:  # two batches written and indexed, nothing committed
                    seen_meanwhile["ids"] = found(settings, "zythologie")
                    written.set()
                    release.wait(30)
                yield item

    harvesting = threading.Thread(target=lambda: run(path, settings, PausesBeforeItsLastItem, batch_size=2))
    harvesting.start()
    assert written.wait(30)
    release.set()
    harvesting.join(60)
    assert seen_meanwhile["ids"] == set()
    assert found(settings, "zythologie") == {f"test--v{i}" for i in range(6)}
    [job] = list_jobs(settings_engine(settings))
    assert job["status"] == "done" and "Index" not in (job["message"] or "")


def settings_engine(settings):
    from catalog.db import get_engine

    return get_engine(settings)


@pytest.mark.parametrize("how", ["held", "dry-run", "unusable"])
def test_a_run_that_does_not_commit_leaves_the_index_as_it_was(tmp_path, settings, how):
    run(write_json(tmp_path / "a.json", [service(i) for i in range(10)]), settings)
    backend = get_backend(settings)
    before = (backend.get_watermark(), backend.count(), found(settings, "accompagnement"))
    renamed = [service(i, nom=f"Atelier xylophone {i}") for i in range(3 if how == "held" else 10)]
    path = write_json(tmp_path / "b.json", renamed)
    if how == "unusable":  # an error after every item was written and indexed: rolled back
        class FailsAtTheEnd(DataInclusionHarvester):
            def covered_kinds(self):
                from catalog.errors import UnusableInput

                raise UnusableInput("flux tronqué")

        summary = run(path, settings, FailsAtTheEnd, batch_size=2)
    else:
        summary = run(path, settings, dry_run=how == "dry-run", batch_size=2)
    assert summary.status == {"held": "held", "dry-run": "done", "unusable": "failed"}[how], summary.message
    assert found(settings, "xylophone") == set()
    assert (backend.get_watermark(), backend.count(), found(settings, "accompagnement")) == before
    # The index takes writes again: the next run indexes in step.
    assert run(path, settings, force=True).status == "done"
    assert len(found(settings, "xylophone")) == len(renamed)


def test_an_index_busy_elsewhere_leaves_the_work_to_the_sync_after_the_commit(tmp_path, settings):
    path = write_json(tmp_path / "services.json", [service(i, nom=f"Atelier zythologie {i}") for i in range(4)])
    backend = get_backend(settings)
    backend.count()  # the index file exists
    backend._generation(create=True)
    other = sqlite3.connect(backend.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a rebuild, say, writing now

    class ReleasesAtItsEnd(DataInclusionHarvester):
        def items(self):
            yield from super().items()
            other.rollback()  # before the commit: the sync after it can write

    summary = run(path, settings, ReleasesAtItsEnd)
    other.close()
    assert summary.status == "done" and not summary.message, summary.message
    assert found(settings, "zythologie") == {f"test--v{i}" for i in range(4)}


def test_an_index_error_mid_run_never_fails_the_harvest(tmp_path, settings, monkeypatch):
    path = write_json(tmp_path / "services.json", [service(i, nom=f"Atelier zythologie {i}") for i in range(6)])
    applied = WriteSession.apply
    calls = []

    def fails_the_second_time(self, docs, gone):
        calls.append(len(docs))
        if len(calls) == 2:
            raise sqlite3.OperationalError("disk I/O error")
        applied(self, docs, gone)

    monkeypatch.setattr(WriteSession, "apply", fails_the_second_time)
    summary = run(path, settings, batch_size=2)
    assert summary.status == "done" and summary.counts["added"] == 6
    assert len(calls) == 2  # the in-step indexing ended there; the sync after the commit did the rest
    assert found(settings, "zythologie") == {f"test--v{i}" for i in range(6)}
    assert get_backend(settings).count() == 6


def test_an_index_error_while_the_catalog_commits_never_fails_the_harvest(tmp_path, settings, monkeypatch):
    path = write_json(tmp_path / "services.json", [service(i, nom=f"Atelier zythologie {i}") for i in range(6)])

    def fails(self):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(WriteSession, "prepare", fails)
    summary = run(path, settings, batch_size=2)
    assert summary.status == "done" and summary.counts["added"] == 6
    # The session was rolled back, the sync after the commit indexed everything.
    assert found(settings, "zythologie") == {f"test--v{i}" for i in range(6)}


def test_a_catalog_commit_that_fails_leaves_catalog_and_index_as_they_were(tmp_path, settings, monkeypatch):
    from harvesters import engine as engine_module

    class FailingCommit:  # what the thread of CommitBeside would raise: nothing committed
        def __init__(self, commit):
            pass

        def wait(self):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(engine_module, "CommitBeside", FailingCommit)
    path = write_json(tmp_path / "services.json", [service(i, nom=f"Atelier zythologie {i}") for i in range(4)])
    summary = run(path, settings, batch_size=2)
    assert summary.status == "failed" and "n'a pas été modifié" in summary.message  # written, rolled back
    assert found(settings, "zythologie") == set()
    assert get_backend(settings).count() == 0
    with settings_engine(settings).connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM record").scalar() == 0
    monkeypatch.undo()
    assert run(path, settings).status == "done"
    assert found(settings, "zythologie") == {f"test--v{i}" for i in range(4)}


def test_records_committed_before_the_run_but_not_indexed_are_indexed_in_step(tmp_path, settings, monkeypatch,
                                                                              no_sync_after_commit):
    from catalog.search import in_step

    opened = in_step.InStepIndex.open
    monkeypatch.setattr(in_step.InStepIndex, "open", classmethod(lambda cls, settings, engine, **kw: cls(engine, None, 0, 1)))
    run(write_json(tmp_path / "a.json", [service(i, nom=f"Atelier xylophone {i}") for i in range(3)]), settings)
    assert found(settings, "xylophone") == set()  # committed, never indexed
    monkeypatch.setattr(in_step.InStepIndex, "open", opened)
    others = [service(i, source="autre", nom=f"Atelier zythologie {i}") for i in range(2)]
    run(write_json(tmp_path / "b.json", others), settings, source="autre")
    assert found(settings, "xylophone") == {f"test--v{i}" for i in range(3)}
    assert found(settings, "zythologie") == {"autre--v0", "autre--v1"}


def test_a_rolled_back_session_leaves_no_token_behind(settings):
    """Token ids given in a rolled-back session are given again: a search for the rolled-back
    word must not find the document that got its id next."""
    backend = get_backend(settings)
    session = backend.write_session()
    session.apply([build_document("service", "a--1", service(1, source="a", nom="Atelier zythologie"))], [])
    session.rollback()
    backend.index([build_document("service", "b--1", service(1, source="b", nom="Atelier xylophone"))])
    assert found(settings, "zythologie") == set()
    assert found(settings, "xylophone") == {"b--1"}


def test_the_collector_s_thresholds_come_back_after_a_harvest(tmp_path, settings):
    before = gc.get_threshold()
    run(write_json(tmp_path / "services.json", [service(i) for i in range(3)]), settings)
    run(tmp_path / "absent.json", settings)
    assert gc.get_threshold() == before
