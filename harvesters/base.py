"""What every harvester is: something that reads a source and yields items to the engine.

A harvester knows its source format and nothing else. It yields `Item`s whose `row` is named
after our schema's fields (the mapping); the engine validates, identifies, writes, archives and
reports. An item the harvester cannot map carries `problems` instead of a row: it is reported,
and the rest flows. A source that cannot be read at all raises `UnusableInput`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from catalog.config import Settings
from catalog.territories import Territories
from catalog.validation import Problem


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


class Harvester:
    """Base class: subclasses set `format`, `kinds`, and implement `items()`."""

    format: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]]
    default_source: ClassVar[str]
    # Name of the environment variable holding the credential, when the format needs one.
    credentials_env: ClassVar[str | None] = None
    # True for a harvester whose `items()` reads its source and nothing else (no catalog, no
    # territories): the engine may then run it in a child process (harvesters/child_reader.py).
    reads_in_child: ClassVar[bool] = False

    def __init__(self, location: str, *, options: dict[str, Any] | None = None, credentials: str | None = None):
        self.location = location
        self.options = options or {}
        self.credentials = credentials
        # Where the credential comes from, for messages: the source's own variable when it has
        # one (`build_harvester`), else the format's.
        self.token_variable = self.credentials_env
        # Set by the engine before `items()`: the registered source this run is for, and the
        # settings of the catalog it writes to.
        self.source_name: str | None = None
        self.settings: Settings | None = None

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

    # Progress, when the harvester can tell (bytes of a file, pages of an API).
    def progress_total(self) -> int | None:
        return None

    def progress_done(self) -> int | None:
        return None
