"""Record → search document: the one place that decides what is indexed, for every backend.

Fields are read defensively (a missing key is an empty value): the record kinds share the
territory, thématique and public field names, and each adds its own text fields.

Only what may be published is indexed (`catalog.privacy.public_view`): the search answers the
public, and a query for an address masked on the page must not find the record behind it. What
filters, facets and places read (codes, thématiques, positions) is never personal, so the view
holds it unchanged.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import orjson

from catalog.privacy import public_view
from catalog.search.quality import service_score
from catalog.territories import FRANCE, Territories, departement_of, departement_of_postal_code

# Free-text fields, beyond `nom`, that people search in (whichever the kind has), including
# who provides the offer: "AFPA", "CAF", "GRETA" are how conseillers often look for it.
TEXT_FIELDS = ("description", "presentation_resume", "presentation_detail", "objectif",
               "objectifs", "contenu", "resultats_attendus", "conditions_acces",
               "publics_precisions", "frais_precisions", "sigle", "commune",
               "organisme_nom", "organisme_formateur_nom", "institution_nom", "porteur_nom")
# Codes people type to find a formation (a ROME métier, a FORMACODE domain, a certification),
# searchable as written in each register: "K2204", "RNCP34849", "RNCP 34849" or "34849".
CODE_FIELDS = (("codes_rome", ""), ("formacodes", ""), ("code_rncp", "RNCP"), ("code_rs", "RS"))
REMOTE = "a-distance"
# Kinds whose `date_fin` closes the offer itself: once past, search leaves them out. Not a
# formation's, which ends a session (whether one can still join it is another date).
CLOSING_KINDS = ("aide", "solution-mobilite")
# Codes meaning "the whole country" in zone_eligibilite (data·inclusion accepts both).
NATIONAL = {"france", "99100", "fr"}


def load_record(raw: str) -> dict[str, Any]:
    try:
        return orjson.loads(raw)  # several times faster than json on records
    except orjson.JSONDecodeError:  # what orjson refuses (NaN, huge integers), json reads
        return json.loads(raw)


@dataclass
class SearchDocument:
    kind: str
    id: str
    source: str
    nom: str
    text: str  # everything searchable beyond the name, one string
    thematiques: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    publics: list[str] = field(default_factory=list)
    frais: list[str] = field(default_factory=list)
    modes_accueil: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    # Normalised zone codes; empty means "no restriction" (eligible everywhere).
    zone_eligibilite: list[str] = field(default_factory=list)
    # Normalised zone codes the record's conditions exclude (`conditions.territoires_exclus`).
    territoires_exclus: list[str] = field(default_factory=list)
    code_commune: str | None = None
    code_epci: str | None = None
    code_departement: str | None = None
    code_region: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    score_qualite: float | None = None
    groupe_doublons: str | None = None
    date_maj: str | None = None
    # The day the offer closes (`date_fin` of an aid or a mobility solution), ISO.
    date_fin: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.id}"

    @property
    def remote(self) -> bool:
        return REMOTE in self.modes_accueil

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def zoned(self) -> bool:
        """Placed by its eligibility zone only: no position, an explicit zone (e.g. an aide of
        a région). Such records are kept for a place their zone covers, at no distance."""
        return not self.located and bool(self.zone_eligibilite)

    def facet_values(self) -> dict[str, list[str]]:
        """Facet name → values of this document (the same names as the query filters)."""
        return {
            "kinds": [self.kind],
            "thematiques": self.thematiques,
            "categories": self.categories,
            "publics": self.publics,
            "frais": self.frais,
            "modes_accueil": self.modes_accueil,
            "types": self.types,
            "sources": [self.source] if self.source else [],
            "code_departement": [self.code_departement] if self.code_departement else [],
        }


def _list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        # CSV-born records may carry "a,b" strings for list fields.
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            if v is not None:
                v = (v if type(v) is str else str(v)).strip()
                if v:
                    out.append(v)
        return out
    return [str(value)]


def _set(value: Any) -> list[str]:
    """A list field's distinct values, sorted."""
    values = _list(value)
    return sorted(set(values)) if len(values) > 1 else values


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _position(data: dict[str, Any]) -> tuple[float, float] | None:
    lat, lon = _float(data.get("latitude")), _float(data.get("longitude"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0 and lon == 0:  # a classic "unknown" placeholder
        return None
    return (lat, lon)


def _departement_of_postal(code_postal: str, territories: Territories) -> str | None:
    """The département of a postal code: its communes' when the table knows it, else read from
    the code itself (none for a code shared by communes of several départements)."""
    departements = {commune.departement for commune in territories.communes_for_postal_code(code_postal)}
    if len(departements) == 1:
        return departements.pop()
    return None if departements else departement_of_postal_code(code_postal)


def _iso_day(value: Any) -> str | None:
    """`value` as an ISO day (« 2025-12-31 »), None when it is not one."""
    text = str(value or "")[:10]
    try:
        return date.fromisoformat(text).isoformat() if len(text) == 10 else None
    except ValueError:
        return None


def _excluded_zones(conditions: Any) -> list[str]:
    """The zones an aid's or a mobility solution's conditions exclude (the record's eligibility
    zone less these: « le Var, sauf la Métropole Toulon Provence Méditerranée »)."""
    if not isinstance(conditions, dict):
        return []
    return sorted({normalize_zone(z) for z in _list(conditions.get("territoires_exclus")) if str(z).strip()})


def normalize_zone(code: str) -> str:
    """A zone code as the territories write it: Corsica's « 2a004 » is « 2A004 » (it was kept in
    lower case, and found from no Corsican commune)."""
    code = code.strip()
    return FRANCE if code.lower() in NATIONAL else code.upper()


@lru_cache(maxsize=1)
def _labels() -> dict[str, str]:
    try:
        import schemas

        labels = dict(schemas.referential_labels("thematiques-categories"))
        labels.update(schemas.referential_labels("thematiques"))
        return labels
    except Exception:  # noqa: BLE001 - referentials unavailable: slug words below are the fallback
        return {}


@lru_cache(maxsize=4096)
def thematique_text(slug: str) -> str:
    """A thématique's French label (category and sub-thématique), so that its name is
    searchable: "Mobilité Préparer un permis". Falls back to the slug's words."""
    labels = _labels()
    category = slug.split("--", 1)[0]
    parts = [labels.get(category, category.replace("-", " "))]
    if "--" in slug:
        parts.append(labels.get(slug, slug.split("--", 1)[1].replace("-", " ")))
    return " ".join(parts)


def build_document(kind: str, record_id: str, data: dict[str, Any],
                   territories: Territories | None = None, *, source: str | None = None,
                   date_maj: str | None = None, raw: str | None = None) -> SearchDocument:
    # Only what may be published is searchable (`raw`, the stored JSON, spares a walk).
    data = public_view(data, kind, raw)
    territories = territories or Territories()
    thematiques = _set(data.get("thematiques"))
    categories = sorted({t.split("--", 1)[0] for t in thematiques})
    code_commune = str(data.get("code_insee") or data.get("code_commune") or "").strip() or None
    commune = territories.commune(code_commune)
    position = _position(data)
    if position is None and code_commune:
        # No coordinates of its own: the commune's position stands in (distance at commune grain).
        position = territories.centroid(code_commune)
    departement = None
    if commune:
        departement = commune.departement
    elif code_commune:
        departement = departement_of(code_commune)
    elif data.get("code_postal"):
        departement = _departement_of_postal(str(data["code_postal"]).strip(), territories)
    epci = commune.epci if commune else None
    if commune and not epci and commune.parent:
        parent = territories.commune(commune.parent)
        epci = parent.epci if parent else None
    texts = [str(data[f]) for f in TEXT_FIELDS if data.get(f)]
    texts.extend(thematique_text(t) for t in thematiques)
    codes = [f"{prefix}{code} {prefix} {code}" if prefix else code
             for name, prefix in CODE_FIELDS for code in _list(data.get(name))]
    if codes:
        texts.append(" ".join(codes))
    score = _float(data.get("score_qualite"))  # a score the record brings (tests' fixtures)
    if score is None and kind == "service":
        score = service_score(data)
    return SearchDocument(
        kind=kind,
        id=record_id,
        source=str(source or data.get("source") or ""),
        nom=str(data.get("nom") or data.get("intitule") or ""),
        text="\n".join(texts),
        thematiques=thematiques,
        categories=categories,
        publics=_set(data.get("publics")),
        frais=_set(data.get("frais")),
        modes_accueil=_set(data.get("modes_accueil")),
        types=sorted(set(_list(data.get("type")) + _list(data.get("types")))),
        zone_eligibilite=sorted({normalize_zone(z) for z in _list(data.get("zone_eligibilite"))}),
        territoires_exclus=_excluded_zones(data.get("conditions")),
        code_commune=code_commune,
        code_epci=epci,
        code_departement=departement,
        code_region=(commune.region if commune else territories.region_of_departement(departement)),
        latitude=position[0] if position else None,
        longitude=position[1] if position else None,
        score_qualite=score,
        groupe_doublons=str(data["groupe_doublons"]) if data.get("groupe_doublons") else None,
        date_maj=date_maj or (str(data["date_maj"]) if data.get("date_maj") else None),
        date_fin=_iso_day(data.get("date_fin")) if kind in CLOSING_KINDS else None,
    )
