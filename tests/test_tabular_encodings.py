"""What every file reader says of a file it cannot read as it is: a declared encoding the file
is not in, a byte order mark, an HTML page where data was expected, a file cut in the middle of
a character, a folder. Said in French, naming the file (its URL when downloaded); the catalog
stays as it was."""

from __future__ import annotations

import codecs
import gzip
import io
import zipfile

import pytest
import responses

from catalog import tabular
from catalog.errors import UnusableInput
from harvesters import FORMATS, harvester_class
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.engine import harvest
from tests.conftest import stored_records
from tests.factories import service, write_csv, write_json, write_ndjson

HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>R\xc3\xa9essayez.</body></html>\n"


def rows(path, fmt=None, encoding="utf-8") -> list[dict]:
    return [row for _position, row in tabular.iter_rows(path, fmt, encoding=encoding)]


# -- 1. a declared encoding the file is not in -----------------------------------------------------


@pytest.mark.parametrize("name", ["services.csv", "services.ndjson"])
def test_a_utf8_file_declared_windows_1252_is_refused_and_the_catalog_kept(settings, engine, tmp_path, name):
    """A source registered with encoding=windows-1252 whose producer switches to UTF-8: read as
    declared, every accent of every record was rewritten (« numÃ©ro »), without a word."""
    write = write_csv if name.endswith(".csv") else write_ndjson
    path = write(tmp_path / name, [service(i) for i in range(3)])
    utf8 = path.read_bytes()
    path.write_bytes(utf8.decode("utf-8").encode("cp1252"))  # what the producer used to send
    options = {"encoding": "windows-1252"}
    first = harvest(DataInclusionHarvester(str(path), options=options), source="di", settings=settings)
    assert first.counts["added"] == 3, first.as_dict()
    before = stored_records(engine)
    assert before["test--v1"]["nom"] == "Accompagnement numéro 1"

    path.write_bytes(utf8)
    summary = harvest(DataInclusionHarvester(str(path), options=options), source="di", settings=settings)
    assert summary.status == "failed"
    assert summary.message.startswith(f"{name} est déclaré en Windows-1252 mais il est écrit en UTF-8 : retirez "
                                      "l'encodage déclaré"), summary.message
    assert "n'a pas été modifié" in summary.message
    assert stored_records(engine) == before


def test_the_declared_encoding_check_is_the_readers_own(tmp_path):
    """One check for every tabular reader (data·inclusion, dispositif-aide, Frictionless,
    mobilite-csv): before a single row, whatever the declared single-byte encoding."""
    path = tmp_path / "f.csv"
    path.write_text("id;nom\n1;République\n", encoding="utf-8")
    for declared, label in (("latin-1", "ISO-8859-1"), ("cp1252", "Windows-1252"), ("iso-8859-15", "ISO-8859-15")):
        with pytest.raises(UnusableInput, match=f"f.csv est déclaré en {label} mais il est écrit en UTF-8"):
            next(tabular.iter_rows(path, "csv", encoding=declared))
    # Nothing beyond ASCII: nothing to deform, read as declared.
    path.write_text("id;nom\n1;Republique\n", encoding="utf-8")
    assert rows(path, encoding="windows-1252") == [{"id": "1", "nom": "Republique"}]
    # The file in the declared encoding is read, its accents whole.
    path.write_bytes("id;nom\n1;République\n".encode("cp1252"))
    assert rows(path, encoding="windows-1252") == [{"id": "1", "nom": "République"}]


# -- 2. the line of the first invalid byte -----------------------------------------------------------


def test_the_first_invalid_byte_is_named_with_its_own_line(tmp_path):
    """The text layer decodes 8 kB ahead of the lines it gives: « vers la ligne 1 » was said of
    a byte on line 3."""
    path = tmp_path / "garages.csv"
    path.write_bytes(b"id;nom\ng1;Garage ASCII\n" + "g2;Garage élan\n".encode("latin-1"))
    with pytest.raises(UnusableInput, match=r"garages.csv n'est pas encodé en UTF-8 \(premier octet invalide ligne 3\)"):
        rows(path)
    # Far in the file, past the reader's chunks (1 MB) too.
    lines = [b"id;nom\n"] + [b"g%d;Garage\n" % i for i in range(2, 150_000)] + ["gx;Garage élan\n".encode("latin-1")]
    path.write_bytes(b"".join(lines))
    assert path.stat().st_size > 2 << 20
    with pytest.raises(UnusableInput, match=r"\(premier octet invalide ligne 150000\)"):
        rows(path)


@pytest.mark.parametrize("name, fmt", [("services.csv", "csv"), ("services.ndjson", "ndjson"),
                                       ("services.json", "json")])
def test_a_file_cut_in_the_middle_of_a_character_is_said_to_be_cut(tmp_path, name, fmt):
    write = {"csv": write_csv, "ndjson": write_ndjson, "json": write_json}[fmt]
    path = write(tmp_path / name, [service(i, nom=f"Accompagnement numéro {i}") for i in range(3)])
    data = path.read_bytes()
    path.write_bytes(data[:data.rindex("é".encode()) + 1])  # the first of the two bytes of « é »
    with pytest.raises(UnusableInput, match=f"{name} se termine au milieu d'un caractère UTF-8 : fichier tronqué ?"):
        rows(path)


def test_a_json_file_in_another_encoding_names_the_line(tmp_path):
    path = tmp_path / "services.json"
    path.write_bytes(b'[\n{"id": "1"},\n{"id": "2", "nom": "Caf\xe9"}\n]')
    with pytest.raises(UnusableInput, match=r"services.json n'est pas encodé en UTF-8 \(premier octet invalide ligne 3\)"):
        rows(path)


# -- 3. a UTF-8 byte order mark ---------------------------------------------------------------------


@pytest.mark.parametrize("name, write", [("s.json", write_json), ("s.ndjson", write_ndjson), ("s.csv", write_csv)])
def test_a_utf8_byte_order_mark_is_dropped_in_every_format(tmp_path, name, write):
    """Windows editors write one: CSV, YAML, XML and Turtle readers dropped it, JSON refused the
    file as « JSON tronqué ou mal formé »."""
    path = write(tmp_path / name, [service(1)])
    path.write_bytes(codecs.BOM_UTF8 + path.read_bytes())
    [row] = rows(path)
    assert row["id"] == "test--v1" and row["nom"] == "Accompagnement numéro 1"


def test_a_byte_order_mark_does_not_hide_a_hostile_depth():
    """The depth check reads the stream from its start: after the mark, not on it (where it
    would stop at once and let ijson's prefixed reading take the whole depth)."""
    body = codecs.BOM_UTF8 + b'[{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}]"
    with pytest.raises(UnusableInput, match="imbriqués sur plus de"):
        list(tabular.iter_json_stream(io.BytesIO(body), "profond.json"))
    body = codecs.BOM_UTF8 + b'{"items": [{"id": 1}, {"id": 18446744073709551616}]}'  # the exact-mode reread too
    assert [item["id"] for _, item in tabular.iter_json_stream(io.BytesIO(body), "grand.json")] == [
        1, 18446744073709551616]


# -- 4. an HTML page where data was expected ---------------------------------------------------------


@pytest.mark.parametrize("name, expected", [("services.csv", "CSV"), ("services.json", "JSON"),
                                            ("services.ndjson", "NDJSON")])
def test_an_html_page_is_said_to_be_one(tmp_path, name, expected):
    path = tmp_path / name
    path.write_bytes(HTML_PAGE)
    with pytest.raises(UnusableInput, match=f"{name} : page HTML reçue au lieu de données {expected}"):
        rows(path)


def _zipped(members: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member in members:
            archive.writestr(member, "<x/>")
    return buffer.getvalue()


# mtime=0: the bytes (and the test ids pytest-xdist workers compare) do not depend on the second
GZIPPED = gzip.compress(b"id,nom\n1,Atelier\n", mtime=0)
CONTAINERS = [
    (GZIPPED, "une archive gzip : décompressez-la"),
    (_zipped(["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml"]), "un classeur Excel \\(.xlsx\\)"),
    (_zipped(["[Content_Types].xml"]), "un document Office \\(un classeur .xlsx \\?\\)"),
    (_zipped(["mimetypeapplication/vnd.oasis.opendocument.spreadsheet"]), "un classeur OpenDocument"),
    (_zipped(["services.csv"]), "une archive zip : décompressez-la"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "un classeur Excel 97-2003 \\(.xls\\)"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "un document PDF"),
]


@pytest.mark.parametrize("content, said", CONTAINERS)
@pytest.mark.parametrize("name, encoding", [("services.csv", "utf-8"), ("services.csv", "cp1252"),
                                            ("services.json", "utf-8"), ("services.ndjson", "utf-8")])
def test_an_archive_or_a_workbook_is_said_to_be_one(tmp_path, name, encoding, content, said):
    """Each was refused as « pas encodé en UTF-8 », with advice about encodings; declared
    windows-1252, which decodes nearly any byte, a workbook was read as rows of garbage."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnusableInput, match=f"^{name} est {said}"):
        rows(path, encoding=encoding)


def test_an_archive_in_place_of_a_source_file_leaves_the_catalog_as_it_was(settings, engine, tmp_path):
    first = harvest(DataInclusionHarvester(str(write_csv(tmp_path / "services.csv", [service(1)]))),
                    source="di-file", settings=settings)
    assert first.status == "done"
    before = stored_records(engine)
    (tmp_path / "services.csv").write_bytes(GZIPPED)
    summary = harvest(DataInclusionHarvester(str(tmp_path / "services.csv")), source="di-file", settings=settings)
    assert summary.status == "failed" and summary.message.startswith("services.csv est une archive gzip")
    assert stored_records(engine) == before


@pytest.mark.parametrize("format_name", sorted(set(FORMATS) - {"aides-jeunes", "aides-territoires", "lheo"}))
def test_every_file_format_names_an_archive(settings, engine, tmp_path, format_name):
    """LHEO reads gzip and zip feeds; the other formats refuse one plainly, whatever reader they use."""
    path = tmp_path / "donnees.json"
    path.write_bytes(GZIPPED)
    summary = harvest(harvester_class(format_name)(str(path)), source="archive", settings=settings)
    assert summary.status == "failed"
    assert summary.message.startswith("donnees.json est une archive gzip : décompressez-la"), summary.message


@pytest.mark.parametrize("name", ["services.csv", "structures.json"])
def test_a_remote_file_answered_by_an_error_page_is_named_by_its_url(settings, engine, tmp_path, monkeypatch, name):
    """It was reported under the temporary copy's name, « tmpuaxef3l9.csv ne contient aucun
    enregistrement », saying neither which address nor what came instead."""
    import tempfile

    downloads = tmp_path / "telechargements"
    downloads.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(downloads))  # where the download lands
    url = f"https://www.data.gouv.fr/fr/datasets/r/{name}"
    with responses.RequestsMock() as rsps:
        rsps.get(url, body=HTML_PAGE, content_type="text/html")
        summary = harvest(DataInclusionHarvester(url), source="di-file", settings=settings)
    assert summary.status == "failed"
    fmt = "CSV" if name.endswith(".csv") else "JSON"
    assert summary.message.startswith(f"{url} : page HTML reçue au lieu de données {fmt}"), summary.message
    assert "tmp" not in summary.message and stored_records(engine) == {}
    assert list(downloads.iterdir()) == []  # neither the copy nor its folder left behind


def test_a_downloaded_file_keeps_its_name(settings, engine, tmp_path, monkeypatch):
    import tempfile

    downloads = tmp_path / "telechargements"
    downloads.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(downloads))
    url = "https://www.data.gouv.fr/fr/datasets/r/services.csv?format=csv"
    with responses.RequestsMock() as rsps:
        rsps.get(url, body=b"source,id,nom\n")
        summary = harvest(DataInclusionHarvester(url), source="di-file", settings=settings)
    assert summary.status == "failed" and summary.message.startswith("services.csv ne contient aucun enregistrement")
    assert list(downloads.iterdir()) == []


# -- 5. a folder ------------------------------------------------------------------------------------


@pytest.mark.parametrize("format_name", sorted(set(FORMATS) - {"aides-jeunes", "aides-territoires"}))
def test_a_folder_given_as_the_file_is_said_to_be_one(settings, engine, tmp_path, format_name):
    """lheo, covoiturage, mobilite-csv, dcat and aides-velo said « Fichier introuvable »."""
    summary = harvest(harvester_class(format_name)(str(tmp_path)), source="dossier", settings=settings)
    assert summary.status == "failed"
    assert summary.message.startswith(f"{tmp_path} est un dossier : indiquez le fichier à lire."), summary.message


def test_a_missing_file_is_still_said_missing(tmp_path):
    with pytest.raises(UnusableInput, match="Fichier introuvable"):
        rows(tmp_path / "absent.csv")


# -- 6. a JSON file read as CSV ----------------------------------------------------------------------


def test_a_json_file_read_as_csv_is_said_to_be_json(tmp_path):
    path = write_json(tmp_path / "services.json", [service(1)])
    with pytest.raises(UnusableInput, match="services.json est lu comme un CSV, mais il commence par « \\[ » : c'est "
                                            "sans doute du JSON"):
        rows(path, "csv")
    # A header that merely starts with a bracket is a header.
    path = tmp_path / "crochets.csv"
    path.write_text("[id],nom\n1,Atelier\n", encoding="utf-8")
    assert rows(path) == [{"[id]": "1", "nom": "Atelier"}]


def test_a_windows_1252_file_that_happens_to_be_valid_utf8_is_read_as_declared(tmp_path):
    """« CAFÉ » then a no-break space is, byte for byte, valid UTF-8 (« CAFɠ »): the file was
    refused as « written in UTF-8 », and the advice given (drop the declaration) stored « ɠ »."""
    path = tmp_path / "f.csv"
    path.write_bytes("id;nom\n1;Garage CAFÉ\u00a0!\n".encode("cp1252"))
    assert path.read_bytes().decode("utf-8") == "id;nom\n1;Garage CAF\u0260!\n"
    tabular.check_encoding(path, "windows-1252")
    [(_, row)] = list(tabular.iter_rows(path, "csv", encoding="windows-1252"))
    assert row["nom"] == "Garage CAFÉ\u00a0!"


@pytest.mark.parametrize(("fmt", "text"), [("csv", "id\tnom\n1\tCafé solidaire\n"),
                                           ("ndjson", '{"id": "1", "nom": "Café solidaire"}\n')])
def test_a_file_whose_byte_order_mark_says_utf16_is_read_so(tmp_path, fmt, text):
    """Excel's « Texte Unicode » is UTF-16 with its byte order mark: it was refused as « not
    UTF-8, declare windows-1252 » (which would have read it wrong)."""
    path = tmp_path / f"f.{fmt}"
    path.write_bytes(text.encode("utf-16"))
    [(_, row)] = list(tabular.iter_rows(path, fmt))
    assert row["nom"] == "Café solidaire"
