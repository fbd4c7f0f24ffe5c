"""aides-jeunes (1jeune1solution « Mes aides ») benefit definitions → `aide`.

Two ways in, same records:

- the repository's YAML files (betagouv/aides-jeunes), given the repository or its `data/`
  folder: `data/benefits/javascript/*.yml` (eligibility declared as data: `conditions_generales`
  and `profils`), `data/benefits/openfisca/*.yml` (eligibility and amount computed by OpenFisca:
  only the text conditions are declared), `data/institutions/*.yml` and
  `data/institution_types/*.yml`. A benefit's id is its file name; its `institution` is an
  institution's file name. The authoritative field list is the Decap CMS configuration
  `contribuer/public/admin/config.yml`.
- the public API (`https://mes-aides.1jeune1solution.beta.gouv.fr`): `GET /api/benefits`, one
  JSON array of every benefit, its institution embedded (`{slug, label, type, code_insee,
  code_siren, departments…}`) — the same data after the site's generator, plus benefits it
  generates (aides vélo…) — and `GET /api/institutions`.

Mapping, field by field:
- `label` (written for the middle of a sentence) → `nom` with a capital; `description` (HTML) → safe text;
- the institution → `institution_*`; its territory → `zone_eligibilite` (a commune its INSEE code,
  an EPCI its SIREN, a département its code, a région its départements, a CAF or MSA the
  départements it lists, national and European bodies `france`) unless the benefit's own
  geographic conditions (`regions`, `departements`, `communes`, `epcis`) say where, which
  aides-jeunes checks first (`lib/benefits/compute-javascript.ts`); `codes_postaux` give their
  communes when the catalog's territory tables are loaded (`maillage territories load`), else
  the institution's territory, with a warning;
- `conditions_generales` (all must hold) and `profils` (one must hold, each with its own
  conditions) → `conditions` + `conditions_texte` (see `aides_conditions`), territories named
  when the territory tables are loaded; the free-text `conditions` (unmodelled by the simulator)
  and `voluntary_conditions` → `conditions_texte`;
- an OpenFisca benefit (`benefits/openfisca/`, `source: openfisca` in the API) is computed by the
  simulator's rules, which no file declares: `conditions.autres` and `conditions_texte` say so
  and point to its page, so that no reuser reads it as open to everyone;
- `montant` (the maximum), `unit`, `legend`, `periodicite` → `montant_*`; a legend saying the
  amount is no maximum (« au lieu de 30 € », « en moyenne », « / jour ») leaves it in `montant_texte`;
- `teleservice`, else `form`, else `instructions`, else `link` → `lien_demarche`; the benefit's
  page on the site (`/aides/{id}`) → `lien_source`.

Not harvested (reported): benefits marked `private` (hidden by aides-jeunes: tests, ended
aids) unless the option `include_private` is set — absent from the source, so a record of one
published before is archived after the grace period; files that are not readable YAML mappings;
benefits without a label or whose institution is unknown.

YAML is read with PyYAML's SafeLoader, made stricter (aliases refused, 1 MB per file at most)
and told one thing js-yaml — the loader aides-jeunes uses — knows: a bare `=` is the string
"=" (`operator: =`), which YAML 1.1 reserves for its "value" tag and `yaml.safe_load` refuses.

`date_maj`: the option `date_maj`, else the file's modification date (YAML), else the API
response's `Last-Modified` date, else the harvest date — the API carries no modification date.

Options: `source` (default `aides-jeunes`), `date_maj`, `include_private`, `site` (the public
site for `lien_source`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import yaml

import schemas
from catalog.clock import utcnow
from catalog.errors import UnusableInput
from catalog.nesting import TOO_DEEP, NoAliasLoader, too_deep
from catalog.records import qualified_id
from catalog.validation import Problem
from harvesters import aides_zones as zones
from harvesters.aides_conditions import Eligibility, number_text
from harvesters.aides_jeunes_conditions import (
    Zone,
    as_list,
    general_condition,
    is_number,
    profile_of,
    zone_of,
)
from harvesters.aides_notes import AidNotes, Places, eligibility_warnings
from harvesters.aides_text import capped, code_text, http_url, option_flag, safe_text, sentence_case
from harvesters.base import Harvester, Item, file_date
from harvesters.cut_short import ends_unterminated
from harvesters.http import HttpClient, is_url, last_modified, response_json

SITE = "https://mes-aides.1jeune1solution.beta.gouv.fr"
MAX_YAML_BYTES = 1 << 20

UNITS = {"€": ("euros", "€"), "%": ("pourcentage", "%"), "séances": ("seances", "séances")}
PERIODICITES = {"ponctuelle", "mensuelle", "annuelle", "autre"}
# A `legend` saying the amount is no ceiling of the aid: what is left to pay (« au lieu de 30 € »),
# an average, the start of a range (« à 10 € par demi-journée »), or a rate by the day or week that
# the periodicity cannot say. The amount then stays in `montant_texte` only.
NOT_A_CEILING = re.compile(r"\b(?:au lieu de|à la place de|en moyenne)\b|^à\s*\d|(?:/|\bpar)\s*(?:jour|demi-journée|"
                           r"semaine|heure|nuit)\b", re.IGNORECASE)
INSTITUTION_TYPES = {"national", "region", "departement", "epci", "commune", "caf", "msa", "europeen", "autre"}
# Our `publics` from a situation (the aid is for people in one of them).
STATUT_PUBLICS = {
    "demandeur-emploi": "demandeurs-emploi", "beneficiaire-rsa": "beneficiaires-des-minimas-sociaux",
    "situation-handicap": "personnes-en-situation-de-handicap", "parent": "familles", "etudiant": "etudiants",
    # A pupil is young, not a student (« Étudiants » says higher education; aids « hors étudiants » exist).
    "enseignement-superieur": "etudiants", "lyceen": "jeunes", "collegien": "jeunes", "salarie": "actifs",
    "independant": "actifs", "apprenti": "actifs", "contrat-professionnalisation": "actifs",
}
INTEREST_THEMES = {
    "_interetPermisDeConduire": "mobilite--preparer-un-permis",
    "_interetAidesSanitaireSocial": "se-former--monter-son-dossier-de-formation",
}


class AidesJeunesHarvester(Harvester):
    format: ClassVar[str] = "aides-jeunes"
    kinds: ClassVar[tuple[str, ...]] = ("aide",)
    default_source: ClassVar[str] = "aides-jeunes"
    # Its YAML files always end with a line break (none of the 552 of the corpus lacks it), and a
    # cut can hide behind the mapping: `teleservice` cut off, `lien_demarche` takes `link`.
    cut_short_refuses_any_change: ClassVar[bool] = True

    def __init__(self, location: str, *, options: dict[str, Any] | None = None, credentials: str | None = None):
        super().__init__(location, options=options, credentials=credentials)
        self.source = str(self.options.get("source") or self.default_source)
        self.site = str(self.options.get("site") or "")
        self.notes = AidNotes()
        self._total: int | None = None
        self.places = Places(self.territories)  # the tables are read the first time a benefit needs them

    def items(self) -> Iterator[Item]:
        try:
            self.include_private = option_flag(self.options.get("include_private"))
        except ValueError as exc:
            raise UnusableInput(f"Option include_private : {exc}.") from None
        benefits = self._api_benefits() if is_url(self.location) else self._yaml_benefits()
        for reference, benefit_id, benefit, institution, date_maj, cut_short in benefits:
            self.notes.found += 1
            item = self._item(reference, benefit_id, benefit, institution, date_maj)
            item.cut_short = cut_short
            yield item

    def run_notes(self) -> list[str]:
        return self.notes.sentences()

    def progress_total(self) -> int | None:
        return self._total

    def progress_done(self) -> int | None:
        return self.notes.found

    # -- the YAML files --------------------------------------------------------------------------

    def _yaml_benefits(self) -> Iterator[tuple[str, str, Any, Any, date, bool]]:
        data = _data_dir(Path(self.location))
        types = {p.stem for p in (data / "institution_types").glob("*.yml")} or INSTITUTION_TYPES
        institutions: dict[str, Any] = {}
        cut_institutions = set()
        for path in sorted((data / "institutions").glob("*.yml")):
            content, error = load_yaml(path)
            institutions[path.stem] = content if error is None else _Unreadable(error)
            if error is None and ends_unterminated(path):
                # Its aids take their territory and codes from it: they may be cut short too.
                cut_institutions.add(path.stem)
                self.notes.remarks[f"{path.relative_to(data.parent)} se termine sans saut de ligne (coupé ?) : "
                                   "les aides publiées de cette institution restent telles qu'elles étaient"] += 1
            if error is None and isinstance(content, dict) and code_text(content.get("type")) not in types:
                self.notes.remarks[f"type d'institution inconnu « {content.get('type')} »"] += 1
        files = sorted(p for folder in ("javascript", "openfisca") for p in (data / "benefits" / folder).glob("*.yml"))
        self._total = len(files)
        fixed = self.options.get("date_maj")
        for path in files:
            reference = str(path.relative_to(data.parent))
            content, error = load_yaml(path)
            if error is not None:
                yield reference, path.stem, _Unreadable(error), None, date.min, False
                continue
            if isinstance(content, dict):
                # The API's `source`, which aides-jeunes' generator takes from this folder.
                content.setdefault("source", path.parent.name)
            slug = content.get("institution") if isinstance(content, dict) else None
            institution = institutions.get(slug) if isinstance(slug, str) else None
            if isinstance(institution, dict):
                institution = {"slug": slug, **institution}
            # A file cut between two keys still parses, without its last keys (harvesters/cut_short.py).
            cut_short = ends_unterminated(path) or slug in cut_institutions
            yield reference, path.stem, content, institution, _date(fixed) or file_date(path), cut_short

    # -- the API ---------------------------------------------------------------------------------

    def _api_benefits(self) -> Iterator[tuple[str, str, Any, Any, date, bool]]:
        base = self.location.rstrip("/")
        for suffix in ("/api/benefits", "/api"):
            base = base.removesuffix(suffix)
        client = HttpClient()
        benefits, modified = _get_list(client, base + "/api/benefits")
        institutions_list, _ = _get_list(client, base + "/api/institutions")
        institutions = {i["slug"]: i for i in institutions_list if isinstance(i, dict) and code_text(i.get("slug"))}
        self.site = self.site or base
        self._total = len(benefits)
        day = _date(self.options.get("date_maj")) or modified or utcnow().date()
        for rank, benefit in enumerate(benefits, start=1):
            benefit_id = str((benefit.get("id") or benefit.get("slug") or "") if isinstance(benefit, dict) else "")
            reference = f"/api/benefits élément {rank}" + (f" ({benefit_id})" if benefit_id else "")
            institution = benefit.get("institution") if isinstance(benefit, dict) else None
            if isinstance(institution, str):
                institution = institutions.get(institution)
            elif isinstance(institution, dict) and code_text(institution.get("slug")) in institutions:
                institution = {**institutions[institution["slug"]], **institution}
            yield reference, benefit_id, benefit, institution, day, False  # a cut JSON does not parse

    # -- one benefit -----------------------------------------------------------------------------

    def _item(self, reference: str, benefit_id: str, benefit: Any, institution: Any, date_maj: date) -> Item:
        hint = qualified_id(self.source, benefit_id) if benefit_id else None
        refusal = _unusable(benefit_id, benefit, institution, self.include_private)
        if refusal:
            code, reason = refusal
            self.notes.reject(reference, reason)
            # A hidden benefit is absent from the source (aides-jeunes hides ended aids), not
            # defective: without id_hint, a record of it published before ages out after the grace.
            return Item("aide", None, reference=reference, id_hint=None if code == "non-publiee" else hint,
                        problems=[Problem(None, code, reason)])
        try:
            row, eligibility, zone = map_benefit(benefit_id, benefit, institution, source=self.source,
                                                 date_maj=date_maj, site=self.site or SITE, places=self.places)
        except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as exc:
            # A value of a shape no one foresaw is a defect of this benefit, not of the run.
            reason = (f"aide non interprétable ({type(exc).__name__} : {exc}) : corriger la valeur "
                      "en cause dans la définition de l'aide.")
            self.notes.reject(reference, reason)
            return Item("aide", None, reference=reference, id_hint=hint,
                        problems=[Problem(None, "aide-non-interpretable", reason)])
        conditions = row.get("conditions") or {}
        age_min, age_max = conditions.get("age_min"), conditions.get("age_max")
        if age_min is not None and age_max is not None and age_min > age_max:
            # « entre 18 et 2 ans » opens the aid to no one: a file cut in a number (25 → 2), or
            # two conditions that contradict. Refused with its id: the published record stays.
            reason = (f"conditions d'âge contradictoires (au moins {age_min} ans et au plus {age_max} ans) : "
                      "fichier tronqué ? La fiche publiée est gardée.")
            self.notes.reject(reference, reason)
            return Item("aide", None, reference=reference, id_hint=hint,
                        problems=[Problem("conditions", "ages-contradictoires", reason)])
        self.notes.record(eligibility, row, exact_zone=zone.exact)
        warnings = eligibility_warnings(eligibility)
        if zone.widened:
            warnings.append(Problem("zone_eligibilite", "zone-elargie", zone.widened))
        return Item("aide", row, reference=reference, warnings=warnings)


class _Unreadable(str):
    """A file that could not be read: the reason, in French."""


def _unusable(benefit_id: str, benefit: Any, institution: Any, include_private: bool) -> tuple[str, str] | None:
    """Why a benefit cannot be harvested: (report code, French reason), or None."""
    if isinstance(benefit, _Unreadable):
        return "yaml-illisible", str(benefit)
    if not isinstance(benefit, dict):
        return "yaml-illisible", "la définition de l'aide n'est pas un objet (clé: valeur)."
    if not benefit_id:
        return "sans-identifiant", "aide sans identifiant (id)."
    if benefit.get("private") and not include_private:
        return "non-publiee", ("aide masquée par aides-jeunes (private: true), non publiée : traitée comme absente "
                               "de la source, sa fiche éventuelle sera archivée après le délai de grâce.")
    if not (benefit.get("label") or benefit.get("title")):
        return "sans-nom", "aide sans nom (label)."
    slug = benefit.get("institution")
    if isinstance(institution, _Unreadable):
        return "institution-illisible", f"institution « {slug} » illisible : {institution}"
    if not isinstance(institution, dict):
        return "institution-inconnue", f"institution inconnue « {slug if isinstance(slug, str) else '?'} »."
    return None


def map_benefit(benefit_id: str, benefit: dict, institution: dict, *, source: str, date_maj: date,
                site: str = SITE, places: Places | None = None) -> tuple[dict[str, Any], Eligibility, Zone]:
    """The `aide` row of one benefit, its eligibility, and its zone (how exact, whether widened).

    `places`: the catalog's territory tables (postal codes, names); without them, codes alone."""
    eligibility = Eligibility()
    lien_source = f"{site.rstrip('/')}/aides/{quote(benefit_id)}"
    if benefit.get("source") == "openfisca":
        _computed_by_openfisca(eligibility, benefit_id, benefit, lien_source)
    for condition in as_list(benefit.get("conditions_generales")):
        general_condition(eligibility, condition, places)
    for profile in as_list(benefit.get("profils")):
        eligibility.profiles.append(profile_of(eligibility, profile))
    zone = zone_of(eligibility, as_list(benefit.get("conditions_generales")), institution, places)
    for text in as_list(benefit.get("conditions")):
        eligibility.source_text(safe_text(text))
    voluntary = [safe_text(t) for t in as_list(benefit.get("voluntary_conditions"))]
    if any(voluntary):
        eligibility.source_text("Conditions bénévoles : " + " ".join(t for t in voluntary if t))
    conditions = eligibility.conditions()
    row: dict[str, Any] = {
        "source": source,
        "id": benefit_id,
        "nom": sentence_case(str(benefit.get("label") or benefit.get("title")).strip()),
        "description": capped(safe_text(benefit.get("description"))),
        "institution_nom": institution.get("name") or institution.get("label"),
        "institution_type": institution["type"] if code_text(institution.get("type")) in INSTITUTION_TYPES else "autre",
        "institution_code_insee": zones.institution_insee_code(institution),
        "institution_siren": zones.siren(institution.get("code_siren")),
        "zone_eligibilite": zone.codes or None,
        "conditions": conditions,
        "conditions_texte": eligibility.text(),
        "lien_demarche": next(filter(None, (http_url(benefit.get(k)) for k in
                                            ("teleservice", "form", "instructions", "link", "url"))), None),
        "lien_source": lien_source,
        "date_maj": date_maj,
    }
    row.update(amount_of(benefit))
    row["publics"] = publics_of(eligibility) or None
    row["thematiques"] = themes_of(benefit) or None
    return {k: v for k, v in row.items() if v is not None}, eligibility, zone


def _computed_by_openfisca(eligibility: Eligibility, benefit_id: str, benefit: dict, page: str) -> None:
    """An OpenFisca benefit's eligibility: computed by the simulator's rules, declared in no file
    we read. Said as data too (`autres`): by the schema, an aid without conditions is open to everyone."""
    variable = code_text(benefit.get("openfisca_eligibility_source")) or benefit_id
    eligibility.other("openfisca", {"variable": variable},
                      "conditions d’éligibilité calculées par le simulateur aides-jeunes selon ses règles OpenFisca, "
                      f"non décrites ici : les vérifier par une simulation ou sur la page de l’aide ({page})")


# -- amounts, publics, thèmes --------------------------------------------------------------------

def amount_of(benefit: dict) -> dict[str, Any]:
    row: dict[str, Any] = {}
    periodicite = code_text(benefit.get("periodicite"))
    if periodicite in PERIODICITES:
        row["montant_periodicite"] = periodicite
    amount = benefit.get("montant")
    legend = str(benefit.get("legend")).strip() if isinstance(benefit.get("legend"), str) else ""
    if is_number(amount) and benefit.get("type") != "bool" and float(amount) >= 0:
        unit, symbol = UNITS.get(code_text(benefit.get("unit")) or "€", ("euros", "€"))
        if not NOT_A_CEILING.search(legend):
            row["montant_max"] = float(amount)
            row["montant_unite"] = unit
        row["montant_texte"] = f"{number_text(amount)} {symbol} {legend}".strip()
    elif isinstance(amount, str) and amount.strip():
        row["montant_texte"] = f"{amount.strip()} {legend}".strip()
    return row


def publics_of(eligibility: Eligibility) -> list[str]:
    data = eligibility.structured()
    found = [STATUT_PUBLICS[s] for s in data.get("statuts", []) if s in STATUT_PUBLICS]
    if data.get("age_max") is not None and data["age_max"] <= 30:
        found.append("jeunes")
    if data.get("age_min") is not None and data["age_min"] >= 60:
        found.append("seniors")
    allowed = schemas.referential_values("publics")
    return [p for p in dict.fromkeys(found) if p in allowed]


# Whole words (« développement » holds « velo »), and the mobilities that are no way of getting
# to work: a study grant abroad, the disability card named « carte mobilité inclusion ».
_GETTING_AROUND = re.compile(r"\b(?:transports?|mobilités?|vélos?|velos?|covoiturage|carburants?)\b")
_NOT_GETTING_AROUND = re.compile(r"mobilités? (?:internationale|européenne|à l['’]international|à l['’]étranger)"
                                 r"|carte mobilité inclusion|erasmus")


def themes_of(benefit: dict) -> list[str]:
    """Only sure signals: the simulator's interest questions, and the words of the aid's name."""
    found = []
    flag = code_text(benefit.get("interestFlag"))
    if flag in INTEREST_THEMES:
        found.append(INTEREST_THEMES[flag])
    label = str(benefit.get("label") or "").lower()
    if "permis" in label and "conduire" in label or "code de la route" in label:
        found.append("mobilite--preparer-un-permis")
    if _GETTING_AROUND.search(label) and not _NOT_GETTING_AROUND.search(label):
        found.append("mobilite--financer-ma-mobilite")
    allowed = schemas.referential_values("thematiques")
    return [t for t in dict.fromkeys(found) if t in allowed]


# -- reading -------------------------------------------------------------------------------------

class _StrictSafeLoader(NoAliasLoader):
    """SafeLoader without aliases (no expansion bombs), reading a bare `=` as js-yaml does."""

    refusal = "les alias YAML (*nom) ne sont pas acceptés"


_StrictSafeLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """js-yaml (YAML 1.2) reads an unquoted `01053` as 1053; YAML 1.1 as octal 555, which would
    turn the commune 01053 into « 00555 » without a word."""
    text = loader.construct_scalar(node)
    if isinstance(text, str) and re.fullmatch(r"[-+]?0[0-9]+", text.replace("_", "")):
        return int(text.replace("_", ""), 10)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_StrictSafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def load_yaml(path: Path) -> tuple[Any, str | None]:
    """The content of a YAML file, or None and the reason (French) it cannot be read."""
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            return None, f"fichier trop volumineux ({path.stat().st_size} octets, 1 Mo au plus)."
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None, "fichier non encodé en UTF-8."
    except OSError as exc:
        return None, f"fichier illisible ({exc.strerror})."
    try:
        content = yaml.load(text, Loader=_StrictSafeLoader)  # a SafeLoader subclass (see _StrictSafeLoader)
        deep = too_deep(content)
    except RecursionError:  # PyYAML composes recursively: past Python's stack, before our check
        deep = True
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1})" if mark else ""
        return None, f"YAML illisible{where} : {getattr(exc, 'problem', None) or exc}."
    return (None, f"{TOO_DEEP} : fichier refusé.") if deep else (content, None)


def _data_dir(root: Path) -> Path:
    for candidate in (root / "data", root):
        if (candidate / "benefits").is_dir() and (candidate / "institutions").is_dir():
            return candidate
    raise UnusableInput(f"{root} n'est pas un dossier aides-jeunes : les dossiers data/benefits/ et "
                        "data/institutions/ (ou benefits/ et institutions/) sont attendus.")


def _get_list(client: HttpClient, url: str) -> tuple[list, date | None]:
    response = client.get(url)
    body = response_json(response)
    if not isinstance(body, list):
        raise UnusableInput(f"{url} : une liste JSON est attendue (réponse inattendue).")
    return body, last_modified(response)


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        raise UnusableInput(f"Option date_maj invalide « {value} » : une date AAAA-MM-JJ est attendue.") from None
