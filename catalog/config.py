"""Settings read from the environment, in one place.

The embedded default needs no server: a SQLite file and the embedded search index in
`MAILLAGE_DATA_DIR` (default `./var/`). `DATABASE_URL` and `ELASTICSEARCH_URL` switch to the
scale-out backends without changing behaviour.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


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
        archive_threshold=float(env.get("MAILLAGE_ARCHIVE_THRESHOLD", "0.30")),
        grace_days=int(env.get("MAILLAGE_GRACE_DAYS", "7")),
    )
