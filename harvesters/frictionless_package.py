"""Any Frictionless data package, or a plain table, that speaks one of our schemas: no code needed.

    maillage harvest frictionless chemin/datapackage.json
    maillage harvest frictionless https://exemple.fr/donnees/datapackage.json
    maillage harvest frictionless services.csv --option mapping=correspondance.yml

A table (a package resource, or a CSV / JSON / NDJSON / Parquet file given directly) is
harvestable when we can tell which of our schemas (`schemas/<kind>/schema.json`) it follows:

1. **its resource declares our schema**:
   - `"schema": "…/schemas/service/schema.json"`, a path or URL ending like ours (also the
     schema.data.gouv.fr form `…/schemas/maillage/service/<version>/schema.json`). It is
     recognised by its address and **never fetched**: we validate against our own copy;
   - an inline schema (or a local schema file inside the package) whose `name` is one of our
     kinds and whose fields all exist in our schema of that kind;
   - a resource `profile` that is such an address;
2. **a mapping file** (JSON or YAML) says how its columns become ours:

       kind: service                 # one of our schemas
       source: mairie-exemple        # value of the `source` field (the producer), unless a column gives it
       resource: services            # (package only) the resource it applies to, by name or path
       columns:                      # their column → our field; other columns are dropped
         identifiant: id
         intitule: nom
         themes: thematiques
       constants:                    # our field → the same value on every row (a column wins when filled)
         date_maj: "2025-01-15"
       split:                        # our array field → separator of its items in their cell
         thematiques: ";"
       values:                       # (optional) our field → {their value: our value}
         frais: {Gratuit: gratuit, Payant: payant}

   A mapping file may also be a list of such mappings (one per resource). `--option
   mapping=…` points at it: a path (from the current directory, else from the package's
   directory) or a URL.
3. a table given directly, without mapping, whose header holds every required field of one
   schema (`--option kind=service` says it outright).

A row's `contact_public` column (data·inclusion v0's, or theirs mapped to it: `columns:
{is_contact_info_public: contact_public}`) is the partner's promise about its contact: unless it
says true, the contact's name, e-mail and phone are not kept, as DORA's and data·inclusion's
harvesters do (`catalog.privacy.as_promised`).

A CSV resource is read with the delimiter its `dialect` declares, else the commonest in its
header line. Column names are compared composed (NFC), however the file's editor wrote accents.

What is refused, with the reason (`UnusableInput`, nothing is written): a mapped column that
the CSV header lacks or that no JSON/NDJSON/Parquet record holds (a typo would empty a field
in every record), a resource whose
schema is not ours (unless `--option resources=nom1,nom2` or a mapping narrows the run to
the tables we can read), a resource path that leaves the package directory (`../`, absolute
paths, symbolic links pointing outside), a remote resource in a local package, a missing
file, a multi-part resource, a format we cannot stream (we read CSV, JSON, NDJSON, Parquet).

The `frictionless` library reads and checks the descriptor (after we removed every address it
would otherwise fetch: schemas, profiles, dialects); rows stream through
`catalog.tabular.iter_rows`, one at a time, so memory does not grow with the file.
A run covers (may archive) a kind only when every table of that kind in the package was read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import orjson
import yaml

import schemas
from catalog import json_text
from catalog.errors import UnusableInput
from catalog.nesting import AliasRefused, NoAliasLoader, refuse_too_deep, too_deep_message
from catalog.privacy import as_promised
from catalog.tabular import UnterminatedRow, check_file, detect_format, iter_rows, shown_name
from catalog.validation import guess_kind
from harvesters.base import Harvester, Item
from harvesters.http import HttpClient, ResponseTooBig, is_url, local_copy, read_body

MAX_DESCRIPTOR_BYTES = 5 << 20  # a descriptor is metadata: anything bigger is not one
TABULAR_FORMATS = {"csv": "csv", "tsv": "csv", "json": "json", "ndjson": "ndjson", "jsonl": "ndjson",
                   "parquet": "parquet"}
# What a Frictionless resource descriptor says of itself (Data Resource spec, v1 and v2).
_RESOURCE_WORDS = frozenset({"name", "path", "profile", "$schema", "schema", "format", "mediatype", "encoding",
                             "dialect", "title", "description", "sources", "licenses", "bytes", "hash", "type"})
_OUR_SCHEMA = re.compile(r"(?:^|/)schemas/(?:maillage/)?(?P<kind>[a-z][a-z-]*)/(?:[^/]+/)?schema\.json$")


# -- mapping files ---------------------------------------------------------------------------

@dataclass
class ColumnMapping:
    """How the columns of one table become the fields of one of our schemas."""

    kind: str
    source: str | None = None
    resource: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    split: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any, where: str) -> ColumnMapping:
        if not isinstance(data, dict):
            raise UnusableInput(f"{where} : une correspondance doit être un objet (kind, columns…).")
        unknown_keys = set(data) - {"kind", "source", "resource", "columns", "constants", "split", "values"}
        if unknown_keys:
            raise UnusableInput(f"{where} : clé(s) inconnue(s) {_names(unknown_keys)} "
                                "(clés admises : kind, source, resource, columns, constants, split, values).")
        kind = data.get("kind")
        if kind not in schemas.KINDS:
            raise UnusableInput(f"{where} : « kind » doit être l'un de nos schémas ({', '.join(schemas.KINDS)}), "
                                f"pas « {kind} ».")
        columns = _str_dict(data.get("columns"), "columns", where)
        mapping = cls(kind=kind, source=_opt_str(data.get("source")), resource=_opt_str(data.get("resource")),
                      # compared with a CSV header read composed (NFC), whoever typed the file
                      columns={unicodedata.normalize("NFC", k): v for k, v in columns.items()},
                      constants=_dict(data.get("constants"), "constants", where),
                      split=_str_dict(data.get("split"), "split", where),
                      values=_values(data.get("values"), where))
        # `contact_public`: no field of ours, the partner's promise about its contact (read, then dropped).
        ours = set(schemas.field_names(kind)) | {"contact_public"}
        named = set(mapping.columns.values()) | set(mapping.constants) | set(mapping.split) | set(mapping.values)
        if named - ours:
            raise UnusableInput(f"{where} : champ(s) {_names(named - ours)} absent(s) du schéma « {kind} ».")
        not_arrays = {name for name in mapping.split if _field_type(kind, name) != "array"}
        if not_arrays:
            raise UnusableInput(f"{where} : « split » ne s'applique qu'aux champs listes ; "
                                f"{_names(not_arrays)} n'en sont pas.")
        if not mapping.columns:
            raise UnusableInput(f"{where} : « columns » est vide : aucune colonne ne serait lue.")
        if not mapping.source and "source" not in mapping.columns.values() and "source" not in mapping.constants:
            raise UnusableInput(f"{where} : indiquez « source » (le producteur des données), ou la colonne "
                                "qui le donne.")
        return mapping

    def check_header(self, header: list[str], table: str) -> None:
        missing = [column for column in self.columns if column not in header]
        if missing:
            raise UnusableInput(f"{table} : colonne(s) {_names(missing)} de la correspondance absente(s) du "
                                f"fichier (colonnes trouvées : {', '.join(header[:30])}).")

    def check_keys(self, seen: set[str], table: str) -> None:
        """A JSON, NDJSON or Parquet table has no header: a mapped key that no record holds (a
        typo, « Gratuite » for « Gratuité ») would leave its field empty in every record, and
        erase what an earlier harvest stored there."""
        missing = [column for column in self.columns if column not in seen]
        if missing:
            raise UnusableInput(f"{table} : clé(s) {_names(missing)} de la correspondance absente(s) de tous les "
                                f"enregistrements (clés trouvées : {', '.join(sorted(seen)[:30])}).")

    def apply(self, raw: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = dict(self.constants)
        if self.source:
            row.setdefault("source", self.source)
        for column, name in self.columns.items():
            value = raw.get(column)
            if value is None or value == "":
                continue
            separator = self.split.get(name)
            if separator and isinstance(value, str):
                value = [part.strip() for part in value.split(separator) if part.strip()]
            translate = self.values.get(name)
            if translate:
                value = [_translated(translate, v) for v in value] if isinstance(value, list) \
                    else _translated(translate, value)
            row[name] = value
        return row


def _translated(table: dict[str, Any], value: Any) -> Any:
    """`value` as `values` translates it; an object or a list in a JSON cell is no key of that
    table (and is left for validation to refuse, with its field named)."""
    return table.get(value, value) if isinstance(value, (str, int, float, bool)) else value


def load_mappings(spec: Any, *, base_dir: Path | None) -> list[ColumnMapping]:
    """The mappings of `--option mapping=` (a path or URL to JSON/YAML, or the parsed value)."""
    if spec is None or spec == "":
        return []
    where = "correspondance"
    if isinstance(spec, str):
        where = spec
        text = _read_text(spec, base_dir, what="fichier de correspondance")
        data = _parse_descriptor(text, spec)
    else:
        data = spec
    entries = data if isinstance(data, list) else [data]
    return [ColumnMapping.from_dict(entry, f"{where} (n°{n})" if len(entries) > 1 else where)
            for n, entry in enumerate(entries, start=1)]


# -- the harvester ---------------------------------------------------------------------------

@dataclass
class _Table:
    """One table to read: where, in which format, as which kind, through which mapping."""

    name: str
    kind: str
    location: str | None  # a local path or a URL; None for inline data
    fmt: str
    encoding: str = "utf-8"
    mapping: ColumnMapping | None = None
    inline: list | None = None
    delimiter: str | None = None  # a CSV's, as its dialect declares it; else guessed from the header


class FrictionlessHarvester(Harvester):
    format: ClassVar[str] = "frictionless"
    kinds: ClassVar[tuple[str, ...]] = schemas.KINDS
    default_source: ClassVar[str] = "frictionless"

    def __init__(self, location: str, *, options: dict[str, Any] | None = None, credentials: str | None = None):
        super().__init__(location, options=options, credentials=credentials)
        self._covered: tuple[str, ...] = ()
        self._done = 0

    def covered_kinds(self) -> tuple[str, ...]:
        return self._covered

    def progress_done(self) -> int | None:
        return self._done

    def items(self) -> Iterator[Item]:
        tables, uncovered = self.plan()
        for table in tables:
            yield from self._table_items(table)
        # Everything was read to the end (an unreadable table raises): each kind is covered,
        # unless a table of that kind was left out of this run.
        self._covered = tuple(sorted({t.kind for t in tables} - uncovered))

    # -- planning: which tables, as which kinds ------------------------------------------------

    def plan(self) -> tuple[list[_Table], set[str]]:
        """The tables to read, and the kinds of our tables left out (so not covered)."""
        descriptor = self._descriptor()
        if descriptor is None:
            return [self._plain_table()], set()
        return self._package_tables(descriptor)

    def _base(self) -> tuple[Path | None, str | None]:
        """The package's directory (local) or base URL (remote)."""
        if is_url(self.location):
            return None, self.location
        return Path(self.location).resolve().parent, None

    def _descriptor(self) -> dict | None:
        """The package descriptor, or None when the location is a data file."""
        suffix = PurePosixPath(urlsplit(self.location).path).suffix.lower()
        if suffix not in (".json", ".yaml", ".yml"):
            return None
        text = _read_text(self.location, None, what="descripteur", big_is_data=suffix == ".json")
        if text is None or (suffix == ".json" and text.lstrip("\ufeff \t\r\n").startswith("[")):
            return None  # a JSON array of records, or a JSON too big to be a descriptor: a data file
        data = _parse_descriptor(text, self.location)
        if not isinstance(data, dict):
            raise UnusableInput(f"{shown_name(self.location)} : un descripteur Frictionless (objet JSON/YAML) est attendu.")
        if "resources" in data:
            return data
        # `{"data": [...]}` beside no word of a resource descriptor (an API's export: `meta`,
        # `links`…) is an envelope of records, as `{"items": [...]}`; a resource with inline data
        # says what it is (name, schema, profile…).
        envelope = suffix == ".json" and not set(data) & _RESOURCE_WORDS
        if "path" in data or ("data" in data and not envelope):  # a single resource descriptor
            return {"name": data.get("name") or "ressource", "resources": [data]}
        if suffix == ".json":
            return None  # a JSON envelope of records ({"items": [...]}, {"data": [...]}) : a data file
        raise UnusableInput(f"{shown_name(self.location)} : ni paquet de données (« resources »), ni ressource (« path »).")

    def _mappings(self) -> list[ColumnMapping]:
        base_dir, _ = self._base()
        return load_mappings(self.options.get("mapping"), base_dir=base_dir)

    def _plain_table(self) -> _Table:
        mappings = self._mappings()
        if len(mappings) > 1:
            raise UnusableInput("Un seul fichier de données : la correspondance ne doit décrire qu'une table.")
        mapping = mappings[0] if mappings else None
        name = PurePosixPath(urlsplit(self.location).path).name
        fmt = self.options.get("format") or _format_of(name if is_url(self.location) else self.location, None)
        kind = mapping.kind if mapping else self.options.get("kind")
        if kind is not None and kind not in schemas.KINDS:
            raise UnusableInput(f"Schéma inconnu « {kind} » (schémas : {', '.join(schemas.KINDS)}).")
        table = _Table(name, kind or "", self.location, fmt, self.options.get("encoding", "utf-8"), mapping)
        if not kind:
            table.kind = self._kind_from_header(table)
        return table

    def _kind_from_header(self, table: _Table) -> str:
        rows = self._rows(table)
        try:
            first = next(rows, None)
        finally:
            rows.close()
        header = list(first[1]) if first else []
        kind = guess_kind(header)
        required = _required_fields(kind) if kind else set()
        if kind is None or not required <= set(header):
            raise UnusableInput(
                f"{table.name} : impossible de savoir quel schéma suit ce fichier (aucun des nôtres n'a tous ses "
                "champs obligatoires dans l'en-tête). Indiquez-le (--option kind=service) ou fournissez une "
                "correspondance de colonnes (--option mapping=correspondance.yml)."
            )
        return kind

    def _package_tables(self, descriptor: dict) -> tuple[list[_Table], set[str]]:
        resources = descriptor.get("resources")
        if not isinstance(resources, list) or not resources:
            raise UnusableInput(f"{shown_name(self.location)} : le paquet ne déclare aucune ressource.")
        mappings = self._mappings()
        selected = _csv_option(self.options.get("resources"))
        base_dir, base_url = self._base()
        for n, raw in enumerate(resources, start=1):
            # Our own refusal first, in plain French, before frictionless' terser one.
            paths = raw.get("path") if isinstance(raw, dict) else None
            for path in paths if isinstance(paths, list) else [paths]:
                if isinstance(path, str):
                    _check_path(path, local=base_dir is not None, what=f"ressource « {raw.get('name') or n} »")
        sanitized = _sanitize(descriptor)
        package = _frictionless_package(sanitized, (base_dir, base_url), self.location)
        tables: list[_Table] = []
        refused: list[str] = []
        left_out: set[str] = set()
        used_mappings: set[int] = set()
        for raw, resource in zip(resources, package.resources):
            name = resource.name or str(raw.get("path"))
            mapping, index = _mapping_for(mappings, raw, name, len(resources))
            kind, reason = (mapping.kind, None) if mapping else self._declared_kind(raw)
            wanted = (name in selected) if selected else (mapping is not None or not mappings or kind is not None)
            if not wanted:
                if kind:
                    left_out.add(kind)
                continue
            if kind is None:
                refused.append(f"« {name} » : {reason}")
                continue
            if index is not None:
                used_mappings.add(index)
            tables.append(self._table(raw, resource, name, kind, mapping))
        unused = [m for n, m in enumerate(mappings) if n not in used_mappings]
        if unused:
            names = ", ".join(m.resource or m.kind for m in unused)
            raise UnusableInput(f"{shown_name(self.location)} : correspondance(s) sans ressource correspondante ({names}) ; "
                                "indiquez « resource » (nom ou chemin de la ressource).")
        missing = selected - {r.name for r in package.resources}
        if missing:
            raise UnusableInput(f"{shown_name(self.location)} : ressource(s) {_names(missing)} introuvable(s) dans le paquet.")
        if refused:
            raise UnusableInput(
                f"{shown_name(self.location)} : ressource(s) dont le schéma n'est pas l'un des nôtres — " + " ; ".join(refused)
                + f". Schémas reconnus : {', '.join(schemas.KINDS)} (schemas/<type>/schema.json). Fournissez une "
                "correspondance de colonnes (--option mapping=…) ou limitez la lecture aux ressources reconnues "
                "(--option resources=nom1,nom2)."
            )
        if not tables:
            raise UnusableInput(f"{shown_name(self.location)} : aucune ressource à lire.")
        return tables, left_out

    def _declared_kind(self, raw: dict) -> tuple[str | None, str]:
        """The kind a resource declares through its schema or profile, or why none is ours."""
        schema = raw.get("schema")
        profile = raw.get("profile")
        if isinstance(schema, str):
            kind = _kind_from_address(schema)
            if kind:
                return kind, ""
            if not is_url(schema) and schema.lower().endswith((".json", ".yaml", ".yml")):
                base_dir, base_url = self._base()
                location = self._resolve(schema, base_dir, base_url, what="schéma")
                if base_dir is not None:  # a local schema file: read it, never a remote one
                    schema = _parse_descriptor(_read_text(location, None, what="schéma"), location)
        if isinstance(schema, dict):
            kind, reason = _kind_from_inline(schema)
            if kind:
                return kind, ""
            return None, reason + _format_hint(str(schema.get("name") or ""))
        if isinstance(profile, str) and _kind_from_address(profile):
            return _kind_from_address(profile), ""
        if schema is None:
            return None, "aucun schéma déclaré"
        return None, f"schéma inconnu « {schema} »" + _format_hint(str(schema))

    def _table(self, raw: dict, resource, name: str, kind: str, mapping: ColumnMapping | None) -> _Table:
        encoding = raw.get("encoding") or self.options.get("encoding") or "utf-8"
        if "data" in raw and raw.get("path") is None:
            return _Table(name, kind, None, "inline", encoding, mapping, inline=_inline_rows(raw["data"], name))
        path = raw.get("path")
        if isinstance(path, list):
            raise UnusableInput(f"Ressource « {name} » : les ressources en plusieurs fichiers ne sont pas prises en "
                                "charge ; déclarez une ressource par fichier.")
        if not isinstance(path, str) or not path:
            raise UnusableInput(f"Ressource « {name} » : chemin (« path ») manquant.")
        base_dir, base_url = self._base()
        location = self._resolve(path, base_dir, base_url, what=f"ressource « {name} »")
        fmt = _format_of(path, raw.get("format") or getattr(resource, "format", None))
        return _Table(name, kind, location, fmt, encoding, mapping, delimiter=_declared_delimiter(raw, name))

    @staticmethod
    def _resolve(path: str, base_dir: Path | None, base_url: str | None, *, what: str) -> str:
        """A resource path made absolute, refusing what leaves the package (security)."""
        _check_path(path, local=base_dir is not None, what=what)
        if is_url(path):
            return path
        if base_url is not None:
            return urljoin(base_url, path)
        assert base_dir is not None
        target = (base_dir / path).resolve()
        if not target.is_relative_to(base_dir):
            raise UnusableInput(f"{what} : « {path} » mène hors du dossier du paquet (lien symbolique) ; refusé "
                                "(sécurité).")
        if target.is_dir():
            raise UnusableInput(f"{what} : « {path} » est un dossier (dans {base_dir}) : indiquez le fichier à lire.")
        if not target.is_file():
            raise UnusableInput(f"{what} : fichier introuvable « {path} » (dans {base_dir}).")
        return str(target)

    # -- reading -------------------------------------------------------------------------------

    def _rows(self, table: _Table) -> Iterator[tuple[int, dict]]:
        if table.inline is not None:
            yield from enumerate(table.inline, start=1)
            return
        assert table.location is not None
        # A remote table is downloaded, then removed; messages name its URL (http.local_copy).
        suffix = PurePosixPath(urlsplit(table.location).path).suffix
        with local_copy(table.location, suffix=suffix) as path:
            yield from iter_rows(path, table.fmt, encoding=table.encoding, delimiter=table.delimiter)

    def _table_items(self, table: _Table) -> Iterator[Item]:
        word = "ligne" if table.fmt == "csv" else "élément"
        first = True
        keys_seen: set[str] | None = set() if table.mapping is not None and table.fmt != "csv" else None
        for position, raw in self._rows(table):
            if first and table.mapping is not None and table.fmt == "csv":
                table.mapping.check_header([k for k in raw if k != "__cells__"], table.name)
            if keys_seen is not None:
                keys_seen.update(raw)
            first = False
            row = table.mapping.apply(raw) if table.mapping else raw
            # A partner's `contact_public`, mapped or left as its own column, is kept as promised.
            row = as_promised(row, raw.get("contact_public"))
            if table.mapping and "__cells__" in raw:
                row["__cells__"] = raw["__cells__"] - len(raw) + 1 + len(row)  # keep the cell-count defect
            self._done += 1
            yield Item(table.kind, row, reference=f"{table.name}, {word} {position}",
                       cut_short=isinstance(raw, UnterminatedRow))
        if first:
            raise UnusableInput(f"{table.name} ne contient aucun enregistrement.")
        if keys_seen is not None and table.mapping is not None:
            table.mapping.check_keys(keys_seen, table.name)


# -- helpers ---------------------------------------------------------------------------------

def _check_path(path: str, *, local: bool, what: str) -> None:
    if is_url(path):
        if local:
            raise UnusableInput(f"{what} : « {path} » est distante alors que le paquet est local ; un paquet "
                                "local ne lit que ses propres fichiers (sécurité).")
        return
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path) or ".." in parts or ":" in path:
        raise UnusableInput(f"{what} : le chemin « {path} » sort du dossier du paquet (chemin absolu ou « .. ») ; "
                            "refusé (sécurité).")


def _read_text(location: str, base_dir: Path | None, *, what: str, big_is_data: bool = False) -> str | None:
    """A descriptor's text; None (`big_is_data`) when it is too big to be one, or no JSON object."""
    if is_url(location):
        response = HttpClient().get(location, stream=True)
        try:
            data = b"".join(read_body(response, location, MAX_DESCRIPTOR_BYTES,
                                      f"{location} : {what} trop volumineux (plus de 5 Mo)."))
        except ResponseTooBig:
            if big_is_data:
                return None
            raise
    else:
        path = Path(location)
        if not path.is_absolute() and not path.exists() and base_dir is not None:
            path = base_dir / location
        if path.is_dir():
            check_file(path)  # « … est un dossier », in the words of every reader
        if not path.is_file():
            raise UnusableInput(f"{what.capitalize()} introuvable : {location}")
        if path.stat().st_size > MAX_DESCRIPTOR_BYTES:
            if big_is_data:
                return None
            raise UnusableInput(f"{location} : {what} trop volumineux (plus de 5 Mo).")
        data = path.read_bytes()
    if big_is_data and data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
        # An array of records, an empty file: a data file, which the tabular reader judges in its
        # own words (« vide », « tronqué », the line of a byte in another encoding).
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnusableInput(f"{location} : {what} non encodé en UTF-8.") from exc


def _parse_descriptor(text: str, where: str) -> Any:
    try:
        if where.lower().endswith((".yaml", ".yml")):
            return refuse_too_deep(yaml.load(text, Loader=NoAliasLoader), where)  # a SafeLoader
        return refuse_too_deep(json_text.loads(text), where)
    except AliasRefused as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise UnusableInput(f"{where}, ligne {line} : alias YAML (*nom) refusé ; un descripteur ou une "
                            "correspondance n'en a pas besoin : écrivez la valeur en entier.") from None
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise UnusableInput(f"{where} : JSON/YAML mal formé ({str(exc).splitlines()[0]}).") from exc
    except RecursionError:  # PyYAML composes recursively: it fails before the depth is checked
        raise UnusableInput(too_deep_message(where)) from None


def _sanitize(descriptor: dict) -> dict:
    """A copy the frictionless library can check without fetching anything.

    frictionless dereferences `schema`, `profile` and `$schema` addresses over the network as
    soon as it loads a descriptor; we recognise schemas by their address ourselves, so those
    keys are dropped or replaced by an empty schema (as are dialect addresses: the CSV reader
    then detects the delimiter; a dialect written in the descriptor is followed).
    """
    def clean(node: dict) -> dict:
        # Profiles go too: we check tables against our schemas, not against profile rules.
        copy = {k: v for k, v in node.items() if k not in ("schema", "$schema", "dialect", "profile")}
        if isinstance(node.get("dialect"), dict):
            copy["dialect"] = node["dialect"]
        if node.get("schema") is not None:
            copy["schema"] = {"fields": []}  # tabular profiles require one; ours is applied later
        return copy

    package = clean(descriptor)
    package["resources"] = [clean(r) if isinstance(r, dict) else r for r in descriptor.get("resources", [])]
    return package


def _frictionless_package(descriptor: dict, base: tuple[Path | None, str | None], where: str):
    from frictionless import FrictionlessException, Package

    for n, resource in enumerate(descriptor["resources"], start=1):
        if not isinstance(resource, dict):
            raise UnusableInput(f"{where} : la ressource n°{n} n'est pas un objet.")
    base_dir, base_url = base
    basepath = str(base_dir) if base_dir is not None else (base_url or "").rsplit("/", 1)[0]
    errors = [error.message for error in Package.metadata_validate(descriptor)]
    try:
        return Package.from_descriptor(descriptor, basepath=basepath)
    except FrictionlessException as exc:
        detail = " ; ".join(errors[:5]) or getattr(exc.error, "note", None) or str(exc)
        raise UnusableInput(f"{where} : descripteur de paquet invalide ({detail}).") from exc


def _mapping_for(mappings: list[ColumnMapping], raw: dict, name: str,
                 resource_count: int) -> tuple[ColumnMapping | None, int | None]:
    for index, mapping in enumerate(mappings):
        if mapping.resource is None and resource_count == 1 and len(mappings) == 1:
            return mapping, index
        if mapping.resource is not None and mapping.resource in (name, raw.get("path")):
            return mapping, index
    return None, None


def _kind_from_address(address: str) -> str | None:
    path = urlsplit(address).path if is_url(address) else address.replace("\\", "/")
    match = _OUR_SCHEMA.search(path)
    if match and match.group("kind") in schemas.KINDS:
        return match.group("kind")
    return None


def _kind_from_inline(schema: dict) -> tuple[str | None, str]:
    name = schema.get("name")
    if name not in schemas.KINDS:
        label = f"« {name} »" if name else "sans nom"
        return None, f"schéma {label} inconnu (ni « schemas/<type>/schema.json », ni nommé comme l'un des nôtres)"
    fields = [f.get("name") for f in schema.get("fields", []) if isinstance(f, dict)]
    extra = [f for f in fields if f not in schemas.field_names(name)]
    if extra:
        return None, f"schéma nommé « {name} » mais avec des champs qui ne sont pas les nôtres ({_names(extra[:10])})"
    return name, ""


# Schemas that another Maillage format reads (a package of them is not for this one).
_OTHER_FORMATS = {"dispositif-aide": "dispositif-aide", "data-inclusion": "datainclusion", "lheo": "lheo"}


def _format_hint(schema: str) -> str:
    for marker, format_name in _OTHER_FORMATS.items():
        if marker in schema.lower():
            return f" — c'est le format « {format_name} » de Maillage (maillage harvest {format_name} …)"
    return ""


def _declared_delimiter(raw: dict, name: str) -> str | None:
    """The delimiter a resource's CSV dialect declares (`dialect.delimiter`, or frictionless-py
    5's `dialect.csv.delimiter`); None when it declares none (a dialect given by its address is
    not fetched: see `_sanitize`)."""
    dialect = raw.get("dialect")
    if not isinstance(dialect, dict):
        return None
    control = dialect.get("csv")
    delimiter = dialect.get("delimiter", control.get("delimiter") if isinstance(control, dict) else None)
    if delimiter is None:
        return None
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\r\n\"":
        raise UnusableInput(f"Ressource « {name} » : délimiteur déclaré (dialect.delimiter) inutilisable "
                            f"« {delimiter} » : un seul caractère est attendu (« , », « ; », tabulation…).")
    return delimiter


def _inline_rows(data: Any, name: str) -> list[dict]:
    if not isinstance(data, list):
        raise UnusableInput(f"Ressource « {name} » : « data » doit être une liste.")
    if data and isinstance(data[0], list):  # a header row, then rows of cells
        header = [str(h) for h in data[0]]
        return [dict(zip(header, cells)) for cells in data[1:] if isinstance(cells, list)]
    if not all(isinstance(row, dict) for row in data):
        raise UnusableInput(f"Ressource « {name} » : « data » doit contenir des objets ou des lignes de cellules.")
    return list(data)


def _format_of(path: str, declared: str | None) -> str:
    fmt = (declared or "").lower() or PurePosixPath(path).suffix.lower().lstrip(".")
    if fmt in TABULAR_FORMATS:
        return TABULAR_FORMATS[fmt]
    if not fmt:
        return detect_format(Path(path)) if Path(path).is_file() else "csv"
    raise UnusableInput(f"{path} : format « {fmt} » non pris en charge (formats lus : CSV, JSON, NDJSON, Parquet).")


def _required_fields(kind: str) -> set[str]:
    return {f["name"] for f in schemas.load_schema(kind)["fields"] if f.get("constraints", {}).get("required")}


def _field_type(kind: str, name: str) -> str | None:
    return next((f["type"] for f in schemas.load_schema(kind)["fields"] if f["name"] == name), None)


def _csv_option(value: Any) -> set[str]:
    if not value:
        return set()
    if isinstance(value, list | tuple | set):
        return {str(v).strip() for v in value if str(v).strip()}
    return {part.strip() for part in str(value).split(",") if part.strip()}


def _str_dict(value: Any, key: str, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise UnusableInput(f"{where} : « {key} » doit associer des noms à des noms (texte).")
    return {str(k): v for k, v in value.items()}


def _dict(value: Any, key: str, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UnusableInput(f"{where} : « {key} » doit associer des noms de champs à des valeurs.")
    return {str(k): v for k, v in value.items()}


def _values(value: Any, where: str) -> dict[str, dict]:
    """`values`: our field → {their value: our value}; a field left empty (a truncated file,
    `frais:` alone) is an error, not « no translation »."""
    fields = _dict(value, "values", where)
    wrong = sorted(name for name, table in fields.items() if not isinstance(table, dict))
    if wrong:
        raise UnusableInput(f"{where} : dans « values », {_names(wrong)} doi{'vent' if len(wrong) > 1 else 't'} "
                            "associer leurs valeurs aux nôtres ({Gratuit: gratuit, …}).")
    return fields


def _opt_str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _names(values) -> str:
    return ", ".join(f"« {v} »" for v in sorted(values))
