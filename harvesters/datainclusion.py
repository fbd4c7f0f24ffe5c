"""data·inclusion, schema v1: the national aggregation of services d'insertion.

Two ways in, same records (our `structure` and `service` schemas are data·inclusion v1):

- the API (`https://api.data.inclusion.gouv.fr`): `GET /api/v1/structures` and
  `GET /api/v1/services`, bearer token, paged with `page` (from 1) and `size`; each page is
  `{"items": [...], "total": n, "page": p, "size": s, "pages": k}`. Optional `sources` filter
  (a producer slug, e.g. `dora`). Items carry extra computed fields (`score_qualite`,
  `adresse_certifiee`...) that are not part of the schema and are ignored by validation.
- the bulk files (`structures.*` / `services.*`, as published on data.gouv.fr): JSON array,
  NDJSON, CSV (array cells as JSON text) or Parquet, local or by URL. A bulk file holds one kind,
  told by its name or by its columns (a service has a `structure_id`); the run speaks for that
  kind only. A URL without one of those extensions is the API, unless the option `format` names
  the file's format (data.gouv.fr's stable links, `/datasets/r/<id>`, have none).

The option `kinds` (API) narrows the run: a list, or `--option kinds=service` (comma-separated).

Identifiers are already qualified (`dora--1234`) in data·inclusion; the engine keeps them.

A record that carries `contact_public` (schema v0's field; a v1 file or page may still hold it)
keeps its contact's name, e-mail and phone only when it is true, as DORA's harvester does. v1
dropped the field, so a record without it keeps them (the name is never published anyway,
`catalog.privacy`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from catalog.errors import UnusableInput
from catalog.privacy import as_promised
from catalog.tabular import UnterminatedRow, detect_format, iter_rows
from harvesters.base import Harvester, Item, list_option
from harvesters.http import HttpClient, is_url, local_copy
from harvesters.paging import announced, page_size, refuse_endless, short_read
from schemas import field_names

API_ENDPOINTS = {"structure": "/api/v1/structures", "service": "/api/v1/services"}
BULK_SUFFIXES = (".json", ".ndjson", ".jsonl", ".csv", ".parquet")


class DataInclusionHarvester(Harvester):
    format: ClassVar[str] = "datainclusion"
    kinds: ClassVar[tuple[str, ...]] = ("structure", "service")
    default_source: ClassVar[str] = "datainclusion"
    credentials_env: ClassVar[str] = "DATAINCLUSION_API_TOKEN"
    credentials_hosts: ClassVar[tuple[str, ...]] = (
        "api.data.inclusion.gouv.fr", "api-staging.data.inclusion.gouv.fr",
        "api.data.inclusion.beta.gouv.fr", "api-staging.data.inclusion.beta.gouv.fr",
    )

    def __init__(self, location: str, *, options: dict[str, Any] | None = None, credentials: str | None = None):
        super().__init__(location, options=options, credentials=credentials)
        self._covered: tuple[str, ...] = ()
        self._size: int | None = None
        self._done = 0
        self._notes: list[str] = []

    def items(self) -> Iterator[Item]:
        # A bulk file's URL may have no extension (data.gouv.fr's `/datasets/r/<id>`): `format` says it is one.
        bulk = self.options.get("format") or urlsplit(self.location).path.lower().endswith(BULK_SUFFIXES)
        if is_url(self.location) and not bulk:
            yield from self._api_items()
        else:
            yield from self._bulk_items()

    def covered_kinds(self) -> tuple[str, ...]:
        return self._covered

    def run_notes(self) -> list[str]:
        return self._notes

    def progress_total(self) -> int | None:
        return self._size

    def progress_done(self) -> int | None:
        return self._done

    # -- API -----------------------------------------------------------------------------------

    def _api_items(self) -> Iterator[Item]:
        token = self.credentials or os.environ.get(self.token_variable or "")
        client = HttpClient(token=token)
        base = self.location.rstrip("/")
        size = page_size(self.options, 1000)
        kinds = kinds_option(self.options.get("kinds"), self.kinds)
        self._size = 0
        for kind in kinds:
            params: dict[str, Any] = {"size": size}
            if self.options.get("sources"):
                params["sources"] = self.options["sources"]
            page, pages = 1, 1
            total, distinct = None, set()
            while page <= pages:
                where = f"{base}{API_ENDPOINTS[kind]} page {page}"
                body = client.get_json(base + API_ENDPOINTS[kind], params | {"page": page})
                if not isinstance(body, dict) or not isinstance(body.get("items"), list):
                    raise UnusableInput(f"{where} : réponse inattendue (pas de liste « items »).")
                pages = announced(body, "pages", where) or 1
                refuse_endless(pages, where)  # announced: the loop reads no further
                if page == 1:
                    total = announced(body, "total", where)
                    self._size += total or 0
                for rank, row in enumerate(body["items"], start=1):
                    if not isinstance(row, dict):  # as in a file (catalog.tabular): the page is not what it says
                        raise UnusableInput(f"{where} : l'élément n°{rank} n'est pas un objet JSON.")
                    self._done += 1
                    distinct.add((str(row.get("source")), str(row.get("id"))))
                    yield Item(kind, as_promised(row), reference=f"{kind}s page {page}, élément {rank}")
                page += 1
            # Only a kind read to its last page, every record its first page announced met, speaks
            # for the whole source: a later page announcing fewer pages ended the read early.
            if note := short_read(f"« {kind} »", len(distinct), total):
                self._notes.append(note)
            else:
                self._covered += (kind,)

    # -- bulk files ----------------------------------------------------------------------------

    def _bulk_items(self) -> Iterator[Item]:
        with local_copy(self.location) as path:
            fmt = self.options.get("format") or detect_format(path)
            rows = iter_rows(path, fmt, encoding=self.options.get("encoding", "utf-8"))
            first = next(rows, None)
            if first is None:
                raise UnusableInput(f"{path.name} ne contient aucun enregistrement.")
            kind = self.options.get("kind") or _kind_of(path, first[1])
            if kind not in self.kinds:  # « formation » would have published services as trainings
                raise UnusableInput(f"Option kind : « {kind} » inconnu ; un fichier data·inclusion porte des "
                                    f"{' ou des '.join(k + 's' for k in self.kinds)} (kind=structure ou kind=service).")
            _check_layout(path.name, kind, first[1])
            self._covered = (kind,)
            for position, row in chain([first], rows):
                self._done += 1
                yield Item(kind, as_promised(row), cut_short=isinstance(row, UnterminatedRow),
                           reference=f"ligne {position}" if fmt == "csv" else f"élément {position}")


def kinds_option(value: Any, known: tuple[str, ...]) -> tuple[str, ...]:
    """The option `kinds`: a list (a registered source's JSON options), or a comma-separated text
    as `--option kinds=service` gives it; every kind known, else the run is refused at once."""
    if value in (None, "", []):
        return known
    items = list_option(value)
    kinds = tuple(dict.fromkeys(items if items is not None else [str(value)]))
    unknown = [kind for kind in kinds if kind not in known]
    if unknown or not kinds:
        shown = ", ".join(f"« {kind} »" for kind in unknown) or "vide"
        raise UnusableInput(f"Option kinds : {shown} inconnu(s) ; types lus : {', '.join(known)} "
                            "(par exemple --option kinds=service ou kinds=structure,service).")
    return kinds


def _check_layout(name: str, kind: str, first_row: dict) -> None:
    """A file of another layout (a display export with labelled columns, a v0 file with other
    names) is refused as a whole, saying what it holds, rather than read as thousands of rows
    reported empty."""
    expected = field_names(kind)
    if not set(first_row) & set(expected):
        columns = list(first_row)
        shown = ", ".join(f"« {c} »" for c in columns[:6]) + (" …" if len(columns) > 6 else "")
        raise UnusableInput(
            f"{name} ne suit pas le schéma data·inclusion v1 ({kind}) : aucune de ses colonnes n'en "
            f"est un champ. Colonnes lues : {shown} ; attendues : {', '.join(expected[:6])}, …")


def _kind_of(path: Path, first_row: dict) -> str:
    name = path.name.lower()
    if "service" in name:
        return "service"
    if "structure" in name:
        return "structure"
    return "service" if "structure_id" in first_row else "structure"
