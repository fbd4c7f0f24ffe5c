"""Reading an LHEO feed safely, in constant memory, whatever its size.

1. `local_file`: an URL is downloaded to a temporary file first (`http.local_copy`), so
   that a broken connection fails before anything is read, and the file can be read twice.
2. `byte_stream`: gzip and zip (one XML member) are recognised by their first bytes.
3. `detect_encoding`: the bytes are checked against the declared encoding (one fast pass):
   a feed declared UTF-8 but written in Windows-1252/ISO-8859-1 (or the reverse, frequent in
   EDOF exports) is read in its real encoding; a feed mixing both is refused, and one that
   ends in the middle of a UTF-8 character is said to be cut (not « mixed »).
4. `sniff`: the prolog is parsed up to the root element with the same safe parser. Any entity
   declaration (XXE, « billion laughs ») and any external DTD other than LHEO's own `lheo.dtd`
   is refused before a single record is read; so are roots that are not LHEO 2.x (1.3.0
   `offre-formation`, `lheo-leger` indexes, HTML error pages).
5. `formations`: lxml `iterparse` on `formation` end events; each formation is handed over
   whole (its organisme comes after its actions), then cleared and unlinked with its
   preceding siblings, so memory holds one formation at a time.

The parser never resolves entities, never loads a DTD, never touches the network, and keeps
libxml2's limits (`huge_tree=False`). A syntax error anywhere — a truncated download
included — raises `UnusableInput`; the engine then rolls the whole run back.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from lxml import etree

from catalog.errors import UnusableInput
from catalog.tabular import UTF8_EVIDENCE, check_file
from harvesters.http import HttpClient, is_url, local_copy

PARSER_OPTIONS: dict[str, Any] = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}

NS_22 = "http://www.lheo.org/2.2"
NS_23 = "http://lheo.gouv.fr/2.3"
NS_EDOF = "https://www.of.moncompteformation.gouv.fr"
VARIANTS = {NS_22: "LHEO 2.2", NS_23: "LHEO 2.3", NS_EDOF: "EDOF (Mon Compte Formation)", "": "LHEO sans espace de noms"}
LEGACY_NAMESPACES = ("http://www.lheo.org/1.", "http://lheo.org/1.")
ROOTS = ("lheo", "lheo-plus")

SNIFF_LIMIT = 1 << 20  # the prolog of an LHEO feed is a few hundred bytes
CHUNK = 1 << 20
_DECLARATION = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
# Single-byte encodings, by Python's canonical name (« ISO_8859-1 », « CP819 », « latin-1 » are all
# « iso8859-1 »): a feed declaring one may be written in UTF-8 all the same, or partly.
_SINGLE_BYTE_PREFIXES = ("iso8859-", "cp125", "mac-", "cp437", "cp850", "koi8")


@dataclass
class Feed:
    path: Path
    name: str  # for messages: the file name or URL
    namespace: str
    variant: str
    encoding: str | None  # None: the parser follows the declaration
    export_date: str | None  # `horodatage-export` of the root, when the producer gives it


# -- 1. a local file -------------------------------------------------------------------------

@contextlib.contextmanager
def local_file(location: str) -> Iterator[Path]:
    if not is_url(location):
        check_file(location)
    suffix = "".join(Path(location.split("?")[0]).suffixes[-2:])  # offres.xml.gz
    client = HttpClient(headers={"Accept": "application/xml, application/gzip, */*"})
    with local_copy(location, suffix=suffix, client=client) as path:
        yield path


# -- 2. bytes --------------------------------------------------------------------------------

@contextlib.contextmanager
def byte_stream(path: Path, name: str) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """(decompressed stream, raw file): the raw file's position tells the progress."""
    raw = path.open("rb")
    try:
        magic = raw.read(4)
        raw.seek(0)
        if magic[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                yield stream, raw
        elif magic == b"PK\x03\x04":
            with zipfile.ZipFile(raw) as archive, archive.open(_zip_member(archive, name)) as stream:
                yield stream, raw
        else:
            yield raw, raw
    except (EOFError, gzip.BadGzipFile, zlib.error, zipfile.BadZipFile) as exc:
        raise UnusableInput(f"{name} : archive compressée tronquée ou corrompue ({exc}).") from exc
    finally:
        raw.close()


def _zip_member(archive: zipfile.ZipFile, name: str) -> str:
    members = [m for m in archive.namelist() if m.lower().endswith(".xml") and not m.endswith("/")]
    if len(members) != 1:
        raise UnusableInput(f"{name} : l'archive zip doit contenir exactement un fichier XML ({len(members)} trouvés).")
    return members[0]


# -- 3. encoding -----------------------------------------------------------------------------

def detect_encoding(path: Path, name: str, forced: str | None = None) -> str | None:
    """The encoding to impose on the parser, or None to follow the XML declaration."""
    if forced:
        canonical = _canonical(forced)
        if canonical is None:
            raise UnusableInput(f"Encodage inconnu dans les options de la source : « {forced} ».")
        return _libxml2_name(canonical)
    with byte_stream(path, name) as (stream, _):
        head = stream.read(256)
        if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00")):
            return None  # UTF-16/32: announced by its byte order mark, libxml2 reads it
        if head.startswith(codecs.BOM_UTF8):
            head = head[3:]
        match = _DECLARATION.match(head)
        declared = match.group(1).decode("ascii") if match else "utf-8"
        canonical = _canonical(declared)
        if canonical is None or (canonical != "utf-8" and not canonical.startswith(_SINGLE_BYTE_PREFIXES)):
            return None  # UTF-16 declared, an encoding Python does not know: libxml2 says what it reads
        valid, evidence, offset, cut = _scan_utf8(head, stream)
    if cut and (evidence or canonical == "utf-8"):
        # UTF-8 to its last byte, which starts a character: a cut download, not a second encoding.
        raise UnusableInput(f"{name} se termine au milieu d'un caractère UTF-8 : fichier tronqué ? Le téléchargement "
                            "ou l'export a probablement été interrompu.")
    if not valid and evidence:
        # Either declaration would write « Ã© » or drop a letter somewhere: said, never guessed.
        raise UnusableInput(
            f"{name} mélange deux encodages : UTF-8 et un encodage sur un octet (octet invalide en UTF-8 "
            f"à la position {offset}). Corrigez le fichier à la source, ou imposez l'encodage avec l'option "
            "« encoding »."
        )
    if canonical == "utf-8":
        return None if valid else "windows-1252"  # declared UTF-8, written in Windows-1252 / ISO-8859-1
    if valid and evidence:
        return "utf-8"  # declared ISO-8859-1, written in UTF-8 (accents would turn into « Ã© »)
    return None


def _canonical(label: str) -> str | None:
    """Python's name for an encoding label (« ISO_8859-1 » → « iso8859-1 »), None if unknown."""
    for candidate in (label, label.replace("-", "")):  # « latin-9 » is Python's « latin9 »
        try:
            return codecs.lookup(candidate).name
        except LookupError:
            continue
    return None


def _libxml2_name(canonical: str) -> str:
    """The name libxml2 knows for a Python codec: it has no « latin-1 » nor « iso8859_15 »."""
    if canonical.startswith("iso8859-"):
        return "ISO-8859-" + canonical.removeprefix("iso8859-")
    if canonical.startswith("cp125"):
        return "windows-" + canonical.removeprefix("cp")
    if canonical.startswith("utf-8"):
        return "UTF-8"
    if canonical == "mac-roman":
        return "macintosh"
    return canonical


def _scan_utf8(head: bytes, stream: IO[bytes]) -> tuple[bool, bool, int | None, bool]:
    """(all bytes are UTF-8, some UTF-8 character a feed writes was seen, offset of the first
    invalid byte, whether that byte is the start of a character the end of the file cuts).

    Only characters that a UTF-8 feed writes count as evidence of UTF-8 (`UTF8_EVIDENCE`): a
    Windows-1252 text forms valid sequences by accident (« É » then a no-break space is U+0260,
    « é », no-break space, « » » is U+983B), and a few of those must not make it « mixed ».
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    valid, evidence, offset, position = True, False, None, 0
    chunk = head
    while chunk:
        if not chunk.isascii():
            if valid:
                try:
                    text = decoder.decode(chunk)
                    evidence = evidence or UTF8_EVIDENCE.search(text) is not None
                except UnicodeDecodeError as exc:
                    valid, offset = False, position + exc.start
                    evidence = evidence or _utf8_evidence(chunk)
            elif not evidence:
                evidence = _utf8_evidence(chunk)
            if not valid and evidence:
                break
        elif valid:
            decoder.decode(chunk)
        position += len(chunk)
        chunk = stream.read(CHUNK)
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return False, evidence, position - len(exc.object) + exc.start, True
    return valid, evidence, offset, False


def _utf8_evidence(chunk: bytes) -> bool:
    """Whether bytes that are not all UTF-8 hold a UTF-8 sequence of a character a feed writes."""
    for match in _UTF8_MULTIBYTE.finditer(chunk):
        try:
            character = match.group().decode("utf-8")
        except UnicodeDecodeError:  # overlong forms, surrogates: no character at all
            continue
        if UTF8_EVIDENCE.match(character):
            return True
    return False


# -- 4. the prolog and the root --------------------------------------------------------------

def sniff(path: Path, name: str, encoding: str | None) -> Feed:
    try:
        parser = etree.XMLPullParser(events=("start",), encoding=encoding, **PARSER_OPTIONS)
    except LookupError:  # a name Python knows and libxml2 does not (its own list, iconv's)
        raise UnusableInput(f"{name} : encodage « {encoding} » inconnu du lecteur XML ; imposez-en un autre "
                            "(option encoding=ISO-8859-1, windows-1252 ou UTF-8).") from None
    root = None
    read = 0
    with byte_stream(path, name) as (stream, _):
        while root is None:
            chunk = stream.read(1 << 14)
            if not chunk:
                break
            read += len(chunk)
            try:
                parser.feed(chunk)
            except etree.XMLSyntaxError as exc:  # a small feed is read whole here, its cut end too
                raise unusable(exc, name, at_end=_error_on_last_line(path, name, exc), encoding=encoding) from None
            for _, element in parser.read_events():
                root = element
                break
            if root is None and read > SNIFF_LIMIT:
                raise UnusableInput(f"{name} : aucun élément racine dans le premier Mo du fichier (prologue anormal).")
    if root is None:
        try:  # libxml2 says what stopped it (a NUL byte in the prolog) only once told the data ended
            parser.close()
        except etree.XMLSyntaxError as exc:
            if read >= 200:
                raise unusable(exc, name, encoding=encoding) from None
        raise UnusableInput(f"{name} est vide ou n'est pas un document XML." if read < 200 else
                            f"{name} : document XML sans élément racine.")
    _refuse_hostile_doctype(root.getroottree().docinfo, name)
    qname = etree.QName(root)
    namespace = qname.namespace or ""
    if namespace.startswith(LEGACY_NAMESPACES) or qname.localname == "lheo-leger":
        raise UnusableInput(
            f"{name} est au format LHEO 1.x (« {namespace or qname.localname} », structure offre-formation/"
            "action-formation), abandonné depuis LHEO 2.0 : demandez au producteur un export LHEO 2.2 ou 2.3."
        )
    if qname.localname not in ROOTS:
        raise UnusableInput(f"{name} n'est pas un flux LHEO : l'élément racine est « {qname.localname} » "
                            "(attendu : « lheo »).")
    if namespace not in VARIANTS:
        raise UnusableInput(f"{name} : espace de noms LHEO inconnu « {namespace} » (connus : "
                            f"{', '.join(n for n in VARIANTS if n)}).")
    return Feed(path, name, namespace, VARIANTS[namespace], encoding, root.get("horodatage-export"))


def _refuse_hostile_doctype(docinfo: Any, name: str) -> None:
    dtd = docinfo.internalDTD
    entities = list(dtd.entities()) if dtd is not None else []
    if entities:
        external = [e.name for e in entities if e.system_url]
        what = ("des entités externes (XXE : lecture de fichiers ou requêtes réseau) : " + ", ".join(external)
                if external else f"{len(entities)} entité(s) (risque d'expansion exponentielle)")
        raise UnusableInput(f"{name} refusé : son DOCTYPE déclare {what}. Un flux LHEO n'en déclare jamais.")
    system_url = docinfo.system_url
    if system_url and Path(system_url.split("?")[0]).name.lower() != "lheo.dtd":
        raise UnusableInput(f"{name} refusé : il fait référence à une DTD externe « {system_url} », "
                            "qui n'est pas celle de LHEO (elle n'est jamais chargée).")


# -- 5. the formations, one at a time --------------------------------------------------------

def formations(feed: Feed, progress: list[int] | None = None) -> Iterator[etree._Element]:
    """Each `formation` element, complete; freed as soon as the caller asks for the next one.

    `progress`, when given, receives the raw file's position (bytes read) after each formation.
    """
    etree.clear_error_log()  # libxml2's log is per thread, kept from one document to the next
    with byte_stream(feed.path, feed.name) as (stream, raw):
        events = etree.iterparse(stream, events=("end",), tag="{*}formation", encoding=feed.encoding,
                                 **PARSER_OPTIONS)
        try:
            for _, element in events:
                yield element
                element.clear(keep_tail=False)
                parent = element.getparent()
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
                if progress is not None:
                    progress[0] = raw.tell()
        except etree.XMLSyntaxError as exc:
            raise unusable(exc, feed.name, at_end=_error_on_last_line(feed.path, feed.name, exc),
                           encoding=feed.encoding) from None


def _error_on_last_line(path: Path, name: str, exc: etree.XMLSyntaxError) -> bool:
    """Whether the parser failed on the file's last line: the feed stops short (truncated).

    Only on the error path, so counting the lines of a large file costs nothing otherwise.
    """
    _, line, column = _cause(exc)
    lines, last_line = 1, 0  # counted as libxml2 counts them: a lone CR ends no line for it
    with byte_stream(path, name) as (stream, _):
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            lines += chunk.count(b"\n")
            end = chunk.rfind(b"\n")
            last_line = len(chunk) - end - 1 if end >= 0 else last_line + len(chunk)
    if line is None or line < lines:
        return False
    # A feed written on one line (minified, or with CR line ends) fails on its last line wherever
    # it fails: only an error near that line's end says the document stops short.
    return column is None or column >= last_line - 200


_XML_POSITION = re.compile(r",? line \d+, column \d+$")
_UNDEFINED_ENTITY = re.compile(r"Entity '([^']{1,100})' not defined")


def _cause(exc: etree.XMLSyntaxError) -> tuple[str, int | None, int | None]:
    """(message, line, column) of the error that stopped the parser. With lxml 6 / libxml2 2.14,
    iterparse reports some fatal errors (an undeclared entity) only when it is closed, as « no
    element found » at line 0; the error itself is in the exception's log."""
    message = str(exc.msg if hasattr(exc, "msg") and exc.msg else exc)
    line, column = exc.position if getattr(exc, "position", None) else (exc.lineno, None)
    if not line:
        # The log may still hold the errors of earlier documents (`formations` clears it): the last is this one's.
        log = getattr(exc, "error_log", None) or ()
        fatal = next((e for e in reversed(list(log)) if e.level >= etree.ErrorLevels.ERROR), None)
        if fatal is not None:
            return fatal.message, fatal.line, fatal.column
    return message, line, column


def unusable(exc: etree.XMLSyntaxError, name: str, *, at_end: bool = False, encoding: str | None = None) -> UnusableInput:
    """A French message for libxml2's error: where, and what it means for the producer.
    `encoding`: the one imposed on the parser (None: the file's declaration was followed)."""
    message, line, column = _cause(exc)
    # libxml2 ends some messages with a line break and « , line 87, column 101 », said below in French.
    message = _XML_POSITION.sub("", " ".join(message.split()))
    where = f"ligne {line}" + (f", colonne {column}" if column else "")
    lower = message.lower()
    if "amplification" in lower or "entity" in lower and ("loop" in lower or "huge" in lower):
        return UnusableInput(f"{name} refusé : expansion d'entités excessive ({where}), une attaque « billion "
                             "laughs ». Rien n'a été lu.")
    if "excessive depth" in lower:
        return UnusableInput(f"{name} refusé : des éléments imbriqués sur plus de 256 niveaux ({where}), la limite "
                             "de sécurité du lecteur XML ; un flux LHEO en compte une dizaine.")
    if "xml_parse_huge" in lower or "too long" in lower:
        return UnusableInput(f"{name} refusé : un élément démesuré ({where}), texte ou attribut de plus de 10 Mo ou "
                             "nom de plus de 50 000 caractères, au-delà des limites de sécurité du lecteur XML (sa "
                             "mémoire ne doit pas dépendre du fichier) ; c'est cet élément qu'il faut corriger à la "
                             "source.")
    if "entity" in lower and "not defined" in lower:
        entity = _UNDEFINED_ENTITY.search(message)
        what = f"entité « &{entity.group(1)}; » non déclarée" if entity else "entité non déclarée"
        return UnusableInput(f"{name} : {what} ({where}) ; un flux LHEO n'utilise que les entités prédéfinies "
                             "de XML (&amp; &lt; &gt; &quot; &apos;) : écrivez le caractère lui-même (« é ») ou sa "
                             f"référence numérique (« &#233; ») ({message}).")
    if at_end or "premature end" in lower or "end of data" in lower:
        return UnusableInput(f"{name} est tronqué : le document XML s'arrête avant sa fin ({where}). "
                             "Le téléchargement ou l'export a probablement été interrompu.")
    if "encoding" in lower or "utf-8" in lower or "bytes" in lower:
        read_as = f"en {encoding.upper()}, l'encodage imposé" if encoding else "dans l'encodage qu'il déclare"
        return UnusableInput(f"{name} n'est pas écrit {read_as} : octets invalides {where}. Précisez le bon encodage "
                             f"avec l'option « encoding », par exemple windows-1252 ({message}).")
    return UnusableInput(f"{name} n'est pas un XML bien formé ({where}) : {message}.")
