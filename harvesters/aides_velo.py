"""Bike-purchase aids from betagouv/publicodes-aides-velo (`src/rules/aides.publicodes`).

The source is a publicodes rules file: YAML, one rule per aid, named `aides . <nom>`. An aid is a
rule with a `titre`; the other rules (`aides . montant`, `plafond état`…) are computations.

| rule key | meaning | ours |
| --- | --- | --- |
| rule name (`aides . ile de france`) | stable identifier | `id` (slug: `ile-de-france`) |
| `titre` | name of the aid (often the collectivité's) | `nom` |
| `description` | French text (markdown-ish) | `description` (safe text) |
| `lien` | the aid's page | `lien_source` |
| `remplace` | level: commune, intercommunalité, département, région, état | `porteur_nom` when a name is known |
| `applicable si` | a condition tree (`toutes ces conditions`, `une de ces conditions`) over `localisation . code insee / epci / département / région / pays`, `revenu fiscal de référence par part`, `demandeur . âge`, `vélo . …` | `zone_eligibilite`, `conditions`, `conditions_texte` |
| `valeur`, `plafond` | amount: `200 €`, `50% * vélo . prix`, or variations | `montant_min/max` when plain, else `montant_texte` |
| `dernière mise à jour`, `date de fin` | `JJ/MM/AAAA` | `date_maj`, `date_fin` |

Territory. `code insee` is a commune code, `département` a département code, `pays` a country
(Luxembourg, Monaco → COG `99xxx`), no localisation at all means France. An `epci` is given by its
*name* (« CA du Pays de l'Or »), which the COG territory tables turn into its SIREN; a `région` becomes
its départements the same way. Without the territory tables loaded (`maillage territories load`)
those aids are reported, not guessed. Localisations under `une de ces conditions` are alternatives:
all of them go into the zone.

Conditions kept as data only when they apply to everyone (directly under the tree's `toutes ces
conditions`): an age bound (`demandeur . âge . majeur`, `>= 16 an`, `de 18 à 25 ans`). A ceiling on
the revenu fiscal de référence *par part* is not a household ceiling (a household of three parts
may earn three times as much): no flat key can say it without excluding people the source
accepts, so it stays in the text. `non applicable si` localisations (communes, départements,
EPCI resolved by name) that exclude on their own become `territoires_exclus`. Every condition,
and every exclusion, is also written out in French.

A file cut inside its last rule still parses: that rule is marked (`Item.cut_short`), and the
engine refuses it if it would shorten the published aid. A cut between two rules loses the rules
after it: they are absent, kept through the grace period and bounded by the breaker.

Safety: the file is parsed with a YAML loader that refuses aliases (no entity-expansion blow-up)
and custom tags, and a file over 20 MB is refused.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

import yaml

from catalog.errors import UnusableInput, parser_detail
from catalog.nesting import NoAliasLoader, refuse_too_deep, too_deep_message
from catalog.records import qualified_id
from catalog.search.analysis import fold
from catalog.tabular import check_file, refuse_binary, refuse_html_page, refuse_not_utf8, shown_name
from catalog.territories import Territories
from catalog.validation import Problem
from harvesters.base import Harvester, Item, date_maj_option, file_date
from harvesters.http import HttpClient, is_url, last_modified
from harvesters.mobiville import safe_text

KIND = "solution-mobilite"
MAX_BYTES = 20 * 1024 * 1024
COUNTRIES = {"france": "france", "luxembourg": "99137", "monaco": "99138"}
# From the widest place to the narrowest.
PLACE_RANK = {"pays": 0, "région": 1, "département": 2, "epci": 3, "code insee": 4}
LOCALISATION = re.compile(r"""localisation\s*\.\s*(code insee|epci|département|région|pays)\s*=\s*['"](.+)['"]\s*$""")
PLACE_WORDS = {"code insee": "commune (code INSEE)", "epci": "intercommunalité", "département": "département",
               "région": "région", "pays": "pays"}
AMOUNT = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*€\s*$")
PERCENT = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*%\s*\*\s*vélo\s*\.\s*prix\s*$")
AGE_MIN = re.compile(r"demandeur\s*\.\s*âge\s*>=\s*(\d+)\s*an")
AGE_RANGE = re.compile(r"demandeur\s*\.\s*âge\s*\.\s*de (\d+) à (\d+) ans")


class _RulesLoader(NoAliasLoader):
    refusal = "alias YAML refusé (un fichier de règles n'en a pas besoin)"


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """What PyYAML's error means, in French, before its own words (quoted after)."""
    problem = str(getattr(exc, "problem", "") or exc)
    if "end of stream" in problem or "<stream end>" in problem:
        # A quoted text, a list or an object left open: the file stops before its end.
        return ("YAML illisible : le fichier s'arrête au milieu d'un texte entre guillemets, d'une liste ou d'un "
                "objet, tronqué ?")
    return "YAML illisible ou refusé"


class AidesVeloHarvester(Harvester):
    format: ClassVar[str] = "aides-velo"
    kinds: ClassVar[tuple[str, ...]] = (KIND,)
    default_source: ClassVar[str] = "aides-velo"

    def __init__(self, location: str, *, options: dict[str, Any] | None = None, credentials: str | None = None):
        super().__init__(location, options=options, credentials=credentials)
        self.source = str(self.options.get("source") or self.default_source)
        self._done = 0
        self._territories: dict[str, dict] | None = None

    def items(self) -> Iterator[Item]:
        rules, modified, unterminated = self._rules()
        # A file cut inside its last rule still parses, that rule cut short (harvesters/cut_short.py).
        last = next(reversed(rules), None) if unterminated else None
        for name, rule in rules.items():
            if not (isinstance(name, str) and name.startswith("aides . ") and isinstance(rule, dict)
                    and rule.get("titre")):
                continue  # computations, not aids
            self._done += 1
            item = self._item(name, rule, modified)
            item.cut_short = name == last
            yield item

    def progress_done(self) -> int | None:
        return self._done

    def _rules(self) -> tuple[dict, date, bool]:
        """The rules, the date they were written, and whether the file ends without a line break."""
        today = datetime.now(UTC).date()
        if is_url(self.location):
            response = HttpClient().get(self.location)
            content, modified = response.content, last_modified(response) or today
        else:
            path = Path(self.location)
            check_file(path)
            if path.stat().st_size > MAX_BYTES:
                raise UnusableInput(f"{path.name} dépasse {MAX_BYTES // 2**20} Mo : ce n'est pas un fichier de règles.")
            content = path.read_bytes()
            modified = file_date(path)
        name = shown_name(self.location)
        if len(content) > MAX_BYTES:
            raise UnusableInput(f"{name} dépasse {MAX_BYTES // 2**20} Mo.")
        refuse_html_page(content[:1024], name, "YAML")
        refuse_binary(content[:1024], name)
        try:
            rules = yaml.load(content.decode("utf-8"), Loader=_RulesLoader)
        except UnicodeDecodeError as exc:
            refuse_not_utf8(io.BytesIO(content), name, exc, "enregistrez-le en UTF-8.")  # cut, or another encoding
        except yaml.YAMLError as exc:
            raise UnusableInput(f"{name} : {_yaml_problem(exc)} ({parser_detail(exc)}).") from exc
        except RecursionError:  # PyYAML composes recursively: it fails before the depth is checked
            raise UnusableInput(too_deep_message(name)) from None
        refuse_too_deep(rules, name)
        if not isinstance(rules, dict):
            raise UnusableInput(f"{name} : un ensemble de règles publicodes (objet YAML) est attendu.")
        modified = date_maj_option(self.options) or modified
        return rules, modified, not content.endswith((b"\n", b"\r"))

    def _item(self, name: str, rule: dict, file_date: date) -> Item:
        key = _slug(name.removeprefix("aides . "))
        reference = f"règle « {name} »"
        problems: list[Problem] = []
        condition = rule.get("applicable si")
        places = _zone_places(condition)
        zone: list[str] = []
        labels = []
        for kind, value in places:
            codes, label = self._zone(kind, value, problems)
            zone += [c for c in codes if c not in zone]
            labels.append(label)
        # An EPCI's name says who gives the aid when it is the only place; one of sixty EPCI a
        # region's aid lists is not the region.
        porteur = labels[0] if len(labels) == 1 else None
        dates = {}
        for field, source_key in (("date_maj", "dernière mise à jour"), ("date_fin", "date de fin")):
            raw = rule.get(source_key)
            if raw:
                try:
                    dates[field] = datetime.strptime(str(raw).strip(), "%d/%m/%Y").date()
                except ValueError:
                    problems.append(Problem(field, "date-illisible", f"{source_key} : « {raw} » n'est pas une date JJ/MM/AAAA."))
        if problems:
            return Item(KIND, None, reference, problems, qualified_id(self.source, key))
        low, high, text = _amounts(rule.get("valeur"), rule.get("plafond"))
        described = safe_text(rule.get("description"))
        row = {
            "source": self.source,
            "id": key,
            "nom": safe_text(rule["titre"]),
            "categorie": "aide-financiere",
            "description": described or None,
            "modes_transport": ["velo", "velo-assistance-electrique"] if "électrique" in _flat(condition) + described
            else ["velo"],
            "porteur_nom": porteur,
            "zone_eligibilite": zone or ["france"],
            "montant_min": low,
            "montant_max": high,
            "montant_unite": "euros" if high is not None else None,
            "montant_periodicite": "ponctuelle",
            "montant_texte": text,
            "conditions": self._conditions(condition, rule.get("non applicable si")) or None,
            "conditions_texte": "\n".join(_french(condition) + (
                # The localisations of an exclusion are what it says: written out, never dropped.
                ["Non applicable si :", *_french(rule["non applicable si"], 1, places=True)]
                if rule.get("non applicable si") else []
            )) or None,
            "thematiques": ["mobilite--financer-ma-mobilite", "mobilite--mobilite-douce-partagee-collective"],
            "modes_accueil": ["a-distance"],
            "lien_source": str(rule.get("lien") or "").strip() or None,
            "date_fin": dates.get("date_fin"),
            "date_maj": dates.get("date_maj") or file_date,
        }
        return Item(KIND, row, reference, id_hint=qualified_id(self.source, key))

    def _conditions(self, condition: Any, exclusion: Any) -> dict[str, Any]:
        out = _structured(condition)
        excluded: list[str] = []
        for kind, value in _excluding_places(exclusion):
            unresolved: list[Problem] = []  # an exclusion we cannot code stays in the text only
            codes, _ = self._zone(kind, value, unresolved)
            excluded += [c for c in codes if c not in excluded and c != "france"]
        if excluded:
            out["territoires_exclus"] = excluded
        return out

    def _zone(self, kind: str, value: str, problems: list[Problem]) -> tuple[list[str], str | None]:
        if kind == "code insee":
            return [value], None
        if kind == "département":
            return [value], None
        if kind == "pays":
            code = COUNTRIES.get(fold(value))
            if code is None:
                problems.append(Problem("zone_eligibilite", "pays-inconnu", f"Pays « {value} » sans code COG connu."))
            return ([code] if code else []), None
        if self._territories is None:
            self._territories = _territory_lookups(self.territories())
        territories = self._territories
        if kind == "epci":
            siren = territories["epci"].get(_name_key(value))
            if siren is None:
                problems.append(Problem("zone_eligibilite", "epci-inconnu", (
                    f"EPCI « {value} » introuvable dans le référentiel territorial (chargé ? nom à jour ?).")))
                return [], None
            return [siren], value
        departements = territories["regions"].get(value, [])
        if not departements:
            problems.append(Problem("zone_eligibilite", "region-inconnue", (
                f"Région {value} : ses départements sont inconnus (chargez le référentiel territorial).")))
        return departements, None


# -- the condition tree ------------------------------------------------------------------------------


def _walk(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(connectors from the root, leaf): each leaf condition with the connectors above it."""
    if isinstance(node, dict):
        for connector, children in node.items():
            for child in children if isinstance(children, list) else [children]:
                yield from _walk(child, (*path, str(connector)))
    elif isinstance(node, list):
        for child in node:
            yield from _walk(child, path)
    elif node is not None:
        yield path, node


def _zone_places(node: Any) -> list[tuple[str, str]]:
    """The localisations whose union is the aid's zone. One that binds everyone (reached through
    `toutes ces conditions` only) and is wider than another of the rule is refined by it, not
    added: « région 24 » and « one of these 60 EPCI » is those EPCI, not the whole region."""
    found = [(path, match.group(1), match.group(2).strip()) for path, leaf in _walk(node)
             if (match := LOCALISATION.match(str(leaf).strip()))]
    if not found:
        return []
    narrowest = max(PLACE_RANK[kind] for _, kind, _ in found)
    return [(kind, value) for path, kind, value in found
            if not (all(connector == "toutes ces conditions" for connector in path) and PLACE_RANK[kind] < narrowest)]


def _excluding_places(node: Any) -> Iterator[tuple[str, str]]:
    """The localisations of a `non applicable si` tree that exclude on their own: the tree itself
    or reached through `une de ces conditions` only (under `toutes ces conditions`, a commune
    excludes only the people who meet the other conditions too)."""
    for path, leaf in _walk(node):
        if all(connector == "une de ces conditions" for connector in path):
            match = LOCALISATION.match(str(leaf).strip())
            if match:
                yield match.group(1), match.group(2).strip()


def _flat(node: Any) -> str:
    return " ".join(str(leaf) for _, leaf in _walk(node))


def _structured(node: Any) -> dict:
    """Conditions that bind everyone: leaves reached through `toutes ces conditions` only."""
    out: dict[str, Any] = {}
    for path, leaf in _walk(node):
        if any(connector != "toutes ces conditions" for connector in path):
            continue
        text = str(leaf)
        if "demandeur . âge . majeur" in text:
            out["age_min"] = max(out.get("age_min", 0), 18)
        if match := AGE_MIN.search(text):
            out["age_min"] = max(out.get("age_min", 0), int(match.group(1)))
        if match := AGE_RANGE.search(text):  # with « majeur » beside « de 15 à 25 ans », 18 stands
            out["age_min"] = max(out.get("age_min", 0), int(match.group(1)))
            out["age_max"] = min(out.get("age_max", int(match.group(2))), int(match.group(2)))
    return out


def _french(node: Any, depth: int = 0, *, places: bool = False) -> list[str]:
    """The condition tree written out, one condition a line, alternatives indented. Localisations
    are left to the zone, unless `places` (an exclusion's tree, which the zone does not say)."""
    lines: list[str] = []
    if isinstance(node, dict):
        for connector, children in node.items():
            below = [line for child in (children if isinstance(children, list) else [children])
                     for line in _french(child, depth + 1, places=places)]
            if below:  # a heading over nothing (only localisations, said by the zone) reads as a loss
                lines.append("  " * depth + ("Toutes ces conditions :" if connector == "toutes ces conditions"
                                             else "L'une de ces conditions :" if connector == "une de ces conditions"
                                             else f"{connector} :"))
                lines += below
    elif isinstance(node, list):
        for child in node:
            lines += _french(child, depth, places=places)
    elif node is not None and (place := LOCALISATION.match(str(node).strip())):
        if places:
            lines.append("  " * depth + f"- {PLACE_WORDS[place.group(1)]} {place.group(2).strip()}")
    elif node is not None:
        # (?<!\s): a run of spaces is tried once, from its start (linear on a hostile rule).
        text = re.sub(r"(?:(?<!\s)\s+)?\.\s*", " ", str(node)).replace("demandeur ", "")
        lines.append("  " * depth + "- " + " ".join(text.split()))
    return lines


# -- amounts ---------------------------------------------------------------------------------------


def _amounts(value: Any, ceiling: Any) -> tuple[float | None, float | None, str | None]:
    number = _euros(value)
    cap = _euros(ceiling)
    if number is not None:
        if ceiling in (None, ""):
            return number, number, None
        # A fixed amount under a ceiling of its own is a maximum: « 100 € » capped at 10 % of
        # the price gives 60 € for a 600 € bike, not 100 €.
        if cap is not None:
            return None, min(number, cap), f"Jusqu'à {min(number, cap):g} €"
        percent = PERCENT.match(str(ceiling)) if isinstance(ceiling, str) else None
        limit = (f"de {percent.group(1).replace('.', ',')} % du prix du vélo" if percent
                 else "d'un plafond qui dépend de la situation (voir le lien)")
        return None, number, f"Jusqu'à {number:g} €, dans la limite {limit}"
    percent = PERCENT.match(str(value)) if isinstance(value, str) else None
    if percent:
        text = f"{percent.group(1).replace('.', ',')} % du prix du vélo"
        if cap is not None:
            return None, cap, text + f", dans la limite de {cap:g} €"
        return None, None, text
    if cap is not None:
        return None, cap, f"Jusqu'à {cap:g} €, selon le vélo et la situation"
    return None, None, "Montant selon le vélo et la situation (voir le lien)"


def _euros(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = AMOUNT.match(str(value)) if isinstance(value, str) else None
    return float(match.group(1).replace(",", ".")) if match else None


# -- names and territories -------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def _name_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(name.replace("’", "'"))).strip()


def _territory_lookups(t: Territories) -> dict[str, dict]:
    """EPCI name → SIREN and région → départements, from the catalog's territory tables."""
    regions: dict[str, list[str]] = {}
    for code, (_, region) in sorted(t.departements.items()):
        regions.setdefault(region, []).append(code)
    return {"epci": {_name_key(nom): code for code, nom in t.epcis.items()}, "regions": regions}
