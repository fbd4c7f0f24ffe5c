"""Database engine and schema set-up, for SQLite (embedded default) and PostgreSQL.

The schema is owned by alembic migrations (`catalog/migrations/`): `init_db` upgrades to head,
so a new data directory and an old one end in the same state.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection

from catalog.config import Settings, load_settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# PostgreSQL advisory lock held by a transaction that writes records (see reserve_sequence).
RECORD_WRITERS_LOCK = 0x4D61696C  # "Mail"


def sqlite_wait_seconds() -> float:
    """How long an SQLite writer waits for the write lock another one holds (a harvest holds it
    from its first write to its commit) before giving up (`MAILLAGE_SQLITE_WAIT_SECONDS`)."""
    return float(os.environ.get("MAILLAGE_SQLITE_WAIT_SECONDS", "60"))


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"timeout": sqlite_wait_seconds()})
        _tune_sqlite(engine)
        return engine
    return create_engine(database_url, pool_pre_ping=True)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when transactions begin (see `_on_begin`).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL: readers (the web site) keep reading while a harvest writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # 32 MB of page cache (default 2 MB): harvests insert by random keys into growing B-trees.
        cursor.execute("PRAGMA cache_size=-32768")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        # A writer takes the write lock at BEGIN, so what it read at the start of its
        # transaction (e.g. the change sequence) cannot be changed under it.
        if conn.get_execution_options().get("sqlite_immediate"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def storable_text(value: str | None) -> str | None:
    """A message or reference that may quote a damaged source, as every backend stores it:
    PostgreSQL's text cannot hold a NUL character (SQLite's can), and the report must not be
    lost for a byte."""
    return value.replace("\x00", "") if value and "\x00" in value else value


def storage_full(exc: BaseException) -> bool:
    """Whether `exc` says there is no room left to write: SQLite's SQLITE_FULL (« database or
    disk is full »), PostgreSQL's disk_full (SQLSTATE 53100), or a file write refused for want
    of space or quota (the report spool, a download). Not a bug: the operator frees space and
    runs again, so a harvest says so in French instead of showing a traceback."""
    orig = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error
    if isinstance(orig, sqlite3.Error):
        return _sqlite_code(orig) == sqlite3.SQLITE_FULL
    if getattr(orig, "sqlstate", None) == "53100":  # psycopg 3
        return True
    return isinstance(orig, OSError) and orig.errno in (errno.ENOSPC, errno.EDQUOT)


def catalog_busy(exc: BaseException) -> bool:
    """Whether `exc` is SQLite's « database is locked »: another writer (a harvest in another
    process) still held the write lock when `sqlite_wait_seconds` ran out. PostgreSQL writers
    wait their turn on a lock instead (see `reserve_sequence`)."""
    orig = getattr(exc, "orig", None) or exc
    return isinstance(orig, sqlite3.Error) and _sqlite_code(orig) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _sqlite_code(error: sqlite3.Error) -> int | None:
    code = getattr(error, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF  # the primary code of an extended one


def is_sqlite(conn_or_engine) -> bool:
    return conn_or_engine.dialect.name == "sqlite"


def writer_connection(engine: Engine) -> Connection:
    """A connection for a write transaction (immediate write lock on SQLite)."""
    conn = engine.connect()
    if is_sqlite(engine):
        conn = conn.execution_options(sqlite_immediate=True)
    return conn


def lock_record_writers(conn: Connection) -> None:
    """Make this transaction the only writer of records until it ends, before it reads anything
    it will judge (the records it may update, what it found missing): on PostgreSQL, a second
    harvest that read first, then waited for the lock at its first write, judged a catalog that
    had changed under it (a dry run wrote a UniqueViolation traceback, a second source of the
    same records did too instead of « conflit »). SQLite's BEGIN IMMEDIATE already does this."""
    if not is_sqlite(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECORD_WRITERS_LOCK})


def upgrade(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


@lru_cache(maxsize=16)
def _migrated_engine(database_url: str, data_dir: Path) -> Engine:
    if database_url.startswith("sqlite"):
        data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(database_url)
    upgrade(engine)
    return engine


def get_engine(settings: Settings | None = None) -> Engine:
    """The engine for these settings, created and migrated once per process."""
    settings = settings or load_settings()
    return _migrated_engine(settings.database_url, settings.data_dir)


def reserve_sequence(conn: Connection, size: int) -> list[int]:
    """Reserve `size` change-sequence numbers, in increasing order.

    The search index follows records by this number (`sync_index` reads above a watermark), so
    numbers must be committed in the order they are given: a number given before another but
    committed after it would be read after the watermark passed it, and never indexed.
    SQLite: writers are serialised by the database lock (BEGIN IMMEDIATE), so the next numbers
    are those past the highest in use. PostgreSQL: a SEQUENCE, and the first reservation of a
    transaction takes a transaction-scoped advisory lock, so writers of records are serialised
    from their first change to their commit, as on SQLite.
    """
    if size <= 0:
        return []
    if is_sqlite(conn):
        current = conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM record")).scalar_one()
        first = max(current + 1, conn.info.get("seq_next", 0))
        conn.info["seq_next"] = first + size
        return list(range(first, first + size))
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECORD_WRITERS_LOCK})
    rows = conn.execute(
        text("SELECT nextval('record_seq') FROM generate_series(1, :n)"), {"n": size}
    )
    return sorted(r[0] for r in rows)


def reset_database(engine: Engine) -> None:
    """Empty every catalog table (tests on a shared PostgreSQL database start clean)."""
    if is_sqlite(engine) and engine.url.database and not Path(engine.url.database).exists():
        return
    from catalog.tables import metadata

    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
