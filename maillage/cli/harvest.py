"""`maillage harvest FORMAT LOCATION`: run a harvest job now."""

from __future__ import annotations

import re
import sys

import click

from harvesters import FORMATS, harvester_class
from maillage.cli.output import echo_job_summary, echo_json

EXIT_CODES = {"done": 0, "done-with-errors": 0, "failed": 1, "held": 3}


def _parse_options(pairs: tuple[str, ...]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"« {pair} » : attendu CLÉ=VALEUR", param_hint="--option")
        options[key.strip()] = value.strip()
    return options


# Upper case, as POSIX names the environment's variables: most tokens (hexadecimal, base64,
# « ghp_… ») have a lower-case letter, a dash or a dot, so one pasted here is refused.
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_ENV_NAME_LENGTH = 200  # the catalog's column (source.credentials_ref)


def token_variable_name(ctx, param, value: str | None) -> str | None:
    """`--token-env`: the NAME of a variable. The token pasted in its place would be read as a
    name, then printed and stored in the job's message (« indiquez-le dans la variable <jeton> »)."""
    if value and (not _ENV_NAME.fullmatch(value) or len(value) > _ENV_NAME_LENGTH):
        raise click.BadParameter("le NOM d'une variable d'environnement, en majuscules (A-Z, chiffres, _ : "
                                 "JETON_PARTENAIRE), jamais le jeton lui-même.")
    return value


# A source's name goes into record ids (« nom--id ») and addresses: one spelling, whether the
# source is registered (`sources add`) or named for one harvest (`harvest --source`).
_SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")


def checked_source_name(ctx, param, value: str | None) -> str | None:
    if value is not None and not _SOURCE_NAME.fullmatch(value):
        raise click.BadParameter(f"« {value} » : minuscules, chiffres, « - », « _ » ou « . », 100 caractères au "
                                 "plus.")
    return value


@click.command("harvest")
@click.argument("format_name", metavar="FORMAT", type=click.Choice(sorted(FORMATS)))
@click.argument("location", metavar="EMPLACEMENT")
@click.option("--source", "source_name", callback=checked_source_name,
              help="Nom de la source dans Maillage (par défaut : celui que donne le format, par exemple « lheo »).")
@click.option("--dry-run", is_flag=True, help="Essai à blanc : produit le rapport, n'enregistre rien.")
@click.option("--force", is_flag=True, help="Appliquer même si le disjoncteur d'archivage se déclenche.")
@click.option("--option", "options", multiple=True, metavar="CLÉ=VALEUR", help="Option du format (répétable).")
@click.option("--token-env", callback=token_variable_name,
              help="NOM de la variable d'environnement qui contient le jeton d'accès (jamais le jeton).")
@click.option("--json", "as_json", is_flag=True, help="Affiche le résumé du travail en JSON (scripts, cron).")
def command(format_name, location, source_name, dry_run, force, options, token_env, as_json):
    """Moissonne EMPLACEMENT (fichier ou URL) au format FORMAT.

    Codes de sortie : 0 terminé (éventuellement avec des enregistrements invalides, voir le
    rapport), 1 échec (rien n'a été modifié), 3 suspendu par le disjoncteur (rien n'a été modifié).
    """
    from harvesters.engine import build_harvester, harvest
    from harvesters.termination import sigterm_interrupts
    harvester = build_harvester(harvester_class(format_name), location, options=_parse_options(options),
                                token_env=token_env)
    with sigterm_interrupts():
        summary = harvest(harvester, source=source_name, dry_run=dry_run, force=force,
                          progress=not as_json and sys.stderr.isatty())
    if as_json:
        echo_json(summary.as_dict())
    else:
        echo_job_summary(summary.as_dict())
    sys.exit(EXIT_CODES.get(summary.status, 1))
