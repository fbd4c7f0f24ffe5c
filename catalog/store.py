"""The one write path of the catalog.

Every record, whatever its road in (a harvest, a partner's API call, an edit form), is written
here, in batches, inside the caller's transaction: change detection by content hash (an
unchanged record costs no write), a revision with field-level before/after for every change,
a new change-sequence number for the search index to catch up on, and ownership (a record
belongs to the source that brought it; another source cannot overwrite it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from catalog.db import reserve_sequence
from catalog.models import RECORD_ACTIVE, RECORD_ARCHIVED, Record, Revision
from catalog.records import canonical_json, content_hash, creation_changes, field_changes

RECORDS = Record.__table__
REVISIONS = Revision.__table__

# A creation's changes are every field of the record, from nothing: as long as the record's data
# has not changed, they are its `data`. So the creation revision says so (JSON null) instead of
# repeating it (for an LHEO feed, half the catalog's bytes), and gets its fields written out,
# as the record held them, just before its data first changes (`_write_out_creations`): nothing
# is ever rebuilt from other revisions. Read with `catalog.queries.history`.
CREATION_IN_RECORD = "null"

ADDED = "added"
UPDATED = "updated"
UNCHANGED = "unchanged"
RESTORED = "restored"
CONFLICT = "conflict"


@dataclass(slots=True)
class Candidate:
    """A validated record, ready to be written."""

    kind: str
    id: str
    data: dict[str, Any]
    canonical: bytes
    content_hash: str

    @classmethod
    def from_data(cls, kind: str, data: dict[str, Any]) -> Candidate:
        canonical = canonical_json(data)
        return cls(kind, data["id"], data, canonical, content_hash(canonical))


@dataclass(slots=True)
class Outcome:
    candidate: Candidate
    status: str  # added, updated, unchanged, restored, conflict
    detail: str | None = None


@dataclass(slots=True)
class _Existing:
    harvest_source: str
    content_hash: str
    status: str
    version: int
    missing_since: datetime | None


class RecordWriter:
    """Writes records inside one open transaction of `conn` (the caller commits or rolls back)."""

    def __init__(
        self,
        conn: Connection,
        *,
        harvest_source: str,
        author: str,
        now: datetime,
        job_id: int | None = None,
    ) -> None:
        self.conn = conn
        self.harvest_source = harvest_source
        self.author = author
        self.now = now
        self.job_id = job_id
        # `now` as the driver stores it (the column type's own conversion, done once per writer).
        to_driver = RECORDS.c.updated_at.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
        self._now = to_driver(now) if to_driver else now

    # -- writing -----------------------------------------------------------------------------

    def write(self, candidates: Sequence[Candidate]) -> list[Outcome]:
        """Write a batch of candidates (distinct (kind, id) pairs); returns one outcome each."""
        existing = self._load_existing((c.kind, c.id) for c in candidates)
        outcomes: list[Outcome] = []
        inserts, updates = [], []
        for candidate in candidates:
            current = existing.get((candidate.kind, candidate.id))
            if current is None:
                inserts.append(candidate)
                outcomes.append(Outcome(candidate, ADDED))
            elif current.harvest_source != self.harvest_source and current.status != RECORD_ARCHIVED:
                outcomes.append(
                    Outcome(candidate, CONFLICT, f"déjà fourni par la source « {current.harvest_source} »")
                )
            elif current.content_hash == candidate.content_hash and current.status == RECORD_ACTIVE:
                if current.missing_since is not None:
                    # Back in the source within its grace period: forget it was missing.
                    self._clear_missing(candidate)
                outcomes.append(Outcome(candidate, UNCHANGED))
            else:
                status = RESTORED if current.status == RECORD_ARCHIVED else UPDATED
                updates.append((candidate, current, status))
                outcomes.append(Outcome(candidate, status))
        sequence = iter(reserve_sequence(self.conn, len(inserts) + len(updates)))
        if inserts:
            self._insert(inserts, sequence)
        if updates:
            self._update(updates, sequence)
        return outcomes

    def published_data(self, kind: str, id_: str) -> dict[str, Any] | None:
        """What the catalog publishes of this source's record (None: new, archived, or another
        source's, which `write` leaves alone anyway)."""
        row = self.conn.execute(select(RECORDS.c.data).where(
            RECORDS.c.kind == kind, RECORDS.c.id == id_, RECORDS.c.status == RECORD_ACTIVE,
            RECORDS.c.harvest_source == self.harvest_source)).first()
        return orjson.loads(row.data) if row else None

    def _load_existing(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], _Existing]:
        keys = list(keys)
        if not keys:
            return {}
        by_kind: dict[str, list[str]] = {}
        for kind, id_ in keys:
            by_kind.setdefault(kind, []).append(id_)
        found = {}
        for kind, ids in by_kind.items():
            rows = self.conn.execute(
                select(
                    RECORDS.c.id,
                    RECORDS.c.harvest_source,
                    RECORDS.c.content_hash,
                    RECORDS.c.status,
                    RECORDS.c.version,
                    RECORDS.c.missing_since,
                ).where(RECORDS.c.kind == kind, RECORDS.c.id.in_(ids))
            )
            for row in rows:
                found[(kind, row.id)] = _Existing(*row[1:])
        return found

    def _insert(self, candidates: list[Candidate], sequence) -> None:
        rows, revisions = [], []
        for c in candidates:
            rows.append(self._record_row(c, version=1, seq=next(sequence)) | {
                "kind": c.kind,
                "id": c.id,
                "harvest_source": self.harvest_source,
                "created_at": self._now,
            })
            revisions.append(self._revision_row(c.kind, c.id, 1, "created", CREATION_IN_RECORD))
        self._executemany(_insert_sql(self.conn, RECORDS, rows[0]), rows)
        self._executemany(_insert_sql(self.conn, REVISIONS, revisions[0]), revisions)

    def _update(self, updates: list[tuple[Candidate, _Existing, str]], sequence) -> None:
        previous = self._load_data([(c.kind, c.id) for c, _, _ in updates])
        self._write_out_creations(previous)
        rows, revisions = [], []
        for c, current, status in updates:
            version = current.version + 1
            # An archived record is no longer any source's: the one that publishes it again owns
            # it (a source registered anew under another name, a service handed to a partner).
            rows.append(self._record_row(c, version=version, seq=next(sequence))
                        | {"harvest_source": self.harvest_source, "b_kind": c.kind, "b_id": c.id})
            changes = field_changes(previous[(c.kind, c.id)], c.data)
            if current.harvest_source != self.harvest_source:
                changes["harvest_source"] = [current.harvest_source, self.harvest_source]
            changes = orjson.dumps(changes).decode()
            action = "restored" if status == RESTORED else "updated"
            revisions.append(self._revision_row(c.kind, c.id, version, action, changes))
        self._executemany(_update_sql(self.conn, RECORDS, rows[0]), rows)
        self._executemany(_insert_sql(self.conn, REVISIONS, revisions[0]), revisions)

    def _write_out_creations(self, previous: dict[tuple[str, str], dict]) -> None:
        """Creations still held by their record (`CREATION_IN_RECORD`) get its fields, from
        nothing, before its data changes for the first time: `previous`, its data until now."""
        kept = []
        for kind in {k for k, _ in previous}:
            ids = [i for k, i in previous if k == kind]
            rows = self.conn.execute(select(REVISIONS.c.id, REVISIONS.c.record_id).where(
                REVISIONS.c.kind == kind, REVISIONS.c.record_id.in_(ids), REVISIONS.c.version == 1,
                REVISIONS.c.changes == CREATION_IN_RECORD))
            kept += [{"b_id": row.id, "changes": orjson.dumps(creation_changes(previous[(kind, row.record_id)])).decode()}
                     for row in rows]
        if kept:
            self.conn.execute(update(REVISIONS).where(REVISIONS.c.id == bindparam("b_id"))
                              .values(changes=bindparam("changes")), kept)

    def _load_data(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        found = {}
        for kind in {k for k, _ in keys}:
            ids = [i for k, i in keys if k == kind]
            rows = self.conn.execute(select(RECORDS.c.id, RECORDS.c.data).where(RECORDS.c.kind == kind, RECORDS.c.id.in_(ids)))
            found.update({(kind, row.id): orjson.loads(row.data) for row in rows})
        return found

    def _executemany(self, sql: str, rows: list[dict]) -> None:
        # Straight to the driver: SQLAlchemy's per-row parameter processing costs more than the
        # insert itself at harvest volumes. Values are already in their database form.
        self.conn.exec_driver_sql(sql, rows)

    def _record_row(self, c: Candidate, *, version: int, seq: int) -> dict[str, Any]:
        return {
            "source": c.data.get("source", ""),
            "data": c.canonical.decode(),
            "content_hash": c.content_hash,
            "status": RECORD_ACTIVE,
            "version": version,
            "seq": seq,
            "job_id": self.job_id,
            "fetched_at": self._now,
            "lien_source": c.data.get("lien_source"),
            "date_maj": c.data.get("date_maj"),
            "updated_at": self._now,
            "missing_since": None,
            "archived_at": None,
        }

    def _revision_row(self, kind: str, id_: str, version: int, action: str, changes: str) -> dict:
        return {
            "kind": kind,
            "record_id": id_,
            "version": version,
            "action": action,
            "author": self.author,
            "job_id": self.job_id,
            "at": self._now,
            "changes": changes,
        }

    def _clear_missing(self, c: Candidate) -> None:
        self.conn.execute(
            update(RECORDS)
            .where(RECORDS.c.kind == c.kind, RECORDS.c.id == c.id)
            .values(missing_since=None)
        )

    # -- disappearance -----------------------------------------------------------------------

    def mark_missing(self, kind: str, ids: Sequence[str]) -> None:
        """Note that these records were absent from their source (grace period starts now)."""
        if ids:
            self.conn.execute(
                update(RECORDS)
                .where(RECORDS.c.kind == kind, RECORDS.c.id.in_(ids), RECORDS.c.missing_since.is_(None))
                .values(missing_since=self.now)
            )

    def archive(self, kind: str, ids: Sequence[str]) -> None:
        """Archive records (never a deletion): they leave search and open data, keep history."""
        if not ids:
            return
        rows = self.conn.execute(
            select(RECORDS.c.id, RECORDS.c.version).where(
                RECORDS.c.kind == kind, RECORDS.c.id.in_(ids), RECORDS.c.status == RECORD_ACTIVE
            )
        ).all()
        if not rows:
            return
        sequence = iter(reserve_sequence(self.conn, len(rows)))
        updates = [
            {"status": RECORD_ARCHIVED, "archived_at": self._now, "updated_at": self._now, "job_id": self.job_id,
             "version": r.version + 1, "seq": next(sequence), "b_kind": kind, "b_id": r.id}
            for r in rows
        ]
        revisions = [self._revision_row(kind, r.id, r.version + 1, "archived", _ARCHIVED_CHANGE) for r in rows]
        self._executemany(_update_sql(self.conn, RECORDS, updates[0]), updates)
        self._executemany(_insert_sql(self.conn, REVISIONS, revisions[0]), revisions)


_ARCHIVED_CHANGE = orjson.dumps({"status": [RECORD_ACTIVE, RECORD_ARCHIVED]}).decode()


def _mark(conn: Connection, name: str) -> str:
    """A named parameter in the driver's own style (sqlite3 `:name`, psycopg `%(name)s`)."""
    return f":{name}" if conn.dialect.paramstyle in ("qmark", "named") else f"%({name})s"


def _insert_sql(conn: Connection, table, row: dict) -> str:
    values = ", ".join(_mark(conn, name) for name in row)
    return f"INSERT INTO {table.name} ({', '.join(row)}) VALUES ({values})"


def _update_sql(conn: Connection, table, row: dict) -> str:
    assignments = ", ".join(f"{name} = {_mark(conn, name)}" for name in row if not name.startswith("b_"))
    return f"UPDATE {table.name} SET {assignments} WHERE kind = {_mark(conn, 'b_kind')} AND id = {_mark(conn, 'b_id')}"
