"""Rows per second of the compiled validators against frictionless, on the same generated rows.

    .venv/bin/python bench/validation.py [--rows 20000] [--kind service] [--json]

Rows look like a data·inclusion CSV export (all cells strings, arrays as JSON text), about
one in ten invalid in some way, with distinct e-mails and URLs so no cache flatters the run.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import schemas
from catalog.validation import validator_for
from catalog.validation.reference import frictionless_validate

WORDS = ["atelier", "accompagnement", "emploi", "insertion", "numérique", "mobilité", "permis", "logement",
         "santé", "famille"]


def service_row(rng: random.Random, index: int) -> dict:
    thematiques = sorted(schemas.referential_values("thematiques"))
    publics = sorted(schemas.referential_values("publics") - {"tous-publics"})
    row = {
        "source": "dora",
        "structure_id": f"dora--structure-{index // 5}",
        "id": f"dora--service-{index}",
        "nom": " ".join(rng.choices(WORDS, k=rng.randint(2, 6))).capitalize(),
        "description": " ".join(rng.choices(WORDS, k=rng.randint(20, 120))),
        "lien_source": f"https://dora.inclusion.beta.gouv.fr/services/service-{index}",
        "date_maj": f"20{rng.randint(10, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "type": rng.choice(["accompagnement", "atelier", "formation", "information"]),
        "thematiques": json.dumps(rng.sample(thematiques, rng.randint(1, 4))),
        "frais": rng.choice(["gratuit", "payant"]),
        "publics": json.dumps(rng.sample(publics, rng.randint(1, 3))),
        "adresse": f"{rng.randint(1, 200)} rue de la République",
        "code_postal": f"{rng.randint(1000, 97000):05d}",
        "code_insee": f"{rng.randint(1000, 97000):05d}",
        "commune": "Lyon",
        "longitude": f"{rng.uniform(-5, 9):.6f}",
        "latitude": f"{rng.uniform(41, 51):.6f}",
        "telephone": "0102030405",
        "courriel": f"contact.{index}@structure-{index % 997}.fr",
        "modes_accueil": json.dumps(["en-presentiel"]),
        "zone_eligibilite": json.dumps([f"{rng.randint(1, 95):02d}"]),
        "modes_mobilisation": json.dumps(["telephoner", "envoyer-un-courriel"]),
        "mobilisable_par": json.dumps(["usagers", "professionnels"]),
        "lien_mobilisation": f"https://www.exemple.fr/mobiliser/{index}",
        "volume_horaire_hebdomadaire": "2.5",
        "nombre_semaines": "4",
        "horaires_accueil": "Mo-Fr 09:00-12:00",
        "score_qualite": "0.8",  # not in the schema: ignored
    }
    if rng.random() < 0.1:
        broken = rng.choice(["nom", "thematiques", "date_maj", "courriel", "code_postal"])
        row[broken] = {"nom": "A", "thematiques": '["inconnue"]', "date_maj": "2099-01-01",
                       "courriel": "pas-un-courriel", "code_postal": "7500"}[broken]
    return {k: (v if v != "" else None) for k, v in row.items()}


def generic_row(rng: random.Random, kind: str, index: int) -> dict:
    """Example rows of another kind, varied by id (its exemple-valide.csv cycled)."""
    from catalog import tabular

    rows = [row for _, row in tabular.iter_rows(schemas.SCHEMAS_DIR / kind / "exemple-valide.csv")]
    row = dict(rows[index % len(rows)])
    row["id"] = f"{row['source']}--{index}"
    return row


def best_time(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--kind", default="service", choices=schemas.KINDS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = random.Random(42)
    make = service_row if args.kind == "service" else (lambda r, i: generic_row(r, args.kind, i))
    rows = [make(rng, i) for i in range(args.rows)]

    validator = validator_for(args.kind)
    validator.check(rows[0])  # warm up (pydantic, caches)
    invalid = sum(1 for row in rows if validator.check(row)[1])
    # Best of several runs: on a shared machine the slowest runs measure the neighbours.
    check = validator.check

    def run_compiled() -> None:
        for row in rows:  # results dropped as a harvest drops them once stored
            check(row)

    compiled = args.rows / best_time(run_compiled, args.repeat)

    sample = rows[: min(len(rows), 5000)]
    report = frictionless_validate(sample, args.kind)
    reference = len(sample) / best_time(lambda: frictionless_validate(sample, args.kind), max(1, args.repeat // 2))

    result = {
        "kind": args.kind,
        "rows": args.rows,
        "invalid_rows": invalid,
        "compiled_rows_per_s": round(compiled),
        "frictionless_rows_per_s": round(reference),
        "speedup": round(compiled / reference, 1),
        "frictionless_valid": report.valid,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{args.kind} : validateur compilé {result['compiled_rows_per_s']:,} lignes/s, "
            f"frictionless {result['frictionless_rows_per_s']:,} lignes/s "
            f"(×{result['speedup']}) ; {invalid} lignes invalides sur {args.rows}".replace(",", " ")
        )


if __name__ == "__main__":
    main()
