"""`maillage harvest` and `maillage jobs`: what scripts and cron jobs rely on."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from maillage.cli import main
from tests.factories import service, write_json


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_json_summary_and_exit_codes(tmp_path, settings):
    records = [service(i) for i in range(20)]
    path = write_json(tmp_path / "services.json", records)
    first = invoke("harvest", "datainclusion", path, "--source", "cli", "--json")
    assert first.exit_code == 0
    summary = json.loads(first.output)
    assert summary["status"] == "done" and summary["counts"]["added"] == 20

    again = json.loads(invoke("harvest", "datainclusion", path, "--source", "cli", "--json").output)
    assert again["counts"]["unchanged"] == 20 and again["counts"]["added"] == 0

    held = invoke("harvest", "datainclusion", write_json(tmp_path / "s.json", records[:10]), "--source", "cli", "--json")
    assert held.exit_code == 3 and json.loads(held.output)["status"] == "held"

    (tmp_path / "broken.json").write_text('[{"id": ')
    failed = invoke("harvest", "datainclusion", tmp_path / "broken.json", "--source", "cli", "--json")
    assert failed.exit_code == 1 and "tronqué" in json.loads(failed.output)["message"]


def test_human_summary_is_french(tmp_path, settings):
    records = [service(i) for i in range(5)]
    records[2]["frais"] = "inconnu"
    result = invoke("harvest", "datainclusion", write_json(tmp_path / "services.json", records), "--source", "cli")
    assert result.exit_code == 0
    assert "terminé avec erreurs" in result.output and "4 ajoutés" in result.output and "1 invalides" in result.output
    assert "« frais »" in result.output


def test_the_counts_say_what_was_done_and_what_would_be(tmp_path, settings):
    records = [service(i) for i in range(20)]
    done = invoke("harvest", "datainclusion", write_json(tmp_path / "all.json", records), "--source", "cli")
    assert "20 lus  20 ajoutés  0 modifiés" in done.output
    held = invoke("harvest", "datainclusion", write_json(tmp_path / "few.json", records[:6]), "--source", "cli")
    # Suspended, nothing applied: the 14 records gone from the source are what applying would do.
    assert held.exit_code == 3
    assert ("6 lus  0 invalides  0 avec avertissement · s'il était appliqué : 0 ajoutés  0 modifiés  "
            "6 inchangés  0 restaurés  14 absents (délai de grâce)  0 archivés") in held.output
    dry = invoke("harvest", "datainclusion", tmp_path / "few.json", "--source", "cli", "--dry-run", "--force")
    assert "· s'il était appliqué : 0 ajoutés  0 modifiés  6 inchangés" in dry.output
    failed = invoke("harvest", "datainclusion", tmp_path / "absent.json", "--source", "cli")
    assert failed.exit_code == 1 and "ajoutés" not in failed.output and "0 lus  0 invalides" in failed.output
    # The source's reason, then ours, as two sentences.
    assert f"Fichier introuvable : {tmp_path / 'absent.json'}. Le catalogue n'a pas été modifié." in failed.output


def test_dry_run_flag(tmp_path, settings):
    path = write_json(tmp_path / "services.json", [service(i) for i in range(5)])
    dry = json.loads(invoke("harvest", "datainclusion", path, "--dry-run", "--json").output)
    assert dry["dry_run"] and dry["counts"]["added"] == 5
    real = json.loads(invoke("harvest", "datainclusion", path, "--json").output)
    assert real["counts"]["added"] == 5  # the dry run wrote nothing


def test_jobs_list_show_and_csv_report(tmp_path, settings):
    records = [service(i) for i in range(6)]
    records[1]["nom"] = "X"
    summary = json.loads(invoke("harvest", "datainclusion", write_json(tmp_path / "services.json", records),
                                "--source", "cli", "--json").output)
    listed = json.loads(invoke("jobs", "list", "--json").output)
    assert [job["job"] for job in listed] == [summary["job"]]
    shown = json.loads(invoke("jobs", "show", summary["job"], "--json").output)
    assert shown["counts"] == summary["counts"] and shown["errors"][0]["champ"] == "nom"
    out = tmp_path / "rapport.csv"
    assert invoke("jobs", "report", summary["job"], "--status", "invalid", "-o", out).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["identifiant"], r["champ"], r["reference"]) for r in rows] == [("test--v1", "nom", "élément 2")]
    assert invoke("jobs", "show", 999).exit_code != 0


def test_a_group_whose_records_say_different_things_says_so(tmp_path, settings):
    """Three files unreadable each for its own reason were shown under the first one's reason."""
    rows = [service(i) for i in range(3)]
    rows[0]["date_maj"], rows[1]["date_maj"], rows[2]["date_maj"] = "2024-13-01", "2024-02-30", "2024-02-30"
    path = write_json(tmp_path / "services.json", rows)
    summary = json.loads(invoke("harvest", "datainclusion", path, "--dry-run", "--json").output)
    [group] = [g for g in summary["errors"] if g["champ"] == "date_maj"]
    assert group["nombre"] == 3 and group["autres_messages"] == 1  # two distinct messages in all
    shown = invoke("harvest", "datainclusion", path, "--dry-run").output
    assert "— et 1 autre(s) message(s) pour ce code (voir « maillage jobs report »)" in shown


def test_click_s_own_words_are_french(settings):
    """Around French help and messages, Click wrote « Usage: », « Error: Missing argument »."""
    from click.testing import CliRunner

    from maillage.cli import main

    shown = CliRunner().invoke(main, ["harvest", "--help"]).output
    assert shown.startswith("Utilisation : main harvest [OPTIONS] FORMAT EMPLACEMENT")  # « main »: the runner names it so
    assert "Affiche cette aide et quitte." in shown and "Show this message" not in shown
    missing = CliRunner().invoke(main, ["harvest", "lheo"])
    assert missing.exit_code == 2 and "Erreur : Argument manquant 'EMPLACEMENT'." in missing.output
    unknown = CliRunner().invoke(main, ["harvest", "nimporte", "x"])
    assert "Valeur invalide pour 'FORMAT' : 'nimporte' n'est pas parmi 'aides-jeunes'," in unknown.output
