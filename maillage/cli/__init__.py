"""`maillage` command line. Each sub-command lives in its own module of this package and
exposes a click command or group named `command`; the list below is the only registry."""

from __future__ import annotations

import importlib

import click

from maillage.cli import french

french.install()  # before any command is built: Click's own words (usage, errors) in French

COMMAND_MODULES = [
    "maillage.cli.validate",
    "maillage.cli.harvest",
    "maillage.cli.jobs",
    "maillage.cli.sources",
    "maillage.cli.demo",
    "maillage.cli.search",
    "maillage.cli.index",
    "maillage.cli.territories",
    "maillage.cli.serve",
]


class _Commands(click.Group):
    def invoke(self, ctx: click.Context):
        from catalog.config import SettingError

        try:
            return super().invoke(ctx)
        except SettingError as exc:  # « MAILLAGE_GRACE_DAYS=abc »: said in French, not a traceback
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Maillage : le commun des solutions locales d'emploi et d'insertion."""


for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        # Only tolerate a sub-command module that does not exist yet, never a broken import.
        if exc.name != _name:
            raise
        continue
    main.add_command(_module.command)
