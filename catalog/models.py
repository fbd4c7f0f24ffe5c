"""The catalog's tables.

A `Record` holds one published record of any kind (service, structure, formation, aide,
solution-mobilite) as the JSON its schema describes, plus its provenance. Every change to a
record writes a `Revision` with field-level before/after: history is never reconstructed, it
is kept (a creation's fields are kept in its record until they first change, then written out
into the creation: catalog/store.py). `Source` and `HarvestJob` say where records came from and what each run did;
`JobReportLine` is the per-record report of a run (unchanged records have none: they cost no
write).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

from catalog.clock import utcnow

RECORD_ACTIVE = "active"
RECORD_ARCHIVED = "archived"


class Source(SQLModel, table=True):
    """A registered harvest source: what to read, how, how often, how cautiously."""

    name: str = Field(primary_key=True, max_length=100)
    title: str = Field(default="")
    format: str = Field(max_length=50)
    location: str = Field(sa_column=Column(Text, nullable=False))
    # The *name* of an environment variable holding the credential, never the secret itself.
    credentials_ref: str | None = Field(default=None, max_length=200)
    schedule: str | None = Field(default=None, max_length=100)  # e.g. "daily", "hourly", "0 3 * * *"
    grace_days: int = Field(default=7)
    archive_threshold: float = Field(default=0.30)
    options: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    enabled: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_job_id: int | None = Field(default=None)


class HarvestJob(SQLModel, table=True):
    __tablename__ = "harvest_job"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True, max_length=100)
    format: str = Field(max_length=50)
    location: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=20, index=True)
    dry_run: bool = Field(default=False)
    forced: bool = Field(default=False)
    kinds: str = Field(default="[]")  # JSON list of the record kinds this run speaks for
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    pid: int | None = None
    host: str | None = Field(default=None, max_length=200)
    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    archived: int = 0
    missing: int = 0  # vanished from the source, still within the grace period
    restored: int = 0
    warnings: int = 0  # items written, with something a person should know (see the report)
    message: str | None = Field(default=None, sa_column=Column(Text))


class JobReportLine(SQLModel, table=True):
    __tablename__ = "job_report_line"
    __table_args__ = (Index("ix_job_report_line_job", "job_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="harvest_job.id")
    position: int  # order of the item in the source, 1-based; 0 for end-of-run lines (archives)
    kind: str | None = Field(default=None, max_length=30)
    record_id: str | None = Field(default=None, sa_column=Column(Text))
    reference: str | None = Field(default=None, sa_column=Column(Text))  # where in the source
    status: str = Field(max_length=20)
    errors: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))


class Record(SQLModel, table=True):
    __table_args__ = (
        Index("ix_record_owner", "harvest_source", "kind", "status"),
        Index("ix_record_seq", "seq"),
    )

    kind: str = Field(primary_key=True, max_length=30)
    id: str = Field(primary_key=True, max_length=300)
    source: str = Field(max_length=100)  # the `source` field of the data (the original producer)
    harvest_source: str = Field(max_length=100)  # the Maillage source that owns this record
    data: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON, non-empty fields
    content_hash: str = Field(max_length=64)
    status: str = Field(default=RECORD_ACTIVE, max_length=20)
    version: int = Field(default=1)
    # Global change sequence: the search index catches up on it. 64 bits: PostgreSQL never gives
    # back the numbers of a run rolled back (dry runs, held runs), which 32 would run out of.
    seq: int = Field(default=0, sa_type=BigInteger)
    job_id: int | None = None
    fetched_at: datetime | None = None
    lien_source: str | None = Field(default=None, sa_column=Column(Text))
    date_maj: str | None = Field(default=None, max_length=10)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    missing_since: datetime | None = None
    archived_at: datetime | None = None


class Revision(SQLModel, table=True):
    __table_args__ = (Index("ix_revision_record", "kind", "record_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)
    record_id: str = Field(max_length=300)
    version: int
    action: str = Field(max_length=20)  # created, updated, archived, restored
    author: str = Field(max_length=200)  # "harvest:<source>" or "user:<login>"
    job_id: int | None = None
    at: datetime = Field(default_factory=utcnow)
    # {"field": [before, after], ...}; before is null on creation. A creation whose fields its
    # record still holds, unchanged, is `null` until they change (catalog/store.py, CREATION_IN_RECORD).
    changes: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
