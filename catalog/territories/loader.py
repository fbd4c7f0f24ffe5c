"""Load the COG and postal codes from the npm packages' JSON files, and place communes.

Files, as shipped by `@etalab/decoupage-administratif` (`data/communes.json`, `epci.json`,
`departements.json`, `regions.json`) and `codes-postaux` (`codes-postaux.json`). A load replaces
every territory row in one transaction, keeping the positions already known.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, delete, func, select, update
from sqlmodel import Session

from catalog.errors import UnusableInput
from catalog.search.analysis import fold
from catalog.territories import clear_cache, departement_of
from catalog.territories.geocoding import CommuneToLocate, Geocoder
from catalog.territories.models import (
    TerritoryCommune,
    TerritoryDepartement,
    TerritoryEpci,
    TerritoryPostalCode,
    TerritoryRegion,
)

DECOUPAGE = ("communes.json", "epci.json", "departements.json", "regions.json")
DEFAULT_DIRS = (Path("var/npm"), Path("node_modules"), Path("."))

Progress = Callable[[str, int], None]  # (step, rows done)


@dataclass(frozen=True)
class SourceFiles:
    communes: Path
    epci: Path
    departements: Path
    regions: Path
    codes_postaux: Path | None


def _first(base: Path, candidates: tuple[str, ...]) -> Path | None:
    for candidate in candidates:
        path = base / candidate
        if path.is_file():
            return path
    return None


def find_files(base: Path | None = None) -> SourceFiles:
    """The package files under `base` (a directory holding them, an npm prefix or node_modules)."""
    bases = [base] if base else list(DEFAULT_DIRS)
    for root in bases:
        found = {}
        for name in DECOUPAGE:
            found[name] = _first(root, (
                name, f"decoupage/{name}",
                f"node_modules/@etalab/decoupage-administratif/data/{name}",
                f"@etalab/decoupage-administratif/data/{name}",
            ))
        if all(found.values()):
            postal = _first(root, ("codes-postaux.json", "node_modules/codes-postaux/codes-postaux.json",
                                   "codes-postaux/codes-postaux.json"))
            return SourceFiles(found["communes.json"], found["epci.json"],
                               found["departements.json"], found["regions.json"], postal)
    where = base or ", ".join(str(b) for b in bases)
    raise UnusableInput(
        f"Fichiers du découpage administratif introuvables dans {where}. Installez-les avec "
        "« npm install --prefix var/npm @etalab/decoupage-administratif codes-postaux » "
        "ou indiquez leur dossier avec --from."
    )


def _read_json(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UnusableInput(f"Fichier illisible : {path} ({exc}).") from exc
    if not isinstance(data, list):
        raise UnusableInput(f"Fichier inattendu : {path} (une liste JSON est attendue).")
    return data


def load_files(engine: Engine, files: SourceFiles, progress: Progress | None = None) -> dict[str, int]:
    """Replace the territory tables with the files' content; returns counts per table."""
    progress = progress or (lambda step, n: None)
    communes = _read_json(files.communes)
    epcis = _read_json(files.epci)
    departements = _read_json(files.departements)
    regions = _read_json(files.regions)
    postal = _read_json(files.codes_postaux) if files.codes_postaux else []
    epci_of = {m["code"]: e["code"] for e in epcis for m in e.get("membres", ())}
    counts = {}
    with Session(engine) as session:
        known = {(r.code, r.type): (r.latitude, r.longitude, r.position_source)
                 for r in session.execute(select(TerritoryCommune)).scalars()}
        for model in (TerritoryPostalCode, TerritoryCommune, TerritoryEpci,
                      TerritoryDepartement, TerritoryRegion):
            session.execute(delete(model))
        session.add_all(TerritoryRegion(code=r["code"], nom=r["nom"]) for r in regions)
        session.add_all(TerritoryDepartement(code=d["code"], nom=d["nom"], region=d["region"])
                        for d in departements)
        session.add_all(TerritoryEpci(code=e["code"], nom=e["nom"], type=e.get("type") or "")
                        for e in epcis)
        counts.update(regions=len(regions), departements=len(departements), epci=len(epcis))
        progress("régions, départements, EPCI", len(regions) + len(departements) + len(epcis))
        seen = set()
        for i, c in enumerate(communes, 1):
            key = (c["code"], c["type"])
            if key in seen:
                continue
            seen.add(key)
            parent = c.get("chefLieu") or c.get("commune")
            lat, lon, src = known.get(key, (None, None, None))
            session.add(TerritoryCommune(
                code=c["code"], type=c["type"], nom=c["nom"], nom_folded=fold(c["nom"]),
                parent=parent if parent != c["code"] else None,
                epci=epci_of.get(c["code"]) if c["type"] == "commune-actuelle" else None,
                departement=c.get("departement") or departement_of(c["code"]),
                region=c.get("region") or "", population=c.get("population"),
                latitude=lat, longitude=lon, position_source=src,
            ))
            if i % 5000 == 0:
                session.flush()
                progress("communes", 5000)
        progress("communes", len(communes) % 5000)
        counts["communes"] = len(seen)
        pairs = {}
        for p in postal:
            pairs.setdefault((p["codePostal"], p["codeCommune"]), p)
        session.add_all(TerritoryPostalCode(
            code_postal=cp, code_commune=cc, nom_commune=p.get("nomCommune") or "",
            libelle_acheminement=p.get("libelleAcheminement") or "",
        ) for (cp, cc), p in pairs.items())
        counts["codes_postaux"] = len(pairs)
        progress("codes postaux", len(pairs))
        session.commit()
    clear_cache()
    return counts


def read_centroids(path: Path) -> dict[str, tuple[float, float]]:
    """Commune centroids from geo.api.gouv.fr JSON (`fields=code,centre`), GeoJSON points or a
    CSV with `code`, `latitude`, `longitude` columns."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return {r["code"]: (float(r["latitude"]), float(r["longitude"]))
                    for r in csv.DictReader(fh) if r.get("latitude") and r.get("longitude")}
    data = json.loads(path.read_text(encoding="utf-8"))
    items = data.get("features", []) if isinstance(data, dict) else data
    out = {}
    for item in items:
        if "properties" in item:  # GeoJSON feature
            code, point = item["properties"].get("code"), item.get("geometry")
        else:
            code, point = item.get("code"), item.get("centre")
        if code and point and point.get("type") == "Point":
            lon, lat = point["coordinates"][:2]
            out[code] = (float(lat), float(lon))
    return out


def set_positions(engine: Engine, positions: dict[str, tuple[float, float]], source: str,
                  overwrite: bool = True) -> int:
    n = 0
    with Session(engine) as session:
        for code, (lat, lon) in positions.items():
            stmt = update(TerritoryCommune).where(TerritoryCommune.code == code)
            if not overwrite:
                stmt = stmt.where(TerritoryCommune.latitude.is_(None))
            n += session.execute(stmt.values(latitude=lat, longitude=lon,
                                             position_source=source)).rowcount
        session.commit()
    clear_cache()
    return n


def positions_from_records(engine: Engine) -> dict[str, tuple[float, float]]:
    """Mean of the active records' own coordinates, per commune code (records rarely lie all
    in the same direction, so the mean of a few addresses is a fair commune position). Only
    coordinates that can be a place count: one record at (0, 0), a placeholder, or in Lambert-93
    metres (« 6867000 ») moved its commune to Algeria or off the globe, and the commune's
    records out of its searches, until a position was set by hand."""
    from sqlalchemy import Float, cast

    from catalog.models import Record

    if engine.dialect.name == "sqlite":
        lat = func.json_extract(Record.data, "$.latitude")
        lon = func.json_extract(Record.data, "$.longitude")
        code = func.json_extract(Record.data, "$.code_insee")
    else:
        from sqlalchemy.dialects.postgresql import JSONB

        doc = cast(Record.data, JSONB)
        lat, lon = cast(doc["latitude"].astext, Float), cast(doc["longitude"].astext, Float)
        code = doc["code_insee"].astext
    stmt = (select(code, func.avg(lat), func.avg(lon))
            .where(Record.status == "active", lat.is_not(None), lon.is_not(None),
                   code.is_not(None), lat.between(-90, 90), lon.between(-180, 180),
                   ~((lat == 0) & (lon == 0)))
            .group_by(code))
    with engine.connect() as conn:
        return {str(c): (float(a), float(o)) for c, a, o in conn.execute(stmt) if c}


def communes_without_position(engine: Engine) -> list[CommuneToLocate]:
    with Session(engine) as session:
        rows = session.execute(select(TerritoryCommune.code, TerritoryCommune.nom)
                               .where(TerritoryCommune.latitude.is_(None))).all()
    return sorted({CommuneToLocate(code, nom) for code, nom in rows}, key=lambda c: c.code)


def geocode_missing(engine: Engine, geocoder: Geocoder) -> int:
    return set_positions(engine, geocoder.locate_communes(communes_without_position(engine)),
                         "geocodeur", overwrite=False)
