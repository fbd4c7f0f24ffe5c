"""Indexing throughput and memory: `sync_index`, the catch-up run after each harvest.

    .venv/bin/python bench/index.py --records 100000,1000000 [--dir var/bench-index] [--reuse]

For each N, a catalog of N generated data·inclusion services (French text of the usual length,
positions across France) is written through the store, once (`--reuse` keeps it). Then, each in
its own process (peak RSS and CPU time from `wait4`):
  1. `sync_index` into an empty embedded index: every record, as after a first harvest;
  2. `sync_index` after 10 % of the records changed: a later harvest's catch-up;
and prints documents/s (wall and CPU), the process's peak RSS, and its RSS before indexing
(interpreter, imports) for reference. Targets: ≥ 20,000 documents/s, peak RSS flat in N.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.search import CITIES, FILLER, PUBLICS, THEMES, VERBS

CHANGED = 0.10


def service(i: int, rnd: random.Random, version: int = 0) -> dict:
    code, commune, dep, _reg, epci, lat, lon, _w = rnd.choices(CITIES, [c[-1] for c in CITIES])[0]
    category = rnd.choice(list(THEMES))
    subs, phrases = THEMES[category]
    p1, p2, p3 = rnd.sample(phrases, 3)
    zone = rnd.choice([[], [dep], [code], [epci], ["france"]])
    data = {
        "id": f"bench--{i}",
        "source": rnd.choice(["dora", "france-travail", "mes-aides", "soliguide", "emplois-de-linclusion"]),
        "structure_id": f"bench--s{i // 7}",
        "nom": f"{rnd.choice(VERBS)} {p1}" + (f" ({version})" if version else ""),
        "presentation_resume": f"{p1.capitalize()} et {p2} {rnd.choice(FILLER)}.",
        "presentation_detail": (f"{p1.capitalize()}, {p2} et {p3} {rnd.choice(FILLER)}, {rnd.choice(FILLER)}. "
                                f"Nous vous accueillons {rnd.choice(FILLER)} à {commune} : "
                                f"entretien individuel, ateliers collectifs et orientation vers les "
                                f"partenaires du territoire {rnd.choice(FILLER)}."),
        "thematiques": rnd.sample(subs, k=rnd.randint(1, len(subs))),
        "publics": rnd.sample(PUBLICS, k=rnd.randint(1, 3)),
        "publics_precisions": rnd.choice(["", "Jeunes de 16 à 25 ans sortis du système scolaire.",
                                          "Personnes inscrites à France Travail depuis plus d'un an."]),
        "frais": [rnd.choice(["gratuit", "gratuit", "payant"])],
        "modes_accueil": rnd.choice([["en-presentiel"], ["en-presentiel"], ["a-distance"],
                                     ["en-presentiel", "a-distance"]]),
        "type": rnd.choice(["accompagnement", "atelier", "aide-financiere", "information"]),
        "zone_eligibilite": zone,
        "code_insee": code,
        "commune": commune,
        "code_postal": f"{dep}000"[:5] if len(dep) == 2 else f"{dep}00",
        "adresse": f"{rnd.randint(1, 200)} rue de la République",
        "latitude": round(lat + rnd.gauss(0, 0.1), 5),
        "longitude": round(lon + rnd.gauss(0, 0.12), 5),
        "telephone": "0102030405",
        "courriel": "accueil@exemple.fr",
        "date_maj": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "lien_source": f"https://exemple.fr/services/{i}",
    }
    return {k: v for k, v in data.items() if v not in ("", [], None)}


def write_catalog(engine, n: int, changed: int = 0) -> None:
    """N services through the store, in batches of 2,000; or, with `changed` (a version number
    that differs from run to run), 10 % of them changed."""
    from catalog.clock import utcnow
    from catalog.db import writer_connection
    from catalog.store import Candidate, RecordWriter

    rnd = random.Random(7 if changed else 42)
    ids = sorted(rnd.sample(range(n), int(n * CHANGED))) if changed else range(n)
    batch = []
    for i in ids:
        batch.append(Candidate.from_data("service", service(i, random.Random(i), changed)))
        if len(batch) == 2000:
            _write(engine, batch, writer_connection, RecordWriter, utcnow)
            batch = []
    if batch:
        _write(engine, batch, writer_connection, RecordWriter, utcnow)


def _write(engine, batch, writer_connection, RecordWriter, utcnow) -> None:
    with writer_connection(engine) as conn, conn.begin():
        RecordWriter(conn, harvest_source="bench", author="harvest:bench", now=utcnow()).write(batch)


def settle(engine) -> None:
    """Close the writer's connections: the catalog's WAL is checkpointed before a sync reads it,
    as after a harvest process exits."""
    engine.dispose()


def child_sync(data_dir: Path) -> None:
    """One sync, in this process; prints its own figures as JSON."""
    from catalog.config import load_settings
    from catalog.db import get_engine
    from catalog.search import get_backend, sync_index

    settings = load_settings({"MAILLAGE_DATA_DIR": str(data_dir)})
    engine = get_engine(settings)
    backend = get_backend(settings, "sqlite")
    backend.get_watermark()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0, c0 = time.perf_counter(), time.process_time()
    n = sync_index(settings, engine, backend)
    print(json.dumps({"n": n, "wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                      "rss_before": before}))


def run_child(data_dir: Path) -> dict:
    proc = subprocess.Popen([sys.executable, __file__, "--child", str(data_dir)],
                            stdout=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    out = json.loads(proc.stdout.read())
    if status:
        raise SystemExit(f"sync failed ({status})")
    out["rss_peak"] = usage.ru_maxrss / 1024
    return out


def report(label: str, r: dict) -> None:
    print(f"  {label:<26} {r['n']:>9,} documents en {r['wall']:6.1f} s "
          f"({r['n'] / r['wall']:>7,.0f} doc/s ; CPU {r['cpu']:6.1f} s, {r['n'] / r['cpu']:>7,.0f} doc/s CPU)"
          f"   RSS max {r['rss_peak']:5.0f} Mo (avant indexation {r['rss_before']:4.0f} Mo)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", default="100000")
    parser.add_argument("--dir", type=Path, default=Path("var/bench-index"))
    parser.add_argument("--reuse", action="store_true", help="keep catalogs already written")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_sync(args.child)
        return
    from catalog.config import load_settings
    from catalog.db import get_engine

    print(f"charge : {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"({os.cpu_count()} cœurs)")
    for n in (int(x) for x in args.records.split(",")):
        data_dir = args.dir / str(n)
        catalog = data_dir / "maillage.sqlite"
        if not (args.reuse and catalog.exists()):
            shutil.rmtree(data_dir, ignore_errors=True)
            t0 = time.perf_counter()
            engine = get_engine(load_settings({"MAILLAGE_DATA_DIR": str(data_dir)}))
            write_catalog(engine, n)
            settle(engine)
            print(f"catalogue de {n:,} services écrit en {time.perf_counter() - t0:.0f} s")
        for path in data_dir.glob("search.sqlite*"):
            path.unlink()
        print(f"N = {n:,}")
        report("sync, index vide", run_child(data_dir))
        engine = get_engine(load_settings({"MAILLAGE_DATA_DIR": str(data_dir)}))
        write_catalog(engine, n, changed=int(time.time()))
        settle(engine)
        report(f"sync après {CHANGED:.0%} modifiées", run_child(data_dir))
        size = sum(p.stat().st_size for p in data_dir.glob("search.sqlite*")) / 1e6
        print(f"  index : {size:,.0f} Mo")


if __name__ == "__main__":
    main()
