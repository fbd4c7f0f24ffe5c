"""The harvest engine, end to end through the data·inclusion harvester and the SQLite store."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import orjson
import pytest
import responses
from sqlalchemy import func, select, update

from catalog.models import Record, Revision
from catalog.queries import history
from harvesters import job_lease
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.engine import harvest
from harvesters.jobs import job_summary, list_jobs
from harvesters.report import iter_lines
from tests.factories import service, structure, write_csv, write_json, write_ndjson

RECORDS = Record.__table__
REVISIONS = Revision.__table__


def run(path, settings, **kwargs):
    return harvest(DataInclusionHarvester(str(path)), source=kwargs.pop("source", "di"), settings=settings, **kwargs)


def snapshot(engine):
    """Everything a harvest could change, to compare before and after."""
    with engine.connect() as conn:
        records = conn.execute(select(RECORDS).order_by(RECORDS.c.kind, RECORDS.c.id)).all()
        revisions = conn.execute(select(func.count()).select_from(REVISIONS)).scalar_one()
    return [tuple(r) for r in records], revisions


def statuses(engine, kind="service"):
    with engine.connect() as conn:
        rows = conn.execute(select(RECORDS.c.status, func.count()).where(RECORDS.c.kind == kind)
                            .group_by(RECORDS.c.status)).all()
    return dict(rows)


def test_first_harvest_adds_every_record_with_provenance(tmp_path, settings, engine):
    path = write_json(tmp_path / "services.json", [service(i) for i in range(30)])
    summary = run(path, settings)
    assert summary.status == "done"
    assert summary.kinds == ["service"]
    assert summary.counts["read"] == 30 and summary.counts["added"] == 30
    with engine.connect() as conn:
        row = conn.execute(select(RECORDS).where(RECORDS.c.id == "test--v7")).mappings().one()
        revision = conn.execute(select(REVISIONS).where(REVISIONS.c.record_id == "test--v7")).mappings().one()
    assert row["harvest_source"] == "di" and row["source"] == "test"
    assert row["job_id"] == summary.job_id and row["fetched_at"] is not None
    assert row["lien_source"] == "https://exemple.fr/services/7" and row["date_maj"] == "2025-04-02"
    assert orjson.loads(row["data"])["nom"] == "Accompagnement numéro 7"
    assert revision["action"] == "created" and revision["author"] == "moissonnage:di"
    # Its fields, from nothing, are the record's own while they stay so: not stored twice.
    assert revision["changes"] == "null"
    [created] = history(engine, "service", "test--v7")
    assert created["changes"] == {k: [None, v] for k, v in orjson.loads(row["data"]).items()}
    assert created["changes"]["nom"] == [None, "Accompagnement numéro 7"]


def test_same_file_twice_writes_nothing_the_second_time(tmp_path, settings, engine):
    path = write_json(tmp_path / "services.json", [service(i) for i in range(30)])
    run(path, settings)
    before = snapshot(engine)
    second = run(path, settings)
    assert second.counts["unchanged"] == 30
    assert second.counts["added"] == second.counts["updated"] == second.counts["archived"] == 0
    assert snapshot(engine) == before  # not one write: no seq, no fetched_at, no revision moved


def test_a_change_is_one_revision_with_field_level_before_after(tmp_path, settings, engine):
    records = [service(i) for i in range(10)]
    run(write_json(tmp_path / "services.json", records), settings)
    records[3]["nom"] = "Atelier permis de conduire"
    records[3]["frais"] = "payant"
    summary = run(write_json(tmp_path / "services.json", records), settings)
    assert summary.counts["updated"] == 1 and summary.counts["unchanged"] == 9
    with engine.connect() as conn:
        revision = conn.execute(select(REVISIONS).where(REVISIONS.c.record_id == "test--v3", REVISIONS.c.version == 2)).mappings().one()
    assert revision["action"] == "updated"
    assert orjson.loads(revision["changes"]) == {
        "frais": ["gratuit", "payant"],
        "nom": ["Accompagnement numéro 3", "Atelier permis de conduire"],
    }
    # The creation got its fields written out, as they were, before the record changed.
    updated, created = history(engine, "service", "test--v3")
    assert (updated["version"], created["version"], created["action"]) == (2, 1, "created")
    assert created["changes"]["nom"] == [None, "Accompagnement numéro 3"]
    assert created["changes"]["frais"] == [None, "gratuit"]
    with engine.connect() as conn:
        stored = conn.execute(select(REVISIONS.c.changes).where(REVISIONS.c.record_id == "test--v3",
                                                                REVISIONS.c.version == 1)).scalar_one()
    assert orjson.loads(stored) == created["changes"]
    # A third version leaves the creation as it was written out.
    records[3]["nom"] = "Atelier code de la route"
    run(write_json(tmp_path / "services.json", records), settings)
    assert [(r["version"], r["changes"]["nom"]) for r in history(engine, "service", "test--v3")] == [
        (3, ["Atelier permis de conduire", "Atelier code de la route"]),
        (2, ["Accompagnement numéro 3", "Atelier permis de conduire"]),
        (1, [None, "Accompagnement numéro 3"]),
    ]


def test_key_order_and_explicit_nulls_do_not_count_as_changes(tmp_path, settings):
    records = [service(i) for i in range(5)]
    run(write_json(tmp_path / "a.json", records), settings)
    reordered = [dict(reversed(list(r.items()))) | {"telephone": None, "score_qualite": 0.4} for r in records]
    summary = run(write_json(tmp_path / "a.json", reordered), settings)
    assert summary.counts["unchanged"] == 5


def test_losing_40_percent_of_records_is_held_and_changes_nothing(tmp_path, settings, engine):
    records = [service(i) for i in range(50)]
    run(write_json(tmp_path / "services.json", records), settings)
    before = snapshot(engine)
    records[0]["nom"] = "Un nom modifié dans le même fichier"
    summary = run(write_json(tmp_path / "services.json", records[:30]), settings)
    assert summary.status == "held"
    assert "20" in summary.message and "40 %" in summary.message
    assert snapshot(engine) == before  # not even the modified record was written
    assert statuses(engine) == {"active": 50}


def test_a_source_shrinking_run_after_run_is_held_once_the_total_gone_passes_the_threshold(tmp_path, settings,
                                                                                           engine):
    """Each run lost under 30 % more: judged on newly gone records alone, 99 % of the source
    was marked missing, then archived, never held."""
    records = [service(i) for i in range(20)]
    run(write_json(tmp_path / "services.json", records), settings)
    first = run(write_json(tmp_path / "services.json", records[:15]), settings)  # 25 % gone: let through
    assert first.status == "done" and first.counts["missing"] == 5
    before = snapshot(engine)
    second = run(write_json(tmp_path / "services.json", records[:10]), settings)  # 5 more: 50 % gone in all
    assert second.status == "held" and second.counts["missing"] == 10
    assert "10 enregistrement(s) « service » sur 20 (50 %)" in second.message
    assert "dont 5 déjà absent(s) aux moissonnages précédents" in second.message
    assert snapshot(engine) == before
    # The operator checks the source and lets them go: later runs are judged from there.
    assert run(write_json(tmp_path / "services.json", records[:10]), settings, force=True).status == "done"
    assert run(write_json(tmp_path / "services.json", records[:9]), settings).status == "done"


def test_records_let_go_by_a_forced_run_no_longer_count_in_the_source_s_size(tmp_path, settings, engine):
    """Left out of the records gone but not of the source's size, the 50 let go let the source
    lose 27 of its 50 live records (54 %) unheld, judged « 27 of 100 »."""
    records = [service(i) for i in range(100)]
    run(write_json(tmp_path / "services.json", records), settings)
    assert run(write_json(tmp_path / "half.json", records[:50]), settings).status == "held"
    assert run(write_json(tmp_path / "half.json", records[:50]), settings, force=True).status == "done"
    before = snapshot(engine)
    summary = run(write_json(tmp_path / "less.json", records[:23]), settings)
    assert summary.status == "held", summary.message
    assert "27 enregistrement(s) « service » sur 50 (54 %)" in summary.message
    assert snapshot(engine) == before


def test_a_held_run_counts_and_reports_what_forcing_it_would_do(tmp_path, settings, engine):
    """It said every record gone was to be marked missing and none archived, whatever their
    grace; and a second kind held after a first one let through had no line in the report."""
    records = [service(i) for i in range(20)]
    run(write_json(tmp_path / "services.json", records), settings)
    run(write_json(tmp_path / "short.json", records[:15]), settings)  # 5 gone (25 %)
    age_missing(engine, 8)  # their grace is over
    held = run(write_json(tmp_path / "shorter.json", records[:10]), settings)
    preview = run(write_json(tmp_path / "shorter.json", records[:10]), settings, force=True, dry_run=True)
    assert held.status == "held" and preview.status == "done"
    assert (held.counts["missing"], held.counts["archived"]) == (preview.counts["missing"], preview.counts["archived"])
    assert (held.counts["missing"], held.counts["archived"]) == (5, 5)
    with engine.connect() as conn:
        lines = {(line["record_id"], line["status"]) for line in iter_lines(conn, held.job_id)}
    assert ("test--v12", "missing") in lines and ("test--v17", "archived") in lines


def test_forced_run_marks_missing_then_archives_after_the_grace_period(tmp_path, settings, engine):
    records = [service(i) for i in range(10)]
    run(write_json(tmp_path / "services.json", records), settings)
    shorter = write_json(tmp_path / "short.json", records[:6])
    summary = run(shorter, settings, force=True)
    assert summary.status == "done" and summary.counts["missing"] == 4 and summary.counts["archived"] == 0
    assert statuses(engine) == {"active": 10}  # grace period: still published
    # Eight days later, still absent: archived (never deleted), with a revision.
    with engine.begin() as conn:
        for id_, since in conn.execute(select(RECORDS.c.id, RECORDS.c.missing_since)
                                       .where(RECORDS.c.missing_since.is_not(None))).all():
            conn.execute(update(RECORDS).where(RECORDS.c.id == id_).values(missing_since=since - timedelta(days=8)))
    summary = run(shorter, settings)
    assert summary.counts["archived"] == 4
    assert statuses(engine) == {"active": 6, "archived": 4}
    with engine.connect() as conn:
        actions = conn.execute(select(REVISIONS.c.action).where(REVISIONS.c.record_id == "test--v9")
                               .order_by(REVISIONS.c.version)).scalars().all()
    assert actions == ["created", "archived"]
    # Back in the source, changed: restored, as a new version; the creation keeps its first fields.
    records[9]["nom"] = "Accompagnement renommé"
    summary = run(write_json(tmp_path / "services.json", records), settings)
    assert summary.counts["restored"] == 4
    assert statuses(engine) == {"active": 10}
    restored, archived, created = history(engine, "service", "test--v9")
    assert (restored["action"], archived["action"], created["action"]) == ("restored", "archived", "created")
    assert restored["changes"]["nom"] == ["Accompagnement numéro 9", "Accompagnement renommé"]
    assert created["changes"]["nom"] == [None, "Accompagnement numéro 9"]


def test_a_record_back_within_grace_is_no_longer_missing(tmp_path, settings, engine):
    records = [service(i) for i in range(10)]
    run(write_json(tmp_path / "services.json", records), settings)
    run(write_json(tmp_path / "short.json", records[:8]), settings)
    summary = run(write_json(tmp_path / "services.json", records), settings)
    assert summary.counts["unchanged"] == 10
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(RECORDS.c.missing_since.is_not(None))).scalar_one() == 0


def age_missing(engine, days: int) -> None:
    """Move every missing record's first absence `days` earlier (time passing, without waiting)."""
    with engine.begin() as conn:
        for id_, since in conn.execute(select(RECORDS.c.id, RECORDS.c.missing_since)
                                       .where(RECORDS.c.missing_since.is_not(None))).all():
            conn.execute(update(RECORDS).where(RECORDS.c.id == id_).values(missing_since=since - timedelta(days=days)))


def test_a_record_back_with_a_defect_gets_a_whole_grace_period_when_it_goes_again(tmp_path, settings, engine):
    records = [service(i) for i in range(10)]
    run(write_json(tmp_path / "services.json", records), settings)
    run(write_json(tmp_path / "short.json", records[:9]), settings)  # v9 gone: missing
    age_missing(engine, 20)
    # Back in the source for weeks, with a value outside the referential: refused, not written,
    # but there, so no longer missing.
    back = records[:9] + [service(9) | {"frais": ["hors-referentiel"]}]
    summary = run(write_json(tmp_path / "back.json", back), settings)
    assert summary.counts["invalid"] == 1 and summary.counts["archived"] == 0
    # Gone again: a new grace period starts, instead of an archive counted from its first absence.
    summary = run(write_json(tmp_path / "short.json", records[:9]), settings)
    assert summary.counts["missing"] == 1 and summary.counts["archived"] == 0
    assert statuses(engine) == {"active": 10}


def test_a_grace_period_of_a_lifetime_never_archives(tmp_path, settings, engine):
    forever = replace(settings, grace_days=99_999_999)  # what an operator types for « never »
    records = [service(i) for i in range(10)]
    run(write_json(tmp_path / "services.json", records), forever)
    for _ in range(2):  # absent, then still absent: the second judgement used to overflow the date
        summary = run(write_json(tmp_path / "short.json", records[:9]), forever)
        assert summary.status == "done" and summary.counts["archived"] == 0
    assert statuses(engine) == {"active": 10}


def test_a_record_archived_by_one_source_is_taken_over_by_the_next_that_publishes_it(tmp_path, settings, engine):
    records = [service(i) for i in range(10)]
    run(write_json(tmp_path / "services.json", records), settings, source="ancienne")
    run(write_json(tmp_path / "short.json", records[:9]), settings, source="ancienne")
    age_missing(engine, 8)
    assert run(write_json(tmp_path / "short.json", records[:9]), settings, source="ancienne").counts["archived"] == 1
    # Active in another source's keeping, it is refused (a conflict)...
    taken = run(write_json(tmp_path / "nouvelle.json", records[8:]), settings, source="nouvelle")
    assert taken.counts["invalid"] == 1 and taken.counts["restored"] == 1
    # ...archived, it is no source's any more: the one that publishes it owns it, said in its history.
    with engine.connect() as conn:
        row = conn.execute(select(RECORDS.c.harvest_source, RECORDS.c.status)
                           .where(RECORDS.c.id == "test--v9")).one()
        last = conn.execute(select(REVISIONS.c.action, REVISIONS.c.changes).where(REVISIONS.c.record_id == "test--v9")
                            .order_by(REVISIONS.c.version.desc()).limit(1)).one()
    assert tuple(row) == ("nouvelle", "active")
    assert last.action == "restored" and orjson.loads(last.changes)["harvest_source"] == ["ancienne", "nouvelle"]
    # The source that let it go no longer counts it as its own.
    assert run(write_json(tmp_path / "short.json", records[:9]), settings, source="ancienne").counts["missing"] == 0


def test_a_services_file_says_nothing_about_structures(tmp_path, settings, engine):
    run(write_json(tmp_path / "structures.json", [structure(i) for i in range(5)]), settings)
    run(write_json(tmp_path / "services.json", [service(i) for i in range(5)]), settings)
    summary = run(write_json(tmp_path / "services.json", [service(i) for i in range(5)]), settings)
    assert summary.kinds == ["service"] and summary.counts["missing"] == 0
    assert statuses(engine, "structure") == {"active": 5}


@pytest.mark.parametrize(
    "name, content",
    [
        ("services.json", b'[{"source": "test", "id": "test--v1", "nom": "Accompagnement"}, {"source": "te'),
        ("services.json", b"{ ceci n'est pas du JSON"),
        ("services.ndjson", b'{"source": "test"}\n{"source": \n'),
        ("services.csv", "source,id,nom\ntest,test--v1,Caf\xe9 solidaire\n".encode("latin-1")),
        ("services.parquet", b"PAR1 truncated"),
        ("services.json", b""),
        ("services.json", b'[{"Service ID": "a-1", "Nom": "Garantie Visale", "Frais": "{gratuit}"}]'),
    ],
    ids=["truncated-json", "not-json", "broken-ndjson", "latin1-csv", "corrupt-parquet", "empty",
         "other-layout"],
)
def test_unusable_file_fails_with_a_reason_and_changes_nothing(tmp_path, settings, engine, name, content):
    run(write_json(tmp_path / "services.json", [service(i) for i in range(10)]), settings)
    before = snapshot(engine)
    bad = tmp_path / "bad" / name
    bad.parent.mkdir()
    bad.write_bytes(content)
    summary = run(bad, settings)
    assert summary.status == "failed"
    assert "n'a pas été modifié" in summary.message
    assert snapshot(engine) == before


def test_invalid_records_are_reported_grouped_and_the_rest_flows(tmp_path, settings, engine):
    records = [service(i) for i in range(20)]
    records[2]["thematiques"] = ["pas-une-thematique"]
    records[5]["thematiques"] = ["pas-une-thematique"]
    records[7]["nom"] = "AB"
    del records[9]["description"]
    summary = run(write_json(tmp_path / "services.json", records), settings)
    assert summary.status == "done-with-errors"
    assert summary.counts["added"] == 16 and summary.counts["invalid"] == 4
    report = job_summary(engine, summary.job_id)
    by_field = {(g["champ"], g["statut"]): g for g in report["errors"]}
    assert by_field[("thematiques", "invalid")]["nombre"] == 2
    assert by_field[("thematiques", "invalid")]["exemples"] == ["élément 3", "élément 6"]
    assert by_field[("nom", "invalid")]["nombre"] == 1
    assert by_field[("description", "invalid")]["nombre"] == 1


def test_a_record_that_turns_invalid_keeps_its_last_valid_version(tmp_path, settings, engine):
    records = [service(i) for i in range(10)]
    run(write_json(tmp_path / "services.json", records), settings)
    records[4]["frais"] = "hors-référentiel"
    summary = run(write_json(tmp_path / "services.json", records), settings)
    assert summary.counts["invalid"] == 1 and summary.counts["missing"] == 0
    with engine.connect() as conn:
        data = conn.execute(select(RECORDS.c.data).where(RECORDS.c.id == "test--v4")).scalar_one()
    assert orjson.loads(data)["frais"] == "gratuit"
    assert statuses(engine) == {"active": 10}


def test_duplicate_identifiers_are_reported(tmp_path, settings):
    records = [service(i) for i in range(1500)] + [service(3, nom="Doublon tardif"), service(1499, nom="Doublon proche")]
    summary = harvest(DataInclusionHarvester(str(write_json(tmp_path / "services.json", records))),
                      source="di", settings=settings, batch_size=1000)
    assert summary.counts["added"] == 1500 and summary.counts["invalid"] == 2
    assert {g.code for g in summary.groups if g.status == "invalid"} == {"duplicate-id"}


def test_dry_run_reports_exactly_and_writes_nothing(tmp_path, settings, engine):
    path = write_json(tmp_path / "services.json", [service(i) for i in range(12)])
    before = snapshot(engine)
    summary = run(path, settings, dry_run=True)
    assert summary.counts["added"] == 12 and summary.status == "done" and summary.dry_run
    assert snapshot(engine) == before
    assert job_summary(engine, summary.job_id)["dry_run"] is True


def test_a_source_cannot_overwrite_another_sources_record(tmp_path, settings, engine):
    path = write_json(tmp_path / "services.json", [service(i) for i in range(3)])
    run(path, settings, source="premiere")
    summary = run(path, settings, source="seconde")
    assert summary.counts["invalid"] == 3
    assert {g.status for g in summary.groups} == {"conflict"}


@pytest.mark.parametrize("writer", [write_json, write_ndjson, write_csv], ids=["json", "ndjson", "csv"])
def test_every_bulk_format_gives_the_same_catalog(tmp_path, settings, engine, writer):
    suffix = {write_json: "json", write_ndjson: "ndjson", write_csv: "csv"}[writer]
    summary = run(writer(tmp_path / f"services.{suffix}", [service(i) for i in range(8)]), settings)
    assert summary.counts["added"] == 8, summary.groups
    with engine.connect() as conn:
        data = orjson.loads(conn.execute(select(RECORDS.c.data).where(RECORDS.c.id == "test--v1")).scalar_one())
    assert data == {k: v for k, v in service(1).items()}


def test_parquet_bulk_file(tmp_path, settings):
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = [service(i) for i in range(8)]
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "services.parquet")
    summary = run(tmp_path / "services.parquet", settings)
    assert summary.counts["added"] == 8


def test_report_exports_as_csv(tmp_path, settings, engine):
    import csv
    import io

    from harvesters.report import iter_lines
    from harvesters.report import write_csv as report_csv

    records = [service(i) for i in range(4)]
    records[1]["publics"] = ["tous-publics", "femmes"]
    summary = run(write_json(tmp_path / "services.json", records), settings)
    out = io.StringIO()
    with engine.connect() as conn:
        report_csv(iter_lines(conn, summary.job_id, ["invalid"]), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["identifiant"], r["statut"], r["champ"]) for r in rows] == [("test--v1", "invalid", "publics")]


def test_warnings_are_reported_and_the_record_is_written(tmp_path, settings, engine):
    from catalog.validation import Problem

    class Warned(DataInclusionHarvester):
        def items(self):
            for item in super().items():
                if item.row["id"] == "test--v1":
                    item.warnings = [Problem("conditions", "hors-schema", "Condition gardée en texte seulement.")]
                yield item

    path = write_json(tmp_path / "services.json", [service(i) for i in range(3)])
    for _ in range(2):  # the source still says it on the second run: still reported
        summary = harvest(Warned(str(path)), source="di", settings=settings)
        assert summary.status == "done" and summary.counts["warnings"] == 1
        warning = next(g for g in summary.groups if g.status == "warning")
        assert warning.field == "conditions" and warning.examples == ["élément 2"]
    assert statuses(engine) == {"active": 3}


def test_a_file_of_another_layout_is_refused_saying_what_it_holds(tmp_path, settings):
    bad = tmp_path / "services.csv"
    bad.write_text("Service ID,Structure ID,Nom,Thematiques\na-1,s-1,Garantie Visale,{logement}\n",
                   encoding="utf-8")
    summary = run(bad, settings)
    assert summary.status == "failed"
    assert summary.counts["read"] == 0
    assert "ne suit pas le schéma data·inclusion v1 (service)" in summary.message
    assert "« Service ID »" in summary.message and "attendues : " in summary.message


def test_a_source_already_being_harvested_is_not_harvested_twice_at_once(tmp_path, settings, engine):
    import os
    import socket

    from catalog.clock import utcnow
    from catalog.models import HarvestJob

    path = write_json(tmp_path / "services.json", [service(i) for i in range(5)])
    # Another live process is harvesting "di" (the test runner's parent stands in for it: its pid is alive).
    # (PostgreSQL: its lease too, held here by a session of its own, see harvesters/job_lease.py.)
    busy = job_lease.insert_leased(engine, HarvestJob.__table__.insert().values(
        source="di", format="datainclusion", location="ailleurs", status="running",
        dry_run=False, forced=False, kinds="[]", created_at=utcnow(), started_at=utcnow(),
        pid=os.getppid(), host=socket.gethostname(),
        read=0, added=0, updated=0, unchanged=0, invalid=0, archived=0, missing=0, restored=0,
        warnings=0))
    refused = run(path, settings)
    assert refused.status == "failed" and f"déjà en cours (tâche {busy})" in refused.message
    assert statuses(engine) == {}
    assert run(path, settings, dry_run=True).counts["added"] == 5  # a dry run writes nothing: allowed
    with engine.begin() as conn:
        conn.execute(update(HarvestJob.__table__).where(HarvestJob.__table__.c.id == busy)
                     .values(status="done"))
    job_lease.release(busy)
    assert run(path, settings).counts["added"] == 5


def test_a_record_valid_for_its_schema_but_not_storable_is_refused_alone(tmp_path, settings, engine):
    """`nombre_semaines` has a minimum, no maximum: 10²⁰ is a valid integer, beyond what the
    catalog's JSON holds (64 bits). It once stopped the whole run with an internal error."""
    records = [service(0, nombre_semaines=10**20), service(1, nombre_semaines=2**63 - 1), service(2)]
    summary = run(write_csv(tmp_path / "services.csv", records), settings)
    assert summary.status == "done-with-errors", summary.message
    assert (summary.counts["added"], summary.counts["invalid"]) == (2, 1)
    [group] = [g for g in summary.groups if g.status == "invalid"]
    assert group.code == "non-enregistrable" and group.examples == ["ligne 2"]
    assert "un nombre entier dépasse la capacité du catalogue (64 bits)" in group.message
    assert statuses(engine) == {"active": 2}


def test_a_json_file_with_an_integer_beyond_64_bits_loses_only_that_record(tmp_path, settings, engine):
    """ijson's fast mode stops at such an integer: the rest of the file is read in exact mode,
    its decimals (coordinates) still floats, and only the record that holds it is refused."""
    path = tmp_path / "services.json"
    big = '"nombre_semaines":100000000000000000000,"date_maj"'
    path.write_text(orjson.dumps([service(i) for i in range(4)]).decode().replace('"date_maj"', big, 2)
                    .replace(big, '"date_maj"', 1), encoding="utf-8")  # the 2nd record only
    summary = run(path, settings)
    assert summary.status == "done-with-errors", summary.message
    assert (summary.counts["added"], summary.counts["invalid"]) == (3, 1)
    [group] = [g for g in summary.groups if g.status == "invalid"]
    assert group.code == "non-enregistrable" and group.examples == ["élément 2"]
    with engine.connect() as conn:
        after = conn.execute(select(RECORDS.c.data).where(RECORDS.c.id == "test--v3")).scalar_one()
    assert orjson.loads(after)["latitude"] == service(3)["latitude"]


def test_the_csv_report_never_hands_a_formula_to_a_spreadsheet():
    import csv
    import io

    from harvesters.report import write_csv as report_csv

    line = {"position": 3, "reference": "=HYPERLINK(\"http://x\")", "kind": "service", "record_id": "+33 1 23",
            "status": "invalid", "errors": [{"champ": "nom", "code": "required", "message": "@SUM(A1)"},
                                            {"champ": "id", "code": "format", "message": "-1 reçu"}]}
    out = io.StringIO()
    assert report_csv([line], out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["reference"], r["identifiant"], r["message"]) for r in rows] == [
        ("'=HYPERLINK(\"http://x\")", "'+33 1 23", "'@SUM(A1)"), ("'=HYPERLINK(\"http://x\")", "'+33 1 23", "'-1 reçu")]
    assert rows[0]["champ"] == "nom" and rows[0]["statut"] == "invalid" and rows[0]["position"] == "3"


def test_identifiers_longer_than_the_catalog_columns_are_refused_alone(tmp_path, settings, engine):
    """The schemas set no length on `id` and `source`; the catalog's columns do, and PostgreSQL
    enforces them: such a record once stopped the whole run there."""
    records = [service(0, id="x" * 400), service(1, source="s" * 150, id="v1"), service(2)]
    summary = run(write_json(tmp_path / "services.json", records), settings)
    assert summary.status == "done-with-errors", summary.message
    assert (summary.counts["added"], summary.counts["invalid"]) == (1, 2)
    groups = {g.field: g for g in summary.groups if g.status == "invalid"}
    assert {f: (g.code, g.examples) for f, g in groups.items()} == {
        "id": ("non-enregistrable", ["élément 1"]), "source": ("non-enregistrable", ["élément 2"])}
    assert "identifiant de plus de 300 caractères ou source de plus de 100" in groups["id"].message


@pytest.mark.parametrize("stop, said", [
    (RuntimeError("index illisible"), "Index de recherche non mis à jour (index illisible)"),
    (KeyboardInterrupt(), "Index de recherche interrompu avant la fin"),  # Ctrl-C, or SIGTERM
])
def test_an_index_sync_that_stops_leaves_the_job_done_saying_so(tmp_path, settings, engine, monkeypatch, stop, said):
    """The catalog is committed before the index is synced: the job is done whatever the index
    does, and its message says the search lags. An interruption still stops the process."""
    import catalog.search

    def stopping(*args, **kwargs):
        raise stop

    monkeypatch.setattr(catalog.search, "sync_index", stopping)
    path = write_json(tmp_path / "services.json", [service(i) for i in range(3)])
    if isinstance(stop, KeyboardInterrupt):
        with pytest.raises(KeyboardInterrupt):
            run(path, settings)
    else:
        run(path, settings)
    [job] = list_jobs(engine)
    assert job["status"] == "done" and job["counts"]["added"] == 3, job
    assert said in job["message"], job["message"]
    assert statuses(engine) == {"active": 3}


@pytest.mark.parametrize("kind", ["formation", "services"])
def test_a_kind_option_that_is_no_data_inclusion_kind_is_refused(tmp_path, settings, engine, kind):
    """« formation » published the services as trainings; « services » stopped with a KeyError."""
    path = write_json(tmp_path / "services.json", [service(i) for i in range(3)])
    summary = harvest(DataInclusionHarvester(str(path), options={"kind": kind}), source="di", settings=settings)
    assert summary.status == "failed"
    assert f"Option kind : « {kind} » inconnu" in summary.message
    assert snapshot(engine) == ([], 0)


def test_a_source_address_with_an_unclosed_bracket_fails_its_run_in_french(settings, engine):
    """« https://[::1 » made urlsplit raise: a traceback instead of a job, and no --json output."""
    summary = harvest(DataInclusionHarvester("https://[::1"), source="di", settings=settings)
    assert summary.status == "failed" and summary.job_id is not None
    assert summary.message.startswith("Adresse de la source mal formée : son nom de serveur entre crochets")


def test_a_password_written_in_a_source_address_is_never_sent_nor_shown(settings, engine):
    """requests sent « user:s3cret@ » as Basic authentication, over plain http too, and the
    job's message showed the address, password included."""
    with responses.RequestsMock() as rsps:  # nothing may be requested
        summary = harvest(DataInclusionHarvester("http://user:s3cret@partner.example/structures.csv"),
                          source="di", settings=settings)
        assert len(rsps.calls) == 0
    assert summary.status == "failed" and "s3cret" not in summary.message
    assert "contient un identifiant ou un mot de passe (à donner par --token-env" in summary.message


def test_a_service_names_its_structure_by_the_structure_s_catalog_id(tmp_path, settings, engine):
    """`id` was qualified (« test--s1 ») and `structure_id` kept bare (« s1 »): the service named
    no structure of the catalog. One already qualified, by its own source or another the catalog
    knows, is kept; « mjc--13 », a producer's own id holding « -- » (« mjc » is no source), is
    qualified as that structure's `id` was: it was kept, and named nothing."""
    run(write_json(tmp_path / "dora.json", [structure(9, source="dora")]), settings, source="dora-structures")
    rows = [structure(1), service(1) | {"structure_id": "s1"}, service(2) | {"structure_id": "dora--abc"},
            service(3) | {"structure_id": "test--s1"}, service(4) | {"structure_id": " mjc--13 "}]
    summary = run(write_json(tmp_path / "services.json", rows[1:]), settings)
    assert summary.counts["added"] == 4, summary.groups
    run(write_json(tmp_path / "structures.json", [rows[0], structure(5) | {"id": "mjc--13"}]), settings,
        source="di-structures")
    with engine.connect() as conn:
        saved = {row.id: orjson.loads(row.data) for row in conn.execute(select(RECORDS.c.id, RECORDS.c.data))}
    assert saved["test--v1"]["structure_id"] == "test--s1" and "test--s1" in saved
    assert saved["test--v4"]["structure_id"] == "test--mjc--13" and "test--mjc--13" in saved
    assert saved["test--v2"]["structure_id"] == "dora--abc" and saved["test--v3"]["structure_id"] == "test--s1"


def test_an_unmappable_item_whose_id_is_too_long_for_the_catalog_is_one_invalid_item(settings, engine):
    """Its id (310 characters, built from the source's cells) was remembered as seen: PostgreSQL
    refused it (VARCHAR(300)) and the whole harvest failed with a traceback."""
    from typing import ClassVar

    from catalog.validation import Problem
    from harvesters.base import Harvester, Item

    class LongHint(Harvester):
        format: ClassVar[str] = "test-long-hint"
        kinds: ClassVar[tuple[str, ...]] = ("service",)
        default_source: ClassVar[str] = "di"

        def items(self):
            yield Item("service", None, "ligne 1", [Problem("date_maj", "illisible", "Date illisible.")],
                       id_hint="di--" + "x" * 310)
            yield Item("service", service(1), "ligne 2")

    summary = harvest(LongHint("memoire"), source="di", settings=settings)
    assert summary.status == "done-with-errors", summary.message
    assert (summary.counts["invalid"], summary.counts["added"]) == (1, 1)


def test_a_second_run_judges_the_catalog_after_the_first_has_committed(tmp_path, settings, engine):
    """On PostgreSQL the writers' lock came at a run's first write, after it had read the
    catalog: a dry run started during a harvest judged records « added » that the harvest then
    committed, and failed with a UniqueViolation traceback. It now waits before reading, as on
    SQLite (BEGIN IMMEDIATE), and finds them unchanged."""
    import threading
    import time

    path = write_json(tmp_path / "services.json", [service(i) for i in range(6)])
    written, release = threading.Event(), threading.Event()

    class PausesBeforeItsLastItem(DataInclusionHarvester):
        def items(self):
            for position, item in enumerate(super().items()):
                if position == 5:  # the first batches are written, not committed
                    written.set()
                    release.wait(30)
                yield item

    results = {}
    first = threading.Thread(target=lambda: results.setdefault("first", harvest(
        PausesBeforeItsLastItem(str(path)), source="di", settings=settings, batch_size=2)))
    first.start()
    assert written.wait(30)
    second = threading.Thread(target=lambda: results.setdefault("second", run(path, settings, dry_run=True)))
    second.start()
    time.sleep(1)  # the second run reaches the catalog while the first holds it
    release.set()
    first.join(60)
    second.join(60)
    assert results["first"].counts["added"] == 6
    assert results["second"].status == "done", results["second"].message
    assert results["second"].counts["unchanged"] == 6 and results["second"].counts["added"] == 0


def test_the_change_sequence_goes_past_32_bits(tmp_path, settings, engine):
    """PostgreSQL's sequence never gives back the numbers of a rolled-back run (dry runs, held
    runs): `record.seq` on 32 bits ran out, and every harvest then failed."""
    from sqlalchemy import text

    run(write_json(tmp_path / "one.json", [service(1)]), settings)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('record_seq', 2147483647)"))
        else:
            conn.execute(update(RECORDS).values(seq=2147483647))
    summary = run(write_json(tmp_path / "two.json", [service(1), service(2)]), settings)
    assert summary.status == "done" and summary.counts["added"] == 1, summary.message
    with engine.connect() as conn:
        assert conn.execute(select(func.max(RECORDS.c.seq))).scalar_one() >= 2**31
