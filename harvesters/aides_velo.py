"""Bike-purchase aids from betagouv/publicodes-aides-velo (`src/rules/aides.publicodes`).

The source is a publicodes rules file: YAML, one rule per aid, named `aides . <nom>`. An aid is a
rule with a `titre`; the other rules (`aides . montant`, `plafond état`…) are computations.

| rule key | meaning | ours |
| --- | --- | --- |
| rule name (`aides . ile de france`) | stable identifier | `id` (slug: `ile-de-france`) |
| `titre` | who gives the aid (« Ville de Saint-Denis »), never what it is | `porteur_nom`; `nom` « Aide à l'achat d'un vélo — <titre> » |
| `description` | French text (markdown-ish) | `description` (safe text) |
| `lien` | the aid's page | `lien_source` |
| `applicable si` | a condition tree (`toutes ces conditions`, `une de ces conditions`) over `localisation . code insee / epci / département / région / pays`, `revenu fiscal de référence par part`, `demandeur . âge`, `vélo . …` | `zone_eligibilite`, `conditions`, `conditions_texte` |
| `valeur`, `plafond` | amount: `200 €`, `50% * vélo . prix`, or variations | `montant_min/max` when plain, else `montant_texte`; a ceiling in variations is written case by case, `montant_max` its highest amount when every case has one |
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
and every exclusion, is also written out in French (« âge d'au moins 16 ans », « vélo neuf »,
« revenu fiscal de référence par part inférieur ou égal à 14 089 € par an »); a condition whose
every part cannot be said in French stays as the source writes it.

A file cut inside its last rule still parses: that rule is marked (`Item.cut_short`), and the
engine refuses it if it would shorten the published aid. A cut between two rules loses the rules
after it: they are absent, kept through the grace period and bounded by the breaker.

Safety: the file is parsed with a YAML loader that refuses aliases (no entity-expansion blow-up)
and custom tags, and a file over 20 MB is refused.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
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
from harvesters.aides_conditions import OPERATOR_WORDS, euros_text
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
# What a publicodes condition says, in French (_condition_french).
COMPARISON = re.compile(r"^([^<>=]+?)\s*(<=|>=|<|>|=)\s*([^<>=]+)$")
MONEY = re.compile(r"(\d+(?:[.,]\d+)?)\s*€(?:\s*/\s*(an|mois))?")
YEARS = re.compile(r"(\d+)\s*ans?")
AGE_SPAN = re.compile(r"de \d+ à \d+ ans")
AGE_WORDS = {">=": "âge d'au moins {n} ans", ">": "âge de plus de {n} ans", "<=": "âge de {n} ans au plus",
             "<": "âge de moins de {n} ans", "=": "âge de {n} ans"}
BIKE_WORDS = {"état . neuf": "vélo neuf", "état . occasion": "vélo d'occasion",
              "motorisation": "motorisation d'un vélo"}
STATUT_WORDS = {"reconversion": "demandeur en reconversion"}
QUANTITY_WORDS = {"vélo . prix": "prix du vélo",
                  "revenu fiscal de référence par part": "revenu fiscal de référence par part",
                  "revenu fiscal de référence par part . nombre de parts": "nombre de parts fiscales"}
LEVEL_WORDS = {"commune": "de la commune", "intercommunalité": "de l'intercommunalité",
               "département": "du département", "région": "de la région", "état": "de l'État"}
CONNECTOR_WORDS = {"toutes ces conditions": "Toutes ces conditions :", "une de ces conditions": "L'une de ces conditions :"}
AID_NAME = "Aide à l'achat d'un vélo — {}"


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
        aids = _aid_names(rules)
        for name, rule in rules.items():
            if not _is_aid(name, rule):
                continue  # computations, not aids
            self._done += 1
            item = self._item(name, rule, modified, aids)
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

    def _item(self, name: str, rule: dict, file_date: date, aids: dict[str, str]) -> Item:
        key = _slug(name.removeprefix("aides . "))
        reference = f"règle « {name} »"
        problems: list[Problem] = []
        condition = rule.get("applicable si")
        places = _zone_places(condition)
        zone: list[str] = []
        for kind, value in places:
            codes = self._zone(kind, value, problems)
            zone += [c for c in codes if c not in zone]
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
        low, high, text = _amounts(rule.get("valeur"), rule.get("plafond"), aids)
        described = safe_text(rule.get("description"))
        # The `titre` is who gives the aid (« Ville de Saint-Denis »), not what the aid is.
        porteur = safe_text(rule["titre"])
        row = {
            "source": self.source,
            "id": key,
            "nom": AID_NAME.format(porteur),
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
            "conditions_texte": "\n".join(_french(condition, aids=aids) + (
                # The localisations of an exclusion are what it says: written out, never dropped.
                ["Non applicable si :", *_french(rule["non applicable si"], 1, places=True, aids=aids)]
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
            codes = self._zone(kind, value, unresolved)
            excluded += [c for c in codes if c not in excluded and c != "france"]
        if excluded:
            out["territoires_exclus"] = excluded
        return out

    def _zone(self, kind: str, value: str, problems: list[Problem]) -> list[str]:
        if kind == "code insee":
            return [value]
        if kind == "département":
            return [value]
        if kind == "pays":
            code = COUNTRIES.get(fold(value))
            if code is None:
                problems.append(Problem("zone_eligibilite", "pays-inconnu", f"Pays « {value} » sans code COG connu."))
            return [code] if code else []
        if self._territories is None:
            self._territories = _territory_lookups(self.territories())
        territories = self._territories
        if kind == "epci":
            siren = territories["epci"].get(_name_key(value))
            if siren is None:
                problems.append(Problem("zone_eligibilite", "epci-inconnu", (
                    f"EPCI « {value} » introuvable dans le référentiel territorial (chargé ? nom à jour ?).")))
                return []
            return [siren]
        departements = territories["regions"].get(value, [])
        if not departements:
            problems.append(Problem("zone_eligibilite", "region-inconnue", (
                f"Région {value} : ses départements sont inconnus (chargez le référentiel territorial).")))
        return departements


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


def _is_aid(name: Any, rule: Any) -> bool:
    return isinstance(name, str) and name.startswith("aides . ") and isinstance(rule, dict) and bool(rule.get("titre"))


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


def _french(node: Any, depth: int = 0, *, places: bool = False, aids: dict[str, str] | None = None) -> list[str]:
    """The condition tree written out, one condition a line, alternatives indented. Localisations
    are left to the zone, unless `places` (an exclusion's tree, which the zone does not say).
    `aids`: rule name → how an aid another rule refers to is named."""
    aids = aids or {}
    lines: list[str] = []
    if isinstance(node, dict):
        for connector, children in node.items():
            lines += _connector_french(str(connector), children, depth, places, aids)
    elif isinstance(node, list):
        for child in node:
            lines += _french(child, depth, places=places, aids=aids)
    elif node is not None and (place := LOCALISATION.match(str(node).strip())):
        if places:
            lines.append("  " * depth + f"- {_place_french(place)}")
    elif node is not None:
        lines.append("  " * depth + "- " + _condition_french(str(node), aids))
    return lines


def _connector_french(connector: str, children: Any, depth: int, places: bool, aids: dict[str, str]) -> list[str]:
    indent = "  " * depth
    if connector == "est non applicable" and isinstance(children, str) and (aid := _aid_name(children, aids)):
        return [f"{indent}- aide {aid} non applicable"]
    if connector == "variations" and (said := _variations_french(children, aids, _inline, amounts=False)):
        return [f"{indent}- {said}"]
    below = [line for child in (children if isinstance(children, list) else [children])
             for line in _french(child, depth + 1, places=places, aids=aids)]
    if not below:  # a heading over nothing (only localisations, said by the zone) reads as a loss
        return []
    if len(below) == 1:  # a heading over one condition says nothing more than the condition
        return [below[0][2:]]
    heading = CONNECTOR_WORDS.get(connector, f"{connector} :")
    return [indent + heading, *below]


def _place_french(place: re.Match) -> str:
    return f"{PLACE_WORDS[place.group(1)]} {place.group(2).strip()}"


def _inline(node: Any, aids: dict[str, str]) -> str | None:
    """A condition tree on one line (the `si` of a variation); None when a part cannot be said."""
    if isinstance(node, dict) and len(node) == 1:
        connector, children = next(iter(node.items()))
        parts = [_inline(child, aids) for child in (children if isinstance(children, list) else [children])]
        if not parts or any(part is None for part in parts):
            return None
        # A group inside a group keeps its bounds: « vélo cargo et (âge … ou demandeur …) ».
        said = [str(part) if len(parts) == 1 or not (" et " in str(part) or " ou " in str(part)) else f"({part})"
                for part in parts]
        if connector == "toutes ces conditions":
            return " et ".join(said)
        if connector == "une de ces conditions":
            return ", ".join(said[:-1]) + " ou " + said[-1] if len(said) > 1 else said[0]
        return None
    if isinstance(node, str):
        place = LOCALISATION.match(node.strip())
        return _place_french(place) if place else _condition_french(node, aids)
    return None


def _condition_french(text: str, aids: dict[str, str]) -> str:
    """One publicodes condition in French, or as written when no form below says all of it: a
    half-translated expression would read as French while meaning something else."""
    text = " ".join(text.split())
    comparison = COMPARISON.match(text)
    said = (_comparison_french(*comparison.groups(), aids) if comparison else _predicate_french(text, aids))
    return said or text


def _predicate_french(reference: str, aids: dict[str, str]) -> str | None:
    """A yes/no rule: `vélo . état . neuf`, `demandeur . statut . apprenti`, `aides . bordeaux`…"""
    path = [part.strip() for part in reference.split(" . ")]
    if path[0] == "vélo" and len(path) > 1:
        rest = " . ".join(path[1:])
        return BIKE_WORDS.get(rest) or (f"vélo {rest}" if len(path) == 2 and rest != "prix" else None)
    if path[0] == "demandeur" and len(path) == 2 and path[1] not in ("âge", "statut"):  # a number, a choice
        return f"demandeur {path[1]}"  # « en situation de handicap », « bénéficiaire de minima sociaux »
    if path[:2] == ["demandeur", "âge"] and len(path) == 3:
        if path[2] == "majeur":
            return "demandeur majeur"
        return f"âge {path[2]}" if AGE_SPAN.fullmatch(path[2]) else None
    if path[:2] == ["demandeur", "statut"] and len(path) == 3:
        return path[2] if path[2].startswith("demandeur") else STATUT_WORDS.get(path[2], f"demandeur {path[2]}")
    if path == ["foyer", "imposable"]:
        return "foyer imposable"
    if aid := _aid_name(reference, aids):
        return f"aide {aid} applicable"
    return None


def _comparison_french(left: str, operator: str, right: str, aids: dict[str, str]) -> str | None:
    left, right = left.strip(), right.strip()
    if left == "demandeur . âge" and (years := YEARS.fullmatch(right)):
        return AGE_WORDS[operator].format(n=years.group(1))
    if operator == "=" and right in ("oui", "non") and left.split(" . ")[0] in ("vélo", "foyer"):
        # « vélo . adapté = non »: the yes/no rule said in the negative
        said = _predicate_french(left, aids)
        if said is None or right == "oui":
            return said
        subject, _, rest = said.partition(" ")
        return f"{subject} non {rest}"
    quantity, value = _quantity_french(left, aids), _value_french(right)
    return f"{quantity} {OPERATOR_WORDS[operator]} {value}" if quantity and value else None


def _quantity_french(reference: str, aids: dict[str, str]) -> str | None:
    if reference in QUANTITY_WORDS:
        return QUANTITY_WORDS[reference]
    level = reference.removeprefix("aides . ")
    if reference.startswith("aides . ") and level in LEVEL_WORDS:  # the sum of the aids of that level
        return f"montant des aides {LEVEL_WORDS[level]}"
    aid = _aid_name(reference, aids)
    return f"montant de l'aide {aid}" if aid else None


def _value_french(text: str) -> str | None:
    if match := MONEY.fullmatch(text):
        amount = euros_text(float(match.group(1).replace(",", ".")))
        return amount + (f" par {match.group(2)}" if match.group(2) else "")
    if match := PERCENT.match(text):
        return f"{match.group(1).replace('.', ',')} % du prix du vélo"
    if re.fullmatch(r"\d+", text):
        return text
    return None


def _aid_name(reference: str, aids: dict[str, str]) -> str | None:
    """« Ville de Bordeaux », for `aides . bordeaux`, or for `bordeaux` as publicodes resolves it
    from inside another aid's rule."""
    name = reference.strip()
    return aids.get(name) or aids.get(f"aides . {name}")


def _aid_names(rules: dict) -> dict[str, str]:
    """How an aid is named when another refers to it: its `titre`, with the rule's name when
    several aids share that titre (the Région Occitanie has four)."""
    titles = {name: safe_text(rule["titre"]) for name, rule in rules.items() if _is_aid(name, rule)}
    shared = {title for title in titles.values() if list(titles.values()).count(title) > 1}
    return {name: f"« {title} »" + (f" ({name.removeprefix('aides . ')})" if title in shared else "")
            for name, title in titles.items()}


# -- amounts ---------------------------------------------------------------------------------------


def _amounts(value: Any, ceiling: Any, aids: dict[str, str] | None = None
             ) -> tuple[float | None, float | None, str | None]:
    aids = aids or {}
    number = _euros(value)
    cap = _euros(ceiling)
    # « 1 200 € si vélo adapté ; sinon 0 € »: a ceiling that depends on the bike or the household.
    varying = _variations_french(ceiling["variations"], aids, _amount_french) if _is_variations(ceiling) else None
    highest = _highest(ceiling)
    if number is not None:
        if ceiling in (None, ""):
            return number, number, None
        # A fixed amount under a ceiling of its own is a maximum: « 100 € » capped at 10 % of
        # the price gives 60 € for a 600 € bike, not 100 €.
        if cap is not None:
            return None, min(number, cap), f"Jusqu'à {euros_text(min(number, cap))}"
        percent = PERCENT.match(str(ceiling)) if isinstance(ceiling, str) else None
        limit = (f"de {percent.group(1).replace('.', ',')} % du prix du vélo" if percent
                 else f"de : {varying}" if varying
                 else "d'un plafond qui dépend de la situation (voir le lien)")
        return None, number if highest is None else min(number, highest), f"Jusqu'à {euros_text(number)}, dans la limite {limit}"
    percent = PERCENT.match(str(value)) if isinstance(value, str) else None
    if percent:
        text = f"{percent.group(1).replace('.', ',')} % du prix du vélo"
        if cap is not None:
            return None, cap, text + f", dans la limite de {euros_text(cap)}"
        if varying:
            return None, highest, text + f", dans la limite de : {varying}"
        return None, None, text
    if cap is not None:
        return None, cap, f"Jusqu'à {euros_text(cap)}, selon le vélo et la situation"
    return None, None, "Montant selon le vélo et la situation (voir le lien)"


def _is_variations(node: Any) -> bool:
    return isinstance(node, dict) and list(node) == ["variations"]


def _variations_french(branches: Any, aids: dict[str, str], say: Callable[[Any, dict[str, str]], str | None],
                       *, amounts: bool = True) -> str | None:
    """A publicodes `variations`, its branches tried in order: « 600 € si vélo cargo ; sinon
    400 € » (`amounts`), « si vélo cargo : … ; sinon : … » (conditions). None when one of its
    parts cannot be said: the caller keeps its plainer wording."""
    if not isinstance(branches, list) or not branches:
        return None
    parts = []
    for branch in branches:
        if isinstance(branch, dict) and list(branch) == ["sinon"]:
            when, then = None, say(branch["sinon"], aids)
        elif isinstance(branch, dict) and sorted(branch) == ["alors", "si"]:
            when, then = _inline(branch["si"], aids), say(branch["alors"], aids)
            if when is None:
                return None
        else:
            return None
        if then is None:
            return None
        parts.append(_branch_french(when, then, amounts=amounts and not then.startswith("(")))
    return " ; sinon ".join(parts).replace("sinon si", "sinon, si")


def _branch_french(when: str | None, then: str, *, amounts: bool) -> str:
    """« 400 € si vélo cargo » for an amount; « si vélo cargo : … » for a condition or a nested
    variation, which would blur with its own « si »."""
    if when is None:
        return then if amounts else f": {then}"
    return f"{then} si {when}" if amounts else f"si {when} : {then}"


def _amount_french(node: Any, aids: dict[str, str]) -> str | None:
    """« 400 € », or a nested `variations` in parentheses."""
    amount = _euros(node)
    if amount is not None:
        return euros_text(amount)
    if _is_variations(node):
        said = _variations_french(node["variations"], aids, _amount_french)
        return f"({said})" if said else None
    return None


def _highest(node: Any) -> float | None:
    """The highest amount a ceiling can take, when every case has a known amount (a `variations`
    without `sinon` leaves the other cases without one)."""
    amount = _euros(node)
    if amount is not None or not _is_variations(node):
        return amount
    branches = node["variations"]
    if not (isinstance(branches, list) and any(isinstance(b, dict) and "sinon" in b for b in branches)):
        return None
    values = [_highest(b.get("sinon", b.get("alors"))) if isinstance(b, dict) else None for b in branches]
    known = [value for value in values if value is not None]
    return max(known) if len(known) == len(values) else None


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
