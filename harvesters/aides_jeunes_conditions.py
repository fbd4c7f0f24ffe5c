"""The eligibility vocabulary of aides-jeunes, as `contribuer/public/admin/config.yml` declares it.

A javascript benefit says who may claim it with `conditions_generales` (every one must hold)
and `profils` (one must hold, each with its own `conditions`); the simulator evaluates them in
`lib/benefits/compute-javascript.ts`. This module turns each condition type into our
vocabulary (`aides_conditions.Eligibility`) and French, and reads where the benefit applies
(the geographic conditions, else its institution's territory).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from harvesters import aides_zones as zones
from harvesters.aides_conditions import Eligibility, Profile, age_bounds
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
FLAG_SENTENCES = {
    "formation_sanitaire_social": "être en formation dans le secteur sanitaire et social",
    "difficultes_acces_ou_frais_logement": "avoir des difficultés importantes pour accéder à un logement ou pour payer "
                                           "les frais liés à un logement",
    "agence_travail_temporaire": "être intérimaire d’une agence de travail temporaire",
}


# -- conditions ----------------------------------------------------------------------------------

def general_condition(eligibility: Eligibility, condition: Any) -> None:
    """One of `conditions_generales` (all must hold). Geographic ones are read by `zone_of`."""
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
        period = "mois" if condition.get("period") == "month" else "an"
        words = "inférieur à" if condition["operator"] == "<" else "inférieur ou égal à"
        eligibility.ceiling(float(condition["value"]), period, "quotient-familial",
                            f"avoir un quotient familial {'mensuel' if period == 'mois' else 'annuel'} {words} "
                            f"{amount_text(condition['value'])} €")
    elif type_ == "beneficiaire_rsa":
        eligibility.require_statut("beneficiaire-rsa", "être bénéficiaire du RSA")
    elif type_ == "excluded_epcis":
        codes = [c for c in (zones.siren(v) for v in as_list(condition.get("values"))) if c]
        if codes:
            eligibility.exclude_territories(codes, "ne pas résider dans l’intercommunalité (SIREN) " + ", ".join(codes))
    else:
        eligibility.other(type_ or "illisible", params, describe(type_, condition), known=_known(type_))


def _known(type_: Any) -> bool:
    if not isinstance(type_, str):  # a list or an object cannot be looked up (unhashable)
        return False
    return type_ in FLAG_SENTENCES or type_ in ("regime_securite_sociale", "statut_occupation_logement", "not",
                                                "quotient_familial", "codes_postaux", "boursier",
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
        return f"quotient familial {_operator(op)} {amount_text(condition.get('value'))} € {period}"
    if type_ == "codes_postaux":
        return "résider dans une commune de code postal " + ", ".join(map(str, as_list(condition.get("values"))))
    if type_ == "not" and isinstance(condition.get("value"), dict):
        inner = condition["value"]
        return "ne pas remplir la condition suivante : " + describe(code_text(inner.get("type")), inner)
    if type_ == "age":
        return f"âge {_operator(condition.get('operator'))} {condition.get('value')} ans"
    details = ", ".join(f"{k} : {v}" for k, v in condition.items() if k != "type")
    named = f"« {type_} »" if type_ is not None else "sans type lisible"
    return f"condition {named} non interprétée par Maillage" + (f" ({details})" if details else "")


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
                result.texts.append(f"taux d’incapacité d’au moins {amount_text(result.taux_incapacite_min)} %")
            elif kind in ("annee_etude", "mention_baccalaureat"):
                labels = ANNEES_ETUDE if kind == "annee_etude" else MENTIONS_BAC
                values = [str(v) for v in as_list(condition.get("values"))]
                result.extra["annees_etude" if kind == "annee_etude" else "mentions_baccalaureat"] = values
                words = ", ".join(labels.get(v, v) for v in values)
                result.texts.append(("en " if kind == "annee_etude" else "bac obtenu avec ") + words)
            elif kind == "formation_sanitaire_social":
                result.extra["formation_sanitaire_social"] = True
                result.texts.append("en formation sanitaire et sociale")
            else:
                raise ValueError("inconnue")
        except (TypeError, ValueError):
            params = ({k: v for k, v in condition.items() if k != "type" or kind is None}
                      if isinstance(condition, dict) else {"valeur": condition})
            result.extra.setdefault("autres", []).append({"type": kind or "illisible", "parametres": params})
            result.texts.append(describe(kind, condition if isinstance(condition, dict) else {}))
            if not _known(kind) and kind != "age":
                eligibility.unknown_types.append(f"{type_}:{kind or 'illisible'}")
    return result


# -- territory -----------------------------------------------------------------------------------

def zone_of(eligibility: Eligibility, conditions: list, institution: dict,
            postal_communes: Callable[[str], list[str]] | None = None) -> tuple[list[str], bool]:
    """`zone_eligibilite`, and whether it is exact (False when only a wider zone could be said).

    `postal_communes` gives the communes of a postal code (the catalog's territory tables).
    """
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
                eligibility.sentence(_where(kind, codes))
                # With postal codes too, the zone contains the true one without being it.
                return zones.dedupe(codes), not bad and not postal
    zone = institution_zone(institution)
    if postal:
        # The zone is the communes of the postal codes — or, without postal code tables, the
        # institution's territory, which contains them.
        communes = [c for code in postal for c in (postal_communes(code) if postal_communes else [])]
        return (zones.dedupe(communes) if communes else zone), False
    if attached and zone:
        eligibility.sentence(f"résider sur le territoire de l’institution ({institution.get('name') or institution.get('label')})")
    return zone, bool(zone)


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


def _where(kind: str, codes: list[str]) -> str:
    if kind == "regions":
        names = [name for code, (name, deps) in zones.REGIONS.items() if set(deps) <= set(codes)]
        return "résider en région " + ", ".join(names) if names else "résider dans les départements " + ", ".join(codes)
    words = {"communes": ("la commune", "l’une des communes", " (code INSEE)"),
             "epcis": ("l’intercommunalité", "l’une des intercommunalités", " (SIREN)"),
             "departements": ("le département", "l’un des départements", "")}[kind]
    return f"résider dans {words[0] if len(codes) == 1 else words[1]}{words[2]} " + ", ".join(codes)


# -- small helpers -------------------------------------------------------------------------------

def as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def amount_text(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else f"{number:.2f}".rstrip("0").replace(".", ",")


def _operator(op: Any) -> str:
    words = {">": "supérieur à", ">=": "supérieur ou égal à", "=": "égal à", "<": "inférieur à",
             "<=": "inférieur ou égal à"}
    return words.get(op, op) if isinstance(op, str) else str(op)
