"""Streamed reading of tabular files: CSV, JSON (array or `{"items": [...]}`), NDJSON, Parquet.

Every reader yields `(position, row)` one row at a time, so memory does not grow with the file:
`position` is the row number a person will look for (CSV: the file's row number, header = 1, as
Frictionless counts; other formats: the item's rank, from 1). CSV cells are strings, empty cells
are None; JSON and Parquet keep their native types.
Anything that makes the file unreadable raises `UnusableInput` with a French explanation.
"""

from __future__ import annotations

import codecs
import csv
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import ijson
import orjson

from catalog.errors import UnusableInput, parser_detail
from catalog.nesting import refuse_too_deep, refuse_too_deep_stream

FORMATS = ("csv", "json", "ndjson", "parquet")
_EXTENSIONS = {
    ".csv": "csv",
    ".json": "json",
    ".geojson": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".parquet": "parquet",
}

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def detect_format(path: Path, head: bytes | None = None) -> str:
    """The format of a file, from its extension or else from its first bytes."""
    ext = _EXTENSIONS.get(path.suffix.lower())
    if ext:
        return ext
    if head is None:
        _check_file(path)
        with open(path, "rb") as f:
            head = f.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        # One object per line is NDJSON; an object spread over lines is a JSON envelope.
        first_line = stripped.split(b"\n", 1)[0].strip()
        try:
            orjson.loads(first_line)
            return "ndjson"
        except orjson.JSONDecodeError:
            return "json"
    return "csv"


def iter_rows(path: Path | str, fmt: str | None = None, encoding: str = "utf-8") -> Iterator[tuple[int, dict]]:
    path = Path(path)
    _check_file(path)
    if path.is_file() and path.stat().st_size == 0:
        raise UnusableInput(f"Le fichier {path.name} est vide.")
    _check_encoding_name(encoding)
    fmt = fmt or detect_format(path)
    if fmt == "csv":
        yield from _iter_csv(path, encoding)
    elif fmt == "json":
        with open(path, "rb") as f:
            yield from iter_json_stream(f, path.name)
    elif fmt == "ndjson":
        yield from _iter_ndjson(path, encoding)
    elif fmt == "parquet":
        yield from _iter_parquet(path)
    else:
        raise UnusableInput(f"Format inconnu « {fmt} » (formats lus : {', '.join(FORMATS)}).")


def _check_file(path: Path) -> None:
    """A French refusal for what `open` would fail on with a traceback."""
    if not path.exists():
        raise UnusableInput(f"Fichier introuvable : {path}")
    if path.is_dir():
        raise UnusableInput(f"{path} est un dossier : indiquez le fichier à lire.")


def _check_encoding_name(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UnusableInput(f"Encodage inconnu : « {encoding} » (par exemple utf-8, windows-1252, "
                            "iso-8859-1).") from None


def _text_lines(path: Path, encoding: str) -> Iterator[str]:
    """Decoded lines; a byte that is not `encoding` is a French error naming the line."""
    with open(path, encoding=encoding, errors="strict", newline="") as f:
        line_no = 0
        try:
            for line_no, line in enumerate(f, start=1):
                yield line
        except UnicodeDecodeError as exc:
            raise UnusableInput(
                f"{path.name} n'est pas encodé en {encoding.upper()} (octet invalide vers la ligne "
                f"{line_no + 1}). Réencodez le fichier en UTF-8 ou indiquez son encodage."
            ) from exc


def _iter_csv(path: Path, encoding: str) -> Iterator[tuple[int, dict]]:
    lines = _text_lines(path, encoding)
    first = next(lines, "").lstrip("\ufeff")
    delimiter = max((",", ";", "\t", "|"), key=first.count)
    reader = csv.reader(_chain([first], lines), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise UnusableInput(f"{path.name} : en-tête CSV illisible ({exc}).") from exc
    header = [h.strip() for h in header]
    if not any(header):
        raise UnusableInput(f"{path.name} : la première ligne (en-tête) est vide.")
    # Two columns of one name would be one key: the last would silently win, an empty cell
    # erasing a filled one. Unnamed columns (a spreadsheet's trailing separators) hold nothing.
    named = [h for h in header if h]
    twice = sorted({h for h in named if named.count(h) > 1})
    if twice:
        raise UnusableInput(f"{path.name} : colonne(s) présente(s) deux fois dans l'en-tête : "
                            f"{', '.join(f'« {h} »' for h in twice)}. Renommez ou supprimez le doublon.")
    width = len(header)
    row_number = 1
    try:
        for cells in reader:
            row_number += 1
            if not cells:
                continue
            row = {name: (value if value != "" else None) for name, value in zip(header, cells)}
            if len(cells) != width:
                # Keep the row so the report can say which one; validation will flag it. A short
                # row still has every column of the header (empty): its keys are the header's.
                row = dict.fromkeys(header) | row
                row["__cells__"] = len(cells)
            yield row_number, row
    except csv.Error as exc:
        raise UnusableInput(f"{path.name}, ligne {row_number + 1} : CSV mal formé ({exc}).") from exc


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def iter_json_stream(stream: BinaryIO, name: str) -> Iterator[tuple[int, dict]]:
    """Items of a JSON array, or of the `items`/`results`/`data` array of a JSON object.

    `stream` must be seekable (a file, or `io.BytesIO` for an HTTP response).
    """
    head = stream.read(1 << 16)
    stream.seek(0)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"[\x00", b"{\x00", b"\x00[", b"\x00{"):
        raise UnusableInput(f"{name} est encodé en UTF-16 (ou UTF-32) : enregistrez-le en UTF-8.")
    prefix = _items_prefix(head)
    refuse_too_deep_stream(stream, name)  # before ijson's prefixed reading, whose memory grows with depth²
    position = 0
    try:
        for item in _json_items(stream, prefix):
            position += 1
            if not isinstance(item, dict):
                raise UnusableInput(f"{name} : l'élément n°{position} n'est pas un objet JSON.")
            yield position, item
    except ijson.common.IncompleteJSONError as exc:
        raise UnusableInput(
            f"{name} : JSON tronqué ou mal formé après {position} élément(s) lu(s) ({parser_detail(exc)})."
        ) from exc
    except ijson.common.JSONError as exc:
        raise UnusableInput(f"{name} : JSON mal formé ({parser_detail(exc)}).") from exc
    except UnicodeDecodeError as exc:
        raise UnusableInput(f"{name} : le JSON n'est pas encodé en UTF-8.") from exc


def _json_items(stream: BinaryIO, prefix: str) -> Iterator[Any]:
    """ijson's items, decimals as floats (yajl's float mode, the fast one). That mode cannot hold
    an integer beyond 64 bits and stops at the first one: from there the rest is read in exact
    mode (decimals as `Decimal`, given back as floats), so that one record is refused by the
    engine as not storable instead of the whole file."""
    given = 0
    try:
        for item in ijson.items(stream, prefix, use_float=True):
            given += 1
            yield item
        return
    except ijson.common.IncompleteJSONError as exc:
        if "integer overflow" not in str(exc):
            raise
    stream.seek(0)
    for index, item in enumerate(ijson.items(stream, prefix)):
        if index >= given:
            yield _decimals_as_floats(item)


def _decimals_as_floats(value: Any) -> Any:
    # Recursion is safe here: refuse_too_deep_stream has bounded the depth.
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: _decimals_as_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decimals_as_floats(item) for item in value]
    return value


def _items_prefix(head: bytes) -> str:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return "item"
    for key in (b'"items"', b'"results"', b'"data"', b'"features"'):
        if key in head:
            return key.strip(b'"').decode() + ".item"
    return "item"


def _iter_ndjson(path: Path, encoding: str) -> Iterator[tuple[int, dict]]:
    position = 0
    for line in _text_lines(path, encoding):
        line = line.strip()
        if not line:
            continue
        position += 1
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise UnusableInput(f"{path.name}, ligne {position} : JSON mal formé ({exc}).") from exc
        if not isinstance(item, dict):
            raise UnusableInput(f"{path.name}, ligne {position} : un objet JSON est attendu.")
        yield position, refuse_too_deep(item, f"{path.name}, ligne {position}")


def _iter_parquet(path: Path) -> Iterator[tuple[int, dict]]:
    import pyarrow.lib
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pyarrow.lib.ArrowInvalid, OSError) as exc:
        raise UnusableInput(f"{path.name} : fichier Parquet illisible ({exc}).") from exc
    position = 0
    try:
        for batch in parquet.iter_batches(batch_size=4096):
            for row in batch.to_pylist():
                position += 1
                yield position, row
    except (pyarrow.lib.ArrowInvalid, OSError) as exc:
        raise UnusableInput(f"{path.name} : fichier Parquet tronqué ou corrompu ({exc}).") from exc
