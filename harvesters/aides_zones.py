"""Where an aid applies, as our `zone_eligibilite` says it: COG codes of communes, départements,
EPCI (SIREN), countries (`99xxx`), or `france`.

Our schema lists a région as the codes of its départements. The table below is the COG's
(régions since 2016, Mayotte a département since 2011); it is kept here, not read from the
territory tables, so that a harvest never depends on `maillage territories load` having run.
"""

from __future__ import annotations

import re
from collections.abc import Callable

FRANCE = "france"

# COG code of the région → (name, codes of its départements).
REGIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "01": ("Guadeloupe", ("971",)),
    "02": ("Martinique", ("972",)),
    "03": ("Guyane", ("973",)),
    "04": ("La Réunion", ("974",)),
    "06": ("Mayotte", ("976",)),
    "11": ("Île-de-France", ("75", "77", "78", "91", "92", "93", "94", "95")),
    "24": ("Centre-Val de Loire", ("18", "28", "36", "37", "41", "45")),
    "27": ("Bourgogne-Franche-Comté", ("21", "25", "39", "58", "70", "71", "89", "90")),
    "28": ("Normandie", ("14", "27", "50", "61", "76")),
    "32": ("Hauts-de-France", ("02", "59", "60", "62", "80")),
    "44": ("Grand Est", ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88")),
    "52": ("Pays de la Loire", ("44", "49", "53", "72", "85")),
    "53": ("Bretagne", ("22", "29", "35", "56")),
    "75": ("Nouvelle-Aquitaine", ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87")),
    "76": ("Occitanie", ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82")),
    "84": ("Auvergne-Rhône-Alpes", ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74")),
    "93": ("Provence-Alpes-Côte d'Azur", ("04", "05", "06", "13", "83", "84")),
    "94": ("Corse", ("2A", "2B")),
}
OVERSEAS_REGIONS = ("01", "02", "03", "04", "06")
COUNTRY_FRANCE = "99100"

_COMMUNE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
# « 20 » is no département since Corsica was split (2A, 2B), nor are 96 to 99.
_DEPARTEMENT = re.compile(r"^(0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|97\d)$")
# Corsica's code before 1976: the only one the schema's `DEP-<digits>` pattern can write for it.
CORSICA = ("2A", "2B")
_SIREN = re.compile(r"^\d{9}$")
_COUNTRY = re.compile(r"^99\d{3}$")


def region_departements(code: str) -> tuple[str, ...] | None:
    region = REGIONS.get(str(code).strip().zfill(2))
    return region[1] if region else None


def region_name(code: str) -> str | None:
    region = REGIONS.get(str(code).strip().zfill(2))
    return region[0] if region else None


def departements_of(kind: str) -> tuple[str, ...]:
    """The départements of « la métropole » or of « l'outre-mer »."""
    overseas = kind == "outre-mer"
    return tuple(d for code, (_, deps) in REGIONS.items() if (code in OVERSEAS_REGIONS) == overseas for d in deps)


def commune_code(value: object) -> str | None:
    code = _code_text(value, 5)
    return code if code and _COMMUNE.match(code) else None


def departement_code(value: object) -> str | None:
    code = _code_text(value, 2)
    return code if code and _DEPARTEMENT.match(code) else None


def siren(value: object) -> str | None:
    code = _code_text(value, 9)
    return code if code and _SIREN.match(code) else None


def institution_insee_code(institution: dict) -> str | None:
    """An institution's `code_insee` as written, its leading zeros given back when YAML read it
    as a number (« 01053 » → 1053): five digits for a commune, two for a département or région."""
    return _code_text(institution.get("code_insee"), 5 if institution.get("type") == "commune" else 2)


def _code_text(value: object, width: int) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    # YAML and spreadsheets turn « 01 » into 1: give the leading zeros back.
    text = str(value).strip().upper() if not isinstance(value, int) else str(value).zfill(width)
    return text or None


def dedupe(codes: list[str]) -> list[str]:
    return list(dict.fromkeys(codes))


# -- the COG "formalism" of schema-dispositif-aide: TYPE-code, e.g. DEP-93, COM-93066, PAYS-99100 --

COG_TYPES = {
    "COM": "commune", "COMD": "commune déléguée", "COMA": "commune associée", "ARM": "arrondissement municipal",
    "DEP": "département", "CTCD": "collectivité à compétences départementales", "REG": "région",
    "EPCI": "intercommunalité", "PAYS": "pays",
}


def cog_label(reference: str, name_of: Callable[[str], str | None] | None = None) -> str:
    """« région Auvergne-Rhône-Alpes », « département 93 »… for a `TYPE-code` reference, in French;
    « Saint-Denis (93066) » for a commune, EPCI or département `name_of` (the territory tables) knows."""
    kind, _, code = reference.strip().partition("-")
    kind, code = kind.upper(), code.strip().upper()
    name = name_of(code) if name_of and kind in ("COM", "COMD", "COMA", "ARM", "DEP", "EPCI") else None
    if name:
        return f"{name} ({code})"
    if kind == "REG" and region_name(code):
        return f"région {region_name(code)}"
    if kind == "PAYS" and code == COUNTRY_FRANCE:
        return "France entière"
    return f"{COG_TYPES.get(kind, kind)} {code}"


def cog_reference(reference: str) -> list[str]:
    """Our zone codes for one `TYPE-code` reference; ValueError (French) when it cannot be read."""
    kind, _, code = reference.strip().partition("-")
    kind, code = kind.upper(), code.strip().upper()
    if kind in ("COM", "COMD", "COMA", "ARM") and _COMMUNE.match(code):
        return [code]
    if kind == "DEP" and _DEPARTEMENT.match(code):
        return [code]
    if kind == "DEP" and code == "20":
        return list(CORSICA)
    if kind == "REG" and code.zfill(2) in REGIONS:
        return list(REGIONS[code.zfill(2)][1])
    if kind == "EPCI" and _SIREN.match(code):
        return [code]
    if kind == "PAYS" and _COUNTRY.match(code):
        return [FRANCE] if code == COUNTRY_FRANCE else [code]
    if kind == "CTCD" and code == "6AE":  # Collectivité européenne d'Alsace: Bas-Rhin and Haut-Rhin
        return ["67", "68"]
    if kind not in COG_TYPES:
        raise ValueError(f"type de territoire inconnu « {kind} » dans « {reference} » "
                         f"(types connus : {', '.join(COG_TYPES)})")
    raise ValueError(f"code {COG_TYPES[kind]} invalide « {code} » dans « {reference} »")
