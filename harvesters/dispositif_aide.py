"""Files in the schema.data.gouv.fr schema `etalab/schema-dispositif-aide` (v0.2) → `aide`.

The schema (https://github.com/etalab/schema-dispositif-aide) describes public aid schemes, one
per row of a CSV (or item of a JSON array): the core `dispositif-aide` and its extension for
businesses, `dispositif-aide-professionnels`. Cells holding several values separate them with
`|`; territories follow the COG "formalism" (`REG-84`, `DEP-93`, `COM-93066`, `PAYS-99100`,
`EPCI-<SIREN>`); `porteurs` and `base_juridique` are lists of objects written as JavaScript
literals in the schema's own example (`[{ nom: 'ADEME', siren: '385290309', roles: ['financeur'] }]`),
read here by a small strict parser (no evaluation), JSON being accepted too.

Mapping:
- `id` → `id`; `titre` → `nom`; `promesse` + `description` (+ `programmes_parents`,
  `base_juridique`) → `description`; `types_aides` → `type_aide`;
- `porteurs`: the financer (role `financeur`, else the first) → `institution_nom`, `institution_siren`;
- `eligibilite_geographique` → `zone_eligibilite` (a région as its départements, `PAYS-99100` as
  `france`); `eligibilite_geographique_exclusions` → `conditions.territoires_exclus`; both said
  in `conditions_texte`, with the names the catalog's territory tables know (`aides_notes.Places`);
- `eligibilite` (text) → `conditions_texte`; the professionnels extension's criteria (effectifs,
  size categories, years of existence, legal forms, NAF codes, sectors) → `conditions.autres`
  as data, and sentences in `conditions_texte`; `cibles` → `publics_precisions`;
- `url_source` → `lien_source`; `date_ouverture` / `date_cloture` / `date_mise_a_jour` →
  `date_debut` / `date_fin` / `date_maj`.

A row without `id`, `titre` or a readable `date_mise_a_jour`, or with a territory code that is
not in the COG formalism, is reported with its line and the rest flows. A file that is not in
this schema (no `id` and `titre` columns), not UTF-8 (the option `encoding` says otherwise) or
malformed is refused as a whole.

Options: `source` (the producer, e.g. `ademe`; by default the name the source is registered
under, `dispositif-aide` for a bare `maillage harvest dispositif-aide FILE`), `encoding`,
`format` (`csv`/`json`, else told by the file).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin

import orjson

from catalog import json_text
from catalog.errors import UnusableInput
from catalog.nesting import refuse_too_deep, too_deep
from catalog.records import qualified_id
from catalog.tabular import UnterminatedRow, detect_format, iter_rows, shown_name
from catalog.validation import Problem
from catalog.validation.problems import shown
from harvesters import aides_zones as zones
from harvesters.aides_conditions import Eligibility, number_text
from harvesters.aides_notes import AidNotes, Places, eligibility_warnings
from harvesters.aides_text import capped, http_url, safe_text, slug_list, texts
from harvesters.base import Harvester, Item
from harvesters.http import is_url, local_copy
from harvesters.lheo_values import ambiguous_decimal
from harvesters.written_dates import written_date

# types_aides values (the schema's Grist list) → our `type_aide`, by precedence.
AID_TYPES = [
    ("materiel", "aide-materielle"), ("matériel", "aide-materielle"), ("pret", "pret"), ("prêt", "pret"), ("avance", "avance-remboursable"), ("subvention", "subvention"),
    ("exoneration", "exoneration"), ("exonération", "exoneration"), ("fiscal", "exoneration"),
    ("financement", "subvention"), ("accompagnement", "accompagnement"), ("conseil", "accompagnement"),
    ("information", "accompagnement"), ("ingenierie", "accompagnement"), ("ingénierie", "accompagnement"),
    ("formation", "accompagnement"),
]
SIZE_CATEGORIES = {"MIC": "microentreprise", "PME": "PME", "ETI": "ETI", "GE": "grande entreprise"}
# The professionnels extension: column → (French sentence template, kind of value). A number's
# noun agrees with it: « {} salarié{s} » is « 1 salarié », « 10 salariés ».
PRO_CRITERIA = {
    "eligibilite_effectif_minimal": ("compter au moins {} salarié{s}", "int"),
    "eligibilite_effectif_maximal": ("compter au plus {} salarié{s}", "int"),
    "eligibilite_annees_existence_minimal": ("exister depuis au moins {} an{s}", "int"),
    "eligibilite_categorie_taille_entreprise": ("être une entreprise de catégorie : {}", "list"),
    "eligibilite_forme_juridique": ("avoir l’une des formes juridiques : {}", "list"),
    "eligibilite_forme_juridique_exclusions": ("ne pas avoir l’une des formes juridiques : {}", "list"),
    "ciblage_naf": ("activité (codes NAF) ciblée : {}", "list"),
    "ciblage_naf_exclusions": ("activité (codes NAF) exclue : {}", "list"),
    "ciblage_secteur_activite": ("secteurs d’activité ciblés : {}", "list"),
}


class DispositifAideHarvester(Harvester):
    format: ClassVar[str] = "dispositif-aide"
    kinds: ClassVar[tuple[str, ...]] = ("aide",)
    default_source: ClassVar[str] = "dispositif-aide"

    def __init__(self, location: str, *, options: dict[str, Any] | None = None, credentials: str | None = None):
        super().__init__(location, options=options, credentials=credentials)
        self.notes = AidNotes()
        self.places = Places(self.territories)  # the tables are read the first time a territory is named

    def run_notes(self) -> list[str]:
        return self.notes.sentences()

    def progress_done(self) -> int | None:
        return self.notes.found

    def items(self) -> Iterator[Item]:
        # The producer: the `source` option, else the name the file's source is registered under.
        self.source = str(self.options.get("source") or self.source_name or self.default_source)
        with local_copy(self.location) as path:
            resources = _package_resources(path)
            if resources is None:
                yield from self._file_items(path, "")
                return
            for name, location, encoding in resources:
                with local_copy(location) as resource:
                    yield from self._file_items(resource, f"ressource {name}, ", encoding)

    def _file_items(self, path: Path, where: str, encoding: str | None = None) -> Iterator[Item]:
        """`encoding`: the one a package declares for this resource, before the source's option."""
        fmt = self.options.get("format") or detect_format(path)
        rows = iter_rows(path, fmt, encoding=encoding or self.options.get("encoding", "utf-8"))
        first = next(rows, None)
        name = shown_name(path)
        if first is None:
            raise UnusableInput(f"{name} ne contient aucun dispositif.")
        missing = [c for c in ("id", "titre") if c not in first[1]]
        if missing:
            columns = [c for c in first[1] if c != "__cells__"]  # the reader's mark of a row's cell count
            raise UnusableInput(f"{name} n'est pas un fichier du schéma dispositif-aide : colonne(s) "
                                f"{', '.join(missing)} absente(s) (colonnes lues : "
                                f"{', '.join(f'« {c} »' for c in columns[:12]) or 'aucune'}).")
        for position, row in chain([first], rows):
            self.notes.found += 1
            reference = where + (f"ligne {position}" if fmt == "csv" else f"élément {position}")
            yield self._item(row, reference)

    def _item(self, raw: dict[str, Any], reference: str) -> Item:
        raw_id = _text(raw.get("id"))
        hint = qualified_id(self.source, raw_id) if raw_id else None
        problems = []
        if "__cells__" in raw:
            problems.append(Problem(None, "missing-cells", f"{reference} : {raw['__cells__']} cellule(s) au lieu du "
                                    "nombre de colonnes de l'en-tête."))
        if not raw_id:
            problems.append(Problem("id", "required", f"{reference} : identifiant (id) manquant."))
        if not _text(raw.get("titre")):
            problems.append(Problem("nom", "required", f"{reference} : titre manquant."))
        updated = written_date(raw.get("date_mise_a_jour"))
        if updated is None:
            problems.append(Problem("date_maj", "required", f"{reference} : date_mise_a_jour manquante ou illisible "
                                    f"({_text(raw.get('date_mise_a_jour')) or 'vide'})."))
        zone: list[str] = []
        excluded: list[str] = []
        try:
            zone = _territories(raw.get("eligibilite_geographique"))
            excluded = _territories(raw.get("eligibilite_geographique_exclusions"))
        except ValueError as exc:
            problems.append(Problem("zone_eligibilite", "cog", f"{reference} : {exc}."))
        if problems:
            self.notes.reject(reference, " ; ".join(p.message for p in problems))
            return Item("aide", None, reference=reference, problems=problems, id_hint=hint)
        porteurs = _objects(raw.get("porteurs"))
        row, eligibility = map_dispositif(raw, source=self.source, zone=zone, excluded=excluded, porteurs=porteurs,
                                          places=self.places)
        self.notes.record(eligibility, row)
        warnings = eligibility_warnings(eligibility) + _date_warnings(raw)
        if porteurs is None:  # the aid is kept, without its institution
            self.notes.remarks["porteurs illisibles (liste d'objets attendue)"] += 1
            warnings.append(Problem("institution_nom", "porteurs-illisibles",
                                    f"Porteurs illisibles (liste d'objets JSON attendue, {shown(raw.get('porteurs'))} "
                                    "reçu) : l'aide est gardée sans son institution."))
        return Item("aide", row, reference=reference, warnings=warnings, cut_short=isinstance(raw, UnterminatedRow))


def _package_resources(path: Path) -> list[tuple[str, str, str | None]] | None:
    """The dispositif-aide resources of a data package (name, location, declared encoding); None
    for a data file.

    A Table Schema (the schema itself, not data) is refused with a precise reason.
    """
    if path.suffix.lower() != ".json" or not path.is_file() or path.stat().st_size > MAX_DESCRIPTOR:
        return None
    with open(path, "rb") as f:
        if f.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
            return None
    try:
        # A byte order mark is what Windows editors write first; JSON parsers may skip it (RFC 8259).
        descriptor = json_text.loads(path.read_bytes().removeprefix(codecs.BOM_UTF8))
    except orjson.JSONDecodeError as exc:
        raise UnusableInput(f"{shown_name(path)} : JSON mal formé ({exc}).") from exc
    refuse_too_deep(descriptor, shown_name(path))
    if not isinstance(descriptor, dict) or not ("fields" in descriptor or "resources" in descriptor):
        return None
    if "fields" in descriptor:
        raise UnusableInput(f"{shown_name(path)} est un schéma Table Schema (« {descriptor.get('name', '?')} », "
                            f"{len(descriptor['fields'])} champs), pas un fichier de dispositifs : moissonnez "
                            "les fichiers de données qui le suivent (CSV ou JSON).")
    resources = []
    for rank, resource in enumerate(descriptor.get("resources") or [], start=1):
        name = str(resource.get("name") or rank) if isinstance(resource, dict) else str(rank)
        schema = resource.get("schema") if isinstance(resource, dict) else None
        schema_name = schema.get("name", "") if isinstance(schema, dict) else str(schema or "")
        location = resource.get("path") if isinstance(resource, dict) else None
        if "dispositif-aide" not in schema_name or not isinstance(location, str):
            continue  # another kind of resource (logos, documentation…): not ours to read
        if not is_url(location):
            if Path(location).is_absolute() or ".." in Path(location).parts:
                raise UnusableInput(f"{shown_name(path)}, ressource {name} : chemin « {location} » refusé "
                                    "(chemin relatif au paquet, sans « .. », attendu).")
            # Beside the package: on its site when it was downloaded (never beside the temporary copy).
            origin = shown_name(path)
            location = urljoin(origin, location) if is_url(origin) else str(path.parent / location)
        encoding = resource.get("encoding") if isinstance(resource.get("encoding"), str) else None
        resources.append((name, location, encoding))
    if not resources:
        raise UnusableInput(f"{shown_name(path)} est un paquet de données sans ressource au schéma dispositif-aide.")
    return resources


def map_dispositif(raw: dict[str, Any], *, source: str, zone: list[str], excluded: list[str],
                   porteurs: list[dict] | None, places: Places | None = None) -> tuple[dict[str, Any], Eligibility]:
    """The aid in our schema; `porteurs` is the raw column read (`_objects`), None if unreadable;
    `places` names the territories (codes alone without it)."""
    eligibility = Eligibility()
    covered = [zones.cog_label(r, places.name if places else None) for r in slug_list(raw.get("eligibilite_geographique"))]
    if covered:
        eligibility.sentence("territoire couvert : " + ", ".join(covered))
    if excluded:
        labels = [zones.cog_label(r, places.name if places else None) for r in slug_list(raw.get("eligibilite_geographique_exclusions"))]
        eligibility.exclude_territories([c for c in excluded if c != zones.FRANCE], "sauf : " + ", ".join(labels))
    for column, (template, kind) in PRO_CRITERIA.items():
        value = raw.get(column)
        if value in (None, "", []):
            continue
        if kind == "int":
            number = _integer(value)
            if number is None:
                eligibility.source_text(f"{column} : {value}")
                continue
            eligibility.other(column, {"valeur": number},
                              template.format(number_text(number), s="s" if number >= 2 else ""))
        else:
            values = slug_list(value)
            words = [SIZE_CATEGORIES.get(v, v) for v in values] if column.endswith("taille_entreprise") else values
            eligibility.other(column, {"valeurs": values}, template.format(", ".join(words)))
    eligibility.source_text(safe_text(raw.get("eligibilite")))
    institution = _financer(porteurs or [])
    row: dict[str, Any] = {
        "source": source,
        "id": _text(raw.get("id")),
        "nom": " ".join(str(raw.get("titre")).split()),
        "description": _description(raw, porteurs or []),
        "type_aide": _aid_type(slug_list(raw.get("types_aides"))),
        "institution_nom": _text(institution.get("nom")) if institution else None,
        "institution_siren": zones.siren(institution.get("siren")) if institution else None,
        "zone_eligibilite": zone or None,
        "conditions": eligibility.conditions(),
        "conditions_texte": eligibility.text(),
        "publics_precisions": ("Cibles : " + ", ".join(slug_list(raw.get("cibles"))) + ".") if raw.get("cibles") else None,
        "lien_source": http_url(raw.get("url_source")),
        "date_debut": written_date(raw.get("date_ouverture")),
        "date_fin": written_date(raw.get("date_cloture")),
        "date_maj": written_date(raw.get("date_mise_a_jour")),
    }
    return {k: v for k, v in row.items() if v is not None}, eligibility


def _date_warnings(raw: dict[str, Any]) -> list[Problem]:
    """Opening and closing dates that cannot be read: the aid is kept without them, and told."""
    warnings = []
    for column, field in (("date_ouverture", "date_debut"), ("date_cloture", "date_fin")):
        value = _text(raw.get(column))
        if value and written_date(raw.get(column)) is None:
            warnings.append(Problem(field, "date-illisible", f"{column} « {value[:40]} » illisible : une date "
                                    "AAAA-MM-JJ (ou JJ/MM/AAAA) est attendue ; l'aide est gardée sans cette date."))
    return warnings


def _territories(value: Any) -> list[str]:
    codes: list[str] = []
    for reference in slug_list(value):
        codes.extend(zones.cog_reference(reference))
    return zones.dedupe(codes)


def _description(raw: dict[str, Any], porteurs: list[dict]) -> str | None:
    parts = [safe_text(raw.get("promesse")), safe_text(raw.get("description"))]
    programmes = slug_list(raw.get("programmes_parents"))
    if programmes:
        parts.append("Programmes : " + ", ".join(programmes) + ".")
    actors = [_actor(p) for p in porteurs if _text(p.get("nom"))]
    if actors:
        parts.append("Porteurs : " + ", ".join(a for a in actors if a) + ".")
    legal = [f"{_text(b.get('libelle'))} ({b.get('lien')})" if http_url(b.get("lien")) else _text(b.get("libelle"))
             for b in _objects(raw.get("base_juridique")) or []]
    if any(legal):
        parts.append("Base juridique : " + " ; ".join(t for t in legal if t) + ".")
    text = "\n\n".join(p for p in parts if p)
    return capped(text) or None


def _actor(porteur: dict) -> str | None:
    roles = texts(porteur.get("roles"))
    return f"{_text(porteur.get('nom'))} ({', '.join(roles)})" if roles else _text(porteur.get("nom"))


def _financer(porteurs: list[dict]) -> dict | None:
    for porteur in porteurs:
        if "financeur" in [role.lower() for role in texts(porteur.get("roles"))]:
            return porteur
    return porteurs[0] if porteurs else None


def _aid_type(values: list[str]) -> str | None:
    lowered = [v.lower() for v in values]
    for word, value in AID_TYPES:
        if any(word in v for v in lowered):
            return value
    return "autre" if lowered else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _integer(value: Any) -> int | None:
    if isinstance(value, str) and ambiguous_decimal(value):  # « 1.000 » salariés: 1 or 1 000? Kept as text
        return None
    try:
        number = float(str(value).replace(",", ".").strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() and number >= 0 else None


# -- the lists of objects of `porteurs` and `base_juridique` --------------------------------------

def _objects(value: Any) -> list[dict] | None:
    """A list of objects from native JSON, JSON text or a JavaScript literal; None if unreadable."""
    if value in (None, ""):
        return []
    if isinstance(value, list):
        parsed: Any = value
    else:
        try:
            parsed = json_text.loads(str(value))
            if too_deep(parsed, MAX_DEPTH):
                return None  # read as no structure, like any cell that is not a literal
        except orjson.JSONDecodeError:
            try:
                parsed = parse_js_literal(str(value))
            except ValueError:
                return None
    if isinstance(parsed, dict):
        parsed = [parsed]
    if not isinstance(parsed, list):
        return None
    return [item for item in parsed if isinstance(item, dict)]


_TOKEN = re.compile(r"""\s*(?:(?P<punct>[\[\]{}:,])|(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
                    r"""|(?P<number>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_$][\w$]*))""", re.DOTALL)
MAX_LITERAL = 100_000
MAX_DESCRIPTOR = 5 << 20  # a data package descriptor is small; a bigger JSON file is data
MAX_DEPTH = 20


def parse_js_literal(text: str) -> Any:
    """Arrays, objects (bare or quoted keys), strings, numbers, true/false/null — nothing is evaluated."""
    if len(text) > MAX_LITERAL:
        raise ValueError("littéral trop long")
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            if text[position:].strip():
                raise ValueError(f"caractère inattendu à la position {position}")
            break
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    value, end = _parse_value(tokens, 0, 0)
    if end != len(tokens):
        raise ValueError("contenu après la fin de la valeur")
    return value


def _parse_value(tokens: list[tuple[str, str]], i: int, depth: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH or i >= len(tokens):
        raise ValueError("valeur incomplète ou trop imbriquée")
    kind, text = tokens[i]
    if kind == "string":
        return _unquote(text), i + 1
    if kind == "number":
        return (float(text) if "." in text else int(text)), i + 1
    if kind == "word":
        constants = {"true": True, "false": False, "null": None}
        if text not in constants:
            raise ValueError(f"mot inattendu « {text} »")
        return constants[text], i + 1
    if text == "[":
        items: list[Any] = []
        i += 1
        while i < len(tokens) and tokens[i][1] != "]":
            item, i = _parse_value(tokens, i, depth + 1)
            items.append(item)
            if i < len(tokens) and tokens[i][1] == ",":
                i += 1
        if i >= len(tokens):
            raise ValueError("crochet non fermé")
        return items, i + 1
    if text == "{":
        obj: dict[str, Any] = {}
        i += 1
        while i < len(tokens) and tokens[i][1] != "}":
            key_kind, key = tokens[i]
            if key_kind not in ("word", "string") or i + 1 >= len(tokens) or tokens[i + 1][1] != ":":
                raise ValueError("clé d'objet attendue")
            value, i = _parse_value(tokens, i + 2, depth + 1)
            obj[_unquote(key) if key_kind == "string" else key] = value
            if i < len(tokens) and tokens[i][1] == ",":
                i += 1
        if i >= len(tokens):
            raise ValueError("accolade non fermée")
        return obj, i + 1
    raise ValueError(f"symbole inattendu « {text} »")


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)
