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
from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.engine import Connection

from catalog.db import reserve_sequence
from catalog.models import RECORD_ACTIVE, RECORD_ARCHIVED, Record, Revision
from catalog.records import canonical_json, content_hash, field_changes

RECORDS = Record.__table__
REVISIONS = Revision.__table__

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
    data: str
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
            elif current.harvest_source != self.harvest_source:
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
                    RECORDS.c.data,
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
                "created_at": self.now,
            })
            revisions.append(self._revision_row(c.kind, c.id, 1, "created", field_changes(None, c.data)))
        self.conn.execute(insert(RECORDS), rows)
        self.conn.execute(insert(REVISIONS), revisions)

    def _update(self, updates: list[tuple[Candidate, _Existing, str]], sequence) -> None:
        rows, revisions = [], []
        for c, current, status in updates:
            version = current.version + 1
            rows.append(self._record_row(c, version=version, seq=next(sequence)) | {
                "b_kind": c.kind,
                "b_id": c.id,
            })
            changes = field_changes(orjson.loads(current.data), c.data)
            action = "restored" if status == RESTORED else "updated"
            revisions.append(self._revision_row(c.kind, c.id, version, action, changes))
        # Executemany UPDATE: the SET clause is every column key of the rows; the b_* keys bind
        # the WHERE clause (SQLAlchemy reserves column names for SET).
        self.conn.execute(
            update(RECORDS).where(
                and_(RECORDS.c.kind == bindparam("b_kind"), RECORDS.c.id == bindparam("b_id"))
            ),
            rows,
        )
        self.conn.execute(insert(REVISIONS), revisions)

    def _record_row(self, c: Candidate, *, version: int, seq: int) -> dict[str, Any]:
        return {
            "source": c.data.get("source", ""),
            "data": c.canonical.decode(),
            "content_hash": c.content_hash,
            "status": RECORD_ACTIVE,
            "version": version,
            "seq": seq,
            "job_id": self.job_id,
            "fetched_at": self.now,
            "lien_source": c.data.get("lien_source"),
            "date_maj": c.data.get("date_maj"),
            "updated_at": self.now,
            "missing_since": None,
            "archived_at": None,
        }

    def _revision_row(self, kind: str, id_: str, version: int, action: str, changes: dict) -> dict:
        return {
            "kind": kind,
            "record_id": id_,
            "version": version,
            "action": action,
            "author": self.author,
            "job_id": self.job_id,
            "at": self.now,
            "changes": orjson.dumps(changes).decode(),
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
        sequence = iter(reserve_sequence(self.conn, len(rows)))
        self.conn.execute(
            update(RECORDS)
            .where(and_(RECORDS.c.kind == kind, RECORDS.c.id == bindparam("b_id")))
            .values(status=RECORD_ARCHIVED, archived_at=self.now, updated_at=self.now, job_id=self.job_id),
            [{"b_id": r.id, "version": r.version + 1, "seq": next(sequence)} for r in rows],
        )
        self.conn.execute(
            insert(REVISIONS),
            [
                self._revision_row(kind, r.id, r.version + 1, "archived", {"status": [RECORD_ACTIVE, RECORD_ARCHIVED]})
                for r in rows
            ],
        )

