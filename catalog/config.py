"""Settings read from the environment, in one place.

The embedded default needs no server: a SQLite file and the embedded search index in
`MAILLAGE_DATA_DIR` (default `./var/`). `DATABASE_URL` and `ELASTICSEARCH_URL` switch to the
scale-out backends without changing behaviour.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from catalog.errors import UnusableInput

# What an operator types for « never archive »: the longest grace period a date can count
# (harvesters.engine counts it back from now; 10⁹ days overflow Python's dates).
MAX_GRACE_DAYS = 99_999_999


class SettingError(UnusableInput):
    """An environment setting that is not what it must be: its name, its value and the range."""


def env_number(variable: str, default: float, *, minimum: float, maximum: float = math.inf,
               env: Mapping[str, str] | None = None) -> float:
    """A number setting from the environment, `default` when unset. « 512M », « 1h », « nan »
    or a value out of range stop what needs it with a French sentence naming the variable,
    not a ValueError, nor a limit of 0 that refuses everything."""
    raw = (os.environ if env is None else env).get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not minimum <= value <= maximum:  # NaN is in no range
        bound = f"au moins {minimum:g}" if maximum == math.inf else f"entre {minimum:g} et {maximum:g}"
        raise SettingError(f"Réglage {variable}={raw[:40]!r} invalide : un nombre {bound} est attendu.")
    return value


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    search_backend: str  # "sqlite" (embedded) or "elasticsearch"
    elasticsearch_url: str | None
    elasticsearch_index_prefix: str = "maillage"
    # Default share of a source's records (per kind) that one run may archive before it is held.
    archive_threshold: float = 0.30
    grace_days: int = 7
    extra: dict = field(default_factory=dict)

    @property
    def search_index_path(self) -> Path:
        return self.data_dir / "search.sqlite"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("MAILLAGE_DATA_DIR", "var")).resolve()
    database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'maillage.sqlite'}"
    # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3 named explicitly.
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    es_url = env.get("ELASTICSEARCH_URL") or None
    backend = env.get("MAILLAGE_SEARCH_BACKEND") or ("elasticsearch" if es_url else "sqlite")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        search_backend=backend,
        elasticsearch_url=es_url,
        elasticsearch_index_prefix=env.get("ELASTICSEARCH_INDEX_PREFIX", "maillage"),
        # The bounds `maillage sources add` puts on a source's own (catalog.sources).
        archive_threshold=env_number("MAILLAGE_ARCHIVE_THRESHOLD", 0.30, minimum=0, maximum=1, env=env),
        grace_days=int(env_number("MAILLAGE_GRACE_DAYS", 7, minimum=0, maximum=MAX_GRACE_DAYS, env=env)),
    )
