"""The registry of harvest sources: what to read, in which format, how often, how cautiously."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Engine

from catalog.models import Source

SOURCES = Source.__table__


@dataclass
class SourceSpec:
    name: str
    format: str
    location: str
    title: str = ""
    credentials_ref: str | None = None  # the name of an environment variable, never a secret
    schedule: str | None = None
    grace_days: int = 7
    archive_threshold: float = 0.30
    options: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True


def register_source(engine: Engine, spec: SourceSpec) -> None:
    """Create the source, or update it in place (its jobs and records keep pointing at it)."""
    with engine.begin() as conn:
        upsert_source(conn, spec)


def upsert_source(conn: Connection, spec: SourceSpec) -> str:
    """`register_source` inside the caller's transaction; returns "added", "updated" or "unchanged"."""
    values = {
        "title": spec.title or spec.name,
        "format": spec.format,
        "location": spec.location,
        "credentials_ref": spec.credentials_ref,
        "schedule": spec.schedule,
        "grace_days": spec.grace_days,
        "archive_threshold": spec.archive_threshold,
        "options": orjson.dumps(spec.options).decode(),
        "enabled": spec.enabled,
    }
    existing = conn.execute(select(SOURCES).where(SOURCES.c.name == spec.name)).mappings().first()
    if existing is None:
        from catalog.clock import utcnow

        conn.execute(SOURCES.insert().values(name=spec.name, created_at=utcnow(), **values))
        return "added"
    if all(existing[key] == value for key, value in values.items() if key != "options") and \
            orjson.loads(existing["options"] or "{}") == spec.options:
        return "unchanged"
    conn.execute(SOURCES.update().where(SOURCES.c.name == spec.name).values(**values))
    return "updated"


def get_source(engine: Engine | Connection, name: str) -> SourceSpec | None:
    with _connected(engine) as conn:
        row = conn.execute(select(SOURCES).where(SOURCES.c.name == name)).mappings().first()
    return _spec(row) if row else None


def list_sources(engine: Engine | Connection) -> list[SourceSpec]:
    with _connected(engine) as conn:
        return [_spec(row) for row in conn.execute(select(SOURCES).order_by(SOURCES.c.name)).mappings()]


@contextmanager
def _connected(engine: Engine | Connection) -> Iterator[Connection]:
    # A Connection is used as is (inside its caller's transaction); an Engine lends one.
    if isinstance(engine, Connection):
        yield engine
    else:
        with engine.connect() as conn:
            yield conn


def remove_source(engine: Engine, name: str) -> bool:
    with engine.begin() as conn:
        return conn.execute(delete(SOURCES).where(SOURCES.c.name == name)).rowcount > 0


def _spec(row) -> SourceSpec:
    return SourceSpec(
        name=row["name"], format=row["format"], location=row["location"], title=row["title"],
        credentials_ref=row["credentials_ref"], schedule=row["schedule"], grace_days=row["grace_days"],
        archive_threshold=row["archive_threshold"], options=orjson.loads(row["options"] or "{}"),
        enabled=row["enabled"],
    )
