"""`maillage serve`: the site and the API, with gunicorn (or Flask's server with --dev)."""

from __future__ import annotations

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--dev", is_flag=True, help="Serveur de développement Flask (rechargement automatique).")
def command(host: str, port: int, workers: int, dev: bool) -> None:
    """Sert le site et l'API sur http://HOST:PORT."""
    from catalog.db import get_engine
    from web import create_app

    get_engine()  # migrate the store once, before workers start
    app = create_app()
    click.echo(f"Maillage : http://{host}:{port}/  (API : http://{host}:{port}/api/v1/services)")
    if dev:
        app.run(host=host, port=port, debug=True)
        return
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")

        def load(self):
            return app

    _Server().run()
