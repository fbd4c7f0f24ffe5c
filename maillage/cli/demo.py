"""`maillage demo load [DIR]`: every demo source registered and harvested through the real harvesters.

Each `DIR/*/sources.json` is a JSON list of sources:
`{"name", "format", "location" (relative to that sources.json), "title", "options", "schedule"?,
"grace_days"?, "archive_threshold"?, "token_env"?}`. The `mapping` option, when it names a file
beside the sources.json, is resolved the same way. Each source is registered
(`catalog.sources.register_source`) and run (`harvest_source`); its job summary is printed.
Exit code: 0 when every demo source harvested, 1 when one failed or was held, 2 when a
sources.json is unusable.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from maillage.cli.output import echo_job_summary, echo_json

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "demo"
_KEYS = {"name", "format", "location", "title", "options", "schedule", "grace_days", "archive_threshold",
         "token_env"}


@click.group("demo")
def command() -> None:
    """Données de démonstration."""


@command.command("load")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Les résumés des travaux en JSON.")
def load_command(directory: Path | None, as_json: bool) -> None:
    """Enregistre et moissonne chaque source de DIRECTORY/*/sources.json (par défaut : demo/)."""
    from catalog.db import get_engine
    from catalog.sources import register_source
    from harvesters.engine import harvest_source

    directory = directory or DEFAULT_DIR
    files = sorted(directory.glob("*/sources.json"))
    if not files:
        raise click.ClickException(f"Aucun fichier */sources.json dans {directory}.")
    try:
        specs = [spec for path in files for spec in read_sources(path)]
    except ValueError as exc:
        click.secho(str(exc), fg="red", err=True)
        sys.exit(2)
    engine = get_engine()
    summaries: list[dict[str, Any]] = []
    for spec in specs:
        register_source(engine, spec)
        summary = harvest_source(spec.name).as_dict()
        summaries.append(summary)
        if not as_json:
            echo_job_summary(summary)
            click.echo()
    failed = [s["source"] for s in summaries if s["status"] not in ("done", "done-with-errors")]
    if as_json:
        echo_json(summaries)
    else:
        click.echo(demo_totals(summaries))
        if failed:
            click.secho(f"Échec pour : {', '.join(failed)}.", fg="red")
    sys.exit(1 if failed else 0)


def demo_totals(summaries: list[dict[str, Any]]) -> str:
    """One line for the whole demo. A DCAT harvest adds sources, not records: counted apart."""
    records = [s for s in summaries if s["format"] != "dcat"]
    catalogs = [s for s in summaries if s["format"] == "dcat"]
    added = sum(s["counts"].get("added", 0) for s in records)
    invalid = sum(s["counts"].get("invalid", 0) for s in records)
    line = (f"Démo : {len(summaries)} source(s) moissonnée(s), {added} fiche(s) ajoutée(s), "
            f"{invalid} invalide(s)")
    if catalogs:
        registered = sum(s["counts"].get("added", 0) for s in catalogs)
        line += f" ; {registered} source(s) enregistrée(s) depuis {len(catalogs)} catalogue(s) DCAT"
    return line + "."


def read_sources(path: Path):
    """The sources of one sources.json, locations made absolute (relative to that file)."""
    from catalog.sources import SourceSpec, parse_schedule
    from harvesters import FORMATS
    from harvesters.http import is_url

    try:
        entries = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{path} : JSON mal formé ({exc}).") from exc
    if not isinstance(entries, list):
        raise ValueError(f"{path} : une liste de sources est attendue.")  # noqa: TRY004 (reported as unusable)
    specs = []
    for n, entry in enumerate(entries, start=1):
        where = f"{path}, source n°{n}"
        if not isinstance(entry, dict) or not {"name", "format", "location"} <= set(entry):
            raise ValueError(f"{where} : « name », « format » et « location » sont obligatoires.")
        if set(entry) - _KEYS:
            raise ValueError(f"{where} : clé(s) inconnue(s) : {', '.join(sorted(set(entry) - _KEYS))}.")
        if entry["format"] not in FORMATS:
            raise ValueError(f"{where} : format inconnu « {entry['format']} » (formats : {', '.join(sorted(FORMATS))}).")
        if entry.get("schedule"):
            parse_schedule(entry["schedule"])
        location = entry["location"]
        if not is_url(location):
            location = str((path.parent / location).resolve())
        options = dict(entry.get("options") or {})
        mapping = options.get("mapping")
        if isinstance(mapping, str) and not is_url(mapping) and (path.parent / mapping).is_file():
            options["mapping"] = str((path.parent / mapping).resolve())
        specs.append(SourceSpec(
            name=entry["name"], format=entry["format"], location=location, title=entry.get("title", ""),
            credentials_ref=entry.get("token_env"), schedule=entry.get("schedule"),
            grace_days=int(entry.get("grace_days", 7)), archive_threshold=float(entry.get("archive_threshold", 0.3)),
            options=options,
        ))
    return specs
