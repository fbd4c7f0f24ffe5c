"""The registry of harvest sources: what to read, in which format, how often, how cautiously."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection, Engine

from catalog.clock import as_utc, utcnow
from catalog.config import MAX_GRACE_DAYS  # noqa: F401 - the CLI's bound, beside the sources
from catalog.db import lock_record_writers, storable_text, writer_connection
from catalog.models import RECORD_ACTIVE, Record, Source

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
        "title": storable_text(spec.title or spec.name),
        "format": spec.format,
        "location": storable_text(spec.location),
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


class UnknownSource(LookupError):
    """No source is registered under that name (or it was removed since it was listed)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Source inconnue : « {name} » (voir « maillage sources list »).")


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


def remove_source(engine: Engine, name: str, *, archive_records: bool = False) -> int | None:
    """Unregister `name` and, with `archive_records`, archive in the same transaction every
    active record it harvested (registered still or not: a source removed earlier without them):
    they leave search and open data and keep their history (a source that publishes them again
    restores them). Returns how many were archived; None when there was nothing to do (no such
    source, no such records). Taken as a harvest takes the catalog, one writer at a time: a
    harvest of the source under way finishes first, and its records are archived with the rest."""
    from catalog.store import RecordWriter  # the store imports this module's neighbours

    records = Record.__table__
    with writer_connection(engine) as conn, conn.begin():
        lock_record_writers(conn)
        registered = conn.execute(delete(SOURCES).where(SOURCES.c.name == name)).rowcount > 0
        ids_by_kind: dict[str, list[str]] = {}
        if archive_records:
            for kind, id_ in conn.execute(select(records.c.kind, records.c.id).where(
                    records.c.harvest_source == name, records.c.status == RECORD_ACTIVE)):
                ids_by_kind.setdefault(kind, []).append(id_)
        writer = RecordWriter(conn, harvest_source=name, author=f"retrait:{name}", now=utcnow())
        for kind, ids in ids_by_kind.items():
            for start in range(0, len(ids), 500):
                writer.archive(kind, ids[start:start + 500])
        archived = sum(len(ids) for ids in ids_by_kind.values())
        return archived if registered or archived else None


def _spec(row) -> SourceSpec:
    return SourceSpec(
        name=row["name"], format=row["format"], location=row["location"], title=row["title"],
        credentials_ref=row["credentials_ref"], schedule=row["schedule"], grace_days=row["grace_days"],
        archive_threshold=row["archive_threshold"], options=orjson.loads(row["options"] or "{}"),
        enabled=row["enabled"],
    )


# -- schedules -------------------------------------------------------------------------------
# When a source is due, judged from its last job: `maillage sources run --due`, called by cron
# every few minutes, runs exactly the sources whose next scheduled time has come. A failed run
# is retried at its next scheduled time, not at once (the engine kept the previous catalog).

SCHEDULE_ALIASES = {
    "hourly": "0 * * * *",  # every hour, on the hour
    "daily": "0 3 * * *",  # every night at 03:00, when partners' servers are quiet
    "weekly": "0 3 * * 1",  # Mondays at 03:00
    "monthly": "0 3 1 * *",
}
_LONGEST_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
_CRON_FIELDS = (("minute", 0, 59), ("heure", 0, 23), ("jour du mois", 1, 31), ("mois", 1, 12),
                ("jour de la semaine", 0, 7))


@dataclass(frozen=True)
class Schedule:
    """A 5-field cron expression (numbers, `*`, `a-b`, `a,b`, `/n` steps), in local time."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday … 6 = Saturday (7 is read as Sunday too)
    days_restricted: bool
    weekdays_restricted: bool

    def next_after(self, moment: datetime) -> datetime:
        """The first scheduled minute strictly after `moment` (aware), as an aware UTC datetime."""
        zone = schedule_timezone()
        local = moment.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(200_000):  # jumps by month, day, hour, minute: a year takes far fewer
            if local.month not in self.months:
                local = (local.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0)
            elif not self._day_matches(local):
                local = (local + timedelta(days=1)).replace(hour=0, minute=0)
            elif local.hour not in self.hours:
                local = (local + timedelta(hours=1)).replace(minute=0)
            elif local.minute not in self.minutes:
                local += timedelta(minutes=1)
            else:
                # The night clocks go back, 02:00-02:59 happens twice (fold 0, then 1): the
                # first of those instants that is after `moment`, never one before it (a run at
                # the second 02:05 would otherwise be due again at every cron tick for an hour).
                for fold in (0, 1):
                    at = local.replace(tzinfo=zone, fold=fold).astimezone(UTC)
                    if at > moment:
                        return at
                local += timedelta(minutes=1)
        raise ValueError(f"La planification « {self.text} » ne tombe jamais.")

    def _day_matches(self, local: datetime) -> bool:
        day_ok = local.day in self.days
        weekday_ok = (local.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return day_ok or weekday_ok  # cron's rule: either restriction is enough
        return day_ok and weekday_ok


SCHEDULE_LENGTH = SOURCES.c.schedule.type.length


def parse_schedule(text: str) -> Schedule:
    """`hourly`, `daily`, `weekly`, `monthly` (or `@daily`…), or a 5-field cron expression."""
    if len(text.strip()) > SCHEDULE_LENGTH:  # the column's (PostgreSQL refused it with a traceback)
        raise ValueError(f"Planification de plus de {SCHEDULE_LENGTH} caractères : écrivez-la plus court "
                         "(« */5 * * * * » plutôt que la liste des minutes).")
    expression = SCHEDULE_ALIASES.get(text.strip().lower().lstrip("@"), text.strip())
    parts = expression.split()
    if len(parts) != 5:
        raise ValueError(f"Planification « {text} » : attendu hourly, daily, weekly, monthly ou une expression cron à "
                         "5 champs (minute heure jour mois jour-de-la-semaine), par exemple « 30 2 * * * ».")
    values = [_cron_field(part, name, low, high, text) for part, (name, low, high) in zip(parts, _CRON_FIELDS)]
    weekdays = frozenset(0 if day == 7 else day for day in values[4])
    if parts[2] != "*" and parts[4] == "*" and not any(day <= _LONGEST_MONTH[month] for month in values[3]
                                                       for day in values[2]):
        raise ValueError(f"Planification « {text} » : ce jour n'existe dans aucun des mois demandés, "
                         "elle ne tomberait jamais.")
    return Schedule(text.strip(), *map(frozenset, values[:4]), weekdays,
                    days_restricted=parts[2] != "*", weekdays_restricted=parts[4] != "*")


def _cron_field(part: str, name: str, low: int, high: int, text: str) -> set[int]:
    found: set[int] = set()
    for item in part.split(","):
        base, _, step_text = item.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base == "*":
                start, end = low, high
            elif "-" in base:
                start, end = (int(v) for v in base.split("-", 1))
            else:
                start = int(base)
                end = high if step_text else start
        except ValueError:
            raise ValueError(f"Planification « {text} » : « {item} » n'est pas une valeur de {name} comprise "
                             "(nombres, *, a-b, a,b, /pas).") from None
        if not (low <= start <= end <= high) or step < 1:
            raise ValueError(f"Planification « {text} » : {name} « {item} » hors de {low}-{high}.")
        found.update(range(start, end + 1, step))
    return found


def schedule_timezone() -> tzinfo:
    """Schedules are read in local time (MAILLAGE_TIMEZONE, by default Europe/Paris)."""
    import os
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(os.environ.get("MAILLAGE_TIMEZONE", "Europe/Paris"))
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def next_due(spec: SourceSpec, last_run_at: datetime | None) -> datetime | None:
    """When the source should run next: None without schedule (or disabled); at once if never run."""
    if not spec.schedule or not spec.enabled:
        return None
    schedule = parse_schedule(spec.schedule)  # a schedule that does not parse is never silently "due"
    if last_run_at is None:
        return datetime.min.replace(tzinfo=UTC)
    return schedule.next_after(as_utc(last_run_at))


def is_due(spec: SourceSpec, last_run_at: datetime | None, now: datetime) -> bool:
    due = next_due(spec, last_run_at)
    return due is not None and due <= now
