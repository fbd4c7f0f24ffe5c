"""The harvest engine, shared by every source format.

One run = one job, and one database transaction for everything it writes:

    read items → validate (compiled schema) → identify → write (store: change detection,
    revisions) → judge what vanished (per source *and* kind) → circuit breaker → archive
    after the grace period → commit, or roll back (dry run, held, failure, killed process).

So a malformed file, a truncated feed or a killed process leaves the catalog exactly as it was,
and a dry run reports precisely what a real run would do. The job row itself is written in
separate short transactions so its status is visible while the run goes on.
"""

from __future__ import annotations

import os
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from itertools import islice
from typing import Any

import orjson
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.engine import Connection, Engine

from catalog.child_iter import ChildKilled
from catalog.clock import utcnow
from catalog.collector import fewer_collections
from catalog.commit_beside import CommitBeside
from catalog.config import Settings, load_settings
from catalog.db import (
    catalog_busy,
    get_engine,
    lock_record_writers,
    sqlite_wait_seconds,
    storable_text,
    storage_full,
    writer_connection,
)
from catalog.errors import UnusableInput
from catalog.models import RECORD_ACTIVE, HarvestJob, Record, Source
from catalog.records import ID_SEPARATOR, qualified_id
from catalog.search.in_step import InStepIndex
from catalog.store import CONFLICT, UNCHANGED, Candidate, RecordWriter
from catalog.validation import Problem, validator_for
from catalog.wal import LogCopies
from harvesters import job_lease
from harvesters.base import Harvester, Item
from harvesters.child_reader import ChildItems, child_reading_enabled
from harvesters.cut_short import changed_fields, cut_fields, cut_short_problem, new_record_problem
from harvesters.http import is_url, sending_source_token, url_problem
from harvesters.report import ErrorGroup, ReportSpool
from harvesters.termination import TerminationRequested
from harvesters.text_hygiene import clean_items

JOBS = HarvestJob.__table__
CHILD_READ_BATCH = 250  # items written (and indexed) per batch when a child process reads the source
RECORDS = Record.__table__
ID_LENGTH, SOURCE_LENGTH = RECORDS.c.id.type.length, RECORDS.c.source.type.length

PENDING, RUNNING, DONE, DONE_WITH_ERRORS, FAILED, HELD = (
    "pending", "running", "done", "done-with-errors", "failed", "held",
)
STATUS_LABELS = {
    PENDING: "en attente",
    RUNNING: "en cours",
    DONE: "terminé",
    DONE_WITH_ERRORS: "terminé avec erreurs",
    FAILED: "échoué",
    HELD: "suspendu (à vérifier)",
}
COUNT_NAMES = ("read", "added", "updated", "unchanged", "invalid", "archived", "missing", "restored", "warnings")
# What a run does to the catalog. A failed run's transaction is rolled back, so none of it
# happened: its job says « 0 ajoutés », not what it had counted before failing. What it read
# and the problems it found in the source stay (they are true of the source).
WRITE_OUTCOMES = ("added", "updated", "unchanged", "restored", "missing", "archived")
NO_ROOM = "Plus de place pour écrire (disque ou base de données pleins) : libérez de l'espace, puis relancez."
# SQLite: a job still "running" after this long, whatever its host, is considered dead (on
# PostgreSQL its lease tells, see job_lease.py).
STALE_AFTER = timedelta(hours=24)


def as_sentence(text: str) -> str:
    """`text` ending as a sentence does, so that what follows it reads as the next one
    (« Fichier introuvable : x.csv. Le catalogue n'a pas été modifié. »)."""
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def failure_reason(exc: BaseException) -> str:
    """Why a run stopped on `exc`, in French, for its job."""
    if isinstance(exc, TerminationRequested):
        return "Arrêté par le système (SIGTERM : arrêt du service ou du conteneur)."
    if isinstance(exc, KeyboardInterrupt):
        return "Interrompu à la demande (Ctrl-C)."
    return environment_failure(exc) or f"Erreur interne ({type(exc).__name__}: {exc})."


def crashed_job(exc: BaseException) -> int | None:
    """The job a bug stopped (recorded and closed as failed), or None when it stopped before one."""
    return getattr(exc, "maillage_job_id", None)


def environment_failure(exc: BaseException) -> str | None:
    """What to tell the operator when `exc` is the machine's doing, not a bug: no room left to
    write, the catalog held by another writer for longer than SQLite waits, or the reading
    process killed by the system (out of memory). None: a bug."""
    if isinstance(exc, ChildKilled):
        return str(exc)
    if storage_full(exc):
        return NO_ROOM
    if catalog_busy(exc):
        return (f"Le catalogue est occupé par une autre écriture (un autre moissonnage ?) depuis plus de "
                f"{sqlite_wait_seconds():.0f} s : relancez quand elle sera finie.")
    return None


@dataclass
class SourcePolicy:
    """How cautiously a source is harvested (from its registration, or the defaults)."""

    name: str
    grace_days: int
    archive_threshold: float


@dataclass
class JobSummary:
    job_id: int | None  # None: not started, not even recorded (see `start_job`)
    source: str
    format: str
    status: str
    dry_run: bool
    kinds: list[str]
    counts: dict[str, int]
    message: str | None = None
    groups: list[ErrorGroup] = field(default_factory=list)
    refused: bool = False  # not run: another run of the source was under way

    @classmethod
    def failed(cls, source: str, format: str, dry_run: bool, message: str, job_id: int | None = None) -> JobSummary:
        """A run that read nothing: not started, its source gone, or stopped by a bug (`job_id`)."""
        return cls(job_id, source, format, FAILED, dry_run, [], dict.fromkeys(COUNT_NAMES, 0), message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job_id,
            "source": self.source,
            "format": self.format,
            "status": self.status,
            "dry_run": self.dry_run,
            "kinds": self.kinds,
            "counts": self.counts,
            "message": self.message,
            "errors": [g.as_dict() for g in self.groups if g.code is not None],
            "refused": self.refused,
        }


class HeldForReview(Exception):
    """The run would archive too large a share of a source's records: nothing is changed."""


class NotStarted(Exception):
    """The job could not even be recorded (no room, the catalog busy): nothing was read."""

    def summary(self, harvester: Harvester, source: str, dry_run: bool) -> JobSummary:
        return JobSummary.failed(source, harvester.format, dry_run, str(self))


def source_policy(engine: Engine, name: str, settings: Settings) -> SourcePolicy:
    with engine.connect() as conn:
        row = conn.execute(select(Source.__table__).where(Source.__table__.c.name == name)).first()
    if row is None:
        return SourcePolicy(name, settings.grace_days, settings.archive_threshold)
    return SourcePolicy(name, row.grace_days, row.archive_threshold)


def harvest(
    harvester: Harvester,
    *,
    source: str | None = None,
    settings: Settings | None = None,
    dry_run: bool = False,
    force: bool = False,
    progress: bool = False,
    batch_size: int = 1000,
) -> JobSummary:
    """Run `harvester` as a job of `source` and return its summary (never raises for bad input)."""
    if hasattr(harvester, "run_job"):
        # A harvester that writes sources, not records (DCAT), runs its own job: harvesters/dcat.py.
        return harvester.run_job(source=source, settings=settings, dry_run=dry_run, force=force, progress=progress)
    settings = settings or load_settings()
    engine = get_engine(settings)
    policy = source_policy(engine, source or harvester.default_source, settings)
    harvester.source_name, harvester.settings = policy.name, settings
    try:
        job_id = start_job(engine, harvester, policy.name, dry_run=dry_run, force=force)
    except NotStarted as not_started:
        return not_started.summary(harvester, policy.name, dry_run)
    run = _Run(engine, harvester, policy, job_id, dry_run=dry_run, force=force, batch_size=batch_size)
    # Two runs of one source at once (cron and a worker, two workers) would judge vanished
    # records against each other's writes: the later job gives way. Dry runs write nothing.
    busy = None if dry_run else earlier_active_job(engine, policy.name, job_id)
    if busy is not None:
        run.status, run.refused, run.message = FAILED, True, already_running(policy.name, busy)
        run.finish()
        return run.summary()
    try:
        run.execute(progress)
    except Exception as exc:
        # A bug: its job is closed as failed (below) and it is raised for its traceback, with the
        # job's number, so that `sources run` names the job it recorded (`crashed_job`).
        exc.maillage_job_id = job_id  # type: ignore[attr-defined]
        raise
    finally:
        try:
            run.finish()
        finally:
            run.log_copies.wait()
    if run.committed:
        _sync_search_index(settings, engine, run)
    return run.summary()


class _Run:
    def __init__(self, engine: Engine, harvester: Harvester, policy: SourcePolicy, job_id: int,
                 *, dry_run: bool, force: bool, batch_size: int) -> None:
        self.engine = engine
        self.harvester = harvester
        self.policy = policy
        self.job_id = job_id
        self.dry_run = dry_run
        self.force = force
        self.batch_size = batch_size
        self.now = utcnow()
        self.counts: Counter[str] = Counter({name: 0 for name in COUNT_NAMES})
        self.report = ReportSpool()
        self.status = RUNNING
        self.message: str | None = None
        self.kinds: list[str] = []
        self.committed = False
        self.log_copies = LogCopies()  # joined by harvest() once the job is recorded
        self.refused = False  # not run: another run of the source was under way
        self.position = 0
        self.conn: Connection | None = None
        self.row_sources: set[str] = set()  # the `source` of every row read so far
        self._catalog_sources: set[str] | None = None

    # -- the run -------------------------------------------------------------------------------

    def execute(self, progress: bool) -> None:
        with fewer_collections():
            in_transaction(self.engine, self.job_id, self, partial(self._read_and_write, progress=progress),
                           unchanged="Le catalogue n'a pas été modifié.")

    def _read_and_write(self, conn: Connection, transaction, progress: bool) -> None:
        if reason := self.harvester.missing_token():
            raise UnusableInput(reason)
        location = self.harvester.location
        if is_url(location) and (problem := url_problem(location)):
            raise UnusableInput(f"Adresse de la source mal formée : {problem}.")
        # A format with a token scheme of its own (data·inclusion, DORA, Aides-territoires) sends
        # its token itself; for the others, the token the source names goes as a bearer.
        own_scheme = self.harvester.credentials_env is not None
        with sending_source_token(None if own_scheme or not self.harvester.token_named
                                  else self.harvester.credentials, self.harvester.location):
            self._read_and_write_all(conn, transaction, progress)

    def _read_and_write_all(self, conn: Connection, transaction, progress: bool) -> None:
        self.conn = conn
        _create_seen_table(conn)
        active_before = {kind: _count_active(conn, self.policy.name, kind) for kind in self.harvester.kinds}
        writer = RecordWriter(conn, harvest_source=self.policy.name, author=f"moissonnage:{self.policy.name}",
                              now=self.now, job_id=self.job_id)
        # Opened under the record writers' lock, before the first write: catalog/search/in_step.py.
        index = InStepIndex.open(self.harvester.settings or load_settings(), self.engine, writes=not self.dry_run)
        try:
            size = self.batch_size
            if child_reading_enabled(self.harvester):  # the source is read beside writing and indexing
                in_child = ChildItems(self.harvester)
                items, done = iter(in_child), (lambda: in_child.progress)
                # Small batches: writing starts as soon as the child has read a few items, and
                # what is left once it has read the last is little.
                size = min(size, CHILD_READ_BATCH)
            else:
                items, done = clean_items(self.harvester.items()), self.harvester.progress_done
            with _progress_bar(progress, self.harvester, done) as advance:
                for batch in _batched(items, size):
                    self._process(conn, writer, batch)
                    index.follow(conn)
                    advance(len(batch))
            self.kinds = list(self.harvester.covered_kinds())
            self._judge_vanished(conn, writer, active_before)
            _drop_seen_table(conn)
            if self.dry_run:
                transaction.rollback()
            else:
                index.follow(conn)
                # The catalog commits in a thread while the index writes its last postings; each
                # log is then copied into its file in a thread of its own (catalog/wal.py) while
                # the index commits and the job is recorded.
                with self.log_copies.leaving_log(conn.connection.driver_connection, conn.invalidate):
                    commit = CommitBeside(transaction.commit)
                    try:
                        index.prepare()
                    finally:
                        self.committed = commit.wait()
                index.commit(self.log_copies)
        finally:
            index.rollback()  # unless committed above: the catalog's transaction did not commit
        self.status = DONE_WITH_ERRORS if self.counts["invalid"] else DONE
        said = [*self.harvester.run_notes(), *(["Essai à blanc : rien n'a été enregistré."] if self.dry_run else [])]
        self.message = " ".join(said) or None

    def _process(self, conn: Connection, writer: RecordWriter, items: list[Item]) -> None:
        entries = []
        first_position: dict[tuple[str, str], int] = {}
        for item in items:
            self.position += 1
            self.counts["read"] += 1
            key, problems, candidate = self._validate(item)
            if key is not None:
                if key in first_position:
                    problems, candidate = [_duplicate(key)], None
                else:
                    first_position[key] = self.position
            entries.append((self.position, item, key, problems, candidate))
        # Identifiers met in an earlier batch of this run are duplicates too.
        earlier = _already_seen(conn, first_position)
        _remember_seen(conn, [key for key in first_position if key not in earlier])
        to_write = []
        for position, item, key, problems, candidate in entries:
            if key in earlier and first_position[key] == position:
                problems, candidate = [_duplicate(key)], None
            if candidate is None:
                self.counts["invalid"] += 1
                self.report.add(position=position, kind=item.kind, record_id=key[1] if key else None,
                                reference=item.reference, status="invalid", problems=problems)
            else:
                to_write.append((position, item, candidate))
                if item.warnings:
                    self.counts["warnings"] += 1
                    self.report.add(position=position, kind=item.kind, record_id=key[1], reference=item.reference,
                                    status="warning", problems=item.warnings)
        to_write = self._refuse_cut_short(writer, to_write)
        outcomes = writer.write([candidate for _, _, candidate in to_write])
        for (position, item, _), outcome in zip(to_write, outcomes):
            if outcome.status == UNCHANGED:
                self.counts["unchanged"] += 1
                continue
            self.counts["invalid" if outcome.status == CONFLICT else outcome.status] += 1
            self.report.add(position=position, kind=item.kind, record_id=outcome.candidate.id,
                            reference=item.reference, status=outcome.status, detail=outcome.detail)

    def _refuse_cut_short(self, writer: RecordWriter, to_write: list) -> list:
        """`to_write` less the items the source may have cut short (`Item.cut_short`) that would
        shorten the record the catalog publishes, or change only its date, or (for a format whose
        files always end with a line break) change it at all (harvesters/cut_short.py): refused,
        their record stays as it was and counts as still in the source. A new record is written
        with a warning."""
        kept = []
        judge = changed_fields if self.harvester.cut_short_refuses_any_change else cut_fields
        for position, item, candidate in to_write:
            stored = writer.published_data(candidate.kind, candidate.id) if item.cut_short else None
            if stored:
                new = orjson.loads(candidate.canonical)  # compared as stored
                if fields := judge(stored, new):
                    self.counts["invalid"] += 1
                    self.report.add(position=position, kind=item.kind, record_id=candidate.id,
                                    reference=item.reference, status="invalid",
                                    problems=[cut_short_problem(fields, stored, new)])
                    continue
            elif item.cut_short:
                # Nothing to compare with: the new record is published, and the operator told to check it.
                self.counts["warnings"] += not item.warnings  # an item with warnings is counted once
                self.report.add(position=position, kind=item.kind, record_id=candidate.id,
                                reference=item.reference, status="warning", problems=[new_record_problem()])
            kept.append((position, item, candidate))
        return kept

    def _structure_reference(self, source: str, reference: str) -> str:
        """« mjc--13 » is a structure's own id (qualified: « cd35--mjc--13 », as its `id` was)
        unless « mjc » is a source: registered, in the catalog, or writing rows in this run."""
        other, separator, _ = reference.partition(ID_SEPARATOR)
        if separator and other != source and (other in self.row_sources or other in self._known_sources()):
            return reference
        return qualified_id(source, reference)

    def _known_sources(self) -> set[str]:
        """Sources with records in the catalog, or registered (read once, when first needed)."""
        if self._catalog_sources is None:
            assert self.conn is not None
            self._catalog_sources = {*self.conn.execute(select(Record.source).distinct()).scalars(),
                                     *self.conn.execute(select(Source.name)).scalars()}
        return self._catalog_sources

    def _validate(self, item: Item) -> tuple[tuple[str, str] | None, list[Problem], Candidate | None]:
        """The item's catalog key (when one can be told), its problems, and the candidate."""
        if item.row is None or item.problems:
            # An id no record can have (the columns' length, which PostgreSQL enforces) names none.
            key = (item.kind, item.id_hint) if item.id_hint and len(item.id_hint) <= ID_LENGTH else None
            return key, item.problems or [Problem(None, "unmapped", "Élément non reconnu.")], None
        data, problems = item.checked or validator_for(item.kind).check(item.row)
        source, raw_id = item.row.get("source"), item.row.get("id")
        if source:
            self.row_sources.add(str(source))
        key = (item.kind, qualified_id(str(source), str(raw_id))) if source and raw_id else None
        if key is not None and (len(key[1]) > ID_LENGTH or len(str(source)) > SOURCE_LENGTH):
            # The schemas set no length; the catalog's columns do (PostgreSQL enforces them).
            field = "source" if len(str(source)) > SOURCE_LENGTH else "id"
            return None, [Problem(field, "non-enregistrable", f"Fiche impossible à enregistrer telle quelle : "
                                  f"identifiant de plus de {ID_LENGTH} caractères ou source de plus de "
                                  f"{SOURCE_LENGTH}.")], None
        if problems or key is None:
            return key, problems, None
        data["id"] = key[1]
        # data·inclusion v1 links a service to its structure by the structure's catalog id
        # (« dora--lot-kitchen »): an id at the source is qualified as `id` is, an id already
        # naming a source (its own or another the catalog knows) is kept.
        reference = data.get("structure_id")
        if isinstance(reference, str) and reference.strip():
            data["structure_id"] = self._structure_reference(str(source), reference.strip())
        try:
            return key, [], Candidate.from_data(item.kind, data)
        except orjson.JSONEncodeError as exc:
            # Valid for the schema, not storable: an integer beyond 64 bits (« nombre_semaines »
            # 10²⁰), objects nested past JSON's depth limit. This record is refused, the rest flows.
            return key, [Problem(None, "non-enregistrable", f"Fiche impossible à enregistrer telle quelle : "
                                 f"{_json_limit(exc)}.")], None

    def _judge_vanished(self, conn: Connection, writer: RecordWriter, active_before: dict[str, int]) -> None:
        _forget_missing_seen(conn, self.policy.name)
        accepted_until = _last_forced_run(conn, self.policy.name)
        for kind in self.kinds:
            before = active_before.get(kind) or _count_active(conn, self.policy.name, kind)
            # Judged on every record gone and not yet archived, not only on those gone in this
            # run: a source shrinking by 25 % a run would otherwise lose 99 % of its records,
            # never held. Those an operator let go (gone before a forced run) no longer count,
            # neither as gone nor in the source's size: they must not hold every later run of
            # their source, nor let it lose half of what is left unheld.
            every_vanished = _count_vanished(conn, self.policy.name, kind)
            vanished = every_vanished if accepted_until is None else \
                _count_vanished(conn, self.policy.name, kind, accepted_until=accepted_until)
            live = before - (every_vanished - vanished)
            to_archive, newly_missing = self._vanished_by_grace(conn, kind)
            held = live > 0 and vanished / live > self.policy.archive_threshold and not self.force
            # What the run does, or would do once forced: said in the counts and the report either way.
            for id_ in newly_missing:
                self.report.add(position=0, kind=kind, record_id=id_, reference="", status="missing")
            for id_ in to_archive:
                self.report.add(position=0, kind=kind, record_id=id_, reference="", status="archived")
            self.counts["missing"] += len(newly_missing)
            self.counts["archived"] += len(to_archive)
            if held:
                earlier = vanished - _count_vanished(conn, self.policy.name, kind, newly=True)
                raise HeldForReview(
                    f"Exécution suspendue pour vérification : {vanished} enregistrement(s) « {kind} » sur "
                    f"{live} ({_percent(vanished / live)}) ont disparu de la source"
                    f"{f' (dont {earlier} déjà absent(s) aux moissonnages précédents)' if earlier else ''}, au-delà "
                    f"du seuil de {_percent(self.policy.archive_threshold)}. Rien n'a été modifié. Après "
                    "vérification de la source, relancez avec --force pour appliquer."
                )
            for chunk in _chunks(newly_missing, 500):
                writer.mark_missing(kind, chunk)
            for chunk in _chunks(to_archive, 500):
                writer.archive(kind, chunk)

    def _vanished_by_grace(self, conn: Connection, kind: str) -> tuple[list[str], list[str]]:
        """The source's records of `kind` gone from this run: (to archive, their grace over; to
        mark missing, still within it)."""
        grace = timedelta(days=self.policy.grace_days)
        to_archive, newly_missing = [], []
        for id_, missing_since in _iter_vanished(conn, self.policy.name, kind):
            # Counted back from now: a grace of 99,999,999 days (« never ») has no date to overflow.
            if self.policy.grace_days <= 0 or (missing_since is not None and self.now - missing_since >= grace):
                to_archive.append(id_)
            else:
                newly_missing.append(id_)
        return to_archive, newly_missing

    # -- bookkeeping ---------------------------------------------------------------------------

    def finish(self) -> None:
        if self.status == RUNNING:  # interrupted before execute() could say how it ended
            self.status = FAILED
        self.message, self.groups = close_job(
            self.engine, self.job_id, status=self.status, message=self.message, counts=self.counts,
            kinds=self.kinds, report=self.report, source=None if self.dry_run or self.refused else self.policy.name)

    def summary(self) -> JobSummary:
        return JobSummary(self.job_id, self.policy.name, self.harvester.format, self.status, self.dry_run,
                          self.kinds, dict(self.counts), self.message, self.groups, self.refused)


# -- helpers ---------------------------------------------------------------------------------

def in_transaction(engine: Engine, job_id: int, run: Any, body: Callable[[Connection, Any], None], *,
                   unchanged: str) -> None:
    """Run `body(conn, transaction)`, the work of a running job, in its write transaction, and
    set how it ended on `run` (its `status` and `message`; `unchanged` ends a failure's
    message). Whatever stops it rolls it back: held for review, unusable input, a full disk or
    a catalog busy (the operator's to mend, said so), a bug or Ctrl-C (recorded, then raised)."""
    conn = transaction = None
    try:
        update_job(engine, job_id, status=RUNNING, started_at=run.now, pid=os.getpid(), host=socket.gethostname())
        conn = writer_connection(engine)
        transaction = conn.begin()  # SQLite: waits for the write lock (BEGIN IMMEDIATE)
        lock_record_writers(conn)  # PostgreSQL: the same, before the run reads the catalog
        body(conn, transaction)
    except HeldForReview as held:
        run.status, run.message = HELD, str(held)
    except UnusableInput as exc:
        run.status, run.message = FAILED, f"{as_sentence(str(exc))} {unchanged}"
    except BaseException as exc:
        run.status, run.message = FAILED, f"{failure_reason(exc)} {unchanged}"
        if environment_failure(exc) is None:
            raise
    finally:
        if transaction is not None and transaction.is_active:
            transaction.rollback()
        if conn is not None:
            conn.close()


# Jobs this process runs now, and those it finished but could not close (the catalog held by
# another writer at that moment): its next run closes them as they ended, and neither is taken
# for the job of a dead process. A worker (`sources run --every`) lives on: its own pid alive
# says nothing of a job it finished, which held its source « en cours » for a day.
_RUNNING_HERE: set[int] = set()
_UNCLOSED_HERE: dict[int, dict[str, Any]] = {}


def start_job(engine: Engine, harvester: Harvester, source: str, *, dry_run: bool, force: bool) -> int:
    """Mark the jobs of dead processes as failed, then record this one (« en attente »).
    Raises NotStarted with the reason when the machine will not let it be recorded."""
    try:
        reap_interrupted_jobs(engine)
        job_id = create_job(engine, harvester, source, dry_run, force)
        _RUNNING_HERE.add(job_id)
        return job_id
    except Exception as exc:
        reason = environment_failure(exc)
        if reason is None:
            raise
        raise NotStarted(f"Moissonnage non lancé. {reason} Le catalogue n'a pas été modifié.") from exc


def create_job(engine: Engine, harvester: Harvester, source: str, dry_run: bool, force: bool) -> int:
    """Record the job (« en attente »), leased to this process until `close_job` (job_lease.py)."""
    return job_lease.insert_leased(engine, JOBS.insert().values(
        source=source, format=harvester.format, location=harvester.location, status=PENDING,
        dry_run=dry_run, forced=force, kinds="[]", created_at=utcnow(),
        **{name: 0 for name in COUNT_NAMES},
    ))


def close_job(engine: Engine, job_id: int, *, status: str, message: str | None, counts: dict[str, int],
              kinds: list[str], report: ReportSpool, source: str | None) -> tuple[str | None, list[ErrorGroup]]:
    """Store how a job ended, with its report, and make it `source`'s last job (None: a dry or
    refused run, which leaves the source's last job as it was). Returns the job's message and
    the report's groups.

    With no room left for the report (the run may have failed for that very reason) or the
    catalog held by another writer, the job is still closed, its message saying the report is
    missing: a job left « en cours » would hold its source until reaped."""
    if status == FAILED:
        for name in WRITE_OUTCOMES:  # not `update`: a Counter's adds
            counts[name] = 0
        report.discard(WRITE_OUTCOMES)
    ending = {"status": status, "finished_at": utcnow(), "kinds": orjson.dumps(kinds).decode(), **counts}
    try:
        with engine.begin() as conn:
            report.persist(conn, job_id)
            conn.execute(update(JOBS).where(JOBS.c.id == job_id).values(message=storable_text(message), **ending))
            if source is not None:
                conn.execute(update(Source.__table__).where(Source.__table__.c.name == source)
                             .values(last_job_id=job_id))
    except Exception as exc:
        if environment_failure(exc) is None:
            raise
        note = ("Rapport détaillé non enregistré, faute de place (disque ou base de données pleins)."
                if storage_full(exc) else "Rapport détaillé non enregistré : le catalogue était occupé par une "
                "autre écriture.")
        message = f"{message} {note}" if message else note
        _try_update_job(engine, job_id, message=storable_text(message), **ending)
    job_lease.release(job_id)
    _RUNNING_HERE.discard(job_id)
    groups = report.groups()
    report.close()
    return message, groups


def update_job(engine: Engine, job_id: int, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(update(JOBS).where(JOBS.c.id == job_id).values(**values))


def _try_update_job(engine: Engine, job_id: int, **values: Any) -> None:
    """`update_job` once the disk is full or the catalog busy. Failing that too, the job stays
    as it was (« en cours » is reaped by the next run) and the caller still gets its summary."""
    try:
        update_job(engine, job_id, **values)
    except Exception as exc:
        if environment_failure(exc) is None:
            raise
        _UNCLOSED_HERE[job_id] = values


def already_running(source: str, busy: int) -> str:
    return (f"Une récolte de la source « {source} » est déjà en cours (tâche {busy}) : celle-ci n'a pas été "
            "lancée. Le catalogue n'a pas été modifié.")


def earlier_active_job(engine: Engine, source: str, job_id: int) -> int | None:
    """A writing job of `source` created before `job_id` and not finished (an earlier id wins,
    so two runs started together cannot both give way, nor both go ahead)."""
    with engine.connect() as conn:
        return conn.execute(
            select(JOBS.c.id).where(JOBS.c.source == source, JOBS.c.id < job_id,
                                    JOBS.c.status.in_([PENDING, RUNNING]),
                                    JOBS.c.dry_run.is_(False))
            .order_by(JOBS.c.id).limit(1)).scalar()


def reap_interrupted_jobs(engine: Engine) -> int:
    """Mark as failed the jobs left "running" by a process that died (the watchdog).

    A killed run's transaction was never committed, so the catalog is as it was before it.
    PostgreSQL: the job's lease is free (job_lease.py), whatever machine ran it. SQLite: its
    pid is gone from this machine, or it started more than STALE_AFTER ago.
    """
    for job_id, ending in list(_UNCLOSED_HERE.items()):  # closed as they ended, not as interrupted
        try:
            update_job(engine, job_id, **ending)
        except Exception as exc:
            if environment_failure(exc) is None:
                raise
            continue
        del _UNCLOSED_HERE[job_id]
    host = socket.gethostname()
    reaped = 0
    with engine.begin() as conn:
        rows = conn.execute(select(JOBS.c.id, JOBS.c.pid, JOBS.c.host, JOBS.c.started_at, JOBS.c.created_at)
                            .where(JOBS.c.status.in_([PENDING, RUNNING]))).all()
        for row in rows:
            if row.id in _UNCLOSED_HERE:
                continue  # it ended; its closing waits for the catalog to be free
            alive = job_lease.owner_alive(conn, row.id)
            if alive is None:
                started = row.started_at or row.created_at
                alive = not ((row.host == host and row.pid and not _job_alive(row.id, row.pid))
                             or utcnow() - started > STALE_AFTER)
            if not alive:
                conn.execute(update(JOBS).where(JOBS.c.id == row.id).values(
                    status=FAILED, finished_at=utcnow(),
                    message="Interrompu : le processus s'est arrêté avant la fin. Le catalogue n'a pas été modifié.",
                ))
                reaped += 1
    return reaped


def _job_alive(job_id: int, pid: int) -> bool:
    if pid == os.getpid():
        return job_id in _RUNNING_HERE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _create_seen_table(conn: Connection) -> None:
    # The identifiers met during this run. A temporary table, not a Python set, so that memory
    # does not grow with the size of the source.
    conn.execute(text("DROP TABLE IF EXISTS harvest_seen"))
    conn.execute(text("CREATE TEMPORARY TABLE harvest_seen (kind VARCHAR(30) NOT NULL, "
                      "id VARCHAR(300) NOT NULL, PRIMARY KEY (kind, id))"))


def _drop_seen_table(conn: Connection) -> None:
    conn.execute(text("DROP TABLE IF EXISTS harvest_seen"))


def _json_limit(exc: orjson.JSONEncodeError) -> str:
    said = str(exc)
    if "64-bit" in said:
        return "un nombre entier dépasse la capacité du catalogue (64 bits)"
    if "ecursion" in said:
        return "des objets imbriqués trop profondément"
    return said


def _duplicate(key: tuple[str, str]) -> Problem:
    return Problem("id", "duplicate-id",
                   f"Identifiant en double dans la source : « {key[1]} » figure déjà plus haut.", key[1])


def _already_seen(conn: Connection, keys) -> set[tuple[str, str]]:
    found = set()
    by_kind: dict[str, list[str]] = {}
    for kind, id_ in keys:
        by_kind.setdefault(kind, []).append(id_)
    mark = "?" if conn.dialect.paramstyle in ("qmark", "named") else "%s"
    for kind, ids in by_kind.items():
        for chunk in _chunks(ids, 900):
            sql = f"SELECT id FROM harvest_seen WHERE kind = {mark} AND id IN ({', '.join([mark] * len(chunk))})"
            found.update((kind, row[0]) for row in conn.exec_driver_sql(sql, (kind, *chunk)))
    return found


def _remember_seen(conn: Connection, keys: list[tuple[str, str]]) -> None:
    if keys:
        mark = "?" if conn.dialect.paramstyle in ("qmark", "named") else "%s"
        conn.exec_driver_sql(f"INSERT INTO harvest_seen (kind, id) VALUES ({mark}, {mark})", keys)


def _count_active(conn: Connection, source: str, kind: str) -> int:
    return conn.execute(select(func.count()).select_from(RECORDS).where(
        RECORDS.c.harvest_source == source, RECORDS.c.kind == kind, RECORDS.c.status == RECORD_ACTIVE,
    )).scalar_one()


_VANISHED = """FROM record r WHERE r.harvest_source = :source AND r.kind = :kind AND r.status = 'active'
AND NOT EXISTS (SELECT 1 FROM harvest_seen h WHERE h.kind = r.kind AND h.id = r.id)"""


def _forget_missing_seen(conn: Connection, source: str) -> None:
    """Records back in their source, even with a defect that kept them from being written, are
    no longer missing: their grace period starts again the next time they are gone, instead of
    counting from their first absence (an archive without grace, unseen by the breaker)."""
    conn.execute(text("""UPDATE record SET missing_since = NULL WHERE harvest_source = :source
AND status = 'active' AND missing_since IS NOT NULL
AND EXISTS (SELECT 1 FROM harvest_seen h WHERE h.kind = record.kind AND h.id = record.id)"""), {"source": source})


def _count_vanished(conn: Connection, source: str, kind: str, *, newly: bool = False,
                    accepted_until: datetime | None = None) -> int:
    """Records of the source gone from this run: only those gone in it (`newly`), or all but
    those already gone when an operator forced a run (`accepted_until`)."""
    if newly:
        query = text("SELECT COUNT(*) " + _VANISHED + " AND r.missing_since IS NULL")
    elif accepted_until is not None:
        query = text("SELECT COUNT(*) " + _VANISHED + " AND (r.missing_since IS NULL OR r.missing_since > :accepted)"
                     ).bindparams(bindparam("accepted", accepted_until, type_=RECORDS.c.missing_since.type))
    else:
        query = text("SELECT COUNT(*) " + _VANISHED)
    return conn.execute(query, {"source": source, "kind": kind}).scalar_one()


def _last_forced_run(conn: Connection, source: str) -> datetime | None:
    """When the source's last applied --force run started: what was gone then, it let go."""
    return conn.execute(select(JOBS.c.started_at).where(
        JOBS.c.source == source, JOBS.c.forced.is_(True), JOBS.c.dry_run.is_(False),
        JOBS.c.status.in_((DONE, DONE_WITH_ERRORS)),
    ).order_by(JOBS.c.id.desc()).limit(1)).scalar()


def _iter_vanished(conn: Connection, source: str, kind: str) -> Iterator[tuple[str, Any]]:
    query = text("SELECT r.id, r.missing_since " + _VANISHED).columns(
        RECORDS.c.id, RECORDS.c.missing_since  # typed, so timestamps come back as datetimes
    )
    yield from conn.execute(query, {"source": source, "kind": kind}).all()


def _percent(share: float) -> str:
    return f"{share * 100:.0f} %"  # French typography: a space before the sign


def _batched(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _chunks(values: list, size: int) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


class _progress_bar:
    """A rich progress bar on the terminal (records read, and bytes when the harvester knows)."""

    def __init__(self, enabled: bool, harvester: Harvester, done: Callable[[], int | None]) -> None:
        self.enabled = enabled
        self.harvester = harvester
        self.done = done

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("[bold]Moissonnage"), BarColumn(), TextColumn("{task.fields[read]} lus"),
                                 TimeElapsedColumn(), transient=True)
        self.progress.start()
        self.task = self.progress.add_task("harvest", total=self.harvester.progress_total(), read=0)
        self.read = 0

        def advance(n: int) -> None:
            self.read += n
            self.progress.update(self.task, completed=self.done(), read=self.read)

        return advance

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self.progress.stop()


def _sync_search_index(settings: Settings, engine: Engine, run: _Run) -> None:
    """Bring the search index up to date with what the run committed (incremental)."""
    try:
        from catalog.search import sync_index

        sync_index(settings, engine)
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM once the catalog is committed: the job stays done, and says that the
        # index lags (each applied batch moved its watermark: the next sync goes on from there).
        _note_on_job(engine, run, "Index de recherche interrompu avant la fin : « maillage index sync » (ou le "
                     "prochain moissonnage) le complète.")
        raise
    except Exception as exc:  # noqa: BLE001 - the catalog is committed; the index catches up at the next sync
        reason = "plus de place pour écrire" if storage_full(exc) else exc
        _note_on_job(engine, run, f"Index de recherche non mis à jour ({reason}) : lancez « maillage index rebuild ».")


def _note_on_job(engine: Engine, run: _Run, note: str) -> None:
    run.message = f"{run.message} {note}" if run.message else note
    _try_update_job(engine, run.job_id, message=storable_text(run.message))


def build_harvester(cls: type[Harvester], location: str, *, options: dict[str, Any],
                    token_env: str | None) -> Harvester:
    """A harvester whose credential is read from `token_env` (the source's own variable) or,
    without one, the format's, and the format's only for its official hosts: never the format's
    when the source names its own, which would harvest a partner's source with another account's
    token, nor for another host (a source registered from a partner's DCAT catalog, say), which
    would hand the operator's token to whoever chose that address."""
    variable = token_env or cls.default_token_variable(location)
    harvester = cls(location, options=options, credentials=os.environ.get(variable) if variable else None)
    harvester.token_variable, harvester.token_named = variable, token_env
    return harvester


def harvest_source(name: str, *, settings: Settings | None = None, dry_run: bool = False, force: bool = False,
                   progress: bool = False) -> JobSummary:
    """Run a registered source: its format, location, options and credentials reference."""
    from catalog.sources import UnknownSource, get_source
    from harvesters import harvester_class

    settings = settings or load_settings()
    spec = get_source(get_engine(settings), name)
    if spec is None:
        raise UnknownSource(name)
    harvester = build_harvester(harvester_class(spec.format), spec.location, options=spec.options,
                                token_env=spec.credentials_ref)
    return harvest(harvester, source=spec.name, settings=settings, dry_run=dry_run, force=force, progress=progress)
