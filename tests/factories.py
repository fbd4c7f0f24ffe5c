"""Builders of valid data·inclusion v1 records for tests: vary them, break them, write them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import orjson

THEMES = [
    "mobilite--preparer-un-permis",
    "logement-hebergement--rechercher-une-solution-dhebergement-temporaire",
    "numerique--maitriser-les-fondamentaux-du-numerique",
    "trouver-un-emploi--repondre-a-des-offres-demploi",
]
COMMUNES = [("93066", "93200", "Saint-Denis"), ("75056", "75011", "Paris"), ("69123", "69003", "Lyon")]


def structure(i: int, source: str = "test", **overrides) -> dict:
    code, cp, commune = COMMUNES[i % len(COMMUNES)]
    record = {
        "source": source,
        "id": f"{source}--s{i}",
        "nom": f"Structure d'insertion numéro {i}",
        "date_maj": "2025-03-01",
        "siret": f"{13003013300016 + i:014d}",
        "commune": commune,
        "code_postal": cp,
        "code_insee": code,
        "adresse": f"{i} rue de la République",
        "description": "Une structure qui accompagne les personnes vers l'emploi.",
        "lien_source": f"https://exemple.fr/structures/{i}",
    }
    record.update(overrides)
    return record


def service(i: int, source: str = "test", **overrides) -> dict:
    code, cp, commune = COMMUNES[i % len(COMMUNES)]
    record = {
        "source": source,
        "id": f"{source}--v{i}",
        "structure_id": f"{source}--s{i % 5}",
        "nom": f"Accompagnement numéro {i}",
        "description": "Un accompagnement individuel pour préparer son retour à l'emploi.",
        "date_maj": "2025-04-02",
        "thematiques": [THEMES[i % len(THEMES)]],
        "publics": ["demandeurs-emploi"],
        "frais": "gratuit",
        "modes_accueil": ["en-presentiel"],
        "type": "accompagnement",
        "code_insee": code,
        "code_postal": cp,
        "commune": commune,
        "adresse": f"{i} avenue Jean Jaurès",
        "latitude": 48.93 + i / 1000,
        "longitude": 2.35,
        "zone_eligibilite": [code[:2]],
        "lien_source": f"https://exemple.fr/services/{i}",
    }
    record.update(overrides)
    return record


def write_json(path: Path, records: list[dict]) -> Path:
    path.write_bytes(orjson.dumps(records))
    return path


def write_ndjson(path: Path, records: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def write_csv(path: Path, records: list[dict], delimiter: str = ",") -> Path:
    """Arrays are written as JSON text, as in data·inclusion's CSV exports."""
    columns = sorted({key for record in records for key in record})
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns, delimiter=delimiter)
        writer.writeheader()
        for record in records:
            writer.writerow({k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v for k, v in record.items()})
    return path
