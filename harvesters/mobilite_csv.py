"""The CSV template for plateformes de mobilité (garages solidaires, location solidaire,
auto-écoles sociales, conseil en mobilité, transport solidaire…) → `solution-mobilite`.

The template is documented for producers, in French, in `harvesters/templates/mobilite.md`, with
an example in `demo/mobilite/modele-plateformes-mobilite.csv`. In short: one row per solution,
columns named after the `solution-mobilite` schema's fields (any order; unknown columns are
ignored; `id`, `nom` and `categorie` are required), UTF-8, `;` or `,` as separator.

What this module forgives, because spreadsheets do it (each is in the template's documentation):
- a referential value written as its label, in any case and with or without accents
  (`Garage solidaire` → `garage-solidaire`, `Demandeurs d'emploi` → `demandeurs-emploi`);
- lists written `a | b`, `a, b` or `a; b` as well as JSON arrays;
- comma decimals and spaces in numbers (`45,7640`, `1 500`);
- dates as `JJ/MM/AAAA` as well as `AAAA-MM-JJ`;
- postal and INSEE codes whose leading zero a spreadsheet dropped (`1000` → `01000`);
- a SIRET where a SIREN is asked (its first 9 digits);
- web addresses without `https://`;
- placeholders (`-`, `NC`, `Non renseigné`) for an empty cell.
What it does not forgive: another encoding than the one declared (UTF-8 unless the option
`encoding` says otherwise, e.g. `windows-1252` for Excel's « CSV (séparateur : point-virgule) »):
the whole file is refused, with the line of the first invalid byte, before anything is written.
Never guessed: a wrong guess deforms every accent of the file. A file declared in another
encoding but written in UTF-8 is refused too, for the same reason. Also refused: a missing
required column; and a cell it cannot read is reported with its row, the others flow.

`source` is the column `source`, else the option `source`, else the harvest's source name (`--source`,
or the registered source's), else `plateformes-mobilite`.
`date_maj` is the column, else the option `date_maj`, else the file's modification date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import cache
from typing import Any, ClassVar

import orjson

import schemas
from catalog import json_text
from catalog.errors import UnusableInput
from catalog.nesting import TOO_DEEP, too_deep
from catalog.records import qualified_id
from catalog.search.analysis import fold
from catalog.tabular import UnterminatedRow, check_file, codec_name, iter_rows, shown_name
from catalog.validation import Problem
from harvesters.base import Harvester, Item, date_maj_option, file_date
from harvesters.http import local_copy
from harvesters.lheo_values import ambiguous_decimal
from harvesters.written_dates import written_date

KIND = "solution-mobilite"
REQUIRED_COLUMNS = ("id", "nom", "categorie")
PLACEHOLDERS = frozenset({"-", "--", "nc", "n/a", "na", "non renseigne", "non renseignee", "inconnu", "?"})
LIST_SEPARATORS = re.compile(r"(?:(?<!\s)\s+)?[|;,]\s*")  # a run of spaces tried once, from its start
URL_FIELDS = ("lien_demarche", "lien_source")
# A row without `thematiques` gets its category's: the thématique filter, which conseillers use
# most (« Mobilité »), would otherwise never find a garage solidaire of this template.
CATEGORY_THEMATIQUES = {
    "garage-solidaire": ("mobilite--entretenir-reparer-son-vehicule",),
    "location-solidaire": ("mobilite--acceder-a-un-vehicule",),
    "pret-vehicule": ("mobilite--acceder-a-un-vehicule",),
    "autopartage": ("mobilite--acceder-a-un-vehicule", "mobilite--mobilite-douce-partagee-collective"),
    "velo-solidaire": ("mobilite--mobilite-douce-partagee-collective",),
    "transport-solidaire": ("mobilite--mobilite-douce-partagee-collective",),
    "transport-a-la-demande": ("mobilite--mobilite-douce-partagee-collective",),
    "incitation-covoiturage": ("mobilite--mobilite-douce-partagee-collective", "mobilite--financer-ma-mobilite"),
    "auto-ecole-sociale": ("mobilite--preparer-un-permis",),
    "aide-financiere": ("mobilite--financer-ma-mobilite",),
    "plateforme-mobilite": ("mobilite--etre-accompagne-dans-son-parcours-mobilite",),
    "conseil-mobilite": ("mobilite--etre-accompagne-dans-son-parcours-mobilite",),
}


class MobiliteCsvHarvester(Harvester):
    format: ClassVar[str] = "mobilite-csv"
    kinds: ClassVar[tuple[str, ...]] = (KIND,)
    default_source: ClassVar[str] = "plateformes-mobilite"

    def __init__(self, location: str, *, options: dict[str, Any] | None = None, credentials: str | None = None):
        super().__init__(location, options=options, credentials=credentials)
        self._size: int | None = None
        self._done = 0

    def items(self) -> Iterator[Item]:
        with local_copy(self.location, suffix=".csv") as path:
            check_file(path)
            self._size = path.stat().st_size if path.is_file() else None
            # Checked by the reader (catalog.tabular), as for every tabular format: a byte not in
            # the declared encoding, or a file declared in another but written in UTF-8.
            encoding = codec_name(self.options.get("encoding"))
            records_date = date_maj_option(self.options) or file_date(path)
            # The harvest's source name (`--source`, a registered source's name) when neither the
            # row nor the option gives one: two producers with the same local ids stay apart.
            source = str(self.options.get("source") or self.source_name or self.default_source)
            rows = iter_rows(path, "csv", encoding=encoding)
            first = next(rows, None)
            if first is None:
                raise UnusableInput(f"{shown_name(path)} ne contient aucune solution (en-tête seul ?).")
            # Every row has the header's columns as keys (catalog.tabular), a short one too.
            missing = [c for c in REQUIRED_COLUMNS if c not in first[1]]
            if missing:
                raise UnusableInput(f"{shown_name(path)} : colonne(s) obligatoire(s) absente(s) : {', '.join(missing)}. "
                                    "Voir le modèle (harvesters/templates/mobilite.md).")
            yield self._item(*first, source, records_date)
            for line, row in rows:
                yield self._item(line, row, source, records_date)

    def progress_total(self) -> int | None:
        return self._size

    def progress_done(self) -> int | None:
        return self._done

    def _item(self, line: int, cells: dict[str, Any], source: str, file_date: date) -> Item:
        self._done += 1
        reference = f"ligne {line}"
        if "__cells__" in cells:
            # Its record is still in the source, only this row is defective: its id, when the
            # cell is readable, keeps it from counting as gone (and archived after the grace period).
            id_hint = _id_hint(cells, source)
            return Item(KIND, None, reference + (f" ({cells['id'].strip()})" if id_hint else ""), [Problem(
                None, "cellules", f"La ligne compte {cells['__cells__']} cellules, l'en-tête {len(cells) - 1} : "
                "un séparateur ou un guillemet de trop ?")], id_hint)
        row: dict[str, Any] = {}
        problems: list[Problem] = []
        for name, field in _fields().items():
            raw = cells.get(name)
            if isinstance(raw, str):
                raw = raw.strip()
            if raw is None or raw == "" or fold(str(raw)) in PLACEHOLDERS:
                continue
            try:
                row[name] = _value(name, field, raw)
            except ValueError as exc:
                problems.append(Problem(name, "cellule-illisible", f"Colonne {name} : {exc}", raw))
        row["source"] = row.get("source") or source
        row.setdefault("date_maj", file_date)
        if not row.get("thematiques") and row.get("categorie") in CATEGORY_THEMATIQUES:
            row["thematiques"] = list(CATEGORY_THEMATIQUES[row["categorie"]])
        id_hint = qualified_id(row["source"], row["id"]) if row.get("id") else None
        if problems:
            return Item(KIND, None, reference, problems, id_hint)
        return Item(KIND, row, reference + (f" ({row['id']})" if row.get("id") else ""), id_hint=id_hint,
                    cut_short=isinstance(cells, UnterminatedRow))


# -- the schema, read once ---------------------------------------------------------------------------


@cache
def _fields() -> dict[str, dict]:
    return {field["name"]: field for field in schemas.load_schema(KIND)["fields"]}


@cache
def _labels(referential: str) -> dict[str, str]:
    """Folded value or label → value, for one referential."""
    lookup: dict[str, str] = {}
    for entry in schemas.referential(referential):
        for key in (entry["value"], entry["label"]):
            lookup[_key(key)] = entry["value"]
    return lookup


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(text.replace("’", "'"))).strip()


# -- cells ------------------------------------------------------------------------------------------


def _value(name: str, field: dict, raw: str) -> Any:
    kind = field["type"]
    referential = field.get("referentiel")
    if kind == "array":
        if referential and not raw.startswith("["):
            return _coded_list(referential, raw)
        items = _list(raw)
        return [_coded(referential, item) for item in items] if referential else items
    if kind == "number":
        # « 1.500 € »: 1,5 or 1 500? A wrong guess is ×1000 (coordinates are not money: « 2.350 »).
        if not name.startswith(("latitude", "longitude")) and ambiguous_decimal(raw):
            raise ValueError(f"« {raw} » : des décimales ou des milliers ? Le séparateur suivi de trois chiffres "
                             "ne le dit pas ; écrire 1500 ou 1,5.")
        return _number(raw)
    if kind == "date":
        return _date(raw)
    if kind == "object":
        try:
            value = json_text.loads(raw)
        except orjson.JSONDecodeError:
            raise ValueError(f"un objet JSON est attendu (« {raw} »).") from None
        if not isinstance(value, dict):
            raise ValueError(f"un objet JSON est attendu (« {raw} »).")
        if too_deep(value):
            raise ValueError(f"objet JSON : {TOO_DEEP}.")
        return value
    if referential:
        return _coded(referential, raw)
    if name in ("code_postal", "code_insee") and raw.isdigit() and len(raw) == 4:
        return "0" + raw  # a spreadsheet ate the leading zero
    if name == "porteur_siren":
        digits = re.sub(r"\s", "", raw)
        return digits[:9] if len(digits) == 14 and digits.isdigit() else digits
    if name in URL_FIELDS and not re.match(r"[a-z][a-z0-9+.-]*://", raw, re.IGNORECASE) and not _NOT_WEB.match(raw):
        return "https://" + raw
    if name == "courriel":
        return raw.lower()
    return raw


# What « www.exemple.fr » lacks is a scheme; an e-mail or a telephone is no web address at all:
# « https://mailto:accueil@garage.fr » (or « https://accueil@garage.fr ») would pass for a link
# to garage.fr's site. Left as written, validation refuses them with the field named.
_NOT_WEB = re.compile(r"(?:mailto|tel|callto|sms|fax|javascript|data|file|ftp):|[^/]*@", re.IGNORECASE)


def _list(raw: str) -> list[str]:
    if raw.startswith("["):
        try:
            value = json_text.loads(raw)
        except orjson.JSONDecodeError:
            raise ValueError(f"liste JSON mal formée (« {raw} »).") from None
        if not isinstance(value, list):
            raise ValueError(f"une liste est attendue (« {raw} »).")
        return [str(v).strip() for v in value if str(v).strip()]
    return [part for part in LIST_SEPARATORS.split(raw) if part]


_SPLIT_KEEPING_SEPARATORS = re.compile(f"({LIST_SEPARATORS.pattern})")


def _coded_list(referential: str, raw: str) -> list[str]:
    """Codes of a list cell. A label may hold a separator itself (« Utiliser des services de
    mobilité douce, partagée ou collective »): neighbouring pieces that together make a label
    are read as one, at most as many as the referential's labels span (the walk stays linear)."""
    pieces = _SPLIT_KEEPING_SEPARATORS.split(raw)
    parts, separators = pieces[0::2], pieces[1::2]
    labels, span = _labels(referential), _span(referential)
    codes: list[str] = []
    start = 0
    while start < len(parts):
        if not parts[start]:
            start += 1
            continue
        end, piece = start + 1, parts[start]  # the longest run of pieces that is a label, else one
        for stop in range(min(len(parts), start + span), start + 1, -1):
            joined = "".join(parts[k] + separators[k] for k in range(start, stop - 1)) + parts[stop - 1]
            if _key(joined) in labels:
                end, piece = stop, joined
                break
        codes.append(_coded(referential, piece))
        start = end
    return codes


@cache
def _span(referential: str) -> int:
    """How many list pieces the longest value or label of a referential makes."""
    return max((len(LIST_SEPARATORS.findall(entry[key])) + 1 for entry in schemas.referential(referential)
                for key in ("value", "label")), default=1)


def _coded(referential: str, raw: str) -> str:
    value = _labels(referential).get(_key(raw))
    if value is None:
        raise ValueError(f"« {raw} » n'est ni une valeur ni un libellé du référentiel {referential}.")
    return value


def _number(raw: str) -> float:
    text = raw.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("€", "").replace(",", ".")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"nombre illisible (« {raw} ») ; écrire par exemple 45,7640 ou 1500.") from None


def _date(raw: str) -> date:
    if found := written_date(raw):
        return found
    raise ValueError(f"date illisible (« {raw} ») ; écrire AAAA-MM-JJ ou JJ/MM/AAAA.")


# -- the file ---------------------------------------------------------------------------------------


def _id_hint(cells: dict[str, Any], source: str) -> str | None:
    """The catalog id of a row that cannot be mapped, from its `id` (and `source`) cells as
    `_item` reads them; None when the id cell is empty or a placeholder."""
    raw_id = cells.get("id")
    raw_id = raw_id.strip() if isinstance(raw_id, str) else ""
    if not raw_id or fold(raw_id) in PLACEHOLDERS:
        return None
    raw_source = cells.get("source")
    raw_source = raw_source.strip() if isinstance(raw_source, str) else ""
    if not raw_source or fold(raw_source) in PLACEHOLDERS:
        raw_source = source
    return qualified_id(raw_source, raw_id)
