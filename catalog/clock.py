"""One clock for the whole catalog: timezone-aware UTC datetimes (SQLModel stores them as such)."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC: a naive one is UTC already (SQLite hands back stored datetimes naive), an
    aware one is converted (OverflowError past the calendar's ends, for the caller to word)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
