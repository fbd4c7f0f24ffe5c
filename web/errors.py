"""Errors: JSON for the API (with a French message), DSFR pages for people."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from catalog.errors import UnusableInput


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.before_request
    def _no_nul_character():
        # No id, cursor or parameter holds one, and PostgreSQL refuses one in any text it is
        # asked to compare (a 500 there, a 404 on SQLite): refused alike on both, before any query.
        if "\x00" in request.path or any("\x00" in value for _, value in request.args.items(multi=True)):
            raise UnusableInput("Requête illisible : elle contient un caractère nul (%00).")

    @app.errorhandler(UnusableInput)
    def _unusable(exc: UnusableInput):
        if _wants_json():
            return jsonify({"erreur": str(exc)}), 400
        return render_template("error.html", code=400, message=str(exc)), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        messages = {404: "Page introuvable.", 405: "Méthode non autorisée.", 400: "Requête invalide."}
        message = messages.get(exc.code, exc.description)
        if _wants_json():
            return jsonify({"erreur": message}), exc.code
        return render_template("error.html", code=exc.code, message=message), exc.code
