"""The per-record report of a harvest job: what happened to each item, and why.

Lines are spooled to a temporary file while the run's transaction is open (memory stays flat,
and a run that is rolled back — dry run, held, failed — still keeps its report), then stored
in `job_report_line` once the run is over. Errors are grouped by status, field and code, the
way people read them: « 12 services : thematiques hors référentiel (lignes 4, 9, 17…) ».
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

import orjson
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from catalog.db import storable_text
from catalog.models import JobReportLine
from catalog.validation import Problem

LINES = JobReportLine.__table__
MAX_EXAMPLES = 10
MAX_DISTINCT_MESSAGES = 50  # counted beyond the first: enough to say « et 50 autres », bounded memory

STATUS_LABELS = {
    "added": "ajouté",
    "updated": "modifié",
    "restored": "restauré",
    "invalid": "invalide",
    "conflict": "conflit",
    "missing": "absent de la source (délai de grâce)",
    "archived": "archivé",
    "warning": "avertissement",
}


@dataclass
class ErrorGroup:
    status: str
    kind: str | None
    field: str | None
    code: str | None
    message: str | None
    count: int = 0
    examples: list[str] = field(default_factory=list)  # references, e.g. "ligne 12"
    # The first message stands for the group; when its records say different things (three
    # unreadable YAML files, each for its own reason), the group says so instead of lending
    # the first one's reason to all.
    other_messages: int = 0
    _seen_messages: set = field(default_factory=set, repr=False)

    def add_message(self, message: str | None) -> None:
        if (message != self.message and message not in self._seen_messages
                and len(self._seen_messages) < MAX_DISTINCT_MESSAGES):
            self._seen_messages.add(message)
            self.other_messages += 1

    def as_dict(self) -> dict:
        return {
            "statut": self.status,
            "type": self.kind,
            "champ": self.field,
            "code": self.code,
            "message": self.message,
            "nombre": self.count,
            "exemples": self.examples,
            "autres_messages": self.other_messages,
        }


class ReportSpool:
    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the spool
        self._groups: dict[tuple, ErrorGroup] = {}
        self._discarded: set[str] = set()
        self.lines = 0

    def add(
        self,
        *,
        position: int,
        kind: str | None,
        record_id: str | None,
        reference: str,
        status: str,
        problems: Iterable[Problem] = (),
        detail: str | None = None,
    ) -> None:
        errors = [
            {"champ": p.field, "code": p.code, "message": p.message}
            for p in problems
        ]
        if detail:
            errors.append({"champ": None, "code": status, "message": detail})
        self._file.write(
            orjson.dumps([position, kind, record_id, reference, status, errors]) + b"\n"
        )
        self.lines += 1
        self._count(kind, status, reference or record_id or str(position), errors)

    def _count(self, kind: str | None, status: str, where: str, errors: list[dict]) -> None:
        # One group per (status, kind, field, code); the first message seen stands for it, and
        # the group counts the others (`ErrorGroup.add_message`).
        keys = {(e["champ"], e["code"]): e["message"] for e in reversed(errors)} or {(None, None): None}
        for (champ, code), message in keys.items():
            key = (status, kind, champ, code)
            group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = ErrorGroup(status, kind, champ, code, message)
            else:
                group.add_message(message)
            group.count += 1
            if len(group.examples) < MAX_EXAMPLES:
                group.examples.append(where)

    def count_line(self, line: dict) -> None:
        """Group a stored line (from `iter_lines`) without spooling it again."""
        where = line["reference"] or line["record_id"] or str(line["position"])
        self._count(line["kind"], line["status"], where, line["errors"])

    def groups(self) -> list[ErrorGroup]:
        return sorted(self._groups.values(), key=lambda g: (-g.count, g.status, g.field or ""))

    def discard(self, statuses: Iterable[str]) -> None:
        """Leave lines of these statuses out of what is stored and grouped: the « ajouté » of a
        run that failed, and so wrote nothing."""
        self._discarded.update(statuses)
        self._groups = {key: group for key, group in self._groups.items() if key[0] not in self._discarded}

    def persist(self, conn: Connection, job_id: int, chunk: int = 5000) -> None:
        self._file.seek(0)
        batch = []
        for raw in self._file:
            position, kind, record_id, reference, status, errors = orjson.loads(raw)
            if status in self._discarded:
                continue
            batch.append(
                {
                    "job_id": job_id,
                    "position": position,
                    "kind": kind,
                    "record_id": storable_text(record_id),
                    "reference": storable_text(reference),
                    "status": status,
                    "errors": orjson.dumps(errors).decode(),
                }
            )
            if len(batch) >= chunk:
                conn.execute(insert(LINES), batch)
                batch = []
        if batch:
            conn.execute(insert(LINES), batch)

    def close(self) -> None:
        self._file.close()


def iter_lines(conn: Connection, job_id: int, statuses: Iterable[str] | None = None) -> Iterator[dict]:
    query = select(LINES).where(LINES.c.job_id == job_id).order_by(LINES.c.position, LINES.c.id)
    if statuses:
        query = query.where(LINES.c.status.in_(list(statuses)))
    for row in conn.execute(query).mappings():
        yield dict(row) | {"errors": orjson.loads(row["errors"])}


CSV_COLUMNS = ["position", "reference", "type", "identifiant", "statut", "champ", "code", "message"]


def write_csv(lines: Iterable[dict], out: IO[str]) -> int:
    """One CSV row per error (a line without error gives one row), for spreadsheets."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    written = 0
    for line in lines:
        errors = line["errors"] or [{"champ": None, "code": None, "message": None}]
        for error in errors:
            writer.writerow(
                [
                    line["position"],
                    *map(_inert, (line["reference"], line["kind"], line["record_id"], line["status"],
                                  error["champ"], error["code"], error["message"])),
                ]
            )
            written += 1
    return written


def _inert(value: str | None) -> str:
    """A cell a spreadsheet shows as text. References and identifiers come from the source, and
    a cell starting with = + - @ would be run as a formula by whoever opens the report
    (« CSV injection »): such a cell starts with an apostrophe, which spreadsheets hide."""
    if not value:
        return ""
    return "'" + value if value[0] in "=+-@\t\r" else value
