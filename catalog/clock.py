"""One clock for the whole catalog: timezone-aware UTC datetimes (SQLModel stores them as such)."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
