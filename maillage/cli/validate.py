"""`maillage validate FICHIER [--schema NOM] [--json]`: check a file against a schema.

Exit codes: 0 valid, 1 invalid, 2 unusable input (unreadable file, unknown schema, wrong
encoding, schema impossible to guess...).
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import click

import schemas
from catalog import tabular
from catalog.errors import UnusableInput
from catalog.validation import guess_kind, validator_for
from catalog.validation.compiled import CELL_COUNT_KEY
from catalog.validation.reference import frictionless_validate
from catalog.validation.report import Summary, format_report

# Rows read to guess the schema (JSON items may each omit some keys).
GUESS_ROWS = 100


def fail(message: str) -> None:
    click.echo(f"Erreur : {message}", err=True)
    sys.exit(2)


@click.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--schema", "kind", metavar="NOM", help=f"Schéma à utiliser ({', '.join(schemas.KINDS)}) ; "
              "deviné d'après les colonnes s'il est omis.")
@click.option("--json", "as_json", is_flag=True, help="Afficher le rapport Frictionless complet, en JSON.")
def command(file: Path, kind: str | None, as_json: bool) -> None:
    """Valide un fichier CSV, JSON, NDJSON ou Parquet contre un schéma Maillage."""
    if kind is not None and kind not in schemas.KINDS:
        fail(f"schéma inconnu « {kind} » (schémas : {', '.join(schemas.KINDS)}).")
    try:
        summary = _validate(file, kind)
    except UnusableInput as exc:
        fail(str(exc))
        return
    if as_json:
        if summary.guessed:  # on stderr: stdout stays one JSON document
            click.echo(f"Schéma deviné d'après les colonnes : {summary.kind}", err=True)
        report = frictionless_validate(file, summary.kind)
        click.echo(json.dumps(report.to_descriptor(), ensure_ascii=False, indent=2))
        sys.exit(0 if report.valid else 1)
    click.echo(format_report(summary), nl=False)
    sys.exit(0 if summary.valid else 1)


def _validate(path: Path, kind: str | None) -> Summary:
    rows = tabular.iter_rows(path)
    head = list(itertools.islice(rows, GUESS_ROWS))
    guessed = kind is None
    if kind is None:
        columns = {name for _position, row in head for name in row if name != CELL_COUNT_KEY}
        kind = guess_kind(columns)
        if kind is None:
            raise UnusableInput(
                f"{path.name} : impossible de reconnaître le schéma d'après les colonnes "
                f"({', '.join(sorted(columns)[:8]) or 'aucune ligne'}). Précisez --schema "
                f"({', '.join(schemas.KINDS)})."
            )
    fmt = tabular.detect_format(path)
    summary = Summary(kind=kind, guessed=guessed, unit="ligne" if fmt == "csv" else "élément")
    check = validator_for(kind).check
    for position, row in itertools.chain(head, rows):
        summary.add(position, check(row)[1])
    return summary
