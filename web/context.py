"""Per-request access to the catalog's settings, database and search backend."""

from __future__ import annotations

from flask import current_app

from catalog.config import Settings
from catalog.db import get_engine


def settings() -> Settings:
    return current_app.extensions["maillage.settings"]


def engine():
    return get_engine(settings())


def search_backend():
    from catalog.search import get_backend

    return get_backend(settings())
