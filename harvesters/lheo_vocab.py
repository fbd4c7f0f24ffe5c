"""From LHEO's vocabularies to Maillage's: publics and thématiques of a training offer.

- Publics: `code-public-vise` holds FORMACODE « public » codes. The table below is the one
  data·inclusion applies to the Carif-Oref feed (FORMACODE v14), brought to the v1 publics.
  Codes it does not list say nothing we can use and are kept only in `codes_public_vise`.
- Thématiques: every offer is `se-former--trouver-sa-formation`; a few more are told by the
  general objective (`dict-AIS`), the certification's CPF code, FORMACODE codes and words of
  the title, so that a conseiller searching "permis" or "français" finds the trainings too.
"""

from __future__ import annotations

import re

from harvesters.lheo_values import fold

PUBLICS_BY_FORMACODE: dict[str, tuple[str, ...]] = {
    "80001": ("demandeurs-emploi",), "80003": ("demandeurs-emploi",), "80004": ("demandeurs-emploi",),
    "80006": ("demandeurs-emploi",), "80007": ("demandeurs-emploi",), "80008": ("demandeurs-emploi",),
    "80009": ("demandeurs-emploi", "jeunes"),
    "81018": ("femmes",),
    "81020": ("personnes-en-situation-de-handicap",), "81025": ("personnes-en-situation-de-handicap",),
    "81026": ("personnes-en-situation-de-handicap",), "81027": ("personnes-en-situation-de-handicap",),
    "81022": ("personnes-exilees",), "81023": ("personnes-exilees",), "81042": ("personnes-exilees",),
    "81024": ("jeunes",),
    "82015": ("actifs",), "82016": ("actifs",), "82044": ("actifs",), "82046": ("actifs",),
    "82055": ("actifs",), "82070": ("actifs",), "82071": ("actifs",), "82074": ("actifs",),
    "82075": ("actifs",),
    "83056": ("tous-publics",),
}


def publics(codes: list[str]) -> list[str] | None:
    """The v1 publics of FORMACODE public codes; `tous-publics` alone when any code says so
    (a person of any public is eligible: the schema forbids combining it with others)."""
    found: list[str] = []
    for code in codes:
        for public in PUBLICS_BY_FORMACODE.get(code, ()):
            if public not in found:
                found.append(public)
    if "tous-publics" in found:
        return ["tous-publics"]
    return found or None


FORMER = "se-former--trouver-sa-formation"
PERMIS = "mobilite--preparer-un-permis"
FRANCAIS = "lecture-ecriture-calcul--maitriser-le-francais"
CALCUL = "lecture-ecriture-calcul--maitriser-le-calcul"
NUMERIQUE = "numerique--maitriser-les-fondamentaux-du-numerique"
CREATION = "creer-une-entreprise--definir-son-projet-de-creation-dentreprise"
PROJET = "choisir-un-metier--confirmer-son-choix-de-metier"
BILAN = "choisir-un-metier--identifier-ses-points-forts-et-ses-competences"
VAE = "preparer-sa-candidature--valoriser-ses-competences"
RECHERCHE = "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi"

# `objectif-general-formation` (dict-AIS): 4 création d'entreprise, 5 remise à niveau / savoirs
# de base, 9 (re)mobilisation et aide à l'élaboration de projet professionnel.
BY_OBJECTIVE = {"4": (CREATION,), "9": (PROJET,)}
# CPF codes of the Caisse des dépôts for non-certifying offers: 200 VAE, 202 bilan de compétences,
# 203 création d'entreprise.
BY_CPF_CODE = {"CPF200": (VAE,), "CPF202": (BILAN,), "CPF203": (CREATION,)}
# FORMACODE: 15043 lutte contre l'illettrisme, 15235 français langue étrangère (data·inclusion
# uses the first for its « illettrisme » thématique).
BY_FORMACODE = {"15043": (FRANCAIS,), "15235": (FRANCAIS,)}

# Words of the title, folded (lower case, no accents).
_TITLE_RULES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern), themes) for pattern, themes in (
        # "permis B", "permis C1E", not "permis d'exploitation" (licence to run a bar).
        ((r"\bpermis (?:de conduire|poids lourds?|(?:am|a[12]?|b|be|b96|c1?e?|d1?|d1e)(?![\w'’]))|"
          r"code de la route|\bauto-?ecole"),
         (PERMIS,)),
        ((r"francais langue etrangere|\bfle\b|alphabetisation|illettrisme|savoirs? de base|"
          r"competences (?:cles|de base)|\bfrancais\b"), (FRANCAIS,)),
        (r"\bmathematiques\b|\bcalcul\b", (CALCUL,)),
        (r"\bremise a niveau\b|\bsocle\b|\bclea\b(?! numerique)", (FRANCAIS, CALCUL)),
        ((r"\b(?:initiation|debutants?|decouverte|premiers pas|fondamentaux|bases)\b.*"
          r"\b(?:numerique|informatique|bureautique|internet|ordinateur)|"
          r"\b(?:numerique|informatique|bureautique|internet|ordinateur)\b.*"
          r"\b(?:initiation|debutants?|decouverte|premiers pas|fondamentaux|bases)\b|"
          r"\bclea numerique\b|\bpix\b"), (NUMERIQUE,)),
        (r"creation d.entreprise|creer (?:son|votre|une|sa) (?:entreprise|activite)|reprise d.entreprise", (CREATION,)),
        (r"bilan de competences", (BILAN,)),
        (r"\bvae\b|validation des acquis", (VAE,)),
        (r"recherche d.emploi|\btre\b", (RECHERCHE,)),
    )
)


def thematiques(*, title: str | None, objective: str | None, cpf_codes: list[str], formacodes: list[str]) -> list[str]:
    found = [FORMER]

    def add(themes: tuple[str, ...]) -> None:
        for theme in themes:
            if theme not in found:
                found.append(theme)

    add(BY_OBJECTIVE.get(objective or "", ()))
    for cpf in cpf_codes:
        add(BY_CPF_CODE.get(cpf.upper(), ()))
    for formacode in formacodes:
        add(BY_FORMACODE.get(formacode, ()))
    if title:
        folded = fold(title)
        for pattern, themes in _TITLE_RULES:
            if pattern.search(folded):
                add(themes)
    return found
