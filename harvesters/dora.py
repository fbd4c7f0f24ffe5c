"""DORA (dora.inclusion.beta.gouv.fr), the directory of services d'insertion, through its API.

The API, as DORA's back-end serves it (`back/dora/api/views.py`, `serializers.py`):

- `GET {base}/api/v2/structures/` and `GET {base}/api/v2/services/` (trailing slash: DRF router).
- Authentication: Django REST Framework's `TokenAuthentication`, header
  `Authorization: Token <token>` (not `Bearer`). Only DORA's data·inclusion account may read
  (`APIPermission`); any other token gets HTTP 401 or 403.
- Paging (`OptionalPageNumberPagination`): with `?page_size=N`, each page is DRF's
  `{"count": n, "next": url | null, "previous": url | null, "results": [...]}` and `next` leads on;
  without it the whole list comes flat. We ask pages (option `page_size`, default 500) and follow
  `next`, only on the API's own host (the token never leaves it), and stop at a page seen twice.
- Payloads are snake_case (v2 renders with the plain JSON renderer). Their fields are data·inclusion's
  *v0* shape, plus v1 fields added since (2025: `description`, `conditions_acces`, `publics`,
  `modes_mobilisation`, `mobilisable_par`, `mobilisation_precisions`, `lien_mobilisation`,
  `zone_eligibilite`, `horaires_accueil`; November 2025: `thematiques` in the v1 taxonomy).
  We take a v1 field when DORA sends it, and map its v0 counterpart otherwise (see `_service`).
- Services whose structure is gone are not listed by the API; services past `date_suspension`
  neither, and a file's suspended services are likewise skipped (they then age out of the catalog).
- Descriptions and other free texts are Markdown, written in DORA's editor (`**gras**`, links,
  `<br>` for a line break, bold left unpaired): they become plain text, as the aides' do
  (`aides_text.safe_text`), lists and paragraphs kept.

Older payloads — DORA API v1, camelCase, as kept in data.inclusion-diff-explorer — are read too,
record by record: `siret`, `typology{value,label}`, `shortDesc`, `fullDesc`, `address1`,
`cityCode`, `postalCode`, `linkOnSource`, `modificationDate`, a service's `structure` (URL),
`kinds`, `subcategories`, `concernedPublic`, `feeCondition`, `diffusionZoneType`... (see `_V1_KEYS`).

A local file (JSON array, or a saved API page) is read the same way, for tests and the demo; its
kind comes from the option `kind`, its name, or its records (a service has a structure).

Identity: source `dora`, ids `dora--<uuid>`; a service's `structure_id` is qualified the same way.
The DORA record's own `source` (how the structure came into DORA) is not our `source`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import schemas
from catalog.errors import UnusableInput
from catalog.privacy import withhold_private_contact
from catalog.records import qualified_id
from catalog.search.analysis import fold
from catalog.tabular import iter_rows
from catalog.validation import Problem
from harvesters.aides_text import safe_text
from harvesters.base import Harvester, Item
from harvesters.datainclusion import kinds_option
from harvesters.http import HttpClient, is_url, local_copy, site_of
from harvesters.paging import announced, page_size, refuse_endless, short_read
from harvesters.text_hygiene import capped
from harvesters.written_dates import written_date

SOURCE = "dora"
ENDPOINTS = {"structure": "/api/v2/structures/", "service": "/api/v2/services/"}

# camelCase (DORA API v1) → snake_case v2 names, for the fields that kept their meaning.
_V1_KEYS = {
    "name": "nom", "shortDesc": "presentation_resume", "fullDesc": "presentation_detail",
    "address1": "adresse", "address2": "complement_adresse", "postalCode": "code_postal",
    "cityCode": "code_insee", "city": "commune", "phone": "telephone", "email": "courriel", "url": "site_web",
    "linkOnSource": "lien_source", "modificationDate": "date_maj", "suspensionDate": "date_suspension",
    "feeDetails": "frais_autres", "onlineForm": "formulaire_en_ligne", "requirements": "pre_requis",
    "credentials": "justificatifs", "accessConditions": "conditions_acces_v1",
    "coachOrientationModesOther": "modes_orientation_accompagnateur_autres",
    "beneficiariesAccessModesOther": "modes_orientation_beneficiaire_autres",
    "contactName": "contact_nom_prenom", "contactPhone": "telephone", "contactEmail": "courriel",
    "isContactInfoPublic": "contact_public",
}
_V1_CODED = {  # camelCase lists of {value, label} → v2 lists of values
    "kinds": "types", "subcategories": "thematiques", "locationKinds": "modes_accueil",
    "coachOrientationModes": "modes_orientation_accompagnateur",
    "beneficiariesAccessModes": "modes_orientation_beneficiaire",
}
_V1_ZONE_TYPES = {"commune": "commune", "intercommunalite epci": "epci", "epci": "epci",
                  "departement": "departement", "region": "region", "france entiere": "pays", "pays": "pays"}

# DORA's v0 service types → v1 `type`, the most specific first (a service that finances is an
# aide financière even when it also informs).
TYPE_PRIORITY = (
    (("aide-financiere", "financement"), "aide-financiere"),
    (("aide-materielle", "autonomie"), "aide-materielle"),
    (("formation",), "formation"),
    (("atelier", "numerique"), "atelier"),
    (("accompagnement", "delegation"), "accompagnement"),
    (("accueil", "information"), "information"),
)
# data·inclusion's own v0 → v1 table (its dbt model of `frais`): a service that takes the Pass
# numérique is free to its holder.
FRAIS = {"gratuit": "gratuit", "gratuit-sous-conditions": "gratuit", "payant": "payant",
         "adhesion": "payant", "pass-numerique": "gratuit"}
# DORA's orientation modes → v1 modes de mobilisation.
MOBILISATION = {
    "telephoner": "telephoner", "se-presenter": "se-presenter",
    "envoyer-un-mail": "envoyer-un-courriel", "envoyer-courriel": "envoyer-un-courriel",
    "envoyer-un-mail-avec-une-fiche-de-prescription": "envoyer-un-courriel",
    "envoyer-fiche-prescription": "envoyer-un-courriel",
}
LINK_MODES = {"completer-le-formulaire-dadhesion", "envoyer-formulaire", "formulaire-dora", "prendre-rdv"}
# Old thématiques (DORA 2022 and data·inclusion v0) → v1, only where one v1 thématique says the
# same thing. Broad ones (`…--autre`, a bare category, « parcours d'insertion ») map to nothing:
# DORA's own re-classification of 2,329 services (Nov. 2025) gave such services different v1
# thématiques from one service to the next, so no rule can stand in for a person's reading.
THEMATIQUES_V0 = {
    "mobilite--preparer-permis": "mobilite--preparer-un-permis",
    "mobilite--preparer-un-permis": "mobilite--preparer-un-permis",
    "mobilite--entretenir-vehicule": "mobilite--entretenir-reparer-son-vehicule",
    "mobilite--entretenir-reparer-son-vehicule": "mobilite--entretenir-reparer-son-vehicule",
    "mobilite--louer-acheter-vehicule": "mobilite--acceder-a-un-vehicule",
    "mobilite--louer-un-vehicule": "mobilite--acceder-a-un-vehicule",
    "mobilite--acheter-un-vehicule-motorise": "mobilite--acceder-a-un-vehicule",
    "mobilite--accompagnement-parcours-mobilite": "mobilite--etre-accompagne-dans-son-parcours-mobilite",
    "mobilite--etre-accompagne-dans-son-parcours-mobilite": "mobilite--etre-accompagne-dans-son-parcours-mobilite",
    "mobilite--aides-a-la-reprise-demploi-ou-a-la-formation": "mobilite--financer-ma-mobilite",
    "mobilite--reprendre-emploi-formation": "mobilite--financer-ma-mobilite",
    "mobilite--se-deplacer-sans-permis-ou-vehicule": "mobilite--mobilite-douce-partagee-collective",
    "mobilite--utiliser-deux-roues": "mobilite--mobilite-douce-partagee-collective",
    "numerique--acceder-a-une-connexion-internet": "numerique--acceder-a-une-connexion-internet",
    "numerique--acceder-a-du-materiel": "numerique--acquerir-un-equipement",
    "numerique--sequiper-en-materiel-informatique": "numerique--acquerir-un-equipement",
    "numerique--utiliser-le-numerique-au-quotidien": "numerique--maitriser-les-fondamentaux-du-numerique",
    "numerique--prendre-en-main-un-smartphone-ou-une-tablette": "numerique--maitriser-les-fondamentaux-du-numerique",
    "numerique--realiser-des-demarches-administratives-avec-un-accompagnement": "numerique--acceder-a-des-services-en-ligne",
    "numerique--devenir-autonome-dans-les-demarches-administratives": "numerique--acceder-a-des-services-en-ligne",
    "apprendre-francais--communiquer-vie-tous-les-jours": "lecture-ecriture-calcul--maitriser-le-francais",
    "apprendre-francais--suivre-formation": "lecture-ecriture-calcul--maitriser-le-francais",
    "apprendre-francais--accompagnement-insertion-pro": "lecture-ecriture-calcul--maitriser-le-francais",
    "illettrisme--ameliorer-vocabulaire": "lecture-ecriture-calcul--maitriser-le-francais",
    "illettrisme--permis-conduire": "mobilite--preparer-un-permis",
    "illettrisme--utiliser-numerique": "numerique--maitriser-les-fondamentaux-du-numerique",
    "remobilisation--lien-social": "remobilisation--lien-social",
    "remobilisation--bien-etre": "remobilisation--bien-etre-confiance-en-soi",
    "remobilisation--restaurer-confiance": "remobilisation--bien-etre-confiance-en-soi",
    "remobilisation--identifier-competences": "choisir-un-metier--identifier-ses-points-forts-et-ses-competences",
    "acc-global-indiv--definition-projet-pro": "choisir-un-metier--confirmer-son-choix-de-metier",
    "acces-aux-droits--accompagnement-demarches-admin": "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
    "acces-aux-droits--connaitre-droits": "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
    "difficultes-financieres--gerer-budget": "difficultes-financieres--ameliorer-sa-gestion-budgetaire",
    "difficultes-financieres--accompagnement-difficultes-financieres": "difficultes-financieres--acquerir-une-autonomie-budgetaire",
    "equipement-alimentation--habillement": "equipement-et-alimentation--habillement",
    "equipement-alimentation--alimentation": "equipement-et-alimentation--alimentation",
    "equipement-alimentation--acces-materiel-informatique": "numerique--acquerir-un-equipement",
    "famille--garde-enfants": "famille--garde-denfants",
    "famille--accompagnement-parents": "famille--soutien-a-la-parentalite-et-a-leducation",
    "handicap--adaptation-poste-travail": "trouver-un-emploi--maintien-dans-lemploi",
    "handicap--retour-maintien-emploi": "trouver-un-emploi--maintien-dans-lemploi",
    "handicap--faire-reconnaitre-handicap": "sante--constituer-un-dossier-mdph-invalidite",
    "handicap--connaissance-droits-travailleurs": "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
    "sante--addiction": "sante--addictions",
    "sante--bien-etre-psy": "sante--sante-mentale",
    "sante--soin-prevention-maladie": "sante--acces-aux-soins",
    "sante--prise-en-charge-frais-medicaux": "sante--acces-aux-soins",
    "creation-activite--definir-son-projet-de-creation-dentreprise": "creer-une-entreprise--definir-son-projet-de-creation-dentreprise",
    "creation-activite--structurer-son-projet-de-creation-dentreprise": "creer-une-entreprise--structurer-son-projet-de-creation-dentreprise",
    "creation-activite--developper-son-entreprise": "creer-une-entreprise--developper-son-entreprise",
    "emploi-preparer-sa-candidature--realiser-un-cv-etou-une-lettre-de-motivation":
        "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",
}
# The 2022 « emploi-… » categories are v1's with another prefix: same sub-thématique slugs.
_V0_PREFIXES = {"emploi-choisir-metier--": "choisir-un-metier--",
                "emploi-preparer-sa-candidature--": "preparer-sa-candidature--",
                "emploi-trouver-emploi--": "trouver-un-emploi--"}
# Free-text public names (DORA « profils ») → v1 publics, by words in the folded name. Whole
# words and phrases: « demandeurs d'asile » seek no job, « jeunes inactifs » are not « actifs »,
# « étudiants inscrits à l'université » are not registered as job seekers.
PUBLIC_WORDS = (
    (r"demandeurs? d.?emploi|recherche d.?emploi|(?:inscrit(?:e|s|es)?|inscription) (?:a |au )?(?:france travail|pole emploi)",
     "demandeurs-emploi"),
    (r"\brsa\b|minima|allocation de solidarite|\bass\b", "beneficiaires-des-minimas-sociaux"),
    (r"handicap|rqth|\baah\b|obligation d.?emploi", "personnes-en-situation-de-handicap"),
    (r"jeune", "jeunes"),
    (r"etudiant|apprenti|alternan", "etudiants"),
    (r"salarie|\bactifs?\b|interimaire", "actifs"),
    (r"senior|retraite", "seniors"),
    (r"\bfemme", "femmes"),
    (r"parent|famille", "familles"),
    (r"refugie|etranger|exile|asile|migrant", "personnes-exilees"),
    (r"quartier prioritaire|\bqpv\b|\bzrr\b|\bfrr\b", "residents-qpv-frr"),
    (r"detention|justice", "personnes-en-situation-juridique-specifique"),
    (r"sans domicile|urgence|sans abri", "personnes-en-situation-durgence"),
)
# DORA national labels whose slug differs from the v1 réseau porteur's.
LABEL_ALIASES = {"bge": "reseau-bge", "conseiller-numerique": "conseillers-numeriques",
                 "maisons-de-lemploi": "maisons-de-l-emploi", "point-conseil-budget": "points-conseil-budget",
                 "point-justice": "points-justice", "tous-tes-possible": "tous-tes-possibles",
                 "unccas": "ccas-cias", "conseil-departemental": "departements", "la-ressourcerie": "ressourceries",
                 "fede-pro-fem": "federation-professionnelle-femmes", "cci": "chambres-consulaires"}
# DORA typologies (data·inclusion v0) that name a v1 réseau porteur; the others (ASSO, Autre…) name none.
TYPOLOGY_RESEAUX = {
    "ML": "mission-locale", "FT": "france-travail", "CAP_EMPLOI": "cap-emploi-reseau-cheops",
    "CCAS": "ccas-cias", "CIAS": "ccas-cias", "CD": "departements", "DEPT": "departements",
    "MUNI": "communes", "REG": "regions", "E2C": "ecoles-de-la-deuxieme-chance", "MDE": "maisons-de-l-emploi",
    "MDEF": "maisons-de-l-emploi", "MDS": "maisons-des-solidarites", "MSA": "mutualite-sociale-agricole",
    "PIMMS": "pimms-mediation", "RS_FJT": "residences-fjt", "RESSOURCERIE": "ressourceries",
    "LA_POSTE": "la-poste", "AVIP": "creches-avip", "EATT": "eatt", "PIJ_BIJ": "reseau-information-jeunesse",
    "RFS": "france-service", "CCONS": "chambres-consulaires",
}


class DoraHarvester(Harvester):
    format: ClassVar[str] = "dora"
    kinds: ClassVar[tuple[str, ...]] = ("structure", "service")
    default_source: ClassVar[str] = SOURCE
    credentials_env: ClassVar[str] = "DORA_API_TOKEN"
    credentials_hosts: ClassVar[tuple[str, ...]] = ("api.dora.inclusion.gouv.fr", "api.dora.inclusion.beta.gouv.fr")

    def __init__(self, location: str, *, options: dict[str, Any] | None = None, credentials: str | None = None):
        super().__init__(location, options=options, credentials=credentials)
        self._covered: tuple[str, ...] = ()
        self._total: int | None = None
        self._done = 0
        self._departements: dict[str, list[str]] | None = None
        self._notes: list[str] = []

    def items(self) -> Iterator[Item]:
        if is_url(self.location) and not self.location.lower().split("?")[0].endswith(".json"):
            yield from self._api_items()
        else:
            yield from self._file_items()

    def covered_kinds(self) -> tuple[str, ...]:
        return self._covered

    def run_notes(self) -> list[str]:
        return self._notes

    def progress_total(self) -> int | None:
        return self._total

    def progress_done(self) -> int | None:
        return self._done

    # -- the API ---------------------------------------------------------------------------------

    def _api_items(self) -> Iterator[Item]:
        token = self.credentials or os.environ.get(self.token_variable or "")
        if not token:
            raise UnusableInput(f"L'API DORA demande un jeton : indiquez-le dans {self.token_hint()}.")
        client = HttpClient(headers={"Authorization": f"Token {token}"})
        base = self.location.rstrip("/")
        self._total = 0
        for kind in kinds_option(self.options.get("kinds"), self.kinds):
            url: str | None = base + ENDPOINTS[kind]
            params: dict[str, Any] | None = {"page_size": page_size(self.options, 500)}
            seen: set[str] = set()
            count, distinct = None, set()
            page = 0
            while url:
                page += 1
                if url in seen:
                    raise UnusableInput(f"{url} : l'API DORA renvoie vers une page déjà lue (pagination en boucle).")
                refuse_endless(page, url)
                seen.add(url)
                body = client.get_json(url, params)
                if page == 1 and isinstance(body, dict):
                    count = announced(body, "count", url)
                    self._total += count or 0
                results, url = _page(body, url, base)
                params = None  # `next` carries the query
                for rank, payload in enumerate(results, start=1):
                    if isinstance(payload, dict):
                        distinct.add(str(payload.get("id")))
                    yield from self._item(kind, payload, f"{kind}s page {page}, élément {rank}")
            # Read to its last page, and every record the first page counted met: a page without
            # `next` before the end no longer passes for the end of the source.
            if note := short_read(f"« {kind} »", len(distinct), count):
                self._notes.append(note)
            else:
                self._covered += (kind,)

    # -- a file ----------------------------------------------------------------------------------

    def _file_items(self) -> Iterator[Item]:
        with local_copy(self.location, suffix=".json") as path:
            rows = iter_rows(path, "json")
            first = next(rows, None)
            if first is None:
                raise UnusableInput(f"{path.name} ne contient aucun enregistrement DORA.")
            kind = self.options.get("kind") or _kind_of(path.name, first[1])
            if kind not in self.kinds:
                raise UnusableInput(f"Type « {kind} » inconnu : structure ou service.")
            self._covered = (kind,)
            yield from self._item(kind, first[1], f"élément {first[0]}")
            for position, payload in rows:
                yield from self._item(kind, payload, f"élément {position}")

    # -- one record ------------------------------------------------------------------------------

    def _item(self, kind: str, payload: Any, reference: str) -> Iterator[Item]:
        self._done += 1
        if not isinstance(payload, dict) or not payload.get("id"):
            yield Item(kind, None, reference, [Problem("id", "dora-illisible", "Enregistrement DORA sans identifiant.")])
            return
        record = _as_v2(payload)
        uuid = str(record["id"]).strip()
        reference = f"{reference} ({uuid})"
        if kind == "service" and _suspended(record):
            return  # DORA's API leaves suspended services out; so does a file harvest
        problems: list[Problem] = []
        row = _structure(record) if kind == "structure" else self._service(record, problems)
        if problems:
            yield Item(kind, None, reference, problems, qualified_id(SOURCE, uuid))
        else:
            yield Item(kind, row, reference, id_hint=qualified_id(SOURCE, uuid))

    def _service(self, r: dict, problems: list[Problem]) -> dict:
        structure_id = r.get("structure_id")
        if not structure_id:
            problems.append(Problem("structure_id", "required", "Service DORA sans structure."))
        lien = _first(r.get("lien_mobilisation"), r.get("prise_rdv"), r.get("formulaire_en_ligne"))
        row = _common(r) | {
            "structure_id": qualified_id(SOURCE, str(structure_id)) if structure_id else None,
            "description": _clip(_prose(r.get("description"), r.get("presentation_detail"), r.get("presentation_resume")),
                             "service", "description"),
            "type": r.get("type") if isinstance(r.get("type"), str) else _type(_values(r.get("types"))),
            "thematiques": _thematiques(_values(r.get("thematiques"))) or None,
            "frais": FRAIS.get(str(r.get("frais") or "")),
            "frais_precisions": _prose(r.get("frais_precisions"), r.get("frais_autres")),
            "publics": _publics(r),
            "publics_precisions": _prose(r.get("publics_precisions")) or ", ".join(_values(r.get("profils"))) or None,
            "conditions_acces": _prose(r.get("conditions_acces")) or _first("\n".join(
                _values(r.get("conditions_acces_v1")) + _values(r.get("pre_requis")) + _values(r.get("justificatifs"))
            ) or None),
            "modes_accueil": _values(r.get("modes_accueil")) or None,
            "zone_eligibilite": _values(r.get("zone_eligibilite")) or self._zone(r, problems),
            "lien_mobilisation": lien,
            "modes_mobilisation": _values(r.get("modes_mobilisation")) or _modes_mobilisation(r, lien),
            "mobilisable_par": _values(r.get("mobilisable_par")) or _mobilisable_par(r),
            "mobilisation_precisions": _prose(r.get("mobilisation_precisions"), " ".join(
                t for t in (r.get("modes_orientation_beneficiaire_autres"), r.get("modes_orientation_accompagnateur_autres"))
                if t and str(t).strip()) or None),
            "volume_horaire_hebdomadaire": _hours(r.get("volume_horaire_hebdomadaire")
                                                  or r.get("temps_passe_duree_hebdomadaire")),
            "nombre_semaines": _int(r.get("nombre_semaines") or r.get("temps_passe_semaines")),
            "horaires_accueil": r.get("horaires_accueil") or None,
        }
        # A service's `courriel` and `telephone` are its contact person's (DORA's v2 serializer
        # sends `contact_email` and `contact_phone` under those names; v1 named them so): like the
        # contact's name, they are kept only when DORA says the contact may be shown. Our service
        # schema has no `contact_public` to carry that promise further. A structure's own e-mail
        # and phone are its public desk's (`_structure`), kept.
        row["contact_nom_prenom"] = r.get("contact_nom_prenom")
        return withhold_private_contact(row, r.get("contact_public"))

    def _zone(self, r: dict, problems: list[Problem]) -> list[str] | None:
        kind, code = r.get("zone_diffusion_type"), r.get("zone_diffusion_code")
        kind = _V1_ZONE_TYPES.get(_slug(str(kind or "")).replace("-", " "), kind)
        if kind == "pays":
            return ["france"]
        if not code:
            return None
        if kind == "region":
            departements = self._departements_of(str(code))
            if not departements:
                problems.append(Problem("zone_eligibilite", "region-inconnue", (
                    f"Zone de diffusion : région {code}, dont les départements sont inconnus (chargez le "
                    "référentiel territorial avec « maillage territories load »).")))
            return departements or None
        return [str(code)]

    def _departements_of(self, region: str) -> list[str]:
        if self._departements is None:
            self._departements = {}
            for dep, (_, reg) in self.territories().departements.items():
                self._departements.setdefault(reg, []).append(dep)
        return sorted(self._departements.get(region, []))


# -- shapes ----------------------------------------------------------------------------------------


def _page(body: Any, url: str, base: str) -> tuple[list, str | None]:
    """The records of an API page and the next page's URL (on the API's host, and encrypted
    when the API is: the token goes with every request)."""
    if isinstance(body, list):
        return body, None  # unpaged: the whole list
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise UnusableInput(f"{url} : réponse inattendue de l'API DORA (ni liste, ni page « results »).")
    following = body.get("next")
    if following:
        # Django REST Framework writes it absolute; a proxy may write it relative, or spell the
        # host in capitals or with its default port: the same site for all that.
        following = urljoin(url, str(following))
        if urlsplit(base).scheme.lower() == "https" and urlsplit(following).scheme.lower() != "https":
            raise UnusableInput(f"{url} : la page suivante est annoncée sans chiffrement ({following}) ; "
                                "moissonnage arrêté pour ne pas y envoyer le jeton en clair. Signalez-le à "
                                "l'équipe DORA.")
        if site_of(following) != site_of(base):
            raise UnusableInput(f"{url} : la page suivante est annoncée sur un autre hôte ({following}) ; "
                                "moissonnage arrêté pour ne pas y envoyer le jeton.")
    return body["results"], following or None


def _kind_of(name: str, first: dict) -> str:
    name = name.lower()
    if "service" in name:
        return "service"
    if "structure" in name:
        return "structure"
    return "service" if ("structure_id" in first or "structure" in first) else "structure"


def _as_v2(payload: dict) -> dict:
    """A DORA record in the v2 (snake_case) vocabulary, whichever API version produced it."""
    if not any(key in payload for key in ("shortDesc", "linkOnSource", "cityCode", "modificationDate")):
        return payload
    record = {"id": payload.get("id"), "siret": payload.get("siret")}
    for old, new in _V1_KEYS.items():
        if payload.get(old) not in (None, "", []):
            record.setdefault(new, payload[old])
    for old, new in _V1_CODED.items():
        record[new] = _values(payload.get(old))
    if isinstance(payload.get("typology"), dict):
        record["typologie"] = payload["typology"].get("value")
    if isinstance(payload.get("structure"), str):
        record["structure_id"] = payload["structure"].rstrip("/").rsplit("/", 1)[-1]
    fee = payload.get("feeCondition")
    if isinstance(fee, dict):
        record["frais"] = fee.get("value")
    elif payload.get("hasFee") is False:
        record["frais"] = "gratuit"
    elif payload.get("hasFee") is True:
        record["frais"] = "payant"
    record["profils"] = _values(payload.get("concernedPublic"))
    record["latitude"], record["longitude"] = payload.get("latitude"), payload.get("longitude")
    record["zone_diffusion_type"] = payload.get("diffusionZoneType")
    record["zone_diffusion_code"] = payload.get("diffusionZoneDetails")
    return record


def _common(r: dict) -> dict:
    return {
        "source": SOURCE,
        "id": str(r["id"]).strip(),
        "nom": _clip(r.get("nom"), "service", "nom"),
        "lien_source": r.get("lien_source") or None,
        "date_maj": _day(r.get("date_maj")),
        "adresse": r.get("adresse") or None,
        "complement_adresse": r.get("complement_adresse") or None,
        "code_postal": r.get("code_postal") or None,
        "code_insee": r.get("code_insee") or None,
        "commune": r.get("commune") or None,
        "longitude": r.get("longitude"),
        "latitude": r.get("latitude"),
        "telephone": r.get("telephone") or None,
        "courriel": r.get("courriel") or None,
    }


def _structure(r: dict) -> dict:
    return _common(r) | {
        "nom": _clip(r.get("nom"), "structure", "nom"),
        "description": _clip(_prose(r.get("description"), r.get("presentation_detail"), r.get("presentation_resume")),
                             "structure", "description"),
        "siret": re.sub(r"\s", "", str(r["siret"])) if r.get("siret") else None,
        "site_web": r.get("site_web") or None,
        "horaires_accueil": _first(r.get("horaires_accueil"), r.get("horaires_ouverture")),
        "accessibilite_lieu": _first(r.get("accessibilite_lieu"), r.get("accessibilite")),
        "reseaux_porteurs": _values(r.get("reseaux_porteurs")) or _reseaux(r) or None,
    }


# -- values ----------------------------------------------------------------------------------------


def _values(value: Any) -> list[str]:
    """A list of codes from a list of strings or of `{value, label}` objects (or one string)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    out = []
    for item in value if isinstance(value, list) else [value]:
        code = item.get("value") if isinstance(item, dict) else item
        if code not in (None, "") and str(code).strip() and str(code).strip() not in out:
            out.append(str(code).strip())
    return out


def _prose(*values: Any) -> str | None:
    """The first text given, as plain text: DORA's editor writes Markdown (`**gras**`, links,
    `<br>` for a line break), which a conseiller's page and the open data would show raw."""
    value = _first(*values)
    return safe_text(value, markdown=True) if isinstance(value, str) else value


def _first(*values: Any) -> Any:
    for value in values:
        if value is not None and (not isinstance(value, str) or value.strip()):
            return value.strip() if isinstance(value, str) else value
    return None


def _clip(text: Any, kind: str, field: str) -> str | None:
    """Cut a text to the schema's maximum length, marking the cut with « … »."""
    if text is None:
        return None
    text = str(text).strip()
    return capped(text, _max_length(kind, field))


def _max_length(kind: str, field: str) -> int | None:
    for spec in schemas.load_schema(kind)["fields"]:
        if spec["name"] == field:
            return spec.get("constraints", {}).get("maxLength")
    return None


def _day(value: Any) -> str | None:
    """The date of a DORA timestamp (`2025-03-14T09:12:00.123+01:00` or `2025-03-14`); any other
    text as it came, for validation to name it, not its first ten characters."""
    if not value:
        return None
    found = written_date(value, french=False)
    return found.isoformat() if found else str(value)


def _int(value: Any) -> int | None:
    """A whole number as DORA writes it (12, 12.0, « 12 »); anything else is absent, never cut
    down to one (2.7 weeks were 2, 0.5 made the service invalid, true was 1, and « Infinity »
    stopped the whole harvest with an OverflowError)."""
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


_HOURS = re.compile(r"(\d{1,3})(?:[.,](\d+))?\s*(?:h|heures?)?\.?", re.IGNORECASE)


def _hours(value: Any) -> float | int | None:
    """Hours a week as DORA writes them (35, 2.5, « 35.50 » as Django writes a decimal, « 35,5 »
    as a French partner does); anything else is absent, as for weeks: « 35,5 » made the whole
    service invalid."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    if isinstance(value, int | float):
        return value if math.isfinite(value) and 0 <= value <= 168 else None  # as it came: no hash churn
    found = _HOURS.fullmatch(str(value).strip())
    if not found:
        return None
    hours = float(f"{found.group(1)}.{found.group(2) or 0}")
    return hours if hours <= 168 else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def _suspended(r: dict) -> bool:
    day = written_date(r.get("date_suspension"), french=False)
    return day is not None and day < datetime.now(UTC).date()


def _type(types: list[str]) -> str | None:
    for olds, new in TYPE_PRIORITY:
        if any(t in olds for t in types):
            return new
    return None


def _thematiques(values: list[str]) -> list[str]:
    known = schemas.referential_values("thematiques")
    out: list[str] = []
    for value in values:
        if value.endswith("--autre"):
            continue
        mapped = THEMATIQUES_V0.get(value)
        if mapped is None:
            for old, new in _V0_PREFIXES.items():
                if value.startswith(old):
                    value = new + value[len(old):]
            mapped = value if value in known else None
        if mapped in known and mapped not in out:
            out.append(mapped)
    return out


def _publics(r: dict) -> list[str] | None:
    known = schemas.referential_values("publics")
    given = [p for p in _values(r.get("publics")) if p in known]
    if given:
        return given
    found: list[str] = []
    for name in _values(r.get("profils")):
        folded = fold(name.replace("’", "'"))
        if re.search(r"tous publics|tout public", folded):
            return ["tous-publics"]
        for pattern, public in PUBLIC_WORDS:
            if re.search(pattern, folded) and public not in found:
                found.append(public)
    return found or None


def _modes_mobilisation(r: dict, lien: str | None) -> list[str] | None:
    modes: list[str] = []
    for mode in _values(r.get("modes_orientation_beneficiaire")) + _values(r.get("modes_orientation_accompagnateur")):
        new = MOBILISATION.get(mode)
        if new is None and mode in LINK_MODES and lien:
            new = "utiliser-lien-mobilisation"
        if new and new not in modes:
            modes.append(new)
    if lien and "utiliser-lien-mobilisation" not in modes:
        modes.append("utiliser-lien-mobilisation")
    return modes or None


def _mobilisable_par(r: dict) -> list[str] | None:
    who = []
    if _values(r.get("modes_orientation_beneficiaire")):
        who.append("usagers")
    if _values(r.get("modes_orientation_accompagnateur")):
        who.append("professionnels")
    return who or None


def _reseaux(r: dict) -> list[str]:
    known = schemas.referential_values("reseaux-porteurs")
    out: list[str] = []
    for label in _values(r.get("labels_nationaux")):
        value = LABEL_ALIASES.get(label, label)
        if value in known and value not in out:
            out.append(value)
    typology = str(r.get("typologie") or "")
    value = TYPOLOGY_RESEAUX.get(typology) or typology.lower()
    if value in known and value not in out:
        out.append(value)
    return out
