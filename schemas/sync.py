"""Regenerate what `schemas/` derives from elsewhere, or check it is up to date.

- the data·inclusion v1 referentiels, from the official `data-inclusion-schema` package enums;
- `langues`, the ISO 639-1 languages with their French names, from Debian's `iso-codes` as
  packaged by `pycountry` (a development dependency: the file is tracked, the package only
  checks it has not drifted);
- every `enum` of a schema field (or JSON Schema node) that names a `referentiel`, from that
  referentiel's CSV, so a schema never drifts from its referentiels;
- each kind's `README.md`, from its `schema.json` (docs must match the contract);
- `datapackage.json`, the published dataset: one table per kind, with its schema.

    python -m schemas.sync                # rewrite the generated files
    python -m schemas.sync --check        # list stale files, exit 1 if any
    python -m schemas.sync --referentiels # only the data·inclusion referentiels (`make install`)

The data·inclusion referentiels are not tracked in git: they are the official package's enums,
written at install (and read from the package when absent), never a copy kept by hand.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import schemas
from schemas import docs

# Referentiel file name → enum class name in `data_inclusion.schema.v1`.
DATA_INCLUSION_REFERENTIELS: dict[str, str] = {
    "thematiques": "Thematique",
    "thematiques-categories": "Categorie",
    "publics": "Public",
    "frais": "Frais",
    "modes-accueil": "ModeAccueil",
    "modes-mobilisation": "ModeMobilisation",
    "personnes-mobilisatrices": "PersonneMobilisatrice",
    "types-de-services": "TypeService",
    "reseaux-porteurs": "ReseauPorteur",
}


def referential_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["value", "label", "description"])
    for row in rows:
        writer.writerow([row["value"], row["label"], row["description"] or ""])
    return out.getvalue()


def data_inclusion_referentiel(name: str) -> str:
    from data_inclusion.schema import v1

    return referential_csv(getattr(v1, DATA_INCLUSION_REFERENTIELS[name]).as_dict_list())


def languages_referentiel() -> str:
    """ISO 639-1 (two letters: what LHEO `langue-formation` holds) with the names the French
    translation of `iso-codes` gives them: « Français », « Anglais », « Wolof »."""
    import gettext

    import pycountry

    french = gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=["fr"])
    rows = [{"value": language.alpha_2, "label": french.gettext(language.name), "description": ""}
            for language in pycountry.languages if hasattr(language, "alpha_2")]
    return referential_csv(sorted(rows, key=lambda row: row["value"]))


def schema_json(descriptor: dict) -> str:
    return json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"


def _referenced_nodes(node: object) -> Iterator[dict]:
    """Every dict of a descriptor tree that declares a `referentiel`."""
    if isinstance(node, dict):
        if "referentiel" in node:
            yield node
        for value in node.values():
            yield from _referenced_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _referenced_nodes(value)


def _values(name: str, read_csv: dict[str, str]) -> list[str]:
    text = read_csv.get(name)
    if text is None:
        return sorted(schemas.referential_values(name))
    return sorted(row["value"] for row in csv.DictReader(io.StringIO(text)))


def synced_schema(descriptor: dict, read_csv: dict[str, str] | None = None) -> dict:
    """`descriptor` with every referentiel-backed enum set from the referentiel.

    A Table Schema field carries its enum in `constraints` (or `arrayItem.constraints` for
    arrays); a JSON Schema node (in a custom check's parameters) carries it as `enum`.
    `read_csv` overrides referentiels not yet written to disk.
    """
    read_csv = read_csv or {}
    for node in _referenced_nodes(descriptor):
        values = _values(node["referentiel"], read_csv)
        if "name" in node and "type" in node and node["type"] == "array":
            node.setdefault("arrayItem", {"type": "string"})
            node["arrayItem"].setdefault("constraints", {})["enum"] = values
        elif "name" in node:
            node.setdefault("constraints", {})["enum"] = values
        else:
            node["enum"] = values
    return descriptor


# File name of each kind's table in the published dataset.
PUBLISHED_TABLES = {
    "structure": "structures",
    "service": "services",
    "formation": "formations",
    "aide": "aides",
    "solution-mobilite": "solutions-mobilite",
}


def datapackage(descriptors: dict[str, dict]) -> dict:
    """The published dataset: one CSV table per kind, described by the kind's schema."""
    return {
        "profile": "tabular-data-package",
        "name": "maillage",
        "title": "Maillage — solutions locales d’emploi et d’insertion",
        "description": (
            "Le commun ouvert des solutions locales d’emploi et d’insertion : structures et services "
            "d’insertion (équivalents au schéma data·inclusion v1), formations, aides et solutions de "
            "mobilité, moissonnés auprès des partenaires et validés par ces schémas."
        ),
        "version": "1.0.0",
        "licenses": descriptors["service"]["licenses"],
        "keywords": ["insertion", "emploi", "formation", "aide", "mobilité", "data·inclusion"],
        "resources": [
            {
                "name": PUBLISHED_TABLES[kind],
                "title": descriptors[kind]["title"],
                "description": descriptors[kind]["description"],
                "profile": "tabular-data-resource",
                "path": f"{PUBLISHED_TABLES[kind]}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": f"{kind}/schema.json",
            }
            for kind in schemas.KINDS
        ],
    }


def expected_files() -> dict[Path, str]:
    files: dict[Path, str] = {}
    csvs = {name: data_inclusion_referentiel(name) for name in DATA_INCLUSION_REFERENTIELS}
    csvs["langues"] = languages_referentiel()
    for name, text in csvs.items():
        files[schemas.referential_path(name)] = text
    descriptors = {}
    for kind in schemas.KINDS:
        descriptor = descriptors[kind] = synced_schema(schemas.load_schema(kind), csvs)
        files[schemas.schema_path(kind)] = schema_json(descriptor)
        files[schemas.schema_path(kind).parent / "README.md"] = docs.render_readme(kind, descriptor)
    files[schemas.datapackage_path()] = schema_json(datapackage(descriptors))
    return files


def stale_files() -> list[Path]:
    return [
        path
        for path, text in expected_files().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def write() -> list[Path]:
    """Rewrite stale files; repeat until stable, as READMEs read the referentiels just written."""
    changed: list[Path] = []
    for _ in range(3):
        round_changed = []
        for path, text in expected_files().items():
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                round_changed.append(path)
        schemas.clear_caches()
        if not round_changed:
            break
        changed.extend(p for p in round_changed if p not in changed)
    return changed


def write_data_inclusion_referentiels() -> list[Path]:
    """Only the referentiels taken from `data-inclusion-schema` (not tracked: `make install`)."""
    written = []
    for name in DATA_INCLUSION_REFERENTIELS:
        path, text = schemas.referential_path(name), data_inclusion_referentiel(name)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    schemas.clear_caches()
    return written


def main(argv: list[str]) -> int:
    if "--referentiels" in argv:
        for path in write_data_inclusion_referentiels():
            print(f"écrit : {path.relative_to(schemas.SCHEMAS_DIR.parent)}")
        return 0
    if "--check" in argv:
        stale = stale_files()
        for path in stale:
            print(f"à régénérer : {path.relative_to(schemas.SCHEMAS_DIR.parent)}")
        return 1 if stale else 0
    for path in write():
        print(f"écrit : {path.relative_to(schemas.SCHEMAS_DIR.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
