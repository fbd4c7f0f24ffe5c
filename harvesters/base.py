"""What every harvester is: something that reads a source and yields items to the engine.

A harvester knows its source format and nothing else. It yields `Item`s whose `row` is named
after our schema's fields (the mapping); the engine validates, identifies, writes, archives and
reports. An item the harvester cannot map carries `problems` instead of a row: it is reported,
and the rest flows. A source that cannot be read at all raises `UnusableInput`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from catalog.clock import utcnow
from catalog.config import Settings
from catalog.errors import UnusableInput
from catalog.territories import Territories
from catalog.validation import Problem
from harvesters.http import unsendable_character


def file_date(path: Path) -> date:
    """The date of records a file gives none: the file's modification day, never after today (a
    download's is its server's `Last-Modified`, see `HttpClient.download`)."""
    return min(datetime.fromtimestamp(path.stat().st_mtime, UTC).date(), utcnow().date())


def date_maj_option(options: dict[str, Any]) -> date | None:
    """The `date_maj` option (AAAA-MM-JJ): the date of records whose source gives none."""
    raw = options.get("date_maj")
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise UnusableInput(f"Option date_maj illisible (« {raw} ») : AAAA-MM-JJ attendu.") from None


def list_option(value: Any) -> list[str] | None:
    """A list-valued format option as it arrives: a list (a registered source's JSON options) or
    a comma-separated text (`--option kinds=structure,service`: the command line gives only
    text, which read as a list would be its letters); items stripped, empty ones dropped. None
    when `value` is neither a list nor a text."""
    if isinstance(value, str):
        parts: Any = value.split(",")
    elif isinstance(value, list | tuple):
        parts = value
    else:
        return None
    return [text for part in parts if (text := str(part).strip())]


@dataclass(slots=True)
class Item:
    kind: str
    row: dict[str, Any] | None
    reference: str = ""  # where a person finds it in the source: "ligne 12", "formation 03_123"
    problems: list[Problem] = field(default_factory=list)
    # The catalog id (`qualified_id(...)`) of an item that could not be mapped, so that a record
    # already in the catalog still counts as present in the source (never archived for a defect).
    id_hint: str | None = None
    # What a person should know about an item that maps (e.g. a condition kept as text only
    # because the schema cannot hold it): reported as a warning, the record is written.
    warnings: list[Problem] = field(default_factory=list)
    # The source may have been cut inside this item (the last row of a CSV file, or an aides-jeunes
    # file, without a final line break): it must not shorten the record it updates (cut_short.py),
    # or change it at all (`Harvester.cut_short_refuses_any_change`).
    cut_short: bool = False
    # `validator_for(kind).check(row)`, when the item was read in a child process
    # (harvesters/child_reader.py): the parent, which writes and indexes, then need not.
    checked: tuple[dict[str, Any], list[Problem]] | None = None


class Harvester:
    """Base class: subclasses set `format`, `kinds`, and implement `items()`."""

    format: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]]
    default_source: ClassVar[str]
    # Name of the environment variable holding the credential, when the format needs one.
    credentials_env: ClassVar[str | None] = None
    # The format's official hosts: the only ones `credentials_env` is ever sent to (over https).
    # Any other host (a partner's copy of the API, a source a DCAT catalog registered) gets a
    # credential only from a variable its source names itself (--token-env).
    credentials_hosts: ClassVar[tuple[str, ...]] = ()
    # True for a harvester whose `items()` reads its source and nothing else (no catalog, no
    # territories): the engine may then run it in a child process (harvesters/child_reader.py).
    reads_in_child: ClassVar[bool] = False
    # What an item marked `cut_short` may not do to its published record: shorten it (files that
    # honest exports also leave without a final line break), or change it at all (files that are
    # always written with one, where the mapping may hide a cut behind another field).
    cut_short_refuses_any_change: ClassVar[bool] = False

    def __init__(self, location: str, *, options: dict[str, Any] | None = None, credentials: str | None = None):
        self.location = location
        self.options = options or {}
        self._credentials = credentials
        # Where the credential comes from, for messages: the source's own variable when it has
        # one (`build_harvester`), else the format's for its official hosts, else none.
        self.token_variable = self.default_token_variable(location)
        # The variable the source itself names (--token-env), set by `build_harvester`: the run
        # reads that one only, and fails naming it when it is not set (`missing_token`).
        self.token_named: str | None = None
        # Set by the engine before `items()`: the registered source this run is for, and the
        # settings of the catalog it writes to.
        self.source_name: str | None = None
        self.settings: Settings | None = None

    @property
    def credentials(self) -> str | None:
        """The credential, when the run asks for it. One that no HTTP header can carry (a
        typographic apostrophe pasted with it) fails the run there, naming its variable and never
        showing its value: `items()` runs under the engine, which reports the failure."""
        found = unsendable_character(self._credentials) if self._credentials else None
        if found:
            position, char = found
            raise UnusableInput(
                f"Jeton d'accès inutilisable : la valeur de la variable {self.token_variable or 'du jeton'} contient "
                f"un caractère qu'un en-tête HTTP ne peut pas porter ({char}, {position}{'er' if position == 1 else 'e'}"
                " caractère). Recopiez le jeton, sans apostrophe typographique, espace insécable ni retour à la ligne.")
        return self._credentials

    @credentials.setter
    def credentials(self, value: str | None) -> None:
        self._credentials = value

    @classmethod
    def default_token_variable(cls, location: str) -> str | None:
        """`credentials_env` when `location` is one of the format's official hosts over https, else
        None: the operator's own account must not be lent to whatever address a source (or a
        partner's catalog) names."""
        try:
            parts = urlsplit(location.strip())
        except ValueError:  # a malformed address: the run refuses it (engine), and lends it nothing
            return None
        host = (parts.hostname or "").rstrip(".").lower()
        return cls.credentials_env if parts.scheme == "https" and host in cls.credentials_hosts else None

    def missing_token(self) -> str | None:
        """Why the run cannot start, when the source names a variable for its token that this
        process does not have: every format, not only those that need a token to read at all."""
        if self.token_named and not self._credentials:
            return (f"Jeton d'accès manquant : la variable {self.token_named}, que la source nomme pour son jeton "
                    "(--token-env), n'est pas définie pour ce processus (cron, service, conteneur). Rien n'a été lu.")
        return None

    def token_hint(self) -> str:
        """Where the credential of this source is to be put, for a French message."""
        if self.token_variable:
            return f"la variable {self.token_variable} (ou --token-env)"
        if self.credentials_env:
            return (f"une variable propre à cette source, nommée avec --token-env : {self.credentials_env} n'est "
                    f"envoyé qu'à {', '.join(self.credentials_hosts)}")
        return "une variable nommée avec --token-env"

    def territories(self) -> Territories:
        """The catalog's territory tables (empty when they are not loaded), for mappings that
        resolve codes or names (EPCI SIREN, région → départements...)."""
        from sqlalchemy.exc import SQLAlchemyError

        from catalog.config import load_settings
        from catalog.db import get_engine
        from catalog.territories import get_territories

        try:
            return get_territories(get_engine(self.settings or load_settings()))
        except SQLAlchemyError:
            return Territories()

    def items(self) -> Iterator[Item]:
        raise NotImplementedError

    def covered_kinds(self) -> tuple[str, ...]:
        """The kinds this run speaks for completely, asked after `items()` is exhausted.

        Records of these kinds that the run did not see have vanished from the source. A file
        of services says nothing about structures: such a harvester returns ("service",).
        """
        return self.kinds

    def run_notes(self) -> list[str]:
        """What the run tells its operator beyond each record's problems, in French sentences,
        asked after `items()` is exhausted: why nothing was archived (a source that announced
        more than it gave), what the whole feed lacked. They open the job's message."""
        return []

    # Progress, when the harvester can tell (bytes of a file, pages of an API).
    def progress_total(self) -> int | None:
        return None

    def progress_done(self) -> int | None:
        return None
