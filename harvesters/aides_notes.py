"""What an aid harvest could not say in the schema: counted per run, for the report and the tests.

The engine reports items that cannot be mapped. An aid that maps, but with a condition the
schema cannot hold yet (kept in `conditions_texte`), or an unknown condition type, is not an
error: it is counted here so that nothing is lost silently (`summary()` reads in French).

`Places` gives the aid harvesters what they read of the catalog's territory tables: the names
their French sentences show beside the codes, and the communes of a postal code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from catalog.territories import Territories
from catalog.validation import Problem
from harvesters.aides_conditions import Eligibility


def eligibility_warnings(eligibility: Eligibility | None) -> list[Problem]:
    """What of an aid's eligibility stays outside the structured `conditions`, for the job report."""
    if eligibility is None:
        return []
    warnings = []
    for key, value in eligibility.outside_schema().items():
        kinds = [other["type"] for other in value] if key == "autres" else [key]
        for kind in kinds:
            warnings.append(Problem("conditions", "hors-schema",
                                    f"Condition « {kind} » gardée dans conditions_texte seulement : le schéma ne "
                                    "sait pas encore la structurer."))
    for kind in dict.fromkeys(eligibility.unknown_types):
        warnings.append(Problem("conditions", "type-inconnu", f"Type de condition inconnu « {kind} » (gardé tel quel)."))
    return warnings


@dataclass
class AidNotes:
    found: int = 0  # aids met in the source
    mapped: int = 0  # aids turned into a record (before schema validation)
    fully_mapped: int = 0  # nothing outside the schema, territory known
    structured: int = 0  # with a non-empty `conditions`
    without_zone: int = 0
    outside_schema: Counter = field(default_factory=Counter)  # "profils", "autres:regime_securite_sociale"…
    unknown_types: Counter = field(default_factory=Counter)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (reference, reason)
    remarks: Counter = field(default_factory=Counter)  # other things worth knowing, in French

    def record(self, eligibility: Eligibility | None, row: dict[str, Any], *, exact_zone: bool = True) -> None:
        self.mapped += 1
        outside = eligibility.outside_schema() if eligibility else {}
        for key, value in outside.items():
            if key == "autres":
                for other in value:
                    self.outside_schema[f"autres:{other['type']}"] += 1
            else:
                self.outside_schema[key] += 1
        for type_ in dict.fromkeys(eligibility.unknown_types if eligibility else []):
            self.unknown_types[type_] += 1
        if row.get("conditions"):
            self.structured += 1
        if not row.get("zone_eligibilite"):
            self.without_zone += 1
        if not outside and row.get("zone_eligibilite") and exact_zone:
            self.fully_mapped += 1

    def reject(self, reference: str, reason: str) -> None:
        self.rejected.append((reference, reason))

    def sentences(self) -> list[str]:
        """The remarks, for the job's message (`Harvester.run_notes`): the short read that kept
        aids from being archived, the perimeters with no code, the institutions of unknown type."""
        return [f"{remark[:1].upper()}{remark[1:]}{f' ({n} fois)' if n > 1 else ''}."
                for remark, n in self.remarks.most_common()]

    def summary(self) -> str:
        lines = [(f"{self.found} aide(s) trouvée(s), {self.mapped} transformée(s), {self.fully_mapped} entièrement "
                  f"dans le schéma, {self.structured} avec des conditions structurées, "
                  f"{len(self.rejected)} écartée(s).")]
        if self.outside_schema:
            lines.append("Conditions gardées dans conditions_texte seulement (le schéma ne sait pas encore les "
                         "structurer) : " + ", ".join(f"{k} ({n})" for k, n in self.outside_schema.most_common()))
        if self.unknown_types:
            lines.append("Types de condition inconnus : " + ", ".join(f"{k} ({n})" for k, n in self.unknown_types.most_common()))
        if self.without_zone:
            lines.append(f"{self.without_zone} aide(s) sans zone d'éligibilité connue.")
        lines.extend(f"{remark} ({n})" for remark, n in self.remarks.most_common())
        return "\n".join(lines)


class Places:
    """The catalog's territory tables, read the first time a harvest asks (`Harvester.territories`).

    Without a loader, or before `maillage territories load`, every lookup finds nothing: the
    sentences then give codes alone, and `postal_communes` says the table is missing.
    """

    def __init__(self, load: Callable[[], Territories] | None = None):
        self._load = load
        self._tables: Territories | None = None

    @property
    def tables(self) -> Territories:
        if self._tables is None:
            self._tables = self._load() if self._load else Territories()
        return self._tables

    def name(self, code: str) -> str | None:
        """The name of a commune (5 characters), EPCI (SIREN) or département code, if known."""
        tables = self.tables
        if len(code) == 9:
            return tables.epcis.get(code)
        if len(code) == 5:
            commune = tables.commune(code)
            return commune.nom if commune else None
        departement = tables.departements.get(code)
        return departement[0] if departement else None

    def postal_communes(self, code_postal: str) -> list[str] | None:
        """The communes of a postal code; None when the postal code table is not loaded (an
        unknown code in a loaded table gives [])."""
        if not self.tables.postal_codes:
            return None
        return [c.code for c in self.tables.communes_for_postal_code(code_postal)]
