"""LHEO: training offers from the Carif-Oref network, Intercarif and Mon Compte Formation.

LHEO (Langage Harmonisé d'Échange d'informations sur l'Offre de formation) describes an
offer in three nested levels, with the organisation responsible for it:

    lheo/offres/formation          what is taught: title, objectives, codes, certification
        action                     where and how: place, public, price, funders, recruitment
            session                when: period, registration address, recruitment state
        organisme-formation-responsable

Read here: LHEO 2.2 (`http://www.lheo.org/2.2`, Intercarif, ONISEP), LHEO 2.3
(`http://lheo.gouv.fr/2.3`) and the EDOF import format of Mon Compte Formation
(`https://www.of.moncompteformation.gouv.fr`, usually ISO-8859-1, price and contacts in
`extras`). LHEO 1.x (`offre-formation/action-formation`) is refused with a clear message.
Reading (safety, encodings, compression, streaming) is `lheo_xml.py`; value cleaning is
`lheo_values.py`; publics and thématiques are `lheo_vocab.py`.

One `formation` record per session (per action when an action has no session) and per place
of training: an action taught in several towns (several `lieu-de-formation`) has rows in each,
so that it is found around every one of them (up to MAX_PLACES places, the others reported).

| LHEO                                                    | formation field                         |
| ------------------------------------------------------- | --------------------------------------- |
| formation/@numero, action/@numero, session/@numero      | numero_formation/_action/_session, id   |
| intitule-formation                                      | nom                                     |
| objectif-formation + contenu-formation (HTML → texte)   | description                             |
| resultats-attendus, certifiante                         | resultats_attendus, certifiante         |
| domaine-formation/code-FORMACODE, code-ROME, code-NSF   | formacodes, codes_rome, codes_nsf       |
| certification/code-RNCP, code-RS, code-CERTIFINFO       | code_rncp, code_rs, code_certifinfo     |
| objectif-general-formation, code-niveau-entree/-sortie  | objectif_general, niveau_entree/_sortie |
| action/niveau-entree-obligatoire                        | niveau_entree_obligatoire               |
| parcours-de-formation (en groupe, individualisé...)     | parcours_formation                      |
| action/code-public-vise, info-public-vise               | codes_public_vise, publics, publics_precisions |
| conditions-specifiques                                  | conditions_acces                        |
| rythme-formation, modalites-alternance, -recrutement, -pedagogiques | rythme_formation, modalites_alternance, _recrutement, _pedagogiques |
| acces-handicapes, hebergement, restauration, transport  | acces_handicapes, hebergement, restauration, transport |
| date-information/date, adresse-information/adresse      | dates_information, adresse_information (one line) |
| langue-formation (0–5, ISO 639-1)                       | langues (lower case, each once)         |
| modalites-enseignement (0 / 1 mixte / 2 distance)       | modalites_enseignement, modes_accueil   |
| modalites-entrees-sorties, nombre-heures-total          | modalites_entrees_sorties, duree_heures |
| nombre-heures-centre, nombre-heures-entreprise          | duree_heures_centre, _entreprise (their sum without a total, if each was read) |
| duree-indicative (« 2 ans »)                            | duree_indicative                        |
| each lieu-de-formation/coordonnees/adresse (else adresse-inscription) | adresse, code_postal, commune, code_insee, latitude, longitude |
| code-perimetre-recrutement + the place                  | zone_eligibilite                        |
| infos-perimetre-recrutement                             | zone_eligibilite_precisions             |
| prix-total-TTC, organisme-financeur, conventionnement   | prix_total_ttc, financeurs, frais, frais_precisions |
| session/periode/debut, fin; etat-recrutement            | date_debut, date_fin, etat_recrutement  |
| session/periode-inscription/periode/debut, fin          | date_debut_inscription, date_fin_inscription |
| session/modalites-inscription                           | modalites_inscription                   |
| extras « session-perimee » / « action-perimee » (Intercarif) = 1 | etat_recrutement « 2 » (fermé)   |
| url-session, else url-action, else url-formation        | lien_inscription                        |
| contacts: session, lieu, formation, organisme, formateur (in that order) | telephone, courriel    |
| organisme-formation-responsable: raison-sociale, SIRET, numero-activite | organisme_nom, _siret, _numero_activite |
| action/organisme-formateur: raison-sociale-formateur, SIRET | organisme_formateur_nom, _siret          |
| extras info="eligibilite-cpf" (Intercarif, unless its fin-validite has passed), code-CPF, EDOF | eligible_cpf |
| most recent datemaj / horodatage-modification of the three levels | date_maj                     |

Identifiers. A row's id is `{numero formation}/{numero action}/{numero session}`, each number
being the element's `numero` attribute, else its `id` attribute. The three are needed: in
ONISEP and EDOF exports one number is repeated at the three levels. Without a number, an action
is `action-{rank in its formation}` and a session `session-{début}-{fin}` (its dates), which
stay stable from one export to the next as long as the producer does not reorder its offer.
The rows of an action's first place have that id; those of each further place add
`/lieu-{numero}` (the lieu's `numero`, else its rank): `F1/A1/S1/lieu-2`. A lieu that repeats an
address already given, or gives none, adds no rows.
A formation with no number at all cannot be identified: it is reported, not guessed.

`date_maj` is required: when no level carries a modification date, the creation date is used,
then the export date of the feed (`horodatage-export`, ONISEP's « DATE EXPORT » extra), then
the source's `date_maj` option; a formation still without one is reported.

Defects are repaired where the intent is certain and dropped where it is not; either way the
record is written and the item carries a warning for the report (`WARNINGS` below): a SIRET
with 15 characters or a wrong check digit, a postal code given as INSEE code, swapped
coordinates, an unreadable e-mail or web address, an open session that Intercarif marks as over,
a registration period that closes before it opens (or a session that ends before it starts), a
text without a word (EDOF's « 0 »), a description shorter than the schema allows, a language
that is not an ISO 639-1 code, a département that is not a code, hours in centre and in company
beyond the total, a number whose one separator may mark decimals or thousands (« 1.500 ») or
that is no number at all (« sur devis »; « 35 h » is read, « Gratuit » is a price of 0), a session
date that names no day (« 20250230 »), a modification date in the future or before 2000 when
another level gives a possible one.

Options: `source` (the producer's name in ids; by default the registered source's name),
`encoding` (imposed when the declared one is wrong and cannot be guessed), `date_maj`
(AAAA-MM-JJ, see above), `lien_source` (a URL template with `{formation}`, `{action}`,
`{session}`).
"""

from __future__ import annotations

import html
import logging
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from lxml import etree

import schemas
from catalog.errors import UnusableInput
from catalog.privacy import is_personal_email
from catalog.records import qualified_id
from catalog.territories import departement_of, departement_of_postal_code
from catalog.validation import Problem
from harvesters import lheo_values as V
from harvesters.base import Harvester, Item
from harvesters.lheo_vocab import publics as publics_of
from harvesters.lheo_vocab import thematiques as thematiques_of
from harvesters.lheo_xml import NS_EDOF, detect_encoding, formations, local_file, sniff

log = logging.getLogger(__name__)
KIND = "formation"
NAME_MAX, DESCRIPTION_MAX = 255, 20000
DESCRIPTION_MIN = 5  # the schema's minLength: shorter (« RAS »), the whole row would be invalid
MAX_PLACES = 50  # distinct places of training published per action (each has rows of its own)
# What was repaired, dropped or left unpublished, reported as the item's warnings (the record is
# written).
WARNINGS: dict[str, tuple[str, str]] = {
    "siret-15": ("organisme_siret", "SIRET de 15 caractères « {raw} » lu sans son zéro initial : {value}."),
    "siret-format": ("organisme_siret", "SIRET « {raw} » illisible (14 chiffres attendus) : écarté."),
    "siret-invalide": ("organisme_siret", "SIRET « {raw} » invalide (clé de contrôle INSEE) : écarté."),
    "insee-arrondissement": ("code_insee", ("Code postal « {raw} » écrit à la place du code INSEE : lu comme "
                                            "l'arrondissement {value}.")),
    "coordonnees-inversees": ("latitude", "Latitude et longitude inversées ({raw}) : remises dans l'ordre."),
    "courriel-ecarte": ("courriel", "Adresse électronique illisible « {raw} » : écartée."),
    "url-ecartee": ("lien_inscription", "Adresse web illisible « {raw} » : écartée."),
    "lieux-ecartes": ("adresse", ("L'action décrit {raw} lieux de formation : seuls les {value} premiers lieux "
                                  "distincts sont publiés.")),
    "certifications-multiples": ("code_rncp", ("La formation vise plusieurs certifications ({raw}) : le schéma n'en "
                                               "publie qu'une de chaque répertoire, la première ({value}).")),
    "perimee": ("etat_recrutement", ("Session périmée selon le producteur (extra « {raw} ») : publiée avec le "
                                     "recrutement fermé, et non « {value} ».")),
    "formateurs-multiples": ("organisme_formateur_nom", ("L'action est dispensée par plusieurs organismes formateurs "
                                                         "({raw}) : le schéma n'en publie qu'un, le premier ({value}).")),
    # The field is the text's own, named by _words().
    "texte-sans-mot": ("", "« {element} » ne contient aucun mot (« {raw} ») : écarté."),
    "inscription-inversee": ("date_fin_inscription", ("Période d'inscription close avant d'ouvrir ({raw}) : ses deux "
                                                      "dates sont écartées.")),
    "heures-incoherentes": ("duree_heures_centre", ("Heures en centre et en entreprise ({raw}) au-delà du total de "
                                                    "{value} : seul le total est publié.")),
    "langue-inconnue": ("langues", "Langue « {raw} » : pas un code ISO 639-1 (deux lettres, « FR ») : écartée."),
    "periode-inversee": ("date_debut", ("Session qui finit avant de commencer ({raw}) : ses deux dates sont "
                                        "écartées.")),
    "departement-ecarte": ("zone_eligibilite", ("Département « {raw} » : pas un code (« 93 », « 2A », « 974 ») : "
                                                "écarté{value}.")),
    "description-trop-courte": ("description", ("Description « {raw} » trop courte ({value} caractères au moins) : "
                                                "écartée.")),
    "date-maj-ecartee": ("date_maj", ("Date de modification du {raw} hors des dates possibles (du {value} à "
                                      "aujourd'hui) : écartée, au profit de la plus récente des autres.")),
    "nombre-illisible": ("", "« {element} » vaut « {raw} » : pas un nombre lisible, écarté."),
    "prix-hors-taxes": ("prix_total_ttc", ("Prix « {raw} » hors taxes, là où LHEO attend le prix toutes taxes "
                                           "comprises : écarté plutôt que publié comme TTC.")),
    "date-illisible": ("date_debut", "Date « {raw} » ({element}) illisible (AAAAMMJJ attendu) : écartée."),
    "nombre-ambigu": ("", ("« {element} » vaut « {raw} » : des décimales ou des milliers ? Le séparateur suivi de "
                           "trois chiffres ne le dit pas ; écarté plutôt que lu mille fois trop grand ou trop petit. "
                           "LHEO écrit les nombres sans séparateur de milliers, la décimale après un point "
                           "(« 1500 », « 1.5 »).")),
}
_LONE_LETTER = re.compile(r"\W*[^\W\d_]\W*")  # « R », « X. »: a letter alone is not a word
HOURS_TOLERANCE = 0.5  # rounding of the parts (« 17,5 h » written 18)
FORMATEURS_NAMED = 5  # organismes formateurs named in the report line of an action with several
# Texts of an action published as written (HTML made safe), in the XSD's order: LHEO element →
# formation field. What a conseiller tells a person before sending them: rhythm, work-study,
# meals, housing, transport, disability access, selection, teaching, duration in words.
ACTION_TEXTS = {"rythme-formation": "rythme_formation", "modalites-alternance": "modalites_alternance",
                "restauration": "restauration", "hebergement": "hebergement", "transport": "transport",
                "acces-handicapes": "acces_handicapes", "modalites-recrutement": "modalites_recrutement",
                "modalites-pedagogiques": "modalites_pedagogiques", "duree-indicative": "duree_indicative"}
# Funders whose places are free for the trainee (`dict-financeurs`): public bodies, not the
# company (5), the trainee (10), an OPCO (16, employees' training), « autre » or obsolete codes.
PUBLIC_FUNDERS = frozenset({"2", "3", "4", "6", "7", "8", "9", "11", "12", "13", "14", "15", "17", "18", "19", "20"})
# The registers of a `certification`: element, the prefix its code may carry, and how people
# write a code of it ("RNCP34849", "RS5629", "Certif Info 108546").
CERTIFICATION_CODES = (("code-RNCP", "RNCP", "RNCP"), ("code-RS", "RS", "RS"),
                       ("code-CERTIFINFO", "", "Certif Info "))


# A place of training: (id suffix, place fields, its `coordonnees`, what was repaired in it).
_Place = tuple[str | None, dict[str, Any] | None, etree._Element | None, list[Problem]]


class LheoHarvester(Harvester):
    format: ClassVar[str] = "lheo"
    kinds: ClassVar[tuple[str, ...]] = (KIND,)
    default_source: ClassVar[str] = "lheo"
    reads_in_child: ClassVar[bool] = True  # national feeds: parsing beside validation and writing

    def __init__(self, location: str, *, options: dict[str, Any] | None = None, credentials: str | None = None):
        super().__init__(location, options=options, credentials=credentials)
        self.source = str(self.options.get("source") or self.default_source)  # until the engine names it
        self.default_date_maj = V.lheo_date(self.options.get("date_maj"))
        self.link_template = self.options.get("lien_source")
        self.counts: Counter[str] = Counter(formations=0, actions=0, sessions=0)
        self.corrections = V.Corrections()
        self.variant: str | None = None
        self._complete = False
        self._size: int | None = None
        self._progress = [0]

    # -- the run -------------------------------------------------------------------------------

    def items(self) -> Iterator[Item]:
        # The producer's name in ids: the `source` option, else the registered source of this run.
        self.source = str(self.options.get("source") or self.source_name or self.default_source)
        self._date_maj_floor = _date_maj_floor()
        with local_file(self.location) as path:
            name = self.location if "://" in self.location else Path(self.location).name
            self._size = path.stat().st_size
            encoding = detect_encoding(path, name, self.options.get("encoding"))
            feed = sniff(path, name, encoding)
            self.variant = feed.variant
            context = _Feed(edof=feed.namespace == NS_EDOF, export_date=V.lheo_date(feed.export_date))
            for element in formations(feed, self._progress):
                self.counts["formations"] += 1
                yield from self._formation(element, context)
            if not self.counts["formations"]:
                raise UnusableInput(f"{name} ne contient aucune formation (élément « formation »).")
        self._complete = True
        if self.corrections:
            log.info("LHEO %s : valeurs corrigées ou écartées : %s", self.location, dict(self.corrections))

    def covered_kinds(self) -> tuple[str, ...]:
        # Only a feed read to its end speaks for all the source's formations.
        return self.kinds if self._complete else ()

    def progress_total(self) -> int | None:
        return self._size

    def progress_done(self) -> int | None:
        return self._progress[0]

    # -- formation -----------------------------------------------------------------------------

    def _formation(self, element: etree._Element, feed: _Feed) -> Iterator[Item]:
        kids = _children(element)
        actions = kids.get("action", [])
        self.counts["actions"] += len(actions)
        # Counted here, unmapped formations included, to compare with an independent count.
        self.counts["sessions"] += sum(1 for action in actions for child in action
                                       if isinstance(child.tag, str) and child.tag.rpartition("}")[2] == "session")
        numero = _identifier(element)
        where = f"ligne {element.sourceline}"
        if numero is None:
            yield Item(KIND, None, f"formation sans numéro ({where})",
                       [Problem("numero_formation", "lheo-identifiant",
                                 "La formation n'a ni attribut « numero » ni attribut « id » : impossible de lui "
                                 "donner un identifiant stable. Elle est ignorée.")])
            return
        reference = f"formation {numero} ({where})"
        self._today = date.today()  # the schema's « today », as the validator reads it
        self._contact_cache: dict[etree._Element, tuple[str | None, str | None, str | None, bool]] = {}
        base = self._formation_fields(kids, numero, reference, feed)
        problem = None
        if not base.get("nom"):
            problem = Problem("nom", "lheo-intitule", f"La formation {numero} n'a pas d'intitulé "
                              "(« intitule-formation » absent ou vide).")
        elif not actions:
            problem = Problem(None, "lheo-sans-action", f"La formation {numero} ne décrit aucune action : "
                              "aucune session à publier.")
        seen_actions: set[str] = set()
        for rank, action in enumerate(actions, start=1):
            action_numero = _identifier(action) or f"action-{rank}"
            if action_numero in seen_actions and problem is None:
                yield from self._unmapped_action(action, numero, action_numero, Problem(
                    "numero_action", "lheo-action-en-double", f"Numéro d'action « {action_numero} » en double "
                    f"dans la formation {numero} : la seconde action est ignorée."))
            elif problem is not None:
                yield from self._unmapped_action(action, numero, action_numero, problem, reference)
            else:
                yield from self._action_items(action, numero, action_numero, base)
            seen_actions.add(action_numero)
        if problem is not None and not actions:
            yield Item(KIND, None, reference, [problem])

    def _action_items(self, action: etree._Element, numero: str, action_numero: str,
                      base: dict) -> Iterator[Item]:
        """One item per session of the action (one for the action itself when it has none)."""
        reference = f"formation {numero}, action {action_numero} (ligne {action.sourceline})"
        kids = _children(action)
        sessions = kids.get("session", [])
        session_keys = _session_keys(sessions)
        fields = self._action_fields(kids, reference)
        for place_key, place, coordonnees, place_warnings in self._places(kids.get("lieu-de-formation", []), reference):
            action_fields = fields | {"_place": place, "_contacts": [coordonnees, *fields["_contacts"]],
                                      "_warnings": fields["_warnings"] + place_warnings}
            if not sessions:
                row = base | action_fields
                row["numero_action"], row["id"] = action_numero, _row_id(numero, action_numero, None, place_key)
                yield self._item(self._finish(row, base, {}), _at_place(reference, place_key))
                continue
            for session, key in zip(sessions, session_keys):
                row = base | action_fields | self._session_fields(session, _children(session), action_fields)
                row["numero_action"], row["numero_session"] = action_numero, key
                row["id"] = _row_id(numero, action_numero, key, place_key)
                yield self._item(self._finish(row, base, action_fields), _at_place(
                    f"formation {numero}, action {action_numero}, session {key} (ligne {session.sourceline})", place_key))

    def _places(self, lieux: list[etree._Element], reference: str) -> list[_Place]:
        """The action's distinct places of training, each with its id suffix, `coordonnees` (for
        contacts) and warnings. Each place makes rows of its own, so that the action is found
        around every town it is taught in. The first place has no suffix: a feed with one place
        per action, the usual case, keeps plain ids. A lieu without an address places nothing;
        when no lieu has one, the first still gives its contacts (the session then gives its
        registration address). At most MAX_PLACES: every session has rows in each place, so a
        feed listing thousands of places would multiply its rows by as many."""
        found: list[_Place] = []
        seen: set[tuple] = set()
        used: set[str] = set()
        for rank, lieu in enumerate(lieux, start=1):
            if len(found) == MAX_PLACES:
                self._warn(found[0][3], "lieux-ecartes", reference, raw=len(lieux), value=MAX_PLACES)
                break
            coordonnees = _first(_children(lieu), "coordonnees")
            warnings: list[Problem] = []
            place = self._place(_first(_children(coordonnees), "adresse"), _at_place(reference, f"lieu {rank}")
                                if rank > 1 else reference, warnings)
            # An address of placeholders only (« - », « 00000 »: the XSD makes its parts
            # mandatory, Intercarif fills them so) places nothing, as no address does.
            same = tuple(place.items()) if place is not None and any(place.values()) else None
            if same is None or same in seen:
                continue  # no address, or the same one again
            seen.add(same)
            found.append((_place_key(lieu, rank, used) if found else None, place, coordonnees, warnings))
        if not found:
            found.append((None, None, _first(_children(lieux[0]), "coordonnees") if lieux else None, []))
        return found

    def _unmapped_action(self, action: etree._Element, numero: str, action_numero: str, problem: Problem,
                         reference: str | None = None) -> Iterator[Item]:
        """The action's sessions reported, each with its catalog id (so it is not archived for a defect)."""
        reference = reference or f"formation {numero}, action {action_numero} (ligne {action.sourceline})"
        kids = _children(action)
        # The ids its rows would have: one per session (or the action itself) and place.
        place_keys = [key for key, *_ in self._places(kids.get("lieu-de-formation", []), reference)]
        for key in _session_keys(kids.get("session", [])) or [None]:
            for place_key in place_keys:
                yield Item(KIND, None, reference, [problem],
                           qualified_id(self.source, _row_id(numero, action_numero, key, place_key)))

    def _item(self, finished: tuple[dict[str, Any], list[Problem]], reference: str) -> Item:
        row, warnings = finished
        if row.get("date_maj") is None:
            return Item(KIND, None, reference, [Problem(
                "date_maj", "lheo-date-maj",
                f"Aucune date de mise à jour pour la formation {row['numero_formation']} (ni datemaj, ni "
                "horodatage-modification, ni date de création ou d'export) : renseignez l'option « date_maj » "
                "de la source.")], qualified_id(self.source, row["id"]))
        return Item(KIND, row, reference, warnings=warnings)

    def _formation_fields(self, kids: dict, numero: str, reference: str, feed: _Feed) -> dict[str, Any]:
        domaine = _children(_first(kids, "domaine-formation"))
        certifications = [_children(c) for c in kids.get("certification", [])]
        cpf_codes = [c for c in (_text(k, "code-CPF") for k in certifications + [_children(e) for e in
                     kids.get("code-type-formation", [])]) if c]
        organisme = _children(_first(kids, "organisme-formation-responsable"))
        warnings: list[Problem] = []
        raw_siret = _text(_children(_first(organisme, "SIRET-organisme-formation")), "SIRET")
        siret, defect = V.siret(raw_siret)
        if defect:
            self._warn(warnings, defect, reference, raw=raw_siret.strip(), value=siret)
        lien, bad_url = _url(kids, "url-formation")
        if bad_url:
            self._warn(warnings, "url-ecartee", reference, raw=bad_url)
        codes = {name: V.unique(V.pattern_code(_text(k, name), V.CERTIF_NUMBER, prefix=prefix) for k in certifications)
                 for name, prefix, _ in CERTIFICATION_CODES}
        if any(len(found) > 1 for found in codes.values()):  # one code per register in the schema
            labels = {name: label for name, _, label in CERTIFICATION_CODES}
            self._warn(warnings, "certifications-multiples", reference,
                       raw=", ".join(labels[name] + c for name, found in codes.items() for c in found),
                       value=", ".join(labels[name] + found[0] for name, found in codes.items() if found))
        formacodes = V.unique(V.pattern_code(_plain(e), V.FORMACODE) for e in domaine.get("code-FORMACODE", []))
        nom = V.line(_prose(kids, "intitule-formation"))
        extras = _extras(kids)
        objective = _coded(_text(kids, "objectif-general-formation"), "lheo-objectifs-generaux")
        description = V.paragraphs(V.text(_prose(kids, "objectif-formation")),
                                   V.text(_prose(kids, "contenu-formation")) or V.text(extras.get("resume-contenu")),
                                   max_length=DESCRIPTION_MAX)
        if description is not None and len(description) < DESCRIPTION_MIN:
            self._warn(warnings, "description-trop-courte", reference, raw=description, value=DESCRIPTION_MIN)
            description = None
        formation = kids["@element"]
        href = V.url(formation.get("href") or formation.get("uri"))
        return {
            "source": self.source,
            "numero_formation": numero,
            "nom": nom[: NAME_MAX - 1] + "…" if nom and len(nom) > NAME_MAX else nom,
            "description": description,
            "resultats_attendus": V.text(_prose(kids, "resultats-attendus")),
            "certifiante": V.boolean(_text(kids, "certifiante")),
            "formacodes": formacodes or None,
            "codes_rome": V.unique(V.rome(_plain(e)) for e in domaine.get("code-ROME", [])) or None,
            "codes_nsf": V.unique(V.nsf(_plain(e)) for e in domaine.get("code-NSF", [])) or None,
            "code_rncp": next(iter(codes["code-RNCP"]), None),
            "code_rs": next(iter(codes["code-RS"]), None),
            "code_certifinfo": next(iter(codes["code-CERTIFINFO"]), None),
            "objectif_general": objective,
            "niveau_entree": _coded(_text(kids, "code-niveau-entree"), "lheo-niveaux"),
            "niveau_sortie": _coded(_text(kids, "code-niveau-sortie"), "lheo-niveaux"),
            "parcours_formation": _coded(_text(kids, "parcours-de-formation"), "lheo-parcours"),
            "thematiques": thematiques_of(title=nom, objective=objective, cpf_codes=cpf_codes, formacodes=formacodes),
            "eligible_cpf": True if feed.edof or cpf_codes or "eligibilite-cpf" in extras else None,
            "organisme_nom": V.line(_prose(organisme, "raison-sociale")) or V.line(_prose(organisme, "nom-organisme")),
            "organisme_siret": siret,
            "organisme_numero_activite": V.numero_activite(_text(organisme, "numero-activite")),
            "lien_inscription": lien,
            "lien_source": href,
            # Not schema fields: the levels' dates and contacts, resolved per row in _finish().
            "_dates": (_dates(kids), V.lheo_date(extras.get("date-export")) or feed.export_date),
            "_warnings": warnings,
            "_contacts": [*_inner(kids, "contact-formation"), *_inner(organisme, "contact-organisme"),
                          *_inner(organisme, "coordonnees-organisme")],
        }

    # -- action --------------------------------------------------------------------------------

    def _action_fields(self, kids: dict, reference: str) -> dict[str, Any]:
        extras = _extras(kids)
        public_codes = V.unique(V.pattern_code(_plain(e), V.FORMACODE) for e in kids.get("code-public-vise", []))
        modalites = _coded(_text(kids, "modalites-enseignement"), "lheo-modalites-enseignement")
        warnings: list[Problem] = []
        written_price = _text(kids, "prix-total-TTC")
        if V.excludes_tax(written_price):
            # « 1 500 € HT » in the TTC element: the tax the trainee pays on top is unknown (training
            # is often exempt, not always), so no all-taxes price is published.
            self._warn(warnings, "prix-hors-taxes", reference, raw=written_price.strip())
            price = None
        else:
            price = self._number(kids, "prix-total-TTC", "prix_total_ttc", reference, warnings)
            if price is None and V.is_free(written_price):
                price = 0  # « Gratuit » where the price belongs
        if price is None:
            price = V.decimal(extras.get("frais-ttc"))  # EDOF: action extras « frais-pedagogiques »
        hours = self._number(kids, "nombre-heures-total", "duree_heures", reference, warnings, hours=True)
        centre = self._number(kids, "nombre-heures-centre", "duree_heures_centre", reference, warnings, hours=True)
        entreprise = self._number(kids, "nombre-heures-entreprise", "duree_heures_entreprise", reference, warnings,
                                  hours=True)
        if hours is None:
            # The total is the sum of its parts only when every part written was read: an
            # unreadable « 210 heures en entreprise » is not none.
            written = _text(kids, "nombre-heures-entreprise")
            if centre is not None and (entreprise is not None or written is None or V.is_placeholder(written)):
                hours = centre + (entreprise or 0)
        elif (centre or 0) + (entreprise or 0) > hours + HOURS_TOLERANCE:
            # More hours in its parts than in all: which figure is wrong cannot be known, and the
            # total is what financeurs count; the split is dropped.
            self._warn(warnings, "heures-incoherentes", reference, value=_hours(hours),
                       raw=f"{_hours(centre or 0)} en centre, {_hours(entreprise or 0)} en entreprise")
            centre = entreprise = None
        funders = V.unique(_coded(_text(_children(f), "code-financeur"), "lheo-financeurs")
                           for f in kids.get("organisme-financeur", []))
        conventionnee = V.boolean(_text(kids, "conventionnement"))
        frais, precisions = _fees(price, funders, conventionnee, [
            V.text(_prose(kids, "frais-restants")), V.text(_prose(kids, "detail-conditions-prise-en-charge"))])
        fields: dict[str, Any] = {
            "codes_public_vise": public_codes or None,
            "publics": publics_of(public_codes),
            "publics_precisions": V.text(_prose(kids, "info-public-vise")),
            "conditions_acces": V.text(_prose(kids, "conditions-specifiques")),
            "niveau_entree_obligatoire": V.boolean(_text(kids, "niveau-entree-obligatoire")),
            "modalites_enseignement": modalites,
            "modes_accueil": {"0": ["en-presentiel"], "1": ["en-presentiel", "a-distance"],
                              "2": ["a-distance"]}.get(modalites or ""),
            "modalites_entrees_sorties": _coded(_text(kids, "modalites-entrees-sorties"), "lheo-modalites-entrees-sorties"),
            "duree_heures": hours,
            "duree_heures_centre": centre,
            "duree_heures_entreprise": entreprise,
            "prix_total_ttc": price,
            "financeurs": funders or None,
            "frais": frais,
            "frais_precisions": precisions,
            "_perimetre": V.code(_text(kids, "code-perimetre-recrutement")),
            "_dates": _dates(kids),
            "_contacts": [_extra_coordonnees(kids, "contact-information")],  # after the place's
            "_warnings": warnings,
        }
        fields.update(self._formateur(kids.get("organisme-formateur", []), reference, warnings))
        for element, name in ACTION_TEXTS.items():
            fields[name] = self._words(kids, element, name, reference, warnings)
        # Information meetings (« information collective »): often how a person enters a formation.
        meetings = (V.lheo_date(_text(_children(e), "date")) for e in kids.get("date-information", []))
        fields["dates_information"] = V.unique(d.isoformat() for d in meetings if d) or None
        fields["adresse_information"] = _one_line(_first(_children(_first(kids, "adresse-information")), "adresse"))
        fields["langues"] = self._languages(kids.get("langue-formation", []), reference, warnings)
        # Says what code-perimetre-recrutement cannot: « Canton de Bray » behind « 0 autres ».
        fields["zone_eligibilite_precisions"] = self._words(kids, "infos-perimetre-recrutement",
                                                            "zone_eligibilite_precisions", reference, warnings)
        if "eligibilite-cpf" in extras:
            fields["eligible_cpf"] = True
        if extras.get("action-perimee") == "1":
            fields["_perimee"] = "action-perimee"
        url, bad_url = _url(kids, "url-action")
        if url:
            fields["lien_inscription"] = url
        if bad_url:
            self._warn(warnings, "url-ecartee", reference, raw=bad_url)
        return fields

    def _number(self, kids: dict, element: str, field: str, reference: str, warnings: list[Problem], *,
                hours: bool = False) -> float | None:
        raw = _text(kids, element)
        value = V.hours(raw) if hours else V.decimal(raw)
        if value is None and raw is not None and not V.is_placeholder(raw):
            if V.ambiguous_decimal(raw):  # « 1.500 »: a wrong guess is ×1000
                self._warn(warnings, "nombre-ambigu", reference, field=field, element=element, raw=raw.strip())
            elif hours or not V.is_free(raw):
                self._warn(warnings, "nombre-illisible", reference, field=field, element=element, raw=raw.strip())
        return value

    def _formateur(self, organismes: list[etree._Element], reference: str, warnings: list[Problem]) -> dict[str, Any]:
        """Who teaches the action (`organisme-formateur`), when the feed says: often not the
        responsible body (a subcontractor, a member of a network). The schema holds one, the first
        named; the others are reported. Its contact is the last resort of the row's contacts."""
        named = [(kids, nom) for kids in map(_children, organismes)
                 if (nom := V.line(_prose(kids, "raison-sociale-formateur")))]
        if not named:
            return {}
        kids, nom = named[0]
        raw_siret = _text(_children(_first(kids, "SIRET-formateur")), "SIRET")
        siret, defect = V.siret(raw_siret)
        if defect:
            self._warn(warnings, defect, reference, field="organisme_formateur_siret", raw=raw_siret.strip(),
                       value=siret)
        distinct: dict[str, str] = {}  # the same name in other letters is the same organisme
        for _, other in named:
            distinct.setdefault(other.casefold(), other)
        others = list(distinct.values())[1:]
        if others:
            shown = [nom, *others[: FORMATEURS_NAMED - 1]]
            more = len(others) + 1 - len(shown)
            self._warn(warnings, "formateurs-multiples", reference, value=nom,
                       raw=", ".join(shown) + (f" et {more} autre{'s' if more > 1 else ''}" if more else ""))
        return {"organisme_formateur_nom": nom, "organisme_formateur_siret": siret,
                "_formateur_contact": _inner(kids, "contact-formateur")}

    def _languages(self, elements: list[etree._Element], reference: str, warnings: list[Problem]) -> list[str] | None:
        """`langue-formation`: ISO 639-1 codes (LHEO writes « FR »), lower case as the
        referentiel has them. Anything else (« FRA », « Français ») is reported, not guessed."""
        languages = []
        for element in elements:
            raw = V.line(_plain(element))  # placeholders (« - ») are None
            if raw is None:
                continue
            if raw.lower() in schemas.referential_values("langues"):
                languages.append(raw.lower())
            else:
                self._warn(warnings, "langue-inconnue", reference, raw=raw)
        return V.unique(languages) or None

    def _words(self, kids: dict, element: str, field: str, reference: str, warnings: list[Problem]) -> str | None:
        """A free text of the feed, or None when it has no word: EDOF writes « 0 » in
        `acces-handicapes` or `transport`, which may mean « non » or « not filled in »; showing a
        conseiller « Accès des personnes handicapées : 0 » would tell them nothing either way, nor
        would a lone letter for the recruitment area (« R »: « Région »? « Rhône »?). A unit after
        a number is a word: « 35 h » is a duration."""
        value = V.text(_prose(kids, element))
        if value is not None and (not any(c.isalpha() for c in value) or _LONE_LETTER.fullmatch(value)):
            self._warn(warnings, "texte-sans-mot", reference, field=field, element=element, raw=value)
            return None
        return value

    # -- session -------------------------------------------------------------------------------

    def _session_fields(self, session: etree._Element, kids: dict, action: dict) -> dict[str, Any]:
        periode = _children(_first(kids, "periode"))
        warnings: list[Problem] = []
        reference = f"session (ligne {session.sourceline})"
        inscription = _children(_first(_children(_first(kids, "periode-inscription")), "periode"))
        opens, closes = V.lheo_date(_text(inscription, "debut")), V.lheo_date(_text(inscription, "fin"), end=True)
        if opens and closes and opens > closes:  # which one is wrong cannot be known
            self._warn(warnings, "inscription-inversee", reference, raw=f"du {opens:%d/%m/%Y} au {closes:%d/%m/%Y}")
            opens = closes = None
        debut, fin = V.lheo_date(_text(periode, "debut")), V.lheo_date(_text(periode, "fin"), end=True)
        for element, day, field in (("debut", debut, "date_debut"), ("fin", fin, "date_fin")):
            raw = _text(periode, element)
            if day is None and raw is not None and not V.is_placeholder(raw) and not V.unknown_date(raw):
                self._warn(warnings, "date-illisible", reference, field=field, element=f"periode/{element}",
                           raw=raw.strip())
        if debut and fin and debut > fin:  # which one is wrong cannot be known
            self._warn(warnings, "periode-inversee", reference, raw=f"du {debut:%d/%m/%Y} au {fin:%d/%m/%Y}")
            debut = fin = None
        fields: dict[str, Any] = {
            "date_debut": debut,
            "date_fin": fin,
            "etat_recrutement": _coded(_text(kids, "etat-recrutement"), "lheo-etat-recrutement"),
            "date_debut_inscription": opens,
            "date_fin_inscription": closes,
            "modalites_inscription": self._words(kids, "modalites-inscription", "modalites_inscription", reference,
                                                 warnings),
            "_dates": _dates(kids),
            "_contacts": [*_inner(kids, "contact-session"), _extra_coordonnees(kids, "contact-inscription")],
            "_warnings": warnings,
        }
        if action["_place"] is None:  # no place of training: the registration address
            inscription = _first(_children(_first(kids, "adresse-inscription")), "adresse")
            fields["_place"] = self._place(inscription, reference, warnings)
        extras = _extras(kids)
        if "eligibilite-cpf" in extras:
            fields["eligible_cpf"] = True
        if extras.get("session-perimee") == "1":
            fields["_perimee"] = "session-perimee"
        url, bad_url = _url(kids, "url-session")
        if url:
            fields["lien_inscription"] = url
        if bad_url:
            self._warn(warnings, "url-ecartee", reference, raw=bad_url)
        return fields

    # -- one row -------------------------------------------------------------------------------

    def _finish(self, row: dict[str, Any], base: dict, action: dict) -> tuple[dict[str, Any], list[Problem]]:
        """Resolve what depends on all three levels; drop the private keys. Returns the row and
        what was repaired or dropped on the way (the item's warnings)."""
        warnings = row.pop("_warnings") + (action.get("_warnings", []) if action else []) + base["_warnings"]
        session_dates = row.pop("_dates")  # the deepest level's, as merged last
        formation_dates, export_date = base["_dates"]
        levels = [session_dates, action.get("_dates") or ((), ()), formation_dates] if action else \
                 [session_dates, formation_dates]
        modified = [d for level in levels for d in level[0]]
        created = [d for level in levels for d in level[1]]
        row["date_maj"] = max(modified) if modified else max(created) if created else (
            export_date or self.default_date_maj)
        if row["date_maj"] is not None and not self._date_maj_floor <= row["date_maj"] <= self._today:
            # A typo (« 20271231 » on one session) would make the whole row invalid: the most
            # recent possible date of the other levels is as true. None possible: the validator says why.
            modified = [d for d in modified if self._date_maj_floor <= d <= self._today]
            created = [d for d in created if self._date_maj_floor <= d <= self._today]
            possible = max(modified) if modified else max(created) if created else None
            if possible is not None:
                self._warn(warnings, "date-maj-ecartee", row["id"], raw=f"{row['date_maj']:%d/%m/%Y}",
                           value=f"{self._date_maj_floor:%d/%m/%Y}")
                row["date_maj"] = possible
        # Contacts from the deepest level up; each `coordonnees` read once per formation, if needed.
        contacts = row.pop("_contacts") + (action.get("_contacts", []) if action else []) + base["_contacts"]
        contacts.extend(row.pop("_formateur_contact", None) or ())
        telephone = courriel = personal_courriel = None
        for element in contacts:
            if element is None:
                continue
            found = self._contact_cache.get(element)
            if found is None:
                found = self._contact_cache[element] = _coordonnees(element)
            telephone = telephone or found[0]
            if courriel is None and personal_courriel is None and found[2]:  # the e-mail shown is unreadable
                self._warn(warnings, "courriel-ecarte", row["id"], raw=found[2])
            if found[3]:
                # A trainer's own address is never published: a desk's further up is worth more.
                personal_courriel = personal_courriel or found[1]
            else:
                courriel = courriel or found[1]
            if telephone and courriel:
                break
        row["telephone"], row["courriel"] = telephone, courriel or personal_courriel
        # Intercarif marks sessions (or whole actions) that are over: whatever the recruitment
        # state says, nobody can join them any more.
        expired = row.pop("_perimee", None)  # the session's flag, else its action's
        if expired and row.get("etat_recrutement") != "2":
            if row.get("etat_recrutement"):
                self._warn(warnings, "perimee", row["id"], raw=expired,
                           value=schemas.referential_labels("lheo-etat-recrutement")[row["etat_recrutement"]].lower())
            row["etat_recrutement"] = "2"
        place = dict(row.pop("_place", None) or {})
        departement = place.pop("_departement", None)
        row.update(place)
        row["zone_eligibilite"] = _zone(row.pop("_perimetre", None), row.get("code_insee"), departement)
        if self.link_template:  # plain replacement, not str.format: the template is configuration
            link = self.link_template
            for name, value in (("formation", row["numero_formation"]), ("action", row.get("numero_action")),
                                ("session", row.get("numero_session"))):
                link = link.replace("{" + name + "}", quote(value or "", safe=""))
            row["lien_source"] = V.url(link)
        for name in ("date_maj", "date_debut", "date_fin", "date_debut_inscription", "date_fin_inscription"):
            if row.get(name) is not None:
                row[name] = row[name].isoformat()
        return {k: v for k, v in row.items() if v is not None}, warnings

    def _warn(self, warnings: list[Problem], code: str, where: str, *, field: str | None = None,
              **values: Any) -> None:
        default_field, message = WARNINGS[code]
        self.corrections.note(code, where)
        warnings.append(Problem(field or default_field, f"lheo-{code}", message.format(**values)))

    def _place(self, adresse: etree._Element | None, reference: str, warnings: list[Problem]) -> dict[str, Any] | None:
        if adresse is None:
            return None
        kids = _children(adresse)
        extras = _extras(kids)
        lines = [v for v in (V.line(_prose_of(e)) for e in kids.get("ligne", [])) if v]
        street = " ".join(v for v in (V.line(extras.get(k)) for k in ("numero-voie", "indice-repetition",
                                                                       "code-nature-voie", "libelle-voie")) if v)
        if street:  # EDOF: the street is in extras, the lines name the place
            adresse_line, complement = street, lines
        else:
            street_lines = [v for v in lines if any(c.isdigit() for c in v)] or lines[:1]
            adresse_line = street_lines[0] if street_lines else None
            complement = [v for v in lines if v != adresse_line]
        postal = V.postal_code(_text(kids, "codepostal"))
        commune = V.line(_prose(kids, "ville"))
        raw_insee = _text(kids, "code-INSEE-commune")
        insee, repair = V.insee_code(raw_insee, postal=postal, commune=commune)
        if repair:
            self._warn(warnings, repair, reference, raw=raw_insee.strip(), value=insee)
        geo = _children(_first(kids, "geolocalisation"))
        latitude, longitude = V.coordinate(_text(geo, "latitude"), 90), V.coordinate(_text(geo, "longitude"), 180)
        if latitude is None or longitude is None or (latitude == 0 and longitude == 0):
            latitude = longitude = None
        elif -5.5 <= latitude <= 10 and 41 <= longitude <= 51.5:  # metropolitan France, swapped
            self._warn(warnings, "coordonnees-inversees", reference, raw=f"{latitude}, {longitude}")
            latitude, longitude = longitude, latitude
        if insee:
            departement = departement_of(insee)
        else:
            raw_departement = V.line(_prose(kids, "departement"))
            departement = V.departement(raw_departement)  # a name would make the zone invalid
            if departement is None:
                if postal:
                    departement = V.departement(departement_of_postal_code(postal))
                if raw_departement:
                    self._warn(warnings, "departement-ecarte", reference, raw=raw_departement,
                               value=f", lu du code postal : {departement}" if departement else "")
        return {
            "adresse": adresse_line, "complement_adresse": ", ".join(complement) or None,
            "code_postal": postal, "commune": commune, "code_insee": insee,
            "latitude": latitude, "longitude": longitude, "_departement": departement,
        }


# -- small readers ---------------------------------------------------------------------------

class _Feed:
    __slots__ = ("edof", "export_date")

    def __init__(self, *, edof: bool, export_date: date | None) -> None:
        self.edof = edof
        self.export_date = export_date


_LOCAL_NAMES: dict[Any, str | None] = {}


def _local_name(tag: Any) -> str | None:
    """`{namespace}name` → `name`; None for comments and processing instructions (whose tag is
    a function). Memoised: a feed uses a few hundred distinct tags."""
    name = _LOCAL_NAMES.get(tag)
    if name is None and tag not in _LOCAL_NAMES:
        name = tag[tag.find("}") + 1:] if isinstance(tag, str) else None
        if len(_LOCAL_NAMES) < 10_000:  # a hostile feed could invent millions of names
            _LOCAL_NAMES[tag] = name
    return name


def _children(element: etree._Element | None) -> dict[str, Any]:
    """Children by local name (namespaces differ between 2.2, 2.3 and EDOF), in order."""
    found: dict[str, Any] = {"@element": element}
    if element is None:
        return found
    for child in element:
        name = _LOCAL_NAMES.get(child.tag) or _local_name(child.tag)
        if name is not None:
            if name in found:
                found[name].append(child)
            else:
                found[name] = [child]
    return found


def _first(kids: dict, name: str) -> etree._Element | None:
    found = kids.get(name)
    return found[0] if found else None


def _inner(kids: dict, name: str) -> list[etree._Element | None]:
    """The `coordonnees` inside each contact element of that name (`contact-formation/coordonnees`):
    the XSD allows several (a reception desk, then the person to call), in order of preference."""
    return [_first(_children(contact), "coordonnees") for contact in kids.get(name, [])]


def _text(kids: dict, name: str) -> str | None:
    """A value's text (a code, a number, a date)."""
    element = _first(kids, name)
    return None if element is None else _plain(element)


def _plain(element: etree._Element) -> str | None:
    """With a comment, a processing instruction or an element inside, the text around them, in order."""
    return "".join(element.itertext()) if len(element) else element.text


def _prose(kids: dict, name: str) -> str | None:
    """A text for `V.text` / `V.line` (see `_prose_of`)."""
    element = _first(kids, name)
    return None if element is None else _prose_of(element)


def _prose_of(element: etree._Element) -> str | None:
    """Markup written as XML (`<ul><li>…`) handed over as HTML, so that paragraphs and list
    items stay apart as they do in escaped HTML."""
    return _markup(element) if len(element) else element.text


def _markup(element: etree._Element) -> str:
    """An element's content as HTML: its children serialised, the text around them escaped (the
    one decoding `V.text` makes of text with tags gives it back as written); comments and
    processing instructions dropped, the text around them kept."""
    if not any(isinstance(child.tag, str) for child in element):  # comments or PIs only
        return "".join(element.itertext())
    parts = [html.escape(element.text or "", quote=False)]
    for child in element:
        if isinstance(child.tag, str):
            parts.append(etree.tostring(child, encoding="unicode", with_tail=False))
        parts.append(html.escape(child.tail or "", quote=False))
    return "".join(parts)


def _identifier(element: etree._Element) -> str | None:
    for attribute in ("numero", "id"):
        value = (element.get(attribute) or "").strip()
        if value and not V.is_placeholder(value):
            return value
    return None


def _session_keys(sessions: list[etree._Element]) -> list[str]:
    keys: list[str] = []
    taken: set[str] = set()
    # The next suffix to try for each date key: the keys only grow, so the first free suffix
    # never goes back, and thousands of sessions with the same dates (or none) cost linear time.
    suffixes: dict[str, int] = {}
    for session in sessions:
        key = _identifier(session)
        if key is None:
            periode = _children(_first(_children(session), "periode"))
            key = f"session-{(_text(periode, 'debut') or '').strip()}-{(_text(periode, 'fin') or '').strip()}"
            if key in taken:
                base, n = key, suffixes.get(key, 2)
                while key in taken:
                    key, n = f"{base}-{n}", n + 1
                suffixes[base] = n
        keys.append(key)
        taken.add(key)
    return keys


def _row_id(formation: str, action: str, session: str | None, place: str | None = None) -> str:
    return "/".join(part for part in (formation, action, session, place) if part)


def _place_key(lieu: etree._Element, rank: int, used: set[str]) -> str:
    """The id suffix of a further place of training: `lieu-{numero}`, else `lieu-{rank}`."""
    key = f"lieu-{_identifier(lieu) or rank}"
    while key in used:  # the same numero twice
        key = f"{key}-{rank}"
    used.add(key)
    return key


def _at_place(reference: str, place_key: str | None) -> str:
    return f"{reference}, {place_key}" if place_key else reference


def _one_line(adresse: etree._Element | None) -> str | None:
    """An `adresse` as people write it on one line: its lines, then postal code and town."""
    kids = _children(adresse)
    town = " ".join(v for v in (V.postal_code(_text(kids, "codepostal")), V.line(_prose(kids, "ville"))) if v)
    parts = V.unique([*(V.line(_prose_of(e)) for e in kids.get("ligne", [])), town or None])
    return ", ".join(parts) or None


def _coded(raw: str | None, referentiel: str) -> str | None:
    value = V.code(raw)
    return value if value is not None and value in schemas.referential_values(referentiel) else None


def _url(kids: dict, name: str) -> tuple[str | None, str | None]:
    """The first readable address of a `url-*` element, and the unreadable one when none is."""
    unreadable = None
    for element in _children(_first(kids, name)).get("urlweb", []):
        if value := V.url(_plain(element)):
            return value, None
        unreadable = unreadable or V.line(_plain(element))
    return None, unreadable


def _dates(kids: dict) -> tuple[list[date], list[date]]:
    """(modification dates, creation dates) of an element: Intercarif's `datemaj`/`datecrea`
    attributes (AAAAMMJJ) and LHEO 2.3's ISO `horodatage-modification`/`-creation`."""
    element = kids["@element"]
    if element is None:
        return [], []
    modified = [d for d in (V.lheo_date(element.get("datemaj")),
                            V.modification_date(element.get("horodatage-modification"))) if d]
    created = [d for d in (V.lheo_date(element.get("datecrea")), V.modification_date(element.get("horodatage-creation")))
               if d]
    return modified, created


def _date_maj_floor() -> date:
    """The earliest `date_maj` the schema admits (its `date-bounds` check)."""
    for check in schemas.load_schema(KIND).get("custom_checks", []):
        params = check.get("params", {})
        if check.get("name") == "date-bounds" and params.get("column") == "date_maj" and params.get("minimum"):
            return date.fromisoformat(params["minimum"])
    return date.min


def _extras(kids: dict) -> dict[str, str]:
    """`extras/extra` values by their `info` (the first of each), and each `extras` `info` as a
    key too; nested extras (EDOF) included. An export date is kept under `date-export`."""
    found: dict[str, str] = {}
    for extras in kids.get("extras", []):
        for extra in extras.iter("{*}extra", "{*}extras"):
            info = extra.get("info") or ""
            if info == "eligibilite-cpf" and len(extra) and _ended(extra):
                continue  # Intercarif: a listing whose « fin-validite » has passed says nothing now
            lowered = info.lower()
            if "date" in lowered and "export" in lowered:
                info = "date-export"
            value = extra.text if not len(extra) else None
            if not found.get(info):
                found[info] = value or ""
    return found


def _ended(listing: etree._Element) -> bool:
    """Whether a validity window (`extra info="fin-validite"`) closed before today."""
    for extra in listing.iter("{*}extra"):
        if extra.get("info") == "fin-validite":
            end = V.lheo_date(extra.text, end=True)
            return end is not None and end < date.today()
    return False


def _extra_coordonnees(kids: dict, info: str) -> etree._Element | None:
    """EDOF's contacts: `extras/extra[@info=...]/coordonnees`."""
    for extras in kids.get("extras", []):
        for extra in extras.iter("{*}extra"):
            if extra.get("info") == info:
                return _first(_children(extra), "coordonnees")
    return None


def _coordonnees(element: etree._Element) -> tuple[str | None, str | None, str | None, bool]:
    """(telephone, courriel, unreadable courriel, whether the courriel is a person's) of a
    `coordonnees`, judged once per element; the telephone is the first valid fixed or mobile
    number. A named person's mobile (`nom`/`prenom` beside `portable`) is their own, not a
    desk's: it is not published."""
    kids = _children(element)
    named = any(V.line(_plain(name)) for kind in ("nom", "prenom") for name in kids.get(kind, []))
    kinds = ("telfixe",) if named else ("telfixe", "portable")
    phones = [_plain(n) for kind in kinds for holder in kids.get(kind, [])
              for n in _children(holder).get("numtel", [])]
    raw_email = _prose(kids, "courriel")
    email = V.email(raw_email)
    return (next((p for p in map(V.telephone, phones) if p), None), email,
            None if email else V.line(raw_email), bool(email) and is_personal_email(email))


def _fees(price: float | None, funders: list[str], conventionnee: bool | None,
          notes: list[str | None]) -> tuple[str | None, str | None]:
    """`frais` for the trainee, and the facts behind it, in French."""
    labels = schemas.referential_labels("lheo-financeurs")
    public = [f for f in funders if f in PUBLIC_FUNDERS]
    parts: list[str] = []
    if price is not None:
        parts.append(f"Prix total : {_euros(price)} TTC.")
    if public and conventionnee:
        parts.append("Places financées par : " + ", ".join(labels.get(f, f) for f in public) + ".")
    parts += [n for n in notes if n]
    if price == 0:
        frais: str | None = "gratuit"
    elif "10" in funders:  # « bénéficiaire de l'action »: the trainee pays a part
        frais = "payant"
    elif public and conventionnee:
        frais = "gratuit"
    elif price:
        frais = "payant"
    else:
        frais = None
    return frais, " ".join(parts) or None


def _euros(amount: float) -> str:
    text = f"{amount:,.2f}".replace(",", "\u202f").replace(".", ",")
    return text.removesuffix(",00") + " €"


def _hours(amount: float) -> str:
    """« 17,5 h », « 400 h »."""
    return f"{amount:.2f}".rstrip("0").rstrip(".").replace(".", ",") + " h"


def _zone(perimetre: str | None, code_insee: str | None, departement: str | None) -> list[str] | None:
    """`code-perimetre-recrutement` (dict-perimetre-recrutement) read around the place:
    1 commune, 2 département, 3 région (its départements), 5 pays; 0 autres, 4 interrégion
    and 6 international say no precise zone."""
    if perimetre == "5":
        return ["france"]
    if perimetre == "1" and code_insee:
        return [code_insee]
    if perimetre == "2" and departement:
        return [departement]
    if perimetre == "3" and departement in V.REGION_OF_DEPARTEMENT:
        return list(V.REGION_DEPARTEMENTS[V.REGION_OF_DEPARTEMENT[departement]])
    return None
