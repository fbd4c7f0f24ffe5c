"""`maillage sources add|list|show|remove|run`: the registry of harvest sources, and their schedule.

A source remembers what to read (format, location, options), the *name* of the environment
variable holding its credential (never the secret), its schedule and how cautiously to apply
it (grace period, archive threshold). `maillage sources run --due`, called by cron every few
minutes, runs the sources whose schedule says they are due, judged from their last job:

    */5 * * * *  cd /srv/maillage && .venv/bin/maillage sources run --due --json >> var/cron.log

or, as a worker of its own (docker-compose's `worker`), `maillage sources run --due --every 300`,
which stops cleanly on SIGTERM (harvesters/termination.py).
"""

from __future__ import annotations

import math
import os
import sys
import traceback
from datetime import UTC
from pathlib import Path
from typing import Any

import click

from catalog.sources import MAX_GRACE_DAYS
from harvesters import FORMATS
from maillage.cli.harvest import (
    EXIT_CODES,
    _parse_options,
    checked_source_name,
    token_variable_name,
)
from maillage.cli.output import echo_job_summary, echo_json, echo_json_line


class UnknownSource(click.ClickException):
    def __init__(self, name: str) -> None:
        from catalog.sources import UnknownSource as Unknown

        super().__init__(str(Unknown(name)))


@click.group("sources")
def command() -> None:
    """Sources de moissonnage : enregistrement, planification, exécution."""


# -- add -------------------------------------------------------------------------------------

def _a_number(ctx, param, value: float | None) -> float | None:
    """Click's FloatRange lets « nan » through (no comparison with it holds): a threshold that
    every share of vanished records would pass unseen (PostgreSQL), or a NULL refused (SQLite)."""
    if value is not None and math.isnan(value):
        raise click.BadParameter("un nombre entre 0 et 1 est attendu (0.3 : 30 %).")
    return value


@command.command("add")
@click.argument("name", metavar="NOM", callback=checked_source_name)
@click.argument("format_name", metavar="FORMAT", type=click.Choice(sorted(FORMATS)))
@click.argument("location", metavar="EMPLACEMENT")
@click.option("--title", help="Intitulé lisible de la source.")
@click.option("--token-env", callback=token_variable_name,
              help="NOM de la variable d'environnement qui contient le jeton (jamais le jeton ; vide : aucun).")
@click.option("--schedule", help="hourly, daily (3 h), weekly (lundi 3 h), monthly, ou expression cron à 5 champs "
                                 "(vide : non planifiée).")
@click.option("--grace-days", type=click.IntRange(min=0, max=MAX_GRACE_DAYS), default=7, show_default=True,
              help=f"Jours avant d'archiver un enregistrement disparu de la source ({MAX_GRACE_DAYS} : jamais).")
@click.option("--archive-threshold", type=click.FloatRange(0, 1), default=0.3, show_default=True,
              callback=_a_number,
              help="Part d'enregistrements disparus au-delà de laquelle le moissonnage est suspendu.")
@click.option("--option", "options", multiple=True, metavar="CLÉ=VALEUR",
              help="Option du format (répétable ; « CLÉ= » retire l'option d'une source existante).")
@click.option("--disabled/--enabled", "disabled", default=None,
              help="Désactiver la source (enregistrée sans être planifiée), ou la réactiver.")
@click.option("--json", "as_json", is_flag=True, help="Affiche la source enregistrée en JSON.")
def add_command(name, format_name, location, title, token_env, schedule, grace_days, archive_threshold, options,
                disabled, as_json):
    """Enregistre la source NOM : FORMAT, EMPLACEMENT (fichier ou URL).

    Si la source existe, seuls les réglages donnés changent : les autres (jeton, planification,
    délai de grâce, seuil, options, intitulé) restent ceux enregistrés.
    """
    from catalog.db import get_engine
    from catalog.sources import SourceSpec, get_source, parse_schedule, register_source
    from harvesters.http import is_url, url_problem

    if is_url(location) and (problem := url_problem(location)):
        raise click.BadParameter(f"adresse mal formée : {problem}.", param_hint="EMPLACEMENT")
    if schedule:
        try:
            parse_schedule(schedule)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--schedule") from None
    parsed = _parse_options(options)
    warnings = []
    if not is_url(location):
        path = Path(location).expanduser()
        if not path.exists():
            hint = " (une adresse web commence par https://)" if _looks_like_a_web_address(location) else ""
            warnings.append(f"Attention : « {location} » est introuvable pour l'instant{hint}.")
        elif path.is_dir() and format_name != "aides-jeunes":  # aides-jeunes alone reads a folder (its YAML)
            warnings.append(f"Attention : « {location} » est un dossier ; le format {format_name} lit un fichier.")
        location = str(path.resolve())  # cron runs from another directory
    if "mapping" in parsed and not is_url(parsed["mapping"]) and Path(parsed["mapping"]).exists():
        parsed["mapping"] = str(Path(parsed["mapping"]).resolve())
    engine = get_engine()
    stored = get_source(engine, name)
    spec = SourceSpec(name=name, format=format_name, location=location, title=title or name,
                      credentials_ref=token_env or None, schedule=schedule or None, grace_days=grace_days,
                      archive_threshold=archive_threshold, options={k: v for k, v in parsed.items() if v != ""},
                      enabled=not disabled)
    if stored is not None:
        spec, dropped = _updated(stored, spec, parsed)
        if dropped:
            warnings.append(f"Attention : le format change ({stored.format} → {format_name}) : les options de "
                            f"l'ancien format sont retirées ({', '.join(sorted(dropped))}).")
    register_source(engine, spec)
    if as_json:
        echo_json(_describe(engine, spec) | {"created": stored is None, "warnings": warnings})
        return
    for warning in warnings:
        click.secho(warning, fg="yellow", err=True)
    click.echo(f"Source « {name} » {'mise à jour' if stored else 'enregistrée'} ({format_name}, {location}).")
    if spec.schedule:
        click.echo(f"Planification : {_schedule_label(spec.schedule)}.")


def _updated(stored, given, parsed: dict[str, str]):
    """The stored source with only what the command line gave changed (a partner's token, a
    catalog's link to its DCAT dataset, a longer grace period are not reset by a new schedule);
    and the stored options dropped because the format changed."""
    from dataclasses import replace

    from click.core import ParameterSource

    ctx = click.get_current_context()

    def given_(parameter: str) -> bool:
        return ctx.get_parameter_source(parameter) not in (ParameterSource.DEFAULT, None)

    same_format = stored.format == given.format
    options = dict(stored.options) if same_format else {}
    for key, value in parsed.items():  # « CLÉ= » removes the option
        if value == "":
            options.pop(key, None)
        else:
            options[key] = value
    dropped = set() if same_format else set(stored.options) - set(parsed)
    return replace(
        stored, format=given.format, location=given.location, options=options,
        title=given.title if given_("title") else stored.title,
        credentials_ref=given.credentials_ref if given_("token_env") else stored.credentials_ref,
        schedule=given.schedule if given_("schedule") else stored.schedule,
        grace_days=given.grace_days if given_("grace_days") else stored.grace_days,
        archive_threshold=given.archive_threshold if given_("archive_threshold") else stored.archive_threshold,
        enabled=given.enabled if given_("disabled") else stored.enabled,
    ), dropped


def _looks_like_a_web_address(location: str) -> bool:
    """« exemple.fr/flux.csv »: a host name before the first slash, no file of that name here."""
    head = location.split("/", 1)[0]
    return "/" in location and "." in head and not Path(head).exists() and not location.startswith((".", "~"))


# -- list / show / remove --------------------------------------------------------------------

@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="En JSON (scripts, supervision).")
def list_command(as_json):
    """Les sources enregistrées, leur planification et leur dernier moissonnage."""
    from catalog.db import get_engine
    from catalog.sources import list_sources

    engine = get_engine()
    described = [_describe(engine, spec) for spec in list_sources(engine)]
    if as_json:
        echo_json(described)
        return
    if not described:
        click.echo("Aucune source enregistrée (voir « maillage sources add »).")
    for source in described:
        state = "" if source["enabled"] else "  [désactivée]"
        click.echo(f"{source['name']}  ({source['format']}){state}")
        click.echo(f"    {source['location']}")
        click.echo(f"    planification : {_schedule_label(source['schedule'])} · dernier moissonnage : "
                   f"{_last_job_label(source['last_job'])} · prochain : {_due_label(source)}")
        if failing := _failing_label(source):
            click.secho(f"    {failing}", fg="red")


@command.command("show")
@click.argument("name", metavar="NOM")
@click.option("--json", "as_json", is_flag=True, help="En JSON (scripts, supervision).")
def show_command(name, as_json):
    """Tout ce que Maillage sait de la source NOM, et ses derniers moissonnages."""
    from catalog.db import get_engine
    from catalog.sources import get_source
    from harvesters.jobs import list_jobs

    engine = get_engine()
    spec = get_source(engine, name)
    if spec is None:
        raise UnknownSource(name)
    described = _describe(engine, spec) | {"jobs": list_jobs(engine, source=name, limit=5)}
    if as_json:
        echo_json(described)
        return
    click.echo(f"Source « {spec.name} » — {spec.title or spec.name}")
    click.echo(f"  format : {spec.format}")
    click.echo(f"  emplacement : {spec.location}")
    click.echo(f"  état : {'activée' if spec.enabled else 'désactivée'}")
    if spec.credentials_ref:
        defined = "définie" if os.environ.get(spec.credentials_ref) else "NON définie dans cet environnement"
        click.echo(f"  jeton : variable d'environnement {spec.credentials_ref} ({defined})")
    click.echo(f"  planification : {_schedule_label(spec.schedule)} · prochain passage : {_due_label(described)}")
    click.echo(f"  délai de grâce : {spec.grace_days} jour(s) · seuil de suspension : "
               f"{spec.archive_threshold * 100:.0f} %")
    if spec.options:
        click.echo("  options :")
        for key, value in spec.options.items():
            click.echo(f"    {key} = {value}")
    if failing := _failing_label(described):
        click.secho(f"  {failing}", fg="red")
    jobs = described["jobs"]
    click.echo("  derniers moissonnages :" if jobs else "  jamais moissonnée")
    for job in jobs:
        click.echo(f"    {_last_job_label(job)}")
        if job["status"] in ("failed", "held") and job["message"]:
            click.echo(f"      {job['message']}")


@command.command("remove")
@click.argument("name", metavar="NOM")
@click.option("--archiver", "archive_records", is_flag=True,
              help="Archiver aussi ses fiches : elles quittent la recherche et les données ouvertes (historique "
                   "gardé).")
def remove_command(name, archive_records):
    """Retire la source NOM du registre ; ses fiches restent publiées, sauf avec --archiver."""
    from catalog.config import load_settings
    from catalog.db import get_engine
    from catalog.sources import remove_source
    from harvesters.engine import environment_failure

    settings = load_settings()
    engine = get_engine(settings)
    try:
        archived = remove_source(engine, name, archive_records=archive_records)
    except Exception as exc:
        if (reason := environment_failure(exc)) is None:
            raise
        raise click.ClickException(f"{reason} La source n'a pas été retirée.") from exc
    if archived is None:
        raise UnknownSource(name)
    if not archive_records:
        click.echo(f"Source « {name} » retirée du registre : elle ne sera plus moissonnée. Ses fiches restent "
                   f"publiées ; « maillage sources remove {name} --archiver » les archive.")
        return
    plural = "s" if archived > 1 else ""
    click.echo(f"Source « {name} » retirée : elle ne sera plus moissonnée. {archived} fiche{plural} "
               f"archivée{plural} (historique gardé).")
    if archived:
        _sync_index_after_removal(settings, engine)


def _sync_index_after_removal(settings, engine) -> None:
    """Archived records leave the search index now (the catalog is committed either way)."""
    from catalog.search import sync_index

    try:
        sync_index(settings, engine)
    except Exception as exc:  # noqa: BLE001 - the catalog is right; the index catches up at the next sync
        click.secho(f"Index de recherche non mis à jour ({exc}) : lancez « maillage index sync ».", fg="yellow")


# -- run -------------------------------------------------------------------------------------

@command.command("run")
@click.argument("names", metavar="[NOM]...", nargs=-1)
@click.option("--due", is_flag=True, help="Seulement les sources dont la planification dit qu'elles sont dues.")
@click.option("--dry-run", is_flag=True, help="Essai à blanc : rapports sans rien enregistrer.")
@click.option("--force", is_flag=True, help="Appliquer même si le disjoncteur d'archivage se déclenche.")
@click.option("--json", "as_json", is_flag=True,
              help="Les résumés des travaux en JSON (cron, scripts) ; avec --every, un résumé par ligne "
                   "(NDJSON), écrit dès la fin de chaque moissonnage.")
@click.option("--every", type=click.IntRange(min=1), metavar="SECONDES",
              help="Ouvrier : recommencer toutes les SECONDES secondes, jusqu'à l'arrêt (SIGTERM ou Ctrl-C).")
def run_command(names, due, dry_run, force, as_json, every):
    """Moissonne les sources NOM... (toutes les sources activées si aucune n'est nommée).

    Codes de sortie : 0 tout s'est terminé, 1 au moins un échec, 3 au moins un moissonnage
    suspendu par le disjoncteur (et aucun échec). Avec --due, une source qu'un autre processus
    moissonne déjà n'est pas un échec. Avec --every : 0 si l'arrêt arrive entre deux passages,
    1 s'il interrompt un moissonnage (sa tâche est close, le catalogue n'a pas été modifié).
    """
    from harvesters.termination import sigterm_interrupts

    if force and (every is not None or due or not names):
        # The breaker is an operator's decision about one source they have checked, not a setting.
        raise click.UsageError("--force s'applique à des sources nommées et vérifiées, "
                               "pas avec --due, --every ni à toutes les sources.")
    with sigterm_interrupts():
        if every is None:
            sys.exit(_run_cycle(names, due, dry_run, force, as_json))
        _work(names, due, dry_run, force, "lines" if as_json else None, every)


def _work(names, due, dry_run, force, as_json, every: int) -> None:
    """The worker's loop (docker-compose's `worker`): a cycle, a pause, until stopped. A cycle
    that cannot run (the catalog busy) is said and retried at the next one; stopping it between
    cycles is a clean exit, stopping it mid-harvest closes that harvest's job as interrupted.
    Its JSON is one summary per line, as each harvest ends: a log reader follows a process
    that never ends, it cannot wait for an array to close."""
    import time

    from harvesters.termination import termination_requested

    while True:
        try:
            _run_cycle(names, due, dry_run, force, as_json)
        except KeyboardInterrupt:
            click.echo("Arrêt demandé pendant un passage : l'ouvrier s'arrête. Un moissonnage interrompu "
                       "n'a rien modifié et sa tâche le dit (maillage jobs list).", err=True)
            sys.exit(1)
        except UnknownSource:
            raise  # the worker's own command line is wrong: no later cycle will mend it
        except click.ClickException as exc:
            click.secho(f"Erreur : {exc.message} Nouvel essai dans {every} s.", fg="red", err=True)
        except Exception:  # noqa: BLE001 - a bug must not stop every source's schedule: logged, retried
            traceback.print_exc()
            click.secho(f"Erreur interne (voir ci-dessus). Nouvel essai dans {every} s.", fg="red", err=True)
        try:
            if termination_requested():  # its exception was lost in the cycle: stop all the same
                raise KeyboardInterrupt
            time.sleep(every)
        except KeyboardInterrupt:
            click.echo("Arrêt demandé : l'ouvrier s'arrête.", err=True)
            sys.exit(0)


def _run_cycle(names, due, dry_run, force, as_json) -> int:
    """Run the sources asked for once; print their summaries (`as_json`: "lines" prints each as
    it ends, on one line; otherwise true prints them all as one array); return the worst exit code."""
    from catalog.clock import utcnow
    from catalog.db import get_engine
    from catalog.sources import UnknownSource as SourceRemoved
    from catalog.sources import get_source, list_sources
    from harvesters.engine import (
        JobSummary,
        crashed_job,
        environment_failure,
        failure_reason,
        harvest_source,
        reap_interrupted_jobs,
    )

    engine = get_engine()
    try:
        reap_interrupted_jobs(engine)  # a run killed earlier no longer blocks its source
    except Exception as exc:
        reason = environment_failure(exc)
        if reason is None:
            raise
        raise click.ClickException(f"Aucune source moissonnée. {reason}") from exc
    if names:
        specs = []
        for name in names:
            spec = get_source(engine, name)
            if spec is None:
                raise UnknownSource(name)
            specs.append(spec)
    else:
        specs = [spec for spec in list_sources(engine) if spec.enabled]
    if due:
        now = utcnow()
        running = _running_sources(engine)
        specs = [s for s in specs if s.name not in running and _due(s, _last_run_at(engine, s.name), now)]
    summaries: list[dict[str, Any]] = []
    worst = 0
    for spec in specs:
        try:
            summary = harvest_source(spec.name, dry_run=dry_run, force=force,
                                     progress=not as_json and sys.stderr.isatty()).as_dict()
        except SourceRemoved as exc:  # `sources remove` since it was listed
            summary = JobSummary.failed(spec.name, spec.format, dry_run, str(exc)).as_dict()
        except Exception as exc:  # noqa: BLE001 (a bug in one harvester must not stop the others' runs)
            job = crashed_job(exc)  # recorded and rolled back, or stopped before its job was
            message = failure_reason(exc) + ("" if job is None else " Le catalogue n'a pas été modifié.")
            summary = JobSummary.failed(spec.name, spec.format, dry_run, message, job).as_dict()
        summaries.append(summary)
        # Under --due, a run refused because another worker started the source a moment
        # earlier is that worker's run, not a failure: cron must not report it.
        code = 0 if due and summary.get("refused") else EXIT_CODES.get(summary["status"], 1)
        worst = 1 if 1 in (worst, code) else max(worst, code)
        if as_json == "lines":
            echo_json_line(summary)
        elif not as_json:
            if code == 0 and summary.get("refused"):
                click.echo(f"Source « {spec.name} » : {summary['message']}")
            elif summary["job"] is None:
                click.secho(f"Source « {spec.name} » : {summary['message']}", fg="red")
            else:
                echo_job_summary(summary)
            click.echo()
    if as_json == "lines":
        pass  # each summary is out already; a line of prose would break the readers of NDJSON
    elif as_json:
        echo_json(summaries)
    elif not specs:
        click.echo("Aucune source à moissonner maintenant." if due else "Aucune source activée.")
    return worst


# -- helpers ---------------------------------------------------------------------------------

def _last_run_at(engine, name: str):
    """When the last real (not dry-run) job of the source started: its schedule counts from there."""
    from sqlalchemy import select

    from catalog.models import HarvestJob

    jobs = HarvestJob.__table__
    with engine.connect() as conn:
        return conn.execute(select(jobs.c.created_at).where(jobs.c.source == name, jobs.c.dry_run.is_(False))
                            .order_by(jobs.c.id.desc()).limit(1)).scalar()


def _due(spec, last_run_at, now) -> bool:
    from catalog.sources import is_due

    try:
        return is_due(spec, last_run_at, now)
    except ValueError as exc:  # a schedule written elsewhere (API, database) that does not parse
        click.secho(f"Source « {spec.name} » ignorée : {exc}", fg="red", err=True)
        return False


def _running_sources(engine) -> set[str]:
    from sqlalchemy import select

    from catalog.models import HarvestJob
    from harvesters.engine import PENDING, RUNNING

    jobs = HarvestJob.__table__
    with engine.connect() as conn:
        return set(conn.execute(select(jobs.c.source).where(jobs.c.status.in_([PENDING, RUNNING]))).scalars())


def _describe(engine, spec) -> dict[str, Any]:
    from catalog.sources import next_due
    from harvesters.jobs import list_jobs, source_health

    last = next(iter(list_jobs(engine, source=spec.name, limit=1)), None)
    try:
        due = next_due(spec, _last_run_at(engine, spec.name))
    except ValueError:
        due = None  # shown as not scheduled; `sources run --due` says why
    return {
        "name": spec.name, "title": spec.title, "format": spec.format, "location": spec.location,
        "credentials_env": spec.credentials_ref, "schedule": spec.schedule, "grace_days": spec.grace_days,
        "archive_threshold": spec.archive_threshold, "options": spec.options, "enabled": spec.enabled,
        "last_job": last, **source_health(engine, spec.name),
        "next_due": None if due is None else ("maintenant" if due.year == 1 else due.isoformat()),
    }


def _schedule_label(schedule: str | None) -> str:
    labels = {"hourly": "toutes les heures", "daily": "chaque jour à 3 h", "weekly": "chaque lundi à 3 h",
              "monthly": "le 1er du mois à 3 h"}
    if not schedule:
        return "aucune (à la demande)"
    return labels.get(schedule.strip().lower().lstrip("@"), f"cron « {schedule} »")


def _last_job_label(job: dict | None) -> str:
    from harvesters.engine import STATUS_LABELS

    if not job:
        return "jamais"
    dry = " (essai à blanc)" if job.get("dry_run") else ""
    return f"{_job_when(job)} — {STATUS_LABELS.get(job['status'], job['status'])}{dry}"


def _job_when(job: dict) -> str:
    """« n°12 du 24/11/2026 04:29 », in the schedules' time zone."""
    from datetime import datetime

    from catalog.sources import schedule_timezone

    created = datetime.fromisoformat(job["created_at"])
    local = (created if created.tzinfo else created.replace(tzinfo=UTC)).astimezone(schedule_timezone())
    return f"n°{job['job']} du {local:%d/%m/%Y %H:%M}"


def _failing_label(source: dict) -> str | None:
    """For a source whose last real runs did not go through: since when, and how old its
    records in the catalog are (those of its last successful run)."""
    failures = source["failures_since_success"]
    if not failures:
        return None
    since = "le dernier moissonnage" if failures == 1 else f"{failures} moissonnages"
    success = source["last_success"]
    if success is None:
        return f"En échec depuis {since}, jamais réussie : aucune fiche n'en vient."
    return f"En échec depuis {since} : ses fiches sont celles du moissonnage réussi {_job_when(success)}."


def _due_label(source: dict) -> str:
    from datetime import datetime

    from catalog.sources import schedule_timezone

    due = source.get("next_due")
    if due is None:
        return "non planifiée" if source.get("enabled") else "désactivée"
    if due == "maintenant":
        return "dès le prochain passage"
    return datetime.fromisoformat(due).astimezone(schedule_timezone()).strftime("%d/%m/%Y %H:%M")
