"""`maillage sources …`: the registry, schedules judged from the last job, and runs for cron."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

import catalog.clock
from catalog.clock import utcnow
from catalog.models import HarvestJob, Record, Source
from catalog.sources import SourceSpec, get_source, is_due, next_due, parse_schedule
from harvesters import job_lease
from harvesters.engine import COUNT_NAMES
from maillage.cli import main
from tests.factories import service, write_json

RECORDS = Record.__table__


def cli(*args):
    return CliRunner().invoke(main, ["sources", *args], catch_exceptions=False)


@pytest.fixture
def services_file(tmp_path):
    return write_json(tmp_path / "services.json", [service(i) for i in range(10)])


def test_add_show_list_remove(tmp_path, settings, engine, services_file, monkeypatch):
    monkeypatch.setenv("JETON_PARTENAIRE", "s3cret-valeur")
    monkeypatch.chdir(tmp_path)
    result = cli("add", "partenaire", "datainclusion", "services.json", "--title", "Partenaire de Saint-Denis",
                 "--token-env", "JETON_PARTENAIRE", "--schedule", "daily", "--grace-days", "3",
                 "--archive-threshold", "0.5", "--option", "kind=service")
    assert result.exit_code == 0, result.output
    assert "Source « partenaire » enregistrée" in result.output and "chaque jour à 3 h" in result.output
    spec = get_source(engine, "partenaire")
    assert spec.location == str(services_file)  # made absolute: cron runs from elsewhere
    assert (spec.credentials_ref, spec.schedule, spec.grace_days, spec.archive_threshold) == (
        "JETON_PARTENAIRE", "daily", 3, 0.5)
    assert spec.options == {"kind": "service"}
    with engine.connect() as conn:
        row = conn.execute(select(Source.__table__)).mappings().one()
    assert "s3cret-valeur" not in orjson.dumps(dict(row), default=str).decode()  # the name, never the secret
    shown = cli("show", "partenaire")
    assert "variable d'environnement JETON_PARTENAIRE (définie)" in shown.output
    assert "s3cret-valeur" not in shown.output and "jamais moissonnée" in shown.output
    listed = orjson.loads(cli("list", "--json").output)
    assert [s["name"] for s in listed] == ["partenaire"] and listed[0]["next_due"] == "maintenant"
    again = cli("add", "partenaire", "datainclusion", str(services_file), "--schedule", "")
    assert "mise à jour" in again.output and get_source(engine, "partenaire").schedule is None
    assert cli("remove", "partenaire").exit_code == 0 and get_source(engine, "partenaire") is None
    missing = cli("remove", "partenaire")
    assert missing.exit_code == 1 and "Source inconnue" in missing.output


def test_an_update_changes_only_what_it_gives(settings, engine, services_file):
    cli("add", "partenaire", "datainclusion", str(services_file), "--title", "Partenaire", "--token-env", "JETON_P",
        "--schedule", "daily", "--grace-days", "30", "--archive-threshold", "0.5", "--option", "kind=service",
        "--option", "prefix=p", "--disabled")
    updated = orjson.loads(cli("add", "partenaire", "datainclusion", str(services_file), "--schedule", "weekly",
                               "--option", "prefix=", "--option", "page_size=50", "--json").output)
    assert updated["created"] is False and updated["warnings"] == []
    spec = get_source(engine, "partenaire")
    assert (spec.title, spec.credentials_ref, spec.schedule, spec.grace_days, spec.archive_threshold, spec.enabled) == (
        "Partenaire", "JETON_P", "weekly", 30, 0.5, False)
    assert spec.options == {"kind": "service", "page_size": "50"}  # « prefix= » removed it
    cli("add", "partenaire", "datainclusion", str(services_file), "--enabled", "--token-env", "")
    spec = get_source(engine, "partenaire")
    assert spec.enabled and spec.credentials_ref is None and spec.schedule == "weekly"
    moved = cli("add", "partenaire", "dora", str(services_file))  # another format: its options are not these
    assert "les options de l'ancien format sont retirées (kind, page_size)" in moved.output
    assert get_source(engine, "partenaire").options == {}


def test_a_new_source_is_titled_by_its_name_and_a_web_address_without_scheme_is_said(settings, engine):
    added = orjson.loads(cli("add", "flux", "mobilite-csv", "exemple.fr/plateformes.csv", "--json").output)
    assert added["title"] == "flux" and added["created"] is True
    assert added["warnings"] == [("Attention : « exemple.fr/plateformes.csv » est introuvable pour l'instant "
                                  "(une adresse web commence par https://).")]


def test_a_folder_given_for_a_file_format_is_said(settings, engine, tmp_path):
    added = orjson.loads(cli("add", "flux", "mobilite-csv", str(tmp_path), "--json").output)
    assert added["warnings"] == [f"Attention : « {tmp_path} » est un dossier ; le format mobilite-csv lit un fichier."]
    assert orjson.loads(cli("add", "aj", "aides-jeunes", str(tmp_path), "--json").output)["warnings"] == []


def test_harvest_source_names_follow_the_registry_s_rule(settings, engine, services_file):
    result = CliRunner().invoke(main, ["harvest", "datainclusion", str(services_file), "--source", "Mon Réseau/Été"])
    assert result.exit_code == 2 and "minuscules, chiffres" in result.output
    with engine.connect() as conn:
        assert conn.execute(select(Record.id)).first() is None


@pytest.mark.parametrize("args, expected", [
    (["--schedule", "tous les jours"], "expression cron à 5 champs"),
    (["--schedule", "61 * * * *"], "minute « 61 » hors de 0-59"),
    (["--token-env", "ghp_AbC-123!"], "jamais le jeton"),
    (["--token-env", "f9a1c0e77b24d51a8e63"], "jamais le jeton"),  # a hexadecimal token, a valid shell name
    (["--token-env", "ghp_AbC123"], "jamais le jeton"),
    (["--archive-threshold", "1.5"], "1.5"),
    # Once registered, then every run failed (OverflowError of a date), or a traceback at once;
    # NaN passes every range check: a NULL refused by SQLite, a breaker never tripped on PostgreSQL.
    (["--grace-days", "1000000000"], "0<=x<=99999999"),
    (["--grace-days", "99999999999999999999"], "0<=x<=99999999"),
    (["--archive-threshold", "nan"], "un nombre entre 0 et 1 est attendu"),
    # Longer than the catalog's columns: PostgreSQL refused them with a traceback, SQLite stored them.
    (["--schedule", ",".join(map(str, range(60))) + " * * * *"], "plus de 100 caractères"),
    (["--token-env", "A" + "B" * 220], "jamais le jeton"),
])
def test_add_refuses_bad_settings(settings, engine, services_file, args, expected):
    result = cli("add", "partenaire", "datainclusion", str(services_file), *args)
    assert result.exit_code == 2 and expected in result.output
    assert get_source(engine, "partenaire") is None


def test_run_named_sources_and_json_for_scripts(settings, engine, services_file):
    cli("add", "partenaire", "datainclusion", str(services_file))
    result = cli("run", "partenaire")
    assert result.exit_code == 0 and "10 ajoutés" in result.output and "Statut : terminé" in result.output
    [summary] = orjson.loads(cli("run", "partenaire", "--json", "--dry-run").output)
    assert summary["dry_run"] and summary["counts"]["unchanged"] == 10
    unknown = CliRunner().invoke(main, ["sources", "run", "inconnue"])
    assert unknown.exit_code == 1 and "Source inconnue : « inconnue »" in unknown.output


def at(monkeypatch, moment: datetime) -> None:
    """Move the clock of the `--due` judgement and of the jobs it starts."""
    import harvesters.engine

    monkeypatch.setattr(catalog.clock, "utcnow", lambda: moment)
    monkeypatch.setattr(harvesters.engine, "utcnow", lambda: moment)


BASE = datetime(2026, 1, 15, 10, 20, tzinfo=UTC)  # 11:20 in Paris


def job_count(engine, source):
    with engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM harvest_job WHERE source = :s AND dry_run = false"),
                            {"s": source}).scalar_one()


def test_due_runs_only_what_its_schedule_says(settings, engine, services_file, monkeypatch):
    cli("add", "quotidienne", "datainclusion", str(services_file), "--schedule", "daily")
    cli("add", "a-la-demande", "datainclusion", str(services_file), "--option", "kind=service")
    at(monkeypatch, BASE)
    first = orjson.loads(cli("run", "--due", "--json").output)
    assert [s["source"] for s in first] == ["quotidienne"]  # never run: due at once; no schedule: never due
    at(monkeypatch, BASE + timedelta(minutes=5))
    assert orjson.loads(cli("run", "--due", "--json").output) == []
    assert "Aucune source à moissonner maintenant." in cli("run", "--due").output
    at(monkeypatch, datetime(2026, 1, 16, 1, 59, tzinfo=UTC))  # 02:59 in Paris
    assert orjson.loads(cli("run", "--due", "--json").output) == []
    at(monkeypatch, datetime(2026, 1, 16, 2, 0, tzinfo=UTC))  # 03:00 in Paris
    second = orjson.loads(cli("run", "--due", "--json").output)
    assert [(s["source"], s["counts"]["unchanged"]) for s in second] == [("quotidienne", 10)]
    assert job_count(engine, "quotidienne") == 2 and job_count(engine, "a-la-demande") == 0


def test_a_failed_scheduled_source_keeps_its_catalog_and_waits_for_its_next_time(
        tmp_path, settings, engine, services_file, monkeypatch):
    cli("add", "horaire", "datainclusion", str(services_file), "--schedule", "hourly")
    at(monkeypatch, BASE)
    assert cli("run", "--due").exit_code == 0
    with engine.connect() as conn:
        before = conn.execute(select(RECORDS.c.id, RECORDS.c.status, RECORDS.c.version)).all()
    services_file.write_text('[{"source": "test", "id": "tronqu', encoding="utf-8")  # truncated feed
    at(monkeypatch, datetime(2026, 1, 15, 11, 1, tzinfo=UTC))  # past 11:00 (UTC), the next hour
    failed = CliRunner().invoke(main, ["sources", "run", "--due", "--json"])
    assert failed.exit_code == 1
    [summary] = orjson.loads(failed.output)
    assert summary["status"] == "failed" and "tronqué" in summary["message"]
    with engine.connect() as conn:
        assert conn.execute(select(RECORDS.c.id, RECORDS.c.status, RECORDS.c.version)).all() == before
    # Not retried at every cron tick: at its next scheduled time.
    at(monkeypatch, datetime(2026, 1, 15, 11, 59, tzinfo=UTC))
    assert orjson.loads(cli("run", "--due", "--json").output) == []
    at(monkeypatch, datetime(2026, 1, 15, 12, 0, tzinfo=UTC))
    assert [s["status"] for s in orjson.loads(CliRunner().invoke(main, ["sources", "run", "--due", "--json"]).output)
            ] == ["failed"]


def test_held_run_exits_3(tmp_path, settings, engine, services_file):
    cli("add", "partenaire", "datainclusion", str(services_file))
    cli("run", "partenaire")
    write_json(services_file, [service(i) for i in range(5)])  # half of them vanished
    result = CliRunner().invoke(main, ["sources", "run", "partenaire"])
    assert result.exit_code == 3 and "suspendu" in result.output


# -- schedules ---------------------------------------------------------------------------------

PARIS_WINTER = datetime(2026, 1, 15, 10, 20, tzinfo=UTC)  # 11:20 in Paris


@pytest.mark.parametrize("schedule, expected", [
    ("hourly", datetime(2026, 1, 15, 11, 0)),
    ("daily", datetime(2026, 1, 16, 2, 0)),  # 03:00 Paris (UTC+1)
    ("weekly", datetime(2026, 1, 19, 2, 0)),  # Monday
    ("@monthly", datetime(2026, 2, 1, 2, 0)),
    ("*/15 * * * *", datetime(2026, 1, 15, 10, 30)),
    ("0 8-18/5 * * *", datetime(2026, 1, 15, 12, 0)),  # 13:00 Paris
    ("30 2 29 2 *", datetime(2028, 2, 29, 1, 30)),
    ("0 9 1 * 1", datetime(2026, 1, 19, 8, 0)),  # the 1st OR a Monday (cron's rule), whichever first
    ("0 9 * * 7", datetime(2026, 1, 18, 8, 0)),  # 7 is Sunday too
])
def test_next_scheduled_time(schedule, expected, monkeypatch):
    monkeypatch.delenv("MAILLAGE_TIMEZONE", raising=False)
    assert parse_schedule(schedule).next_after(PARIS_WINTER) == expected.replace(tzinfo=UTC)


def test_schedule_follows_paris_summer_time(monkeypatch):
    monkeypatch.delenv("MAILLAGE_TIMEZONE", raising=False)
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert parse_schedule("daily").next_after(summer) == datetime(2026, 7, 2, 1, 0, tzinfo=UTC)
    monkeypatch.setenv("MAILLAGE_TIMEZONE", "UTC")
    assert parse_schedule("daily").next_after(summer) == datetime(2026, 7, 2, 3, 0, tzinfo=UTC)


def test_the_hour_that_happens_twice_is_never_run_before_the_last_run(monkeypatch):
    monkeypatch.delenv("MAILLAGE_TIMEZONE", raising=False)
    # 25 October 2026, clocks go back at 03:00: 01:05 UTC is the *second* 02:05 in Paris.
    second_pass = datetime(2026, 10, 25, 1, 5, tzinfo=UTC)
    assert parse_schedule("*/30 * * * *").next_after(second_pass) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    first_pass = datetime(2026, 10, 25, 0, 5, tzinfo=UTC)  # 02:05 summer time
    assert parse_schedule("*/30 * * * *").next_after(first_pass) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    spec = SourceSpec(name="s", format="datainclusion", location="x", schedule="*/30 * * * *")
    assert not is_due(spec, second_pass, second_pass + timedelta(minutes=5))


@pytest.mark.parametrize("schedule", ["", "* * * *", "0 24 * * *", "0 3 0 * *", "0 3 * 13 *", "*/0 * * * *",
                                      "lundi", "0 3 30 2 *", "0 3 31 4,6,9,11 *"])
def test_bad_schedules(schedule):
    with pytest.raises(ValueError):
        parse_schedule(schedule)


def test_due_judgement():
    spec = SourceSpec(name="s", format="datainclusion", location="x", schedule="hourly")
    last = datetime(2026, 1, 15, 10, 20, tzinfo=UTC)
    assert is_due(spec, None, last)
    assert not is_due(spec, last, last + timedelta(minutes=30))
    assert is_due(spec, last, last + timedelta(minutes=40))
    assert next_due(spec, last.replace(tzinfo=None)) == datetime(2026, 1, 15, 11, 0, tzinfo=UTC)
    spec.enabled = False
    assert not is_due(spec, None, last)
    spec.enabled, spec.schedule = True, None
    assert not is_due(spec, None, last)


def test_a_schedule_that_does_not_parse_is_reported_not_fatal(settings, engine, services_file):
    from catalog.sources import register_source

    register_source(engine, SourceSpec(name="bizarre", format="datainclusion", location=str(services_file),
                                       schedule="toutes les lunes"))
    cli("add", "normale", "datainclusion", str(services_file), "--schedule", "hourly")
    result = CliRunner().invoke(main, ["sources", "run", "--due", "--json"])
    assert [s["source"] for s in orjson.loads(result.stdout)] == ["normale"]
    assert "Source « bizarre » ignorée" in result.stderr
    assert cli("list").exit_code == 0


def test_a_due_source_another_worker_started_a_moment_earlier_is_not_a_failure(
        settings, engine, services_file, monkeypatch):
    """Two workers on one schedule: both judge the source due, the other one starts it first."""
    import maillage.cli.sources as sources_cli

    cli("add", "partagee", "datainclusion", str(services_file), "--schedule", "hourly")
    judge, leases = sources_cli._due, []

    def the_other_worker_starts_it_now(spec, last_run_at, now):
        due = judge(spec, last_run_at, now)
        leases.append(job_lease.insert_leased(engine, HarvestJob.__table__.insert().values(
            source="partagee", format="datainclusion", location="ailleurs", status="running", dry_run=False,
            forced=False, kinds="[]", created_at=now, started_at=now, pid=os.getppid(),
            host=socket.gethostname(), **dict.fromkeys(COUNT_NAMES, 0))))
        return due

    def the_other_worker_finishes():
        while leases:
            job_id = leases.pop()
            job_lease.release(job_id)
            with engine.begin() as conn:
                conn.execute(HarvestJob.__table__.update().where(HarvestJob.__table__.c.id == job_id)
                             .values(status="done"))

    monkeypatch.setattr(sources_cli, "_due", the_other_worker_starts_it_now)
    at(monkeypatch, BASE)
    try:
        due = CliRunner().invoke(main, ["sources", "run", "--due", "--json"])
        the_other_worker_finishes()
        at(monkeypatch, BASE + timedelta(hours=2))  # the next hour, the same race
        told = CliRunner().invoke(main, ["sources", "run", "--due"])
        monkeypatch.setattr(sources_cli, "_due", judge)  # told's other run is still under way
        named = CliRunner().invoke(main, ["sources", "run", "partagee", "--json"])
    finally:
        the_other_worker_finishes()
    [summary] = orjson.loads(due.output)
    assert due.exit_code == 0 and summary["refused"] and "déjà en cours" in summary["message"]
    assert told.exit_code == 0 and "déjà en cours" in told.output
    assert job_count(engine, "partagee") == 5  # the other worker's two runs, and our three refused
    # Asked by name, the operator wanted it run now: that it could not be is a failure.
    assert named.exit_code == 1 and orjson.loads(named.output)[0]["refused"]
    assert orjson.loads(cli("run", "partagee", "--json").output)[0]["refused"] is False


def test_a_bug_in_one_source_does_not_stop_the_others(settings, engine, services_file, monkeypatch):
    import harvesters.engine

    cli("add", "boguee", "datainclusion", str(services_file))
    cli("add", "saine", "datainclusion", str(services_file), "--option", "kind=service")
    real = harvesters.engine.harvest_source

    def harvest_source(name, **kwargs):
        if name == "boguee":
            raise ZeroDivisionError("division by zero")
        return real(name, **kwargs)

    monkeypatch.setattr(harvesters.engine, "harvest_source", harvest_source)
    result = CliRunner().invoke(main, ["sources", "run", "--json"])
    broken, sound = orjson.loads(result.output)
    assert result.exit_code == 1
    assert (broken["source"], broken["status"], broken["job"], broken["refused"]) == ("boguee", "failed", None, False)
    assert broken["message"] == "Erreur interne (ZeroDivisionError: division by zero)."
    assert (sound["source"], sound["status"], sound["counts"]["added"]) == ("saine", "done", 10)


def test_a_bug_during_a_run_names_the_job_it_recorded(settings, engine, services_file, monkeypatch):
    from harvesters.datainclusion import DataInclusionHarvester

    cli("add", "boguee", "datainclusion", str(services_file))
    [first] = orjson.loads(cli("run", "boguee", "--json").output)

    def items(self):
        yield from ()
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(DataInclusionHarvester, "items", items)
    result = CliRunner().invoke(main, ["sources", "run", "boguee", "--json"])
    [broken] = orjson.loads(result.output)
    assert result.exit_code == 1 and broken["status"] == "failed"
    assert broken["job"] == first["job"] + 1  # the job the run recorded, closed as failed
    assert broken["message"] == ("Erreur interne (ZeroDivisionError: division by zero). "
                                 "Le catalogue n'a pas été modifié.")
    shown = CliRunner().invoke(main, ["jobs", "show", str(broken["job"]), "--json"])
    assert orjson.loads(shown.output)["status"] == "failed"
    with engine.connect() as conn:
        statuses = conn.execute(select(Record.status).where(Record.harvest_source == "boguee")).scalars().all()
    assert statuses == ["active"] * first["counts"]["added"]


def test_a_source_removed_while_the_cycle_runs_is_said_and_the_others_run(settings, engine, services_file,
                                                                          monkeypatch):
    import harvesters.engine
    from catalog.sources import remove_source

    cli("add", "a-retirer", "datainclusion", str(services_file))
    cli("add", "saine", "datainclusion", str(services_file), "--option", "kind=service")
    real = harvesters.engine.harvest_source

    def harvest_source(name, **kwargs):
        if name == "a-retirer":  # another operator removes it just before its turn
            remove_source(engine, name)
        return real(name, **kwargs)

    monkeypatch.setattr(harvesters.engine, "harvest_source", harvest_source)
    result = CliRunner().invoke(main, ["sources", "run", "--json"])
    removed, sound = orjson.loads(result.output)
    assert result.exit_code == 1 and (removed["job"], removed["status"]) == (None, "failed")
    assert removed["message"] == "Source inconnue : « a-retirer » (voir « maillage sources list »)."
    assert (sound["source"], sound["counts"]["added"]) == ("saine", 10)


def test_a_failing_source_says_since_when_and_how_old_its_records_are(settings, engine, services_file):
    cli("add", "lente", "datainclusion", str(services_file))
    good = services_file.read_bytes()
    [first] = orjson.loads(cli("run", "lente", "--json").output)
    services_file.write_text("[", encoding="utf-8")  # a truncated feed, twice
    cli("run", "lente")
    cli("run", "lente")
    CliRunner().invoke(main, ["sources", "run", "lente", "--dry-run"])  # a dry run judges nothing

    [listed] = orjson.loads(cli("list", "--json").output)
    assert listed["failures_since_success"] == 2 and listed["last_success"]["job"] == first["job"]
    shown = cli("show", "lente").output
    assert f"En échec depuis 2 moissonnages : ses fiches sont celles du moissonnage réussi n°{first['job']} du " in shown
    assert shown.count("JSON tronqué ou mal formé") == 3  # each failed run says why, the dry one too
    assert "En échec depuis 2 moissonnages" in cli("list").output

    services_file.write_bytes(good)
    assert cli("run", "lente").exit_code == 0
    [listed] = orjson.loads(cli("list", "--json").output)
    assert listed["failures_since_success"] == 0 and "En échec" not in cli("list").output

    # A run refused because another run of the source is under way says nothing of the source.
    under_way = job_lease.insert_leased(engine, HarvestJob.__table__.insert().values(
        source="lente", format="datainclusion", location="ailleurs", status="running", dry_run=False,
        forced=False, kinds="[]", created_at=utcnow(), started_at=utcnow(), pid=os.getppid(),
        host=socket.gethostname(), **dict.fromkeys(COUNT_NAMES, 0)))
    [refused] = orjson.loads(CliRunner().invoke(main, ["sources", "run", "lente", "--json"]).output)
    job_lease.release(under_way)
    assert refused["status"] == "failed" and "déjà en cours" in refused["message"]
    [listed] = orjson.loads(cli("list", "--json").output)
    assert listed["failures_since_success"] == 0

    cli("add", "jamais", "datainclusion", str(services_file.with_name("absent.json")))
    CliRunner().invoke(main, ["sources", "run", "jamais"])
    assert "En échec depuis le dernier moissonnage, jamais réussie : aucune fiche n'en vient." in cli("list").output


@pytest.mark.parametrize("args", [["--force"], ["--force", "--due"], ["partenaire", "--force", "--every", "60"]])
def test_force_is_for_named_sources_in_one_run_only(settings, engine, services_file, args, monkeypatch):
    """`--force` on every source, on every due source or at each worker cycle turned the
    archive breaker off for all of them, without a word."""
    import maillage.cli.sources

    # Were the worker started, it would run until stopped: let the test end either way.
    monkeypatch.setattr(maillage.cli.sources, "_work", lambda *a: None)
    assert cli("add", "partenaire", "datainclusion", str(services_file)).exit_code == 0
    result = CliRunner().invoke(main, ["sources", "run", *args])
    assert result.exit_code == 2 and "--force s'applique à des sources nommées" in result.output
    with engine.connect() as conn:
        assert conn.execute(select(HarvestJob.__table__)).all() == []
    assert cli("run", "partenaire", "--force").exit_code == 0


def test_the_report_of_a_job_that_does_not_exist_is_an_error(settings, engine):
    """It printed an empty CSV and exited 0, where `jobs show` says the job is not there."""
    result = CliRunner().invoke(main, ["jobs", "report", "999"])
    assert result.exit_code == 1 and "Travail n°999 introuvable." in result.output


def test_remove_with_archiver_archives_the_sources_records_and_they_leave_search(settings, engine, tmp_path):
    """A withdrawn partner's records stayed published for good: nothing harvested them any more."""
    from catalog.search import SearchQuery, get_backend

    partner = write_json(tmp_path / "partenaire.json", [service(i, source="partenaire") for i in range(6)])
    other = write_json(tmp_path / "autre.json", [service(i, source="autre") for i in range(4)])
    cli("add", "partenaire", "datainclusion", str(partner))
    cli("add", "autre", "datainclusion", str(other))
    assert cli("run", "partenaire", "autre").exit_code == 0

    def searchable(source: str) -> int:
        return get_backend(settings).search(SearchQuery(sources=[source])).total

    assert (searchable("partenaire"), searchable("autre")) == (6, 4)
    kept = cli("remove", "partenaire")
    assert kept.exit_code == 0 and "restent publiées" in kept.output and "--archiver" in kept.output
    assert searchable("partenaire") == 6
    # Removed before without its records: --archiver still reaches them, by the name they carry.
    archived = cli("remove", "partenaire", "--archiver")
    assert archived.exit_code == 0 and "6 fiches archivées" in archived.output, archived.output
    with engine.connect() as conn:
        statuses = set(conn.execute(text("SELECT DISTINCT harvest_source, status FROM record")).all())
        authors = conn.execute(text("SELECT DISTINCT author, action FROM revision WHERE action = 'archived'")).all()
    assert statuses == {("partenaire", "archived"), ("autre", "active")}
    assert authors == [("retrait:partenaire", "archived")]
    assert (searchable("partenaire"), searchable("autre")) == (0, 4)
    assert cli("remove", "partenaire", "--archiver").exit_code == 1  # nothing left to do: unknown
    assert get_source(engine, "autre") is not None
    # Published again by a source: restored, with their history.
    cli("add", "partenaire", "datainclusion", str(partner))
    again = cli("run", "partenaire")
    assert "6 restaurés" in again.output, again.output
    assert searchable("partenaire") == 6
