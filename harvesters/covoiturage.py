"""Campagnes d'incitation financière au covoiturage des autorités organisatrices de la mobilité.

The source: the data.gouv.fr dataset « Conditions des campagnes d'incitation financière au
covoiturage », as published by aides-jeunes (`data/benefits/dynamic/incitations-covoiturage.json`):
one campaign per AOM, identified by the AOM's SIREN. A file is either a JSON array of campaigns,
each carrying its `code_siren`, or a JSON object keyed by SIREN (`{"200070746": {...}}`).

Each campaign's fields, and where they go in `solution-mobilite`:

| source field | meaning | ours |
| --- | --- | --- |
| `code_siren` | SIREN of the AOM (9 digits) | `id`, `porteur_siren`, `zone_eligibilite` |
| `link` | the AOM's page about the campaign | `lien_source` |
| `nom_plateforme` | the campaign's brand, when it has one (« Covoit'Albret ») | in `nom` |
| `operateurs` | carpooling apps, comma-separated, loosely spelt | `operateurs` (normalised) |
| `zone_sens_des_trajets` | `et`, `ou`, `et/ou`: trip starts and/or ends in the territory | `conditions_texte` |
| `conducteur_montant_min_par_passager`, `..._max_par_passager` | € per passenger and trip (bounds given in the wrong order are put back in order) | `montant_min`, `montant_max` (euros) |
| `conducteur_montant_max_par_mois` | monthly cap for a driver | `montant_texte` |
| `trajet_longueur_min`, `trajet_longueur_max` | eligible trip length (km) | `conditions_texte` |
| `passager_gratuite` (`Oui`/`Non`), `passager_montant_ticket` | what a passenger pays | `frais`, `frais_precisions` |
| `passager_trajets_max_par_mois` | free or subsidised trips per month | `montant_texte` |
| `si_zone_exclue_liste` | exclusions, as a French sentence | `conditions_texte` |
| `derniere_maj`, `date_debut`, `date_fin` (dataset columns, optional) | dates | `date_maj`, `date_debut`, `date_fin` |

Territory. The campaign is open to trips in the AOM's territory. Most AOMs are EPCI à fiscalité
propre, whose SIREN *is* their COG code: `zone_eligibilite` is `[SIREN]`, and the AOM's name comes
from the territory tables (`maillage territories load`). Other AOMs (syndicat mixte, région,
département, commune) have a SIREN that is no zone code: when the territory tables are loaded and
the SIREN is not an EPCI's, the campaign is reported (not guessed) unless the source's options
give its zone, and if wished its name: `{"zones": {"287500078": ["75", "77", …]},
"noms": {"287500078": "Île-de-France Mobilités"}}` (at the command line, as JSON text:
`--option 'zones={"287500078": ["75", "77"]}'`). Without territory tables nothing can be checked,
so the SIREN is kept as an EPCI code and the name says « AOM (SIREN …) ».

Dates. The aides-jeunes file carries no date: `date_maj` is then the option `date_maj`, else the
file's modification date (HTTP `Last-Modified` for a URL), else today.
"""

from __future__ import annotations

import codecs
import io
import math
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

import orjson

from catalog import json_text
from catalog.errors import UnusableInput
from catalog.nesting import refuse_too_deep
from catalog.records import qualified_id
from catalog.tabular import check_file, json_bom, refuse_binary, refuse_not_utf8, shown_name
from catalog.validation import Problem
from harvesters.base import Harvester, Item, date_maj_option, file_date, list_option
from harvesters.http import HttpClient, is_url, last_modified
from harvesters.lheo_values import ambiguous_decimal, boolean, fold
from harvesters.written_dates import written_date

MAX_BYTES = 50 * 1024 * 1024  # a national file is ~40 kB; anything this big is not one
SIREN = re.compile(r"\d{9}")
# The operators' own spellings, keyed by their letters folded (the source writes
# « BlablaCarDaily », « BlaBlaCarDaily » and « BlaBlaCar Daily » for the same app).
OPERATORS = {"blablacardaily": "BlaBlaCar Daily", "karos": "Karos", "klaxit": "Klaxit",
             "mobicoop": "Mobicoop", "ouestgo": "OuestGo"}
DIRECTIONS = {"et": "au départ et à l'arrivée", "ou": "au départ ou à l'arrivée",
              "et/ou": "au départ et/ou à l'arrivée"}


class CovoiturageHarvester(Harvester):
    format: ClassVar[str] = "covoiturage"
    kinds: ClassVar[tuple[str, ...]] = ("solution-mobilite",)
    default_source: ClassVar[str] = "covoiturage-aom"

    def __init__(self, location: str, *, options: dict[str, Any] | None = None, credentials: str | None = None):
        super().__init__(location, options=options, credentials=credentials)
        self.source = str(self.options.get("source") or self.default_source)
        self.zones: dict[str, list[str]] = {}
        self.names: dict[str, str] = {}
        self._total: int | None = None
        self._done = 0

    def items(self) -> Iterator[Item]:
        # Read here, not in __init__: a wrong option then fails the run with its reason.
        self.zones = {siren: _codes(value, f"zones, {siren}")
                      for siren, value in _siren_option(self.options.get("zones"), "zones").items()}
        self.names = {siren: str(value) for siren, value in _siren_option(self.options.get("noms"), "noms").items()}
        content, modified = _read(self.location)
        campaigns = _campaigns(content, self.location)
        self._total = len(campaigns)
        file_date = date_maj_option(self.options) or modified
        epcis = dict(self.territories().epcis)  # SIREN → name (empty when not loaded)
        for rank, (siren_key, campaign) in enumerate(campaigns, start=1):
            self._done += 1
            yield self._item(rank, siren_key, campaign, file_date, epcis)

    def progress_total(self) -> int | None:
        return self._total

    def progress_done(self) -> int | None:
        return self._done

    # -- one campaign --------------------------------------------------------------------------

    def _item(self, rank: int, siren_key: str | None, campaign: Any, file_date: date,
              epcis: dict[str, str]) -> Item:
        reference = f"campagne n°{rank}"
        if not isinstance(campaign, dict):
            return _unmapped(reference, None, self.source, "La campagne n'est pas un objet JSON.")
        siren = str(campaign.get("code_siren") or siren_key or "").strip()
        reference = f"campagne n°{rank} (AOM {siren or 'sans SIREN'})"
        if siren_key and campaign.get("code_siren") and str(campaign["code_siren"]).strip() != siren_key:
            return _unmapped(reference, siren_key, self.source,
                             f"La clé « {siren_key} » ne correspond pas au code_siren « {campaign['code_siren']} ».")
        if not SIREN.fullmatch(siren):
            return _unmapped(reference, None, self.source,
                             f"code_siren absent ou invalide (« {siren} ») : 9 chiffres attendus.", field="code_siren")
        problems: list[Problem] = []
        zone, aom_name = self._territory(siren, epcis, problems)
        amounts = {name: _number(campaign, name, problems) for name in (
            "conducteur_montant_min_par_passager", "conducteur_montant_max_par_passager",
            "conducteur_montant_max_par_mois", "trajet_longueur_min", "trajet_longueur_max",
            "passager_trajets_max_par_mois")}
        dates = {name: _campaign_date(campaign, keys, problems) for name, keys in (
            ("date_maj", ("derniere_maj", "dernière_maj", "date_maj")),
            ("date_debut", ("date_debut",)), ("date_fin", ("date_fin",)))}
        if problems:
            return Item("solution-mobilite", None, reference, problems, qualified_id(self.source, siren))
        low, high = amounts["conducteur_montant_min_par_passager"], amounts["conducteur_montant_max_par_passager"]
        if low is not None and high is not None and low > high:
            # Swapped bounds (3 campaigns of the national file): the pair still says the range.
            amounts["conducteur_montant_min_par_passager"], amounts["conducteur_montant_max_par_passager"] = high, low
        operators = _operators(campaign.get("operateurs"))
        platform = _text(campaign.get("nom_plateforme"))
        free, free_problem = _passenger_free(campaign.get("passager_gratuite"))
        row = {
            "source": self.source,
            "id": siren,
            "nom": _title(platform, aom_name, siren),
            "categorie": "incitation-covoiturage",
            "description": _description(aom_name, platform, operators, amounts, free is True, campaign),
            "modes_transport": ["covoiturage"],
            "porteur_nom": aom_name,
            "porteur_siren": siren,
            "operateurs": operators or None,
            "zone_eligibilite": zone,
            "montant_min": amounts["conducteur_montant_min_par_passager"],
            "montant_max": amounts["conducteur_montant_max_par_passager"],
            "montant_unite": "euros",
            # Paid per trip: each trip is a separate, one-off payment (as aides-jeunes says).
            "montant_periodicite": "ponctuelle",
            "montant_texte": _amount_text(amounts, free is True),
            "conditions_texte": _conditions(campaign, amounts, operators, platform),
            "publics": ["tous-publics"],
            "thematiques": ["mobilite--mobilite-douce-partagee-collective", "mobilite--financer-ma-mobilite"],
            "frais": {True: "gratuit", False: "payant"}.get(free),  # unknown: not said
            "frais_precisions": _text(campaign.get("passager_montant_ticket")) or None,
            "modes_accueil": ["a-distance"],
            "lien_source": _text(campaign.get("link")) or None,
            "date_debut": dates["date_debut"],
            "date_fin": dates["date_fin"],
            "date_maj": dates["date_maj"] or file_date,
        }
        return Item("solution-mobilite", row, reference, warnings=[free_problem] if free_problem else [])

    def _territory(self, siren: str, epcis: dict[str, str], problems: list[Problem]) -> tuple[list[str] | None, str | None]:
        """The campaign's zone and its AOM's name, from the SIREN (see the module's docstring)."""
        name = self.names.get(siren) or epcis.get(siren)
        if siren in self.zones:
            return self.zones[siren], name
        # An EPCI's SIREN is its zone; a name given in « noms » says who, not where.
        if siren in epcis or not epcis:
            return [siren], name
        problems.append(Problem(
            "zone_eligibilite", "aom-hors-epci",
            f"Le SIREN {siren} n'est celui d'aucun EPCI du référentiel territorial : l'AOM est sans doute un "
            "syndicat mixte, une région ou un département, dont le territoire ne se déduit pas du SIREN. "
            "Indiquez sa zone dans l'option « zones » de la source.", siren))
        return None, None


# -- reading ---------------------------------------------------------------------------------------


def _read(location: str) -> tuple[bytes, date]:
    """The file's bytes and its modification date."""
    if is_url(location):
        response = HttpClient().get(location)
        content = response.content
        when = last_modified(response) or _today()
    else:
        path = Path(location)
        check_file(path)
        if path.stat().st_size > MAX_BYTES:
            raise UnusableInput(f"{path.name} dépasse {MAX_BYTES // 2**20} Mo : ce n'est pas un fichier de campagnes.")
        content = path.read_bytes()
        when = file_date(path)
    if len(content) > MAX_BYTES:
        raise UnusableInput(f"{location} dépasse {MAX_BYTES // 2**20} Mo : ce n'est pas un fichier de campagnes.")
    return content, when


def _campaigns(content: bytes, location: str) -> list[tuple[str | None, Any]]:
    name = shown_name(location)
    if not content.strip():
        raise UnusableInput(f"{name} est vide.")
    refuse_binary(content[:1024], name)
    if json_bom(content[:1024], name):  # read as the other JSON files are (catalog.tabular)
        content = content[len(codecs.BOM_UTF8):]
    try:
        data = json_text.loads(content)
    except orjson.JSONDecodeError as exc:
        if "utf-8" in str(exc).lower():
            refuse_not_utf8(io.BytesIO(content), name, exc)
        if "end of data" in str(exc).lower():
            raise UnusableInput(f"{name} : JSON tronqué ou mal formé : le document s'arrête avant sa fin, ligne "
                                f"{exc.lineno} (téléchargement ou export interrompu ?).") from exc
        raise UnusableInput(f"{name} : JSON tronqué ou mal formé, ligne {exc.lineno}, colonne {exc.colno} "
                            f"({exc.msg}).") from exc
    refuse_too_deep(data, name)
    if isinstance(data, list):
        return [(None, campaign) for campaign in data]
    if isinstance(data, dict) and data and all(SIREN.fullmatch(str(key)) for key in data):
        return [(str(key), campaign) for key, campaign in data.items()]
    raise UnusableInput(f"{name} : une liste de campagnes, ou un objet dont les clés sont des SIREN d'AOM, "
                        "est attendu.")


# -- values ----------------------------------------------------------------------------------------


def _passenger_free(value: Any) -> tuple[bool | None, Problem | None]:
    """Whether the passenger travels free (`passager_gratuite`): « Oui », but also true, 1,
    « O », « vrai »… (all were read « payant »). None when not said, or not readable (reported)."""
    if value is None or isinstance(value, bool):
        return value, None
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value), None
    text = _text(value)
    if not text:
        return None, None
    read = boolean(text)
    if read is None and fold(text) in ("gratuit", "gratuite"):
        read = True
    if read is None:
        return None, Problem("frais", "booleen-illisible",
                             f"passager_gratuite « {text} » : ni oui ni non ; la gratuité n'est pas publiée.")
    return read, None


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _number(campaign: dict, name: str, problems: list[Problem]) -> float | None:
    value = campaign.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        problems.append(Problem(name, "type", f"{name} doit être un nombre (« {value} » reçu).", value))
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif ambiguous_decimal(str(value)):  # « 1.500 »: 1,5 or 1 500? A wrong guess is ×1000
        problems.append(Problem(name, "type", f"{name} : « {value} », des décimales ou des milliers ? Le séparateur "
                                "suivi de trois chiffres ne le dit pas ; écrire 1500 ou 1.5.", value))
        return None
    else:
        try:
            number = float(str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", "."))
        except ValueError:
            problems.append(Problem(name, "type", f"{name} doit être un nombre (« {value} » reçu).", value))
            return None
    if number < 0 or not math.isfinite(number):
        problems.append(Problem(name, "minimum", f"{name} doit être un nombre positif (« {value} » reçu).", value))
        return None
    return number


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if found := written_date(value if isinstance(value, date) else str(value)):
        return found
    raise ValueError(value)


def _campaign_date(campaign: dict, keys: tuple[str, ...], problems: list[Problem]) -> date | None:
    for key in keys:
        if campaign.get(key) not in (None, ""):
            try:
                return _date(campaign[key])
            except ValueError:
                problems.append(Problem(key, "type", f"{key} : date illisible (« {campaign[key]} »), "
                                        "AAAA-MM-JJ ou JJ/MM/AAAA attendu.", campaign[key]))
    return None


def _today() -> date:
    return datetime.now(UTC).date()


def _operators(value: Any) -> list[str]:
    names: list[str] = []
    for part in _text(value).split(","):
        part = part.strip()
        if not part:
            continue
        name = OPERATORS.get(re.sub(r"[^a-z]", "", part.lower()), part)
        if name not in names:
            names.append(name)
    return names


def _euros(amount: float) -> str:
    text = f"{amount:.2f}".replace(".", ",")
    return text.removesuffix(",00") + "\u00a0€"


def _title(platform: str, aom_name: str | None, siren: str) -> str:
    who = aom_name or f"AOM (SIREN {siren})"
    return f"{platform} : incitation au covoiturage — {who}" if platform else f"Incitation au covoiturage — {who}"


def _driver_gain(amounts: dict[str, float | None]) -> str:
    low, high = amounts["conducteur_montant_min_par_passager"], amounts["conducteur_montant_max_par_passager"]
    if low is None and high is None:
        return ""
    if low is None or high is None or low == high:
        text = f"{_euros(low if high is None else high)} par passager et par trajet"  # type: ignore[arg-type]
    else:
        text = f"de {_euros(low)} à {_euros(high)} par passager et par trajet, selon la distance"
    cap = amounts["conducteur_montant_max_par_mois"]
    return text + (f", dans la limite de {_euros(cap)} par mois" if cap else "")


def _amount_text(amounts: dict[str, float | None], free: bool) -> str | None:
    parts = []
    gain = _driver_gain(amounts)
    if gain:
        parts.append(f"Conducteur : {gain}.")
    trips = amounts["passager_trajets_max_par_mois"]
    if trips:
        what = "trajets gratuits" if free else "trajets subventionnés"
        parts.append(f"Passager : jusqu'à {trips:.0f} {what} par mois.")
    return " ".join(parts) or None


def _description(aom_name: str | None, platform: str, operators: list[str], amounts: dict[str, float | None],
                 free: bool, campaign: dict) -> str:
    who = aom_name or "L'autorité organisatrice de la mobilité"
    apps = ", ".join(operators)
    text = f"{who} subventionne les trajets de covoiturage du quotidien réservés"
    text += f" sur {platform}" + (f" (opérée par {apps})" if apps else "") if platform else (
        f" depuis l'application {apps}" if apps else " depuis une application partenaire")
    text += "."
    gain = _driver_gain(amounts)
    if gain:
        text += f" Conducteurs et conductrices : {gain}."
    ticket = _text(campaign.get("passager_montant_ticket"))
    if ticket:
        text += f" Passagers et passagères : {ticket.rstrip('.')}."
    elif free:
        text += " Passagers et passagères : trajets gratuits."
    return text


def _conditions(campaign: dict, amounts: dict[str, float | None], operators: list[str], platform: str) -> str:
    lines = []
    where = DIRECTIONS.get(_text(campaign.get("zone_sens_des_trajets")).lower(), "au départ et/ou à l'arrivée")
    lines.append(f"Trajet {where} du territoire de l'autorité organisatrice de la mobilité.")
    low, high = amounts["trajet_longueur_min"], amounts["trajet_longueur_max"]
    if low is not None and high is not None:
        lines.append(f"Trajet de {low:.0f} à {high:.0f} km.")
    elif high is not None:
        lines.append(f"Trajet de {high:.0f} km au plus.")
    elif low is not None:
        lines.append(f"Trajet de {low:.0f} km au moins.")
    apps = platform or ", ".join(operators)
    if apps:
        lines.append(f"Trajet réservé sur {apps}.")
    excluded = _text(campaign.get("si_zone_exclue_liste"))
    if excluded:
        lines.append(excluded)
    return "\n".join(lines)


def _siren_option(value: Any, name: str) -> dict[str, Any]:
    """An option keyed by SIREN: an object, or its JSON text (`--option 'zones={"200070746": ["57"]}'`)."""
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            value = None
    if not isinstance(value, dict):
        raise UnusableInput(f"Option {name} : un objet JSON par SIREN est attendu, par exemple "
                            f"--option '{name}={_EXAMPLES[name]}'.")
    return {str(key).strip(): item for key, item in value.items()}


_EXAMPLES = {"zones": '{"287500078": ["75", "77"]}', "noms": '{"287500078": "Île-de-France Mobilités"}'}


def _codes(value: Any, where: str) -> list[str]:
    """Zone codes: a list, or one text of codes separated by commas."""
    codes = list_option(value)
    if not codes:
        raise UnusableInput(f"Option {where} : une liste de codes de territoire est attendue (par exemple "
                            '["75", "77"]).')
    return codes


def _unmapped(reference: str, siren: str | None, source: str, message: str, field: str | None = None) -> Item:
    return Item("solution-mobilite", None, reference, [Problem(field, "campagne-illisible", message)],
                qualified_id(source, siren) if siren else None)
