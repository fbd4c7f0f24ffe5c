"""Territories: the official COG and postal codes, as lookups.

`get_territories(engine)` returns an in-memory view of the territory tables (≈ 40,000 rows, a few
MB), cached for a minute so that a long-running web process sees a fresh `territories load`
without paying a query per search.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine, select
from sqlmodel import Session

from catalog.territories.models import (
    TerritoryCommune,
    TerritoryDepartement,
    TerritoryEpci,
    TerritoryPostalCode,
    TerritoryRegion,
)

FRANCE = "france"
# Type preference when several rows share a code (a commune nouvelle and its déléguée).
_TYPE_RANK = {"commune-actuelle": 0, "arrondissement-municipal": 1, "commune-deleguee": 2,
              "commune-associee": 3}
CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class CommuneInfo:
    code: str
    nom: str
    type: str
    departement: str
    region: str
    epci: str | None = None
    parent: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    population: int | None = None
    codes_postaux: tuple[str, ...] = ()

    @property
    def position(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)


def departement_of(code_commune: str) -> str:
    """The département of a commune code, without any table: 97x/98x overseas use 3 digits."""
    return code_commune[:3] if code_commune.startswith(("97", "98")) else code_commune[:2]


# Postal codes of collectivités whose first digits name another territory: Saint-Barthélemy
# (977) and Saint-Martin (978) were communes of Guadeloupe (971) and kept its postal codes.
_POSTAL_EXCEPTIONS = {"97133": "977", "97150": "978"}


def departement_of_postal_code(code_postal: str) -> str | None:
    """The département (or overseas collectivité) of a postal code, without any table; None
    where its first digits name none: Corsica's « 20… » (2A or 2B) and Monaco's « 980… »."""
    if code_postal in _POSTAL_EXCEPTIONS:
        return _POSTAL_EXCEPTIONS[code_postal]
    guess = departement_of(code_postal)
    return None if guess in ("20", "980") or not guess.isdigit() else guess


@dataclass
class Territories:
    communes: dict[str, CommuneInfo] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    epcis: dict[str, str] = field(default_factory=dict)
    departements: dict[str, tuple[str, str]] = field(default_factory=dict)  # code → (nom, région)
    regions: dict[str, str] = field(default_factory=dict)
    postal_codes: dict[str, list[str]] = field(default_factory=dict)  # code postal → communes

    def commune(self, code: str | None) -> CommuneInfo | None:
        return self.communes.get(code) if code else None

    def communes_for_postal_code(self, code_postal: str) -> list[CommuneInfo]:
        return [self.communes[c] for c in self.postal_codes.get(code_postal, ()) if c in self.communes]

    def search_communes(self, text: str, limit: int = 10) -> list[CommuneInfo]:
        """Communes whose folded name starts with (then contains) the text, biggest first."""
        from catalog.search.analysis import fold  # lazy: the search package imports this one

        needle = fold(text).replace("-", " ").strip()
        if not needle:
            return []
        starts, contains = [], []
        for info in self.communes.values():
            name = fold(info.nom).replace("-", " ")
            if name.startswith(needle):
                starts.append(info)
            elif needle in name:
                contains.append(info)
        key = lambda c: (-(c.population or 0), c.nom, c.code)
        return (sorted(starts, key=key) + sorted(contains, key=key))[:limit]

    def region_of_departement(self, code: str | None) -> str | None:
        entry = self.departements.get(code or "")
        return entry[1] if entry else None

    def covering_codes(self, code_commune: str) -> set[str]:
        """Every zone code that covers someone in this commune (the eligibility rule).

        The commune itself, its parent (a déléguée's commune, an arrondissement's city) and its
        children (searching Paris covers zones set on one arrondissement: a Parisian may live
        there), its EPCI, département, and France. Not its région: a zone names a région by its
        départements (the schemas' rule), and 13 région codes are another département's (« 84 »,
        Auvergne-Rhône-Alpes, is Vaucluse; « 93 », Provence-Alpes-Côte d'Azur, Seine-Saint-Denis).
        """
        codes = {code_commune, FRANCE}
        info = self.communes.get(code_commune)
        dep = info.departement if info else departement_of(code_commune)
        codes.add(dep)
        if info:
            if info.parent:
                codes.add(info.parent)
                parent = self.communes.get(info.parent)
                if parent and parent.epci:
                    codes.add(parent.epci)
            if info.epci:
                codes.add(info.epci)
            codes.update(self.children.get(code_commune, ()))
        return codes

    def excluding_codes(self, code_commune: str) -> set[str]:
        """Every zone code whose exclusion (an aid's `territoires_exclus`) takes this commune out:
        the covering codes but its children (an arrondissement excluded leaves Paris's other
        arrondissements in) and France."""
        return self.covering_codes(code_commune) - set(self.children.get(code_commune, ())) - {FRANCE}

    def centroid(self, code_commune: str) -> tuple[float, float] | None:
        """The commune's position, else its parent's (a déléguée's commune, an arrondissement's
        city), else the mean of its children's: Paris, Lyon and Marseille, whose records carry
        arrondissement codes, get no position of their own from records, and a search there
        found none of the records placed in them."""
        info = self.communes.get(code_commune)
        if info is None:
            return None
        if info.position:
            return info.position
        if info.parent and info.parent != code_commune and info.parent in self.communes:
            return self.centroid(info.parent)
        placed = [child.position for code in self.children.get(code_commune, ())
                  if (child := self.communes.get(code)) and child.position]
        if not placed:
            return None
        return (sum(p[0] for p in placed) / len(placed), sum(p[1] for p in placed) / len(placed))


def load_territories(engine: Engine) -> Territories:
    t = Territories()
    with Session(engine) as session:
        postal: dict[str, list[str]] = {}
        by_commune: dict[str, list[str]] = {}
        for row in session.execute(select(TerritoryPostalCode)).scalars():
            postal.setdefault(row.code_postal, []).append(row.code_commune)
            by_commune.setdefault(row.code_commune, []).append(row.code_postal)
        rows = sorted(session.execute(select(TerritoryCommune)).scalars(),
                      key=lambda r: _TYPE_RANK.get(r.type, 9), reverse=True)
        for row in rows:  # preferred types last, so they win on shared codes
            t.communes[row.code] = CommuneInfo(
                code=row.code, nom=row.nom, type=row.type, departement=row.departement,
                region=row.region, epci=row.epci, parent=row.parent, latitude=row.latitude,
                longitude=row.longitude, population=row.population,
                codes_postaux=tuple(sorted(by_commune.get(row.code, ()))),
            )
            if row.parent and row.parent != row.code:
                t.children.setdefault(row.parent, []).append(row.code)
        for parent, kids in t.children.items():
            # codes-postaux lists Paris, Lyon and Marseille by arrondissement: the city has all.
            info = t.communes.get(parent)
            if info:
                codes = set(info.codes_postaux).union(*(by_commune.get(k, ()) for k in kids))
                t.communes[parent] = replace(info, codes_postaux=tuple(sorted(codes)))
        t.epcis = {r.code: r.nom for r in session.execute(select(TerritoryEpci)).scalars()}
        t.departements = {
            r.code: (r.nom, r.region) for r in session.execute(select(TerritoryDepartement)).scalars()
        }
        t.regions = {r.code: r.nom for r in session.execute(select(TerritoryRegion)).scalars()}
        t.postal_codes = {k: sorted(set(v)) for k, v in postal.items()}
    return t


_cache: dict[str, tuple[float, Territories]] = {}


def get_territories(engine: Engine) -> Territories:
    key = engine.url.render_as_string(hide_password=False)
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    territories = load_territories(engine)
    _cache[key] = (time.monotonic(), territories)
    return territories


def clear_cache() -> None:
    _cache.clear()
