"""A query resolved against the territories, once, for every backend.

The eligibility rule (DESIGN.md, data·inclusion `/search/services`) lives here so that both
backends apply the very same sets: which zone codes cover the searched commune, which ones an
aid may exclude it by, where the search circle is, and what to do when a commune has no known
position.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from catalog.errors import UnusableInput
from catalog.search import SearchQuery
from catalog.search.analysis import query_groups
from catalog.territories import Territories


def today_in_france() -> date:
    """The day it is in metropolitan France: an aid closing on the 31st is open all that day."""
    return datetime.now(ZoneInfo("Europe/Paris")).date()

NO_ZONE = "_none"  # the zone token of a record without zone_eligibilite (eligible everywhere)


@dataclass(frozen=True)
class Plan:
    query: SearchQuery
    groups: list[tuple[tuple[str, ...], ...]]  # analysed text: AND of OR-ed phrases
    center: tuple[float, float] | None  # search point (commune centroid or lat/lon)
    radius_km: float
    # Zone codes covering the searched commune; records whose zone_eligibilite has one of them
    # (or is empty) are eligible. None: no commune, no eligibility filter.
    eligible_zones: frozenset[str] | None
    # Zone codes whose exclusion (`conditions.territoires_exclus`) takes the searched commune
    # out: records excluding one of them are not eligible there. None: no commune.
    excluded_zones: frozenset[str] | None
    # A commune without a known position: on-site records must be *in* it (no circle to draw).
    onsite_commune: str | None
    # Today (ISO): offers that ended before it are left out. None: all kept (`inclure_terminees`).
    today: str | None = None

    @property
    def has_text(self) -> bool:
        return bool(self.groups)

    @property
    def has_place(self) -> bool:
        return self.center is not None or self.onsite_commune is not None


def make_plan(query: SearchQuery, territories: Territories) -> Plan:
    query.validate()
    center = None
    zones = excluded = None
    onsite_commune = None
    if query.code_commune:
        code = query.code_commune.strip()
        if territories.commune(code) is None:
            raise UnusableInput(
                f"Commune inconnue : {code!r}. Chargez les territoires (maillage territories load)."
            )
        zones = frozenset(territories.covering_codes(code))
        excluded = frozenset(territories.excluding_codes(code))
        center = territories.centroid(code)
        if center is None:
            onsite_commune = code
    if query.lat is not None and query.lon is not None:
        center = (float(query.lat), float(query.lon))  # an explicit point wins over a centroid
        onsite_commune = None
    return Plan(
        query=query,
        groups=query_groups(query.text or ""),
        center=center,
        radius_km=query.radius_km,
        eligible_zones=zones,
        excluded_zones=excluded,
        onsite_commune=onsite_commune,
        today=None if query.inclure_terminees else today_in_france().isoformat(),
    )
