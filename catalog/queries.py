"""Reading the catalog: one record, a keyset-paged list, a record's history.

Lists page on `(id)` with an opaque cursor rather than offsets, so a page never shifts or
repeats while a harvest writes (a lesson our peers' users keep writing in their trackers).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from catalog.clock import as_utc, utcnow
from catalog.errors import UnusableInput
from catalog.models import RECORD_ACTIVE, HarvestJob, Record, Revision
from catalog.records import creation_changes
from catalog.store import CREATION_IN_RECORD

RECORDS = Record.__table__
REVISIONS = Revision.__table__
JOBS = HarvestJob.__table__
# harvesters.engine's PENDING and RUNNING: a job that may still commit records.
_UNFINISHED = ("pending", "running")
MAX_PAGE_SIZE = 1000


@dataclass
class StoredRecord:
    kind: str
    id: str
    data: dict[str, Any]
    status: str
    version: int
    harvest_source: str
    fetched_at: datetime | None
    updated_at: datetime | None
    created_at: datetime | None


@dataclass
class RecordPage:
    records: list[StoredRecord]
    total: int
    next: str | None


def _stored(row) -> StoredRecord:
    return StoredRecord(row.kind, row.id, orjson.loads(row.data), row.status, row.version,
                        row.harvest_source, row.fetched_at, row.updated_at, row.created_at)


def get_record(engine: Engine, kind: str, record_id: str) -> StoredRecord | None:
    with engine.connect() as conn:
        row = conn.execute(select(RECORDS).where(RECORDS.c.kind == kind, RECORDS.c.id == record_id)).first()
    return _stored(row) if row else None


def get_records(engine: Engine, keys: list[tuple[str, str]]) -> dict[tuple[str, str], StoredRecord]:
    found: dict[tuple[str, str], StoredRecord] = {}
    by_kind: dict[str, list[str]] = {}
    for kind, record_id in keys:
        by_kind.setdefault(kind, []).append(record_id)
    with engine.connect() as conn:
        for kind, ids in by_kind.items():
            for row in conn.execute(select(RECORDS).where(RECORDS.c.kind == kind, RECORDS.c.id.in_(ids))):
                found[(kind, row.id)] = _stored(row)
    return found


def list_records(
    engine: Engine,
    kind: str,
    *,
    size: int = 100,
    after: str | None = None,
    sources: list[str] | None = None,
    modified_since: datetime | None = None,
    status: str = RECORD_ACTIVE,
) -> RecordPage:
    if not 0 < size <= MAX_PAGE_SIZE:
        raise UnusableInput(f"La taille de page doit être comprise entre 1 et {MAX_PAGE_SIZE}.")
    conditions = [RECORDS.c.kind == kind, RECORDS.c.status == status]
    if sources:
        conditions.append(RECORDS.c.source.in_(sources))
    if modified_since:
        conditions.append(RECORDS.c.updated_at >= modified_since)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(RECORDS).where(*conditions)).scalar_one()
        query = select(RECORDS).where(*conditions)
        if after:
            query = query.where(RECORDS.c.id > decode_id_cursor(after))
        rows = conn.execute(query.order_by(RECORDS.c.id).limit(size + 1)).all()
    records = [_stored(r) for r in rows[:size]]
    return RecordPage(records, total, encode_id_cursor(records[-1].id) if len(rows) > size else None)


def sync_point(engine: Engine) -> datetime:
    """What a client that synchronises passes as `modifie_depuis` next time, to miss nothing
    written after this moment: now, or the start of the earliest harvest that may still commit.

    A harvest stamps its records with its start (`updated_at`), and they show at its commit,
    minutes later for a national feed: a client asking « since my last pass » would never see
    them. A job is recorded before its first record is stamped and closed after its commit."""
    now = utcnow()
    with engine.connect() as conn:
        earliest = conn.execute(select(func.min(JOBS.c.created_at)).where(
            JOBS.c.status.in_(_UNFINISHED), JOBS.c.dry_run.is_(False))).scalar()
    return now if earliest is None else min(now, as_utc(earliest))


def history(engine: Engine, kind: str, record_id: str) -> list[dict[str, Any]]:
    """The record's revisions, newest first, with their field-level changes (a creation whose
    fields its record still holds, `catalog.store.CREATION_IN_RECORD`, with those)."""
    with engine.connect() as conn:
        rows = conn.execute(select(REVISIONS).where(REVISIONS.c.kind == kind, REVISIONS.c.record_id == record_id)
                            .order_by(REVISIONS.c.version.desc())).mappings().all()
        data = conn.execute(select(RECORDS.c.data).where(RECORDS.c.kind == kind, RECORDS.c.id == record_id)).scalar()
    return [dict(row) | {"changes": _changes(row["changes"], data)} for row in rows]


def _changes(stored: str, record_data: str | None) -> dict[str, list]:
    if stored == CREATION_IN_RECORD and record_data is not None:
        return creation_changes(orjson.loads(record_data))
    return orjson.loads(stored)


def encode_id_cursor(record_id: str) -> str:
    return base64.urlsafe_b64encode(record_id.encode()).decode().rstrip("=")


def decode_id_cursor(cursor: str) -> str:
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnusableInput("Curseur de pagination illisible.") from exc
    if "\x00" in decoded:  # no id holds one (and PostgreSQL refuses to compare one)
        raise UnusableInput("Curseur de pagination illisible.")
    return decoded
