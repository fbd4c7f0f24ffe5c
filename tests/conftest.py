"""Shared fixtures: every test gets its own data directory (SQLite store + embedded index)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from catalog.config import Settings, load_settings

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(os.environ.get("MAILLAGE_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Settings pointing at a fresh data directory; DATABASE_URL is honoured when a test
    database is configured (MAILLAGE_TEST_DATABASE_URL), so the suite runs on PostgreSQL too."""
    monkeypatch.setenv("MAILLAGE_DATA_DIR", str(tmp_path / "var"))
    test_db = os.environ.get("MAILLAGE_TEST_DATABASE_URL")
    if test_db:
        monkeypatch.setenv("DATABASE_URL", test_db)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("ELASTICSEARCH_URL", raising=False)
    monkeypatch.delenv("MAILLAGE_SEARCH_BACKEND", raising=False)
    monkeypatch.setenv("MAILLAGE_HTTP_BACKOFF", "0")  # replayed responses: retry at once
    return load_settings()


@pytest.fixture
def engine(settings):
    from catalog.db import get_engine, reset_database

    engine = get_engine(settings)
    reset_database(engine)
    return engine


def corpus_path(*parts: str) -> Path:
    """A path in ../shared/corpus; skips the test when the corpus is not there."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"corpus absent: {path}")
    return path
