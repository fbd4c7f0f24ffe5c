"""`maillage index`: rebuild or catch up the search index."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from catalog.config import load_settings
from catalog.db import catalog_busy, get_engine, sqlite_wait_seconds
from catalog.errors import UnusableInput
from catalog.search import get_backend, rebuild_index, sync_index


@click.group("index")
def command() -> None:
    """Index de recherche : reconstruction et rattrapage."""


def _backend(settings, name: str | None):
    try:
        return get_backend(settings, name)
    except UnusableInput as exc:
        click.echo(f"Erreur : {exc}", err=True)
        sys.exit(2)


@contextmanager
def _index_busy_said() -> Iterator[None]:
    """A harvest writes the embedded index from its first batch to its commit
    (catalog/search/in_step.py): a rebuild or a sync meanwhile waits, then says so."""
    try:
        yield
    except Exception as exc:
        if not catalog_busy(exc):
            raise
        click.echo(f"Erreur : l'index de recherche est en cours d'écriture (un moissonnage, le plus souvent) "
                   f"depuis plus de {sqlite_wait_seconds():g} s. Relancez la commande après la fin du "
                   "moissonnage ; rien n'a été modifié par celle-ci.", err=True)
        sys.exit(2)


@command.command("rebuild")
@click.option("--backend", type=click.Choice(["sqlite", "elasticsearch"]),
              help="Moteur à reconstruire (défaut : celui de la configuration).")
def rebuild(backend: str | None) -> None:
    """Réindexer toutes les fiches actives, sans interrompre les recherches en cours."""
    settings = load_settings()
    engine = get_engine(settings)
    target = _backend(settings, backend)
    with Progress(TextColumn("[bold]Indexation"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn()) as bar:
        task = bar.add_task("index", total=None)

        def progress(done: int) -> None:
            bar.update(task, advance=done)

        from catalog.search import count_active_records

        bar.update(task, total=count_active_records(engine))
        with _index_busy_said():
            n = rebuild_index(settings, engine, target, progress=progress)
    click.echo(f"{n} fiche{'s' if n > 1 else ''} indexée{'s' if n > 1 else ''} ({target.name}).")


@command.command("sync")
@click.option("--backend", type=click.Choice(["sqlite", "elasticsearch"]))
def sync(backend: str | None) -> None:
    """Indexer les fiches modifiées depuis la dernière indexation."""
    settings = load_settings()
    with _index_busy_said():
        n = sync_index(settings, get_engine(settings), _backend(settings, backend))
    click.echo(f"{n} changement{'s' if n > 1 else ''} appliqué{'s' if n > 1 else ''}.")
