"""Reading harvest jobs back: their summaries and reports (for the CLI and the web admin)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from catalog.models import HarvestJob
from harvesters.engine import COUNT_NAMES, DONE, DONE_WITH_ERRORS, FAILED, HELD
from harvesters.report import ReportSpool, iter_lines

JOBS = HarvestJob.__table__


def job_summary(engine: Engine, job_id: int, *, with_groups: bool = True) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(JOBS).where(JOBS.c.id == job_id)).mappings().first()
        if row is None:
            return None
        summary = _summary(row)
        if with_groups:
            # Regroup from the stored lines, exactly as the run grouped them.
            spool = ReportSpool()
            try:
                for line in iter_lines(conn, job_id):
                    spool.count_line(line)
                summary["errors"] = [g.as_dict() for g in spool.groups() if g.code is not None]
            finally:
                spool.close()
    return summary


def list_jobs(engine: Engine, *, source: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    query = select(JOBS).order_by(JOBS.c.id.desc()).limit(limit)
    if source:
        query = query.where(JOBS.c.source == source)
    with engine.connect() as conn:
        return [_summary(row) for row in conn.execute(query).mappings()]


def source_health(engine: Engine, source: str) -> dict[str, Any]:
    """How a source's real runs (not dry ones) have gone lately: its last successful job, and
    how many have failed or been held since (« échoue depuis 6 fois »). A source failing for
    weeks keeps its old records, looking fresh in the catalog: its operator must see it.
    A run that never started (refused: another run of the source was under way) says nothing
    of the source."""
    real = (JOBS.c.source == source) & JOBS.c.dry_run.is_(False)
    with engine.connect() as conn:
        success = conn.execute(select(JOBS).where(real, JOBS.c.status.in_([DONE, DONE_WITH_ERRORS]))
                               .order_by(JOBS.c.id.desc()).limit(1)).mappings().first()
        since = real & JOBS.c.status.in_([FAILED, HELD]) & JOBS.c.started_at.is_not(None)
        if success is not None:
            since &= JOBS.c.id > success["id"]
        failures = conn.execute(select(func.count()).select_from(JOBS).where(since)).scalar_one()
    return {"last_success": None if success is None else _summary(success), "failures_since_success": failures}


def _summary(row) -> dict[str, Any]:
    return {
        "job": row["id"],
        "source": row["source"],
        "format": row["format"],
        "location": row["location"],
        "status": row["status"],
        "dry_run": row["dry_run"],
        "forced": row["forced"],
        "kinds": orjson.loads(row["kinds"] or "[]"),
        "counts": {name: row[name] for name in COUNT_NAMES},
        "message": row["message"],
        "created_at": row["created_at"].isoformat() if row["created_at"] else None,
        "started_at": row["started_at"].isoformat() if row["started_at"] else None,
        "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None,
    }
