"""Shared fixtures: every test gets its own data directory (SQLite store + embedded index)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from catalog.config import Settings, load_settings
from catalog.db import is_sqlite

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(os.environ.get("MAILLAGE_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))


def pytest_collection_modifyitems(items):
    # Tests that touch the store run a second time on PostgreSQL (`make test-postgres`).
    for item in items:
        if "engine" in getattr(item, "fixturenames", ()) or "settings" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.store)


def _worker_database(base_url: str) -> str:
    """One PostgreSQL database per xdist worker, created on first use."""
    import psycopg

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    prefix, _, name = base_url.rpartition("/")
    database = f"{name}_{worker}"
    with psycopg.connect(f"{prefix}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{database}"')
    return f"{prefix}/{database}"


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Settings pointing at a fresh data directory; the store is PostgreSQL when a test
    server is configured (MAILLAGE_TEST_DATABASE_URL, see `make test-postgres`)."""
    monkeypatch.setenv("MAILLAGE_DATA_DIR", str(tmp_path / "var"))
    test_db = os.environ.get("MAILLAGE_TEST_DATABASE_URL")
    if test_db:
        monkeypatch.setenv("DATABASE_URL", _worker_database(test_db))
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("ELASTICSEARCH_URL", raising=False)
    monkeypatch.delenv("MAILLAGE_SEARCH_BACKEND", raising=False)
    monkeypatch.setenv("MAILLAGE_HTTP_BACKOFF", "0")  # replayed responses: retry at once
    settings = load_settings()
    if test_db:  # a shared server: start from empty tables (SQLite gets a new file per test)
        from catalog.db import get_engine, reset_database
        from catalog.territories import clear_cache

        reset_database(get_engine(settings))
        clear_cache()  # territories are cached per engine, and the engine is shared here
    yield settings
    if test_db:  # this test's engine is never used again: give its connections back to the server
        from catalog.db import get_engine

        get_engine(settings).dispose()


@pytest.fixture
def engine(settings):
    from catalog.db import get_engine

    return get_engine(settings)


@pytest.fixture
def territories(engine):
    """The few communes, EPCI and départements of `fixtures/mobilite/decoupage` (official COG
    layout), for harvesters that place records by INSEE or SIREN code."""
    from catalog.territories import clear_cache
    from catalog.territories.loader import find_files, load_files

    load_files(engine, find_files(FIXTURES / "mobilite" / "decoupage"))
    yield
    clear_cache()


def stored_records(engine, kind: str | None = None) -> dict[str, dict]:
    """Record id → its stored fields (optionally of one kind)."""
    from sqlalchemy import select

    from catalog.models import Record

    query = select(Record.id, Record.data)
    if kind:
        query = query.where(Record.kind == kind)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return {id_: json.loads(data) if isinstance(data, str) else data for id_, data in rows}


def corpus_path(*parts: str) -> Path:
    """A path in ../shared/corpus; skips the test when the corpus is not there."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"corpus absent: {path}")
    return path


@pytest.fixture
def other_writer(monkeypatch, tmp_path):
    """Waits of 1 s, and `.hold()` / `.release()` SQLite's write lock from another connection.
    Asked before `settings` and `engine`, so that the engine is made with the short wait."""
    monkeypatch.setenv("MAILLAGE_SQLITE_WAIT_SECONDS", "1")

    class Writer:
        conn: sqlite3.Connection | None = None

        def hold(self, engine) -> None:
            if not is_sqlite(engine):
                pytest.skip("PostgreSQL writers wait their turn on a lock (reserve_sequence)")
            self.conn = sqlite3.connect(engine.url.database, isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")

        def release(self) -> None:
            if self.conn is not None:
                self.conn.rollback()
                self.conn.close()
                self.conn = None

    writer = Writer()
    yield writer
    writer.release()
