"""Streamed reading of tabular files: CSV, JSON (array or `{"items": [...]}`), NDJSON, Parquet.

Every reader yields `(position, row)` one row at a time, so memory does not grow with the file:
`position` is the row number a person will look for (CSV: the file's row number, header = 1, as
Frictionless counts; other formats: the item's rank, from 1). CSV cells are strings, empty cells
are None; JSON and Parquet keep their native types.
Anything that makes the file unreadable raises `UnusableInput` with a French explanation.

Encodings are never guessed: a wrong guess deforms every accent of the file. CSV and NDJSON are
read in the declared encoding (UTF-8 unless told otherwise), JSON always in UTF-8 (RFC 8259). A
byte that is not in that encoding is refused naming its line; a file declared in another
encoding but written in UTF-8 is refused too, before a single row is read (read as declared,
« République » would become « RÃ©publique » in every record). A UTF-8 byte order mark is dropped.
An HTML page where data was expected (a server's error or login page) is said to be one.
"""

from __future__ import annotations

import codecs
import csv
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import ijson
import orjson

from catalog import json_text
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
_CHUNK = 1 << 20
_LABELS = {"utf-8": "UTF-8", "cp1252": "Windows-1252", "iso8859-1": "ISO-8859-1", "iso8859-15": "ISO-8859-15"}
_HOW_TO_SAVE = ("enregistrez-le en UTF-8 (« CSV UTF-8 » dans un tableur), ou déclarez son encodage (option "
                "encoding, par exemple windows-1252 pour le « CSV » d'Excel) ; il n'est jamais deviné, pour ne "
                "pas déformer les accents.")
_JSON_IN_UTF8 = "enregistrez-le en UTF-8, l'encodage des fichiers JSON."
# A server's error or login page, where a file was expected.
_HTML_STARTS = (b"<!doctype html", b"<html")
# The first line of a JSON document, read as a CSV header (`format=csv` on a JSON file).
_JSON_START = re.compile(r'\s*(?:\[\s*(?:[\[{"\]]|$)|\{\s*(?:["}]|$))')

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


# -- naming the file in messages ----------------------------------------------------------------

_SHOWN_AS: dict[Path, str] = {}


@contextmanager
def shown_as(path: Path, name: str) -> Iterator[Path]:
    """Within the block, messages about `path` call it `name`: a downloaded copy is named by its
    URL, since its temporary name (« tmpuaxef3l9.csv ») tells the reader nothing."""
    key = Path(path)
    _SHOWN_AS[key] = name
    try:
        yield key
    finally:
        _SHOWN_AS.pop(key, None)


def shown_name(path: Path | str) -> str:
    """How messages name the file at `path` (or a URL): its URL when it is a download, else its
    name, never the server's full path."""
    if isinstance(path, str) and path.startswith(("http://", "https://")):
        return path
    path = Path(path)
    return _SHOWN_AS.get(path) or path.name or str(path)


def check_file(path: Path | str) -> None:
    """A French refusal for what `open` would fail on with a traceback. Every reader of a local
    file says it in these words, so that a folder is never reported « introuvable »."""
    path = Path(path)
    if path.is_dir():
        raise UnusableInput(f"{path} est un dossier : indiquez le fichier à lire.")
    if not path.exists():
        raise UnusableInput(f"Fichier introuvable : {path}")


def is_html_page(head: bytes) -> bool:
    """Whether the first bytes of a file are those of an HTML page."""
    return head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower().startswith(_HTML_STARTS)


def refuse_html_page(head: bytes, name: str, expected: str) -> None:
    """An HTML page where data was expected: a server answered with its error or login page."""
    if is_html_page(head):
        raise UnusableInput(f"{name} : page HTML reçue au lieu de données {expected} (page d'erreur ou de "
                            "connexion du serveur ?) : vérifiez l'adresse.")


# A compressed archive or an office document where text was expected, by its first bytes. Read
# as text, each was refused as « pas encodé en UTF-8 », with advice about encodings that could
# not help; declared windows-1252 (which decodes nearly any byte), it would have been read.
_SAVE_AS_CSV = "ouvrez-le dans le tableur et enregistrez-le en « CSV UTF-8 »."
_CONTAINERS = (
    (b"\x1f\x8b", "une archive gzip : décompressez-la, puis indiquez le fichier qu'elle contient."),
    (b"\xd0\xcf\x11\xe0", f"un classeur Excel 97-2003 (.xls), pas un fichier texte : {_SAVE_AS_CSV}"),
    (b"%PDF-", "un document PDF, pas un fichier de données."),
    (b"7z\xbc\xaf", "une archive 7-Zip : décompressez-la, puis indiquez le fichier qu'elle contient."),
    (b"Rar!", "une archive RAR : décompressez-la, puis indiquez le fichier qu'elle contient."),
)
_ZIP_MAGIC = b"PK\x03\x04"


def refuse_binary(head: bytes, name: str) -> None:
    """A compressed archive, a spreadsheet workbook or a PDF where a text file was expected."""
    for magic, what in _CONTAINERS:
        if head.startswith(magic):
            raise UnusableInput(f"{name} est {what}")
    if head.startswith(_ZIP_MAGIC):
        # Office documents are zip archives; their first members say which (OOXML, OpenDocument).
        if b"opendocument.spreadsheet" in head:
            what = f"un classeur OpenDocument (.ods), pas un fichier texte : {_SAVE_AS_CSV}"
        elif b"xl/" in head:
            what = f"un classeur Excel (.xlsx), pas un fichier texte : {_SAVE_AS_CSV}"
        elif b"[Content_Types].xml" in head:  # its other members may start beyond the head
            what = f"un document Office (un classeur .xlsx ?), pas un fichier texte : si c'est un classeur, {_SAVE_AS_CSV}"
        else:
            what = "une archive zip : décompressez-la, puis indiquez le fichier qu'elle contient."
        raise UnusableInput(f"{name} est {what}")


# -- encodings ----------------------------------------------------------------------------------


def codec_name(encoding: Any) -> str:
    """The codec's canonical name (`windows-1252` → `cp1252`), UTF-8 when nothing is declared.
    UTF-8 with a byte order mark (Excel's « CSV UTF-8 ») is UTF-8: the readers drop the mark."""
    try:
        info = codecs.lookup(str(encoding or "utf-8"))
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):  # base64, zlib…: not text
        raise UnusableInput(f"Encodage inconnu : « {encoding} » (par exemple utf-8, windows-1252, "
                            "iso-8859-1).") from None
    return "utf-8" if info.name == "utf-8-sig" else info.name


def encoding_label(encoding: str) -> str:
    name = codec_name(encoding)
    return _LABELS.get(name, name.upper())


# What a text in UTF-8 writes beyond ASCII: Latin-1 and Latin Extended-A letters (é, œ, ć),
# punctuation, spaces and symbols (’ « … – U+202F € ™ → ✓), emoji. The sequences a single-byte
# text forms by accident (a capital or accented letter, then punctuation or a no-break space)
# decode to IPA, Greek, Cyrillic, CJK..., never to these: they would need « Â », « Ã », « Ä »,
# « Å » or « â » before two such bytes, which French does not write.
UTF8_EVIDENCE = re.compile("[\u0080-\u017f\u2000-\u2bff\U0001f300-\U0001faff]")


def check_encoding(path: Path | str, encoding: Any) -> None:
    """Refuse, before a single row is read, a file that another encoding than UTF-8 is declared
    for but that is written in UTF-8 with accents: read as declared, « é » would become « Ã© »
    in every record, and nothing would fail. Its first byte invalid in the declared encoding is
    found on the way, and named with its line. A file declared UTF-8 is checked as it is read
    (`_text_lines`): a second pass would find nothing more."""
    path = Path(path)
    check_file(path)
    encoding = codec_name(encoding)
    if encoding == "utf-8" or not path.is_file():  # a named pipe cannot be read twice
        return
    with open(path, "rb") as stream:
        also_utf8 = _decode_whole(stream, encoding, shown_name(path), _HOW_TO_SAVE)
    if also_utf8:
        raise UnusableInput(f"{shown_name(path)} est déclaré en {encoding_label(encoding)} mais il est écrit en "
                            "UTF-8 : retirez l'encodage déclaré (option encoding, ou « encoding » de la ressource) ; "
                            "lu comme déclaré, chaque accent serait déformé (« é » devenu « Ã© »).")


def _decode_whole(stream: BinaryIO, encoding: str, name: str, advice: str) -> bool:
    """Decode the whole stream as `encoding`, a chunk at a time (memory stays flat): refuse it at
    its first invalid byte, naming that byte's line, or when it ends in the middle of a character
    (a cut download). Returns whether it is also UTF-8 holding something beyond ASCII (only
    looked at when `encoding` is another one): characters a UTF-8 text writes (`UTF8_EVIDENCE`),
    not any byte beyond ASCII."""
    declared = codecs.getincrementaldecoder(encoding)(errors="strict")
    as_utf8 = codecs.getincrementaldecoder("utf-8")(errors="strict") if encoding != "utf-8" else None
    utf8, beyond_ascii, line = as_utf8 is not None, False, 1
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        pending = len(getattr(declared, "buffer", b""))  # the start of a character cut by the last chunk
        try:
            declared.decode(chunk)
        except UnicodeDecodeError as exc:
            line += chunk[:max(exc.start - pending, 0)].count(b"\n")
            raise UnusableInput(f"{name} n'est pas encodé en {encoding_label(encoding)} (premier octet invalide "
                                f"ligne {line}) : {advice}") from exc
        line += chunk.count(b"\n")
        if utf8 and as_utf8 is not None:
            try:
                text = as_utf8.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
            else:  # « É » + a no-break space is valid UTF-8 (« ɠ »), not a sign of it
                beyond_ascii = beyond_ascii or UTF8_EVIDENCE.search(text) is not None
    try:
        declared.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise UnusableInput(f"{name} se termine au milieu d'un caractère {encoding_label(encoding)} : fichier "
                            "tronqué ?") from exc
    if utf8 and as_utf8 is not None:
        try:
            as_utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return utf8 and beyond_ascii


# -- reading ------------------------------------------------------------------------------------


def detect_format(path: Path, head: bytes | None = None) -> str:
    """The format of a file, from its extension or else from its first bytes."""
    ext = _EXTENSIONS.get(path.suffix.lower())
    if ext:
        return ext
    if head is None:
        check_file(path)
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


def iter_rows(path: Path | str, fmt: str | None = None, encoding: str = "utf-8",
              delimiter: str | None = None) -> Iterator[tuple[int, dict]]:
    """The rows of a table file, numbered as its producer would count them. A CSV's delimiter
    is the one given (a data package's dialect), else the commonest in its header line."""
    path = Path(path)
    check_file(path)
    name = shown_name(path)
    if path.is_file() and path.stat().st_size == 0:
        raise UnusableInput(f"Le fichier {name} est vide.")
    encoding = codec_name(encoding)
    fmt = fmt or detect_format(path)
    # Looked at before the rows, in a read of its own: only a regular file can be read twice (a
    # named pipe's bytes, once read, would be lost to the rows).
    if fmt in ("csv", "ndjson") and path.is_file():
        with open(path, "rb") as f:
            head = f.read(1024)
        refuse_binary(head, name)
        if encoding == "utf-8" and head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"  # Excel's « Texte Unicode »: declared by its byte order mark, not guessed
        refuse_html_page(head, name, fmt.upper())
        check_encoding(path, encoding)
    if fmt == "csv":
        yield from _iter_csv(path, encoding, delimiter)
    elif fmt == "json":
        with open(path, "rb") as f:
            yield from iter_json_stream(f, name)
    elif fmt == "ndjson":
        yield from _iter_ndjson(path, encoding)
    elif fmt == "parquet":
        yield from _iter_parquet(path)
    else:
        raise UnusableInput(f"Format inconnu « {fmt} » (formats lus : {', '.join(FORMATS)}).")


def _text_lines(path: Path, encoding: str) -> Iterator[str]:
    """Decoded lines; a byte that is not `encoding` is a French error naming its line."""
    try:
        with open(path, encoding=encoding, errors="strict", newline="") as f:
            yield from f
    except UnicodeDecodeError as exc:
        # The text layer decodes ahead of the lines it gives (8 kB at a time): the line it was on
        # is not the faulty one. Only on this path, a regular file is read again to name it.
        if path.is_file():
            with open(path, "rb") as stream:
                _decode_whole(stream, encoding, shown_name(path), _HOW_TO_SAVE)
        raise UnusableInput(f"{shown_name(path)} n'est pas encodé en {encoding_label(encoding)} : "
                            f"{_HOW_TO_SAVE}") from exc


def _iter_csv(path: Path, encoding: str, delimiter: str | None = None) -> Iterator[tuple[int, dict]]:
    name = shown_name(path)
    lines = _text_lines(path, encoding)
    first = next(lines, "").lstrip("\ufeff")
    if _JSON_START.match(first):
        raise UnusableInput(f"{name} est lu comme un CSV, mais il commence par « {first.strip()[:1]} » : c'est sans "
                            "doute du JSON ; vérifiez le format indiqué (option format).")
    delimiter = delimiter or max((",", ";", "\t", "|"), key=first.count)
    last_line = [first]
    reader = csv.reader(_lines_noting_last(first, lines, last_line), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise UnusableInput(f"{name} : en-tête CSV illisible ({exc}).") from exc
    # A spreadsheet saved on a Mac writes « é » as « e » + accent (NFD): the same name to a
    # reader, another string to a dict. Column names are compared composed (NFC).
    header = [unicodedata.normalize("NFC", h.strip()) for h in header]
    if not any(header):
        raise UnusableInput(f"{name} : la première ligne (en-tête) est vide.")
    # Two columns of one name would be one key: the last would silently win, an empty cell
    # erasing a filled one. Unnamed columns (a spreadsheet's trailing separators) hold nothing.
    named = [h for h in header if h]
    twice = sorted(h for h, n in Counter(named).items() if n > 1)  # counted once: a 100,000-column line
    if twice:
        raise UnusableInput(f"{name} : colonne(s) présente(s) deux fois dans l'en-tête : "
                            f"{', '.join(f'« {h} »' for h in twice)}. Renommez ou supprimez le doublon.")
    width = len(header)
    row_number = 1
    # Each row is given once the next one is read, so that the last one can be told apart.
    pending: tuple[int, dict] | None = None
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
            if pending is not None:
                yield pending
            pending = row_number, row
    except csv.Error as exc:
        raise UnusableInput(f"{name}, ligne {row_number + 1} : CSV mal formé ({exc}).") from exc
    if pending is not None:
        position, row = pending
        yield position, (UnterminatedRow(row) if not last_line[0].endswith(("\n", "\r")) else row)


class UnterminatedRow(dict):
    """The last row of a CSV file that ends without a line break. Many exports write none, but a
    file cut inside its last cell ends so too, and still parses: « Saint-Den » for « Saint-Denis ».
    The harvester marks its item (`Item.cut_short`); the engine judges it against the catalog."""


def _lines_noting_last(first: str, rest: Iterator[str], last: list[str]) -> Iterator[str]:
    """`first`, then `rest`, each line noted in `last[0]` as it is given."""
    yield first
    for line in rest:
        last[0] = line
        yield line


class _AfterBom:
    """A seekable stream read from after its UTF-8 byte order mark: position 0 is the first
    byte of JSON, for every reader that seeks back to the start (ijson, the depth check)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._start = len(codecs.BOM_UTF8)
        stream.seek(self._start)

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:
            offset += self._start
        return self._stream.seek(offset, whence) - self._start

    def tell(self) -> int:
        return self._stream.tell() - self._start


def iter_json_stream(stream: BinaryIO, name: str) -> Iterator[tuple[int, dict]]:
    """Items of a JSON array, or of the `items`/`results`/`data` array of a JSON object.

    `stream` must be seekable (a file, or `io.BytesIO` for an HTTP response).
    """
    head = stream.read(1 << 16)
    stream.seek(0)
    refuse_binary(head, name)
    if json_bom(head, name):
        stream = _AfterBom(stream)  # type: ignore[assignment]
        head = head[len(codecs.BOM_UTF8):]
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
        detail = parser_detail(exc)
        if "invalid bytes in utf8" in detail.lower():
            refuse_not_utf8(stream, name, exc)
        if "premature eof" in detail.lower():
            raise UnusableInput(f"{name} : JSON tronqué ou mal formé après {position} élément(s) lu(s) : le "
                                "document s'arrête avant sa fin (téléchargement ou export interrompu ?).") from exc
        raise UnusableInput(
            f"{name} : JSON tronqué ou mal formé après {position} élément(s) lu(s) ({detail})."
        ) from exc
    except ijson.common.JSONError as exc:
        raise UnusableInput(f"{name} : JSON mal formé ({parser_detail(exc)}).") from exc
    except UnicodeDecodeError as exc:
        refuse_not_utf8(stream, name, exc)


def json_bom(head: bytes, name: str) -> bool:
    """Whether a JSON document opens with a UTF-8 byte order mark, to be skipped: what Windows
    editors write first, which JSON readers may skip (RFC 8259), as CSV, YAML, XML and Turtle
    readers do (ijson and orjson stop on it). What the first bytes show is not JSON in UTF-8
    (UTF-16, an HTML page) is refused."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"[\x00", b"{\x00", b"\x00[", b"\x00{"):
        raise UnusableInput(f"{name} est encodé en UTF-16 (ou UTF-32) : enregistrez-le en UTF-8.")
    refuse_html_page(head, name, "JSON")
    return head.startswith(codecs.BOM_UTF8)


def refuse_not_utf8(stream: BinaryIO, name: str, exc: Exception, advice: str = _JSON_IN_UTF8) -> NoReturn:
    """Parsers say the same (« invalid bytes in UTF8 string », « str is not valid UTF-8 ») of a
    file cut in the middle of a character and of a file in another encoding: read again (only on
    this path), the file tells which, and where. `advice`: how to mend it, for this format."""
    stream.seek(0)
    _decode_whole(stream, "utf-8", name, advice)
    raise UnusableInput(f"{name} n'est pas encodé en UTF-8 ({parser_detail(exc)}) : {advice}") from exc


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
    name = shown_name(path)
    position = 0
    for line in _text_lines(path, encoding):
        # A byte order mark opens the first line (as a CSV's, dropped): orjson refuses it.
        line = (line if position else line.lstrip("\ufeff")).strip()
        if not line:
            continue
        position += 1
        try:
            item = json_text.loads(line)
        except orjson.JSONDecodeError as exc:
            raise UnusableInput(f"{name}, ligne {position} : JSON mal formé ({exc}).") from exc
        if not isinstance(item, dict):
            raise UnusableInput(f"{name}, ligne {position} : un objet JSON est attendu.")
        yield position, refuse_too_deep(item, f"{name}, ligne {position}")


def _iter_parquet(path: Path) -> Iterator[tuple[int, dict]]:
    import pyarrow.lib
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pyarrow.lib.ArrowInvalid, OSError) as exc:
        raise UnusableInput(f"{shown_name(path)} : fichier Parquet illisible ({exc}).") from exc
    position = 0
    try:
        for batch in parquet.iter_batches(batch_size=4096):
            for row in batch.to_pylist():
                position += 1
                yield position, row
    except (pyarrow.lib.ArrowInvalid, OSError) as exc:
        raise UnusableInput(f"{shown_name(path)} : fichier Parquet tronqué ou corrompu ({exc}).") from exc
