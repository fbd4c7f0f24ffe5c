"""Eligibility conditions of an aid, kept twice: as data (`conditions`) and as French (`conditions_texte`).

Every aid source states who may claim the aid; "which aides for this person here?" will be
answered from the structured form, so no condition a source carries may be lost. The builder
below collects them in one vocabulary for the three aid harvesters:

- the flat keys of our schema (`age_min`, `age_max`, `statuts`, `ressources_plafond`,
  `boursier`, `taux_incapacite_min`, `territoires_exclus`), filled so that they never exclude
  a person the source would accept (when a source's rule is finer than a flat key can say,
  the flat key says less, never more);
- `profils`: the exact per-situation rules when a source has them (aides-jeunes: "lycéen de
  moins de 20 ans boursier, OR apprenti de moins de 26 ans");
- `autres`: every other condition, as `{"type", "parametres", "texte"}` — source vocabulary
  kept verbatim, so nothing is dropped, including condition types we do not know yet.

`conditions` (the record field) holds the keys the `aide` schema declares for it — read from
the schema, so that a key the schema adds later flows without code change; what the schema
cannot hold yet stays in `conditions_texte` and is counted in the harvester's notes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import schemas

AGE_OPERATORS = {">=", ">", "<=", "<", "="}
OPERATOR_WORDS = {
    ">": "supérieur à", ">=": "supérieur ou égal à", "=": "égal à", "<": "inférieur à", "<=": "inférieur ou égal à",
}
RESOURCE_NATURES = {
    "ressources": "des ressources",
    "quotient-familial": "un quotient familial",
    "revenu-fiscal-reference": "un revenu fiscal de référence",
}
PERIOD_WORDS = {"mois": "par mois", "an": "par an"}
_BULLET = re.compile(r"^\s*(?:[-•*–·]|\d+[.)])\s+")


@cache
def declared_keys() -> frozenset[str]:
    """The keys the `aide` schema accepts in `conditions` (its json-schema custom check)."""
    for check in schemas.load_schema("aide").get("custom_checks", []):
        params = check.get("params", {})
        if check.get("name") == "json-schema" and params.get("column") == "conditions":
            return frozenset(params.get("schema", {}).get("properties", {}))
    return frozenset()


def age_bounds(operator: str, value: Any) -> tuple[int | None, int | None]:
    """`(age_min, age_max)` in whole years for « age OPERATOR value »; ValueError if unreadable."""
    if operator not in AGE_OPERATORS or isinstance(value, bool):
        raise ValueError(f"condition d'âge illisible ({operator!r} {value!r})")
    number = float(value)
    if not math.isfinite(number):  # « 1e999 », `.inf`: no whole number of years, and int() overflows
        raise ValueError(f"âge non fini ({value!r})")
    whole = int(number)
    if operator == ">=":
        return (whole if number == whole else whole + 1), None
    if operator == ">":
        return whole + 1, None
    if operator == "<=":
        return None, whole
    if operator == "<":
        return None, (whole - 1 if number == whole else whole)
    if number != whole:
        raise ValueError(f"âge non entier ({value!r})")
    return whole, whole


def age_sentence(age_min: int | None, age_max: int | None) -> str | None:
    if age_min is not None and age_max is not None:
        if age_min == age_max:
            return f"avoir {age_min} ans"
        return f"avoir entre {age_min} et {age_max} ans"
    if age_min is not None:
        return f"avoir au moins {age_min} ans"
    if age_max is not None:
        return f"avoir {age_max} ans au plus"
    return None


def _intersect(low_a: int | None, high_a: int | None, low_b: int | None, high_b: int | None):
    low = max((v for v in (low_a, low_b) if v is not None), default=None)
    high = min((v for v in (high_a, high_b) if v is not None), default=None)
    return low, high


@dataclass
class Profile:
    """One situation that opens the aid, with the conditions that apply in it."""

    statut: str | None  # our `statuts` value, None when the source's situation has none
    label: str  # French, « lycéen ou lycéenne »
    source_type: str
    age_min: int | None = None
    age_max: int | None = None
    boursier: bool | None = None
    taux_incapacite_min: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # {"annees_etude": [...], ...}
    texts: list[str] = field(default_factory=list)  # French fragments, « boursier ou boursière »

    def restrict_age(self, age_min: int | None, age_max: int | None) -> None:
        self.age_min, self.age_max = _intersect(self.age_min, self.age_max, age_min, age_max)

    @property
    def has_conditions(self) -> bool:
        return bool(self.age_min is not None or self.age_max is not None or self.boursier is not None
                    or self.taux_incapacite_min is not None or self.extra)

    def as_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"statut": self.statut or self.source_type}
        for key in ("age_min", "age_max", "boursier", "taux_incapacite_min"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        data.update(self.extra)
        return data

    def sentence(self) -> str:
        parts = [self.label]
        age = age_sentence(self.age_min, self.age_max)
        if age:
            parts.append(age.replace("avoir ", "", 1))
        parts.extend(self.texts)
        return parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")


class Eligibility:
    """Collects an aid's conditions; `conditions()` and `text()` give the two record fields."""

    def __init__(self) -> None:
        self.age_min: int | None = None
        self.age_max: int | None = None
        self.statuts: list[str] = []  # from a general condition (« être bénéficiaire du RSA »)
        self.ressources_plafond: dict[str, Any] | None = None
        self.boursier: bool | None = None
        self.taux_incapacite_min: float | None = None
        self.territoires_exclus: list[str] = []
        self.profiles: list[Profile] = []
        self.autres: list[dict[str, Any]] = []
        self.sentences: list[str] = []  # the general conditions, in French
        self.free_texts: list[str] = []  # the source's own sentences, verbatim
        self.unknown_types: list[str] = []

    # -- collecting ----------------------------------------------------------------------------

    def require_age(self, age_min: int | None, age_max: int | None) -> None:
        self.age_min, self.age_max = _intersect(self.age_min, self.age_max, age_min, age_max)

    def require_statut(self, statut: str, sentence: str) -> None:
        if statut not in self.statuts:
            self.statuts.append(statut)
        self.sentences.append(sentence)

    def ceiling(self, montant: float, periode: str, nature: str, sentence: str | None = None) -> None:
        """A resources ceiling; when there are several, the first one is structured, the others kept as `autres`."""
        sentence = sentence or (f"avoir {RESOURCE_NATURES[nature]} {PERIOD_WORDS[periode]} inférieur ou égal à "
                                f"{euros_text(montant)}")
        if self.ressources_plafond is None:
            self.ressources_plafond = {"montant": montant, "periode": periode, "nature": nature}
            self.sentences.append(sentence)
        else:
            self.other("ressources_plafond", {"montant": montant, "periode": periode, "nature": nature}, sentence)

    def exclude_territories(self, codes: list[str], sentence: str) -> None:
        for code in codes:
            if code not in self.territoires_exclus:
                self.territoires_exclus.append(code)
        self.sentences.append(sentence)

    def other(self, type_: str, parametres: dict[str, Any], sentence: str, *, known: bool = True) -> None:
        """A condition no flat key can hold: kept as data, in the source's own terms, and as text."""
        self.autres.append({"type": type_, "parametres": parametres, "texte": _sentence(sentence)})
        self.sentences.append(sentence)
        if not known and type_ not in self.unknown_types:
            self.unknown_types.append(type_)

    def sentence(self, text: str) -> None:
        self.sentences.append(text)

    def source_text(self, text: str | None) -> None:
        if text and text.strip():
            self.free_texts.append(text.strip())

    # -- the record fields ---------------------------------------------------------------------

    def structured(self) -> dict[str, Any]:
        """Everything, in our vocabulary (flat keys + `profils` + `autres`)."""
        data: dict[str, Any] = {}
        age_min, age_max = self.age_min, self.age_max
        statuts = list(self.statuts)
        boursier, taux = self.boursier, self.taux_incapacite_min
        if self.profiles:
            # The flat keys summarise "one of these situations": the widest age span, every
            # situation's statut, and boursier / taux only when every situation requires it.
            p_min, p_max = _widest(self.profiles)
            age_min, age_max = _intersect(age_min, age_max, p_min, p_max)
            if not statuts and all(p.statut for p in self.profiles):
                statuts = list(dict.fromkeys(p.statut for p in self.profiles if p.statut))
            if boursier is None and all(p.boursier for p in self.profiles):
                boursier = True
            if taux is None and all(p.taux_incapacite_min is not None for p in self.profiles):
                taux = min(p.taux_incapacite_min for p in self.profiles)  # type: ignore[type-var]
        if age_min is not None:
            data["age_min"] = age_min
        if age_max is not None:
            data["age_max"] = age_max
        if statuts:
            data["statuts"] = statuts
        if self.ressources_plafond:
            data["ressources_plafond"] = self.ressources_plafond
        if boursier is not None:
            data["boursier"] = boursier
        if taux is not None:
            data["taux_incapacite_min"] = taux
        if self.territoires_exclus:
            data["territoires_exclus"] = self.territoires_exclus
        if self.profiles and self._profiles_say_more(boursier, taux):
            data["profils"] = [p.as_data() for p in self.profiles]
        if self.autres:
            data["autres"] = self.autres
        return data

    def _profiles_say_more(self, boursier: bool | None, taux: float | None) -> bool:
        """Whether the flat keys lose something of the per-situation rules."""
        if any(p.statut is None for p in self.profiles) or (self.statuts and len(self.profiles)):
            return True
        for p in self.profiles:
            if p.extra or (p.boursier and not boursier):
                return True
            if p.taux_incapacite_min is not None and p.taux_incapacite_min != taux:
                return True
        return len({(p.age_min, p.age_max) for p in self.profiles}) > 1

    def conditions(self) -> dict[str, Any] | None:
        """The `conditions` field: the structured keys our schema declares."""
        keys = declared_keys()
        data = {key: value for key, value in self.structured().items() if key in keys}
        return data or None

    def outside_schema(self) -> dict[str, Any]:
        """What the schema cannot hold yet (kept in `conditions_texte` only)."""
        keys = declared_keys()
        return {key: value for key, value in self.structured().items() if key not in keys}

    def text(self) -> str | None:
        lines = [_sentence(s) for s in self.sentences]
        if self.profiles:
            situations = [p.sentence() for p in self.profiles]
            if len(situations) == 1:
                lines.append(_sentence(f"être {situations[0]}"))
            else:
                lines.append("Être dans l’une des situations suivantes : " + " ; ".join(situations) + ".")
        age = age_sentence(self.age_min, self.age_max)
        if age:
            lines.insert(0, _sentence(age))
        for text in self.free_texts:  # a source's own list: one line per item, without its bullets
            lines.extend(_BULLET.sub("", line).strip() for line in text.split("\n"))
        lines = list(dict.fromkeys(line for line in lines if line))
        return "\n".join(f"- {line}" for line in lines) or None


def _widest(profiles: list[Profile]) -> tuple[int | None, int | None]:
    mins = [p.age_min for p in profiles]
    maxes = [p.age_max for p in profiles]
    low = None if any(v is None for v in mins) else min(mins)  # type: ignore[type-var]
    high = None if any(v is None for v in maxes) else max(maxes)  # type: ignore[type-var]
    return low, high


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def number_text(value: Any) -> str:
    """« 18 500 », « 16,8 »: French digits, thousands set apart by a narrow no-break space (as `euros_text`)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{int(number):,}" if number.is_integer() else f"{number:,.2f}".rstrip("0")
    return text.replace(",", "\u202f").replace(".", ",")


def euros_text(amount: float) -> str:
    """« 18 500 € », « 16,80 € »: euros as French writes them (thousands set apart by a narrow
    no-break space), for every harvester's texts."""
    whole = int(amount) if float(amount).is_integer() else amount
    return f"{whole:,} €".replace(",", "\u202f") if isinstance(whole, int) else f"{amount:.2f} €".replace(".", ",")
