"""The Maillage web application: public pages (DSFR) and the open data API.

Views hold no business logic: they parse a request, call `catalog/`, and render.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from catalog.config import Settings, load_settings

ASSETS_DIR = Path(__file__).resolve().parents[1] / "node_modules" / "@gouvfr" / "dsfr" / "dist"


def create_app(settings: Settings | None = None, **config) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("MAILLAGE_SECRET_KEY") or _secret_key(settings),
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        DSFR_DIR=os.environ.get("MAILLAGE_DSFR_DIR", str(ASSETS_DIR)),
    )
    app.config.update(config)
    app.json.ensure_ascii = False
    app.extensions["maillage.settings"] = settings
    CSRFProtect(app)

    from web import api, assets, errors, pages, security

    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(assets.blueprint)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(api.blueprint, url_prefix="/api/v1")
    return app


def _secret_key(settings: Settings) -> str:
    """A per-installation secret, created once in the data directory (never in the repo)."""
    path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
