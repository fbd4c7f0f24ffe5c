"""`maillage jobs list|show|report`: what harvest jobs did, for people and for cron."""

from __future__ import annotations

import sys

import click

from maillage.cli.output import COUNT_LABELS, echo_job_summary, echo_json


@click.group("jobs")
def command() -> None:
    """Travaux de moissonnage : liste, résumé, rapport par enregistrement."""


@command.command("list")
@click.option("--source", help="Seulement les travaux de cette source.")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="En JSON (scripts, supervision).")
def list_command(source, limit, as_json):
    """Les derniers travaux de moissonnage."""
    from catalog.db import get_engine
    from harvesters.engine import STATUS_LABELS
    from harvesters.jobs import list_jobs

    jobs = list_jobs(get_engine(), source=source, limit=limit)
    if as_json:
        echo_json(jobs)
        return
    if not jobs:
        click.echo("Aucun travail de moissonnage.")
    for job in jobs:
        counts = ", ".join(f"{job['counts'][k]} {label}" for k, label in COUNT_LABELS.items() if job["counts"][k])
        dry = " (essai à blanc)" if job["dry_run"] else ""
        click.echo(f"n°{job['job']}  {job['created_at']}  {job['source']}  "
                   f"{STATUS_LABELS.get(job['status'], job['status'])}{dry}  {counts}")


@command.command("show")
@click.argument("job_id", metavar="N", type=int)
@click.option("--json", "as_json", is_flag=True, help="En JSON (scripts, supervision).")
def show_command(job_id, as_json):
    """Résumé d'un travail : statut, comptes, erreurs regroupées."""
    from catalog.db import get_engine
    from harvesters.jobs import job_summary

    summary = job_summary(get_engine(), job_id)
    if summary is None:
        raise click.ClickException(f"Travail n°{job_id} introuvable.")
    if as_json:
        echo_json(summary)
    else:
        echo_job_summary(summary)


@command.command("report")
@click.argument("job_id", metavar="N", type=int)
@click.option("--status", "statuses", multiple=True, help="Filtrer : invalid, added, updated, archived…")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Fichier CSV (défaut : sortie standard).")
def report_command(job_id, statuses, output):
    """Rapport par enregistrement, en CSV (une ligne par erreur)."""
    from catalog.db import get_engine
    from harvesters.jobs import job_summary
    from harvesters.report import iter_lines, write_csv

    engine = get_engine()
    if job_summary(engine, job_id, with_groups=False) is None:  # an empty report would read « nothing to say »
        raise click.ClickException(f"Travail n°{job_id} introuvable.")
    with engine.connect() as conn:
        lines = iter_lines(conn, job_id, statuses or None)
        if output:
            with open(output, "w", newline="", encoding="utf-8") as out:
                count = write_csv(lines, out)
            click.echo(f"{count} ligne(s) écrite(s) dans {output}", err=True)
        else:
            write_csv(lines, sys.stdout)
