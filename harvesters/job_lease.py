"""Whether the process running a harvest job is still alive, across machines and containers.

A job row records the host and pid of its process: on one machine, a dead pid is a dead run
(`engine.reap_interrupted_jobs`). Once a container is gone neither says anything: the next
container has another host name, and pids start again from 1. A job killed by `docker compose
restart` would then stay « en cours » for a day, and its source would refuse every run
meanwhile (« déjà en cours »).

So on PostgreSQL a job also holds a *lease*: a session-level advisory lock keyed by its id,
taken in the transaction that inserts its row (no one can see the row unleased) and held by a
connection of its own until the job is closed. The server releases it when that connection
ends, whatever ended it; the reaper asks for the lock, and getting it means the owner is gone.
SQLite is one machine's file: host and pid are enough there, and it has no such lock.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import Insert

from catalog.db import is_sqlite

# Class id of the (int4, int4) advisory locks of jobs; that key space is apart from the bigint
# one of RECORD_WRITERS_LOCK.
LEASE_CLASS = 0x4D61696A  # "Maij"

_held: dict[int, Connection] = {}  # job id → the connection holding its lease, in this process


def insert_leased(engine: Engine, insert: Insert) -> int:
    """Insert a job row (`insert`) and return its id, with its lease held on PostgreSQL."""
    if is_sqlite(engine):
        with engine.begin() as conn:
            return conn.execute(insert).inserted_primary_key[0]
    conn = engine.connect()
    try:
        with conn.begin():
            job_id = conn.execute(insert).inserted_primary_key[0]
            conn.execute(text("SELECT pg_advisory_lock(:c, :id)"), {"c": LEASE_CLASS, "id": job_id})
    except BaseException:
        conn.invalidate()  # the session ends: no lock outlives it
        conn.close()
        raise
    _held[job_id] = conn
    return job_id


def release(job_id: int) -> None:
    """Give the job's lease back (its row says how it ended by now)."""
    conn = _held.pop(job_id, None)
    if conn is not None:
        # Its session ends, and the lock with it. Not back to the pool: an idle connection kept
        # there for each job's lease would only hold one of the server's client slots.
        conn.invalidate()
        conn.close()


def owner_alive(conn: Connection, job_id: int) -> bool | None:
    """Whether some session holds the job's lease (PostgreSQL); None where there are no leases."""
    if is_sqlite(conn):
        return None
    free = conn.execute(text("SELECT pg_try_advisory_lock(:c, :id)"), {"c": LEASE_CLASS, "id": job_id}).scalar()
    if free:
        conn.execute(text("SELECT pg_advisory_unlock(:c, :id)"), {"c": LEASE_CLASS, "id": job_id})
    return not free
