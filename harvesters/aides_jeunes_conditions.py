"""The eligibility vocabulary of aides-jeunes, as `contribuer/public/admin/config.yml` declares it.

A javascript benefit says who may claim it with `conditions_generales` (every one must hold)
and `profils` (one must hold, each with its own `conditions`); the simulator evaluates them in
`lib/benefits/compute-javascript.ts`. This module turns each condition type into our
vocabulary (`aides_conditions.Eligibility`) and French, and reads where the benefit applies
(the geographic conditions, else its institution's territory). Its sentences name the
territories the catalog's tables know (`aides_notes.Places`), their code beside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from harvesters import aides_zones as zones
from harvesters.aides_conditions import (
    OPERATOR_WORDS,
    Eligibility,
    Profile,
    age_bounds,
    number_text,
)
from harvesters.aides_notes import Places
from harvesters.aides_text import code_text

# -- the vocabulary of contribuer/public/admin/config.yml ----------------------------------------

# Profile types → (our `statuts` value, French label).
PROFILES: dict[str, tuple[str, str]] = {
    "collegien": ("collegien", "collégien ou collégienne"),
    "lyceen": ("lyceen", "lycéen ou lycéenne"),
    "enseignement_superieur": ("enseignement-superieur", "dans l’enseignement supérieur"),
    "etudiant": ("etudiant", "scolarisé ou scolarisée"),
    "stagiaire": ("stagiaire", "stagiaire"),
    "apprenti": ("apprenti", "apprenti ou apprentie"),
    "professionnalisation": ("contrat-professionnalisation", "en contrat de professionnalisation"),
    "chomeur": ("demandeur-emploi", "en recherche d’emploi"),
    "salarie": ("salarie", "salarié ou salariée"),
    "independant": ("independant", "travailleur indépendant ou travailleuse indépendante"),
    "service_civique": ("service-civique", "en service civique"),
    "beneficiaire_rsa": ("beneficiaire-rsa", "bénéficiaire du RSA"),
    "situation_handicap": ("situation-handicap", "en situation de handicap"),
    "inactif": ("inactif", "inactif ou inactive"),
    "parent": ("parent", "parent"),
}
GEOGRAPHIC_TYPES = ("communes", "epcis", "departements", "regions")  # most specific first
ANNEES_ETUDE = {
    "cap_1": "CAP - 1ère année", "cap_2": "CAP - 2ème année", "seconde": "Seconde", "premiere": "Première",
    "terminale": "Terminale", "bts_1": "BTS", "but_1": "BUT", "cpge_1": "CPGE", "licence_1": "Licence - 1ère année",
    "licence_2": "Licence - 2ème année", "licence_3": "Licence - 3ème année", "master_1": "Master - 1ère année",
    "master_2": "Master - 2ème année", "doctorat_1": "Doctorat - 1ère année", "doctorat_2": "Doctorat - 2ème année",
    "doctorat_3": "Doctorat - 3ème année", "autre": "Autre",
}
MENTIONS_BAC = {
    "mention_assez_bien": "mention assez bien", "mention_bien": "mention bien", "mention_tres_bien": "mention très bien",
    "mention_tres_bien_felicitations_jury": "mention très bien avec félicitations du jury", "non_renseignee": "autre",
}
REGIMES = {"regime_general": "régime général", "regime_agricole": "régime agricole", "autres_regimes": "autres régimes"}
LOGEMENTS = {
    "primo_accedant": "propriétaire primo-accédant", "proprietaire": "propriétaire", "locataire_vide": "locataire",
    "locataire_meuble": "locataire de meublé ou d’hôtel", "loge_gratuitement": "logé gratuitement",
    "locataire_foyer": "locataire d’un foyer", "sans_domicile": "sans domicile stable",
}
# How a sentence says « in » a département (the COG's article, `typeLiaison`): « dans le Calvados »,
# « en Eure-et-Loir », « à Paris ». The territory tables keep the name, not the article.
_PREPOSITION_CODES = (
    ("dans le ", "14 15 18 25 29 30 32 39 41 45 46 47 56 59 62 63 67 68 69 81 82 83 84 90 94 95"),
    ("dans la ", "16 17 19 21 23 24 26 2A 2B 31 33 42 43 44 48 50 51 52 53 55 57 58 70 72 73 74 76 80 85 86 87 93"),
    ("dans les ", "04 05 06 08 13 22 40 64 65 66 78 79 88 92"),
    ("dans l’", "01 02 03 07 09 10 11 12 27 34 36 38 60 61 89 91"),
    ("en ", "28 35 37 49 54 71 77 971 972 973"),
    ("à ", "75 974 975 976 977 978"),
)
DEPARTEMENT_PREPOSITIONS = {code: words for words, codes in _PREPOSITION_CODES for code in codes.split()}
# The words of a sentence about one or several territories of a kind: (one, one of several,
# none of several, « suivant(e)s », what the code is when the name is unknown).
PLACE_WORDS = {
    "communes": ("la commune", "l’une des communes", "aucune des communes", "suivantes", " (code INSEE)"),
    "epcis": ("l’intercommunalité", "l’une des intercommunalités", "aucune des intercommunalités", "suivantes",
              " (SIREN)"),
    "departements": ("le département", "l’un des départements", "aucun des départements", "suivants", ""),
}
# Words of the number of children (`enfants_eligibles`), as `compute-javascript.ts` compares it.
CHILDREN_COUNTS = {">=": "au moins", ">": "plus de", "=": "exactement", "<=": "au plus", "<": "moins de"}
FLAG_SENTENCES = {
    "formation_sanitaire_social": "être en formation dans le secteur sanitaire et social",
    "difficultes_acces_ou_frais_logement": "avoir des difficultés importantes pour accéder à un logement ou pour payer "
                                           "les frais liés à un logement",
    "agence_travail_temporaire": "être intérimaire d’une agence de travail temporaire",
}


# -- conditions ----------------------------------------------------------------------------------

def general_condition(eligibility: Eligibility, condition: Any, places: Places | None = None) -> None:
    """One of `conditions_generales` (all must hold). Geographic ones are read by `zone_of`;
    `places` names the excluded territories."""
    if not isinstance(condition, dict):
        eligibility.other("illisible", {"valeur": condition}, f"condition illisible : {condition!r}", known=False)
        return
    type_ = code_text(condition.get("type"))
    # A type that is not a text (a list, an object) is kept with the parameters: nothing is dropped.
    params = {k: v for k, v in condition.items() if k != "type" or type_ is None}
    if type_ in GEOGRAPHIC_TYPES or type_ in ("attached_to_institution", "codes_postaux"):
        return
    if type_ == "age":
        try:
            eligibility.require_age(*age_bounds(condition.get("operator"), condition.get("value")))
        except (TypeError, ValueError) as exc:
            eligibility.other("age", params, f"condition d'âge non interprétée ({exc})")
    elif type_ == "quotient_familial" and condition.get("operator") in ("<", "<=") and is_number(condition.get("value")):
        _quotient_ceiling(eligibility, condition, params)
    elif type_ == "beneficiaire_rsa":
        eligibility.require_statut("beneficiaire-rsa", "être bénéficiaire du RSA")
    elif type_ == "excluded_epcis":
        codes = [c for c in (zones.siren(v) for v in as_list(condition.get("values"))) if c]
        if codes:
            eligibility.exclude_territories(codes, _nowhere("epcis", codes, places))
    else:
        eligibility.other(type_ or "illisible", params, describe(type_, condition), known=_known(type_))


def _quotient_ceiling(eligibility: Eligibility, condition: dict, params: dict) -> None:
    """A quotient familial below (`<`) or up to (`<=`) a limit: the schema's ceiling is « à ne pas
    dépasser », so below a strict limit it is the last cent under it (« < 900 » is « ≤ 899,99 »)."""
    period = "mois" if condition.get("period") == "month" else "an"
    strict = condition["operator"] == "<"
    sentence = (f"avoir un quotient familial {'mensuel' if period == 'mois' else 'annuel'} "
                f"{'inférieur à' if strict else 'inférieur ou égal à'} {number_text(condition['value'])} €")
    value = float(condition["value"])
    montant = (math.ceil(round(value * 100, 6)) - 1) / 100 if strict else value
    if montant < 0:  # « below 0 € »: no ceiling the schema can hold
        eligibility.other("quotient_familial", params, sentence)
        return
    eligibility.ceiling(montant, period, "quotient-familial", sentence)


def _known(type_: Any) -> bool:
    if not isinstance(type_, str):  # a list or an object cannot be looked up (unhashable)
        return False
    return type_ in FLAG_SENTENCES or type_ in ("regime_securite_sociale", "statut_occupation_logement", "not",
                                                "quotient_familial", "codes_postaux", "boursier", "enfants_eligibles",
                                                "mention_baccalaureat", "annee_etude", "taux_incapacite")


def describe(type_: Any, condition: dict) -> str:
    """French for a condition kept in `autres`."""
    if type_ in FLAG_SENTENCES:
        return FLAG_SENTENCES[type_]
    if type_ in ("regime_securite_sociale", "statut_occupation_logement"):
        regime = type_ == "regime_securite_sociale"
        labels = REGIMES if regime else LOGEMENTS
        includes = [_label(labels, v) for v in as_list(condition.get("includes"))]
        excludes = [_label(labels, v) for v in as_list(condition.get("excludes"))]
        if regime:
            parts = (["relever du " + " ou du ".join(includes)] if includes else []) + \
                    (["ne pas relever du " + " ni du ".join(excludes)] if excludes else [])
            return " et ".join(parts) + " de la sécurité sociale" if parts else "régime de sécurité sociale (sans valeur)"
        parts = ([" ou ".join(includes)] if includes else []) + (["sauf " + ", ".join(excludes)] if excludes else [])
        return "statut d’occupation du logement : " + ", ".join(parts) if parts else "statut du logement (sans valeur)"
    if type_ == "quotient_familial":
        period = "par mois" if condition.get("period") == "month" else "par an"
        op = condition.get("operator")
        return f"quotient familial {_operator(op)} {number_text(condition.get('value'))} € {period}"
    if type_ == "codes_postaux":
        return "résider dans une commune de code postal " + ", ".join(map(str, as_list(condition.get("values"))))
    if type_ == "not" and isinstance(condition.get("value"), dict):
        inner = condition["value"]
        return "ne pas remplir la condition suivante : " + describe(code_text(inner.get("type")), inner)
    if type_ == "age":
        return f"âge {_operator(condition.get('operator'))} {condition.get('value')} ans"
    if type_ == "enfants_eligibles":
        try:
            return children_text(condition)
        except ValueError:
            pass
    # A condition no one taught us: what a conseiller can act on, with the source's own terms.
    details = ", ".join(f"{k} : {v}" for k, v in condition.items() if k != "type")
    named = f"critère « {type_} »" if type_ is not None else "critère illisible"
    return f"autre condition à vérifier auprès de l’organisme ({named}" + (f", {details})" if details else ")")


def _label(labels: dict[str, str], value: Any) -> str:
    """The French of a source code; a list or an object in its place is shown as written."""
    return labels.get(value, value) if isinstance(value, str) else str(value)


def profile_of(eligibility: Eligibility, profile: Any) -> Profile:
    """One of `profils` (one must hold): a situation and the conditions that apply in it."""
    type_ = str(profile.get("type") if isinstance(profile, dict) else profile)
    statut, label = PROFILES.get(type_, (None, f"situation « {type_} »"))
    if statut is None:
        eligibility.unknown_types.append(f"profil:{type_}")
    result = Profile(statut=statut, label=label, source_type=type_)
    for condition in as_list(profile.get("conditions") if isinstance(profile, dict) else None):
        # A type that is not a text (a list, an object) is unreadable, and cannot be looked up.
        raw_kind = condition.get("type") if isinstance(condition, dict) else None
        kind = code_text(raw_kind)
        try:
            if kind == "age":
                result.restrict_age(*age_bounds(condition.get("operator"), condition.get("value")))
            elif kind == "boursier":
                result.boursier = True
                result.texts.append("boursier ou boursière")
            elif kind == "taux_incapacite" and condition.get("operator") in (">=", ">") and is_number(condition.get("value")):
                rate = float(condition["value"])
                result.taux_incapacite_min = round(rate * 100 if rate <= 1 else rate, 2)
                result.texts.append(f"taux d’incapacité d’au moins {number_text(result.taux_incapacite_min)} %")
            elif kind in ("annee_etude", "mention_baccalaureat"):
                labels = ANNEES_ETUDE if kind == "annee_etude" else MENTIONS_BAC
                values = [str(v) for v in as_list(condition.get("values"))]
                result.extra["annees_etude" if kind == "annee_etude" else "mentions_baccalaureat"] = values
                words = ", ".join(labels.get(v, v) for v in values)
                result.texts.append(("en " if kind == "annee_etude" else "bac obtenu avec ") + words)
            elif kind == "formation_sanitaire_social":
                result.extra["formation_sanitaire_social"] = True
                result.texts.append("en formation sanitaire et sociale")
            elif kind == "enfants_eligibles":
                _profile_other(result, kind, _params(condition, kind), children_text(condition))
            else:
                raise ValueError("inconnue")
        except (TypeError, ValueError):
            text = describe(kind, condition if isinstance(condition, dict) else {})
            _profile_other(result, kind or "illisible", _params(condition, kind), text)
            if not _known(kind) and kind != "age":
                eligibility.unknown_types.append(f"{type_}:{kind or 'illisible'}")
    return result


def _params(condition: Any, kind: str | None) -> dict:
    """A condition's parameters as the source gives them (its unreadable type too)."""
    if not isinstance(condition, dict):
        return {"valeur": condition}
    return {k: v for k, v in condition.items() if k != "type" or kind is None}


def _profile_other(profile: Profile, kind: str, params: dict, text: str) -> None:
    """A situation's condition no key can hold: as data (in its `autres`) and as French."""
    sentence = text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
    profile.extra.setdefault("autres", []).append({"type": kind, "parametres": params, "texte": sentence})
    profile.texts.append(text)


def children_text(condition: dict) -> str:
    """`enfants_eligibles`: how many children aged `age_min` to `age_max` (inclusive, each optional)
    the parent has, « avoir au moins 1 enfant de 11 à 25 ans »; ValueError if unreadable."""
    count, low, high = condition.get("value"), condition.get("age_min"), condition.get("age_max")
    words = CHILDREN_COUNTS.get(condition.get("operator")) if isinstance(condition.get("operator"), str) else None
    if words is None or not is_number(count) or any(v is not None and not is_number(v) for v in (low, high)):
        raise ValueError("enfants_eligibles illisible")
    text = f"avoir {words} {number_text(count)} enfant{'s' if count >= 2 else ''}"
    if low is not None and high is not None:
        return text + f" de {number_text(low)} à {number_text(high)} ans"
    if low is not None:
        return text + f" d’au moins {number_text(low)} ans"
    return text + (f" de {number_text(high)} ans au plus" if high is not None else "")


# -- territory -----------------------------------------------------------------------------------

@dataclass
class Zone:
    """`zone_eligibilite`, and how faithful it is to the source."""

    codes: list[str]
    exact: bool  # False when only a wider zone could be said
    widened: str | None = None  # why it is wider than the tables could have made it (French), for the report


def zone_of(eligibility: Eligibility, conditions: list, institution: dict, places: Places | None = None) -> Zone:
    """Where the benefit applies. `places` (the catalog's territory tables) gives the communes of
    a postal code and the names of the sentences."""
    geographic: dict[str, list] = {}
    for condition in conditions:
        if isinstance(condition, dict) and condition.get("type") in GEOGRAPHIC_TYPES + ("codes_postaux",):
            values = as_list(condition.get("values"))
            if values:  # aides-jeunes: an empty list is no constraint
                geographic.setdefault(condition["type"], []).extend(values)
    attached = any(isinstance(c, dict) and c.get("type") == "attached_to_institution" for c in conditions)
    postal: list[str] = []
    if "codes_postaux" in geographic:
        # A postal code may cover part of a commune: the condition stays (in `autres`) whatever
        # other geographic condition comes with it (all must hold).
        postal = [str(v).strip() for v in geographic["codes_postaux"]]
        eligibility.other("codes_postaux", {"values": postal}, describe("codes_postaux", {"values": postal}))
    for kind in GEOGRAPHIC_TYPES:  # the most specific level that is given
        if kind in geographic:
            codes, bad = _codes(kind, geographic[kind])
            if bad:
                eligibility.other(kind, {"values": bad}, f"territoire non reconnu ({kind}) : {', '.join(map(str, bad))}")
            if codes:
                eligibility.sentence(_where(kind, zones.dedupe(codes), places))
                # With postal codes too, the zone contains the true one without being it.
                return Zone(zones.dedupe(codes), not bad and not postal)
    zone = institution_zone(institution)
    if postal:
        return _postal_zone(postal, zone, places)
    if attached and zone:
        eligibility.sentence(f"résider sur le territoire de l’institution ({institution.get('name') or institution.get('label')})")
    return Zone(zone, bool(zone))


def _postal_zone(postal: list[str], institution: list[str], places: Places | None) -> Zone:
    """The communes of the postal codes; where the tables cannot give them, the institution's
    territory, which contains them, with the reason it is wider (a commune's share of a postal
    code is no zone code: no zone is exact)."""
    found = {code: (places.postal_communes(code) if places else None) for code in postal}
    communes = [c for codes in found.values() for c in codes or []]
    missing = [code for code, codes in found.items() if not codes]
    if not missing:
        return Zone(zones.dedupe(communes), False)
    if any(codes is None for codes in found.values()):
        why = "la table des codes postaux n’est pas chargée (maillage territories load)"
    else:
        why = f"code(s) postal(aux) {', '.join(missing)} inconnu(s) de la table des codes postaux"
    return Zone(institution, False, f"Zone élargie au territoire de l’institution ({', '.join(institution) or 'aucun'}) : "
                                    f"{why} ; la condition de code postal ({', '.join(postal)}) est gardée dans conditions.autres.")


def institution_zone(institution: dict) -> list[str]:
    type_ = institution.get("type")
    if type_ == "commune":
        code = zones.commune_code(institution.get("code_insee"))
        return [code] if code else []
    if type_ == "epci":
        code = zones.siren(institution.get("code_siren"))
        return [code] if code else []
    if type_ == "departement":
        code = zones.departement_code(institution.get("code_insee"))
        return [code] if code else []
    if type_ == "region":
        return list(zones.region_departements(str(institution.get("code_insee") or "")) or [])
    departments = [c for c in (zones.departement_code(d) for d in as_list(institution.get("departments"))) if c]
    if departments:
        return zones.dedupe(departments)
    # National and European bodies, and any institution aides-jeunes does not tie to a territory.
    return [zones.FRANCE]


def _codes(kind: str, values: list) -> tuple[list[str], list]:
    codes: list[str] = []
    bad = []
    for value in values:
        if kind == "regions":
            found = list(zones.region_departements(str(value)) or [])
        else:
            check = {"communes": zones.commune_code, "epcis": zones.siren, "departements": zones.departement_code}[kind]
            code = check(value)
            found = [code] if code else []
        codes.extend(found) if found else bad.append(value)
    return codes, bad


def _where(kind: str, codes: list[str], places: Places | None = None) -> str:
    if kind == "regions":
        names = [name for code, (name, deps) in zones.REGIONS.items() if set(deps) <= set(codes)]
        return "résider en région " + ", ".join(names) if names else "résider dans les départements " + ", ".join(codes)
    return "résider " + _in_places(kind, codes, places)


def _nowhere(kind: str, codes: list[str], places: Places | None = None) -> str:
    """« ne pas résider dans la Métropole … (248300543) », « ne résider dans aucune des … »."""
    return ("ne pas résider " if len(codes) == 1 else "ne résider ") + _in_places(kind, codes, places, none=True)


def _in_places(kind: str, codes: list[str], places: Places | None, *, none: bool = False) -> str:
    """« à Lyon (69123) », « dans l’une des communes suivantes : Lyon (69123), … »; the codes
    alone, said what they are, when the territory tables are not loaded."""
    one, several, no_one, following, unnamed = PLACE_WORDS[kind]
    names = [places.name(code) if places else None for code in codes]
    if not any(names):
        return f"dans {one if len(codes) == 1 else no_one if none else several}{unnamed} " + ", ".join(codes)
    if len(codes) == 1:
        return _in_place(kind, codes[0], names[0] or codes[0])
    labels = ", ".join(f"{name} ({code})" if name else code for name, code in zip(names, codes))
    return f"dans {no_one if none else several} {following} : {labels}"


def _in_place(kind: str, code: str, name: str) -> str:
    """« à Lyon (69123) », « au Havre (76351) », « dans le Calvados (14) », « dans l’Eurométropole
    de Strasbourg (246700488) »: the name with the preposition French gives it, the code beside."""
    if kind == "communes":
        first, _, rest = name.partition(" ")
        at = {"Le": "au " + rest, "Les": "aux " + rest}.get(first, "à " + name) if rest else "à " + name
        return f"{at} ({code})"
    if kind == "departements":
        return f"{DEPARTEMENT_PREPOSITIONS.get(code, 'dans le département ')}{name} ({code})"
    first = name.split(" ", 1)[0]
    # Communautés and métropoles are feminine; « Brest Métropole » takes no article.
    article = "la " if first in ("CC", "CA", "CU", "Métropole") else "l’" if first[:1] in tuple("AEÉIOU") else ""
    return f"dans {article}{name} ({code})"


# -- small helpers -------------------------------------------------------------------------------

def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _operator(op: Any) -> str:
    return OPERATOR_WORDS.get(op, op) if isinstance(op, str) else str(op)
