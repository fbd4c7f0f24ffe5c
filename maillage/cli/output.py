"""Shared terminal output: job summaries in French, JSON for scripts."""

from __future__ import annotations

import sys
from typing import Any

import click
import orjson

COUNT_LABELS = {
    "read": "lus",
    "added": "ajoutés",
    "updated": "modifiés",
    "unchanged": "inchangés",
    "invalid": "invalides",
    "restored": "restaurés",
    "missing": "absents (délai de grâce)",
    "archived": "archivés",
    "warnings": "avec avertissement",
}


# What a run found in its source, as against what it did (or would do) to the catalog.
FACTS = ("read", "invalid", "warnings")


def _counts_line(summary: dict[str, Any]) -> str:
    """The counts, said as what they are: a held run or a dry one applied nothing (its write
    counts are what applying would do), a failed one wrote nothing (they are all 0)."""
    counts = summary["counts"]

    def said(names) -> str:
        return "  ".join(f"{counts.get(k, 0)} {COUNT_LABELS[k]}" for k in names)

    if summary["status"] == "failed":
        return said(FACTS)
    if summary["status"] == "held" or summary.get("dry_run"):
        return f"{said(FACTS)} · s'il était appliqué : {said(k for k in COUNT_LABELS if k not in FACTS)}"
    return said(COUNT_LABELS)


def echo_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")
    sys.stdout.flush()  # a pipe (docker logs, journald) is block-buffered: say it now, not at exit


def echo_json_line(value: Any) -> None:
    """One JSON document on one line (NDJSON), flushed: what a long-running process prints
    for a log reader, event by event."""
    sys.stdout.write(orjson.dumps(value, default=str).decode() + "\n")
    sys.stdout.flush()


def echo_job_summary(summary: dict[str, Any]) -> None:
    from harvesters.engine import STATUS_LABELS
    from harvesters.report import MAX_DISTINCT_MESSAGES

    status = summary["status"]
    colour = {"done": "green", "done-with-errors": "yellow", "held": "yellow", "failed": "red"}.get(status)
    number = "non enregistré" if summary["job"] is None else f"n°{summary['job']}"
    title = f"Moissonnage {number} — source « {summary['source']} » ({summary['format']})"
    if summary.get("dry_run"):
        title += " — essai à blanc"
    click.echo(title)
    click.secho(f"Statut : {STATUS_LABELS.get(status, status)}", fg=colour, bold=True)
    if summary.get("kinds"):
        click.echo(f"Types couverts : {', '.join(summary['kinds'])}")
    click.echo(_counts_line(summary))
    if summary.get("message"):
        click.echo(summary["message"])
    errors = summary.get("errors") or []
    if errors:
        click.echo("Problèmes, regroupés :")
        for group in errors[:20]:
            field = f"« {group['champ']} » " if group.get("champ") else ""
            examples = ", ".join(group["exemples"][:5])
            said = group["message"] or group["code"]
            if others := group.get("autres_messages"):
                # The first record's reason is not every record's: say so, the report has each one.
                more = "+" if others >= MAX_DISTINCT_MESSAGES else ""
                said = f"{said} — et {others}{more} autre(s) message(s) pour ce code (voir « maillage jobs report »)"
            click.echo(f"  - {group['nombre']} × {field}{said} ({examples}…)")
        if len(errors) > 20:
            click.echo(f"  … et {len(errors) - 20} autres groupes (voir « maillage jobs report »).")
