"""Harvest throughput and memory, beside `frictionless validate` on the same file.

    .venv/bin/python bench/harvest.py --rows 10000,100000 [--format csv|ndjson] [--keep]

For each size N: generates a data·inclusion v1 services file of N rows (deterministic, realistic
French content), then runs, each in its own process,
  1. `frictionless validate --schema schemas/service/schema.json FILE` (validation only);
  2. `maillage harvest datainclusion FILE` on an empty data directory (read, validate, identify,
     write records + revisions, index for search: the whole pipeline);
  3. the same harvest again (every record unchanged: change detection only);
and prints wall time, rows/s and peak RSS (from `wait4`, per process).
Target (for later issues): harvest ≥ 1.5 × frictionless' rows/s at 1,000,000 rows, with a peak
memory that does not grow with N.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

PLACES = [
    ("93066", "93200", "Saint-Denis", 48.936, 2.357), ("93008", "93000", "Bobigny", 48.908, 2.440),
    ("75111", "75011", "Paris 11e", 48.859, 2.379), ("69123", "69003", "Lyon", 45.760, 4.850),
    ("13055", "13001", "Marseille", 43.296, 5.381), ("59350", "59000", "Lille", 50.630, 3.060),
    ("35238", "35000", "Rennes", 48.111, -1.680), ("31555", "31000", "Toulouse", 43.604, 1.444),
]
ACTIONS = ["Accompagnement", "Atelier", "Permanence", "Aide", "Formation", "Conseil", "Soutien"]
SUBJECTS = ["au permis de conduire", "à la recherche d'emploi", "numérique", "au logement",
            "à la création d'entreprise", "budgétaire", "à la mobilité", "santé"]
THEMES = ["mobilite--preparer-un-permis", "trouver-un-emploi--repondre-a-des-offres-demploi",
          "numerique--maitriser-les-fondamentaux-du-numerique", "logement-hebergement--louer-un-logement",
          "creer-une-entreprise--definir-son-projet-de-creation-dentreprise",
          "difficultes-financieres--ameliorer-sa-gestion-budgetaire", "sante--acces-aux-soins"]
PUBLICS = ["demandeurs-emploi", "jeunes", "femmes", "seniors", "beneficiaires-des-minimas-sociaux"]


def service_row(i: int, rng: random.Random) -> dict:
    code, cp, commune, lat, lon = PLACES[i % len(PLACES)]
    action, subject = rng.choice(ACTIONS), rng.choice(SUBJECTS)
    return {
        "source": "bench",
        "id": f"bench--{i}",
        "structure_id": f"bench--s{i // 10}",
        "nom": f"{action} {subject} n°{i}",
        "description": (f"{action} {subject} proposé à {commune}. Entretien individuel, ateliers collectifs "
                        "et orientation vers les partenaires du territoire. Sur rendez-vous."),
        "date_maj": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "type": "accompagnement",
        "thematiques": json.dumps(rng.sample(THEMES, 2)),
        "publics": json.dumps(rng.sample(PUBLICS, 2)),
        "frais": rng.choice(["gratuit", "payant"]),
        "modes_accueil": json.dumps(["en-presentiel"] if i % 5 else ["a-distance"]),
        "code_insee": code,
        "code_postal": cp,
        "commune": commune,
        "adresse": f"{1 + i % 200} rue de la République",
        "latitude": round(lat + rng.uniform(-0.02, 0.02), 5),
        "longitude": round(lon + rng.uniform(-0.02, 0.02), 5),
        "zone_eligibilite": json.dumps([code[:2]]),
        "telephone": "0102030405",
        "courriel": "accueil@exemple.fr",
        "lien_source": f"https://exemple.fr/services/{i}",
    }


def generate(path: Path, rows: int, fmt: str) -> None:
    rng = random.Random(42)
    with open(path, "w", newline="", encoding="utf-8") as out:
        first = service_row(0, rng)
        if fmt == "csv":
            writer = csv.DictWriter(out, list(first))
            writer.writeheader()
            writer.writerow(first)
            for i in range(1, rows):
                writer.writerow(service_row(i, rng))
        else:
            for i in range(rows):
                row = service_row(i, rng)
                for key in ("thematiques", "publics", "modes_accueil", "zone_eligibilite"):
                    row[key] = json.loads(row[key])
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak RSS (MB), exit code and output of one process."""
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        # wait4 gives this child's own rusage (ru_maxrss in KB on Linux).
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode(errors="replace")
    return elapsed, usage.ru_maxrss / 1024, process.returncode, text


def job_outcome(output: str) -> str:
    """The job's status, counts and message (`--json`), so that a figure is never read off a
    run that failed, was held or left the search index behind."""
    try:
        job = json.loads(output[output.index("{"):])
    except ValueError:
        return "(résumé JSON illisible)"
    counts = ", ".join(f"{k} {v}" for k, v in job["counts"].items() if v)
    return f"{job['status']}: {counts}" + (f" — {job['message']}" if job.get("message") else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="10000,100000", help="comma-separated sizes")
    parser.add_argument("--format", choices=["csv", "ndjson"], default="csv")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and data dirs")
    parser.add_argument("--skip-frictionless", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="maillage-bench-"))
    print(f"# bench/harvest.py — format {args.format}, work dir {workdir}")
    print(f"{'rows':>9} {'step':<28} {'seconds':>9} {'rows/s':>10} {'peak RSS MB':>12}")
    try:
        for rows in (int(n) for n in args.rows.split(",")):
            path = workdir / f"services-{rows}.{args.format}"
            generate(path, rows, args.format)
            env = os.environ | {"MAILLAGE_DATA_DIR": str(workdir / f"var-{rows}")}
            env.pop("DATABASE_URL", None)
            env.pop("ELASTICSEARCH_URL", None)
            results = {}
            if not args.skip_frictionless:
                results["frictionless validate"] = measure(
                    [str(VENV_BIN / "frictionless"), "validate", "--trusted", "--schema",
                     str(ROOT / "schemas" / "service" / "schema.json"), str(path)], env)
            harvest = [str(VENV_BIN / "maillage"), "harvest", "datainclusion", str(path), "--source", "bench", "--json"]
            results["maillage harvest (1st run)"] = measure(harvest, env)
            results["maillage harvest (unchanged)"] = measure(harvest, env)
            for step, (seconds, rss, code, output) in results.items():
                flag = f"  (exit {code})" if code else ""
                print(f"{rows:>9} {step:<28} {seconds:>9.1f} {rows / seconds:>10.0f} {rss:>12.0f}{flag}")
                if code != 0 and "maillage" in step:
                    print(output[-2000:])
                elif "maillage" in step:
                    print(f"{'':>9}   {job_outcome(output)}")
            if "frictionless validate" in results:
                ratio = (rows / results["maillage harvest (1st run)"][0]) / (rows / results["frictionless validate"][0])
                print(f"{rows:>9} {'harvest / frictionless':<28} {ratio:>9.2f}×")
            if not args.keep:
                path.unlink()
                shutil.rmtree(workdir / f"var-{rows}", ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
