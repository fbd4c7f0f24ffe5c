"""The French State design system (DSFR), served from the npm package installed at set-up.

The package is not vendored in the repository (it is large and versioned by package-lock.json);
`make install` runs `npm ci`. Without it, pages still work, unstyled.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_from_directory

blueprint = Blueprint("assets", __name__)


@blueprint.route("/static/dsfr/<path:filename>")
def dsfr(filename: str):
    directory = current_app.config["DSFR_DIR"]
    try:
        return send_from_directory(directory, filename, max_age=86400)
    except FileNotFoundError:
        abort(404)
