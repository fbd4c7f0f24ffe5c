"""JSON from sources read exactly: orjson alone reads an integer past 64 bits as a float."""

from __future__ import annotations

import json

import orjson
import pytest

from catalog import json_text
from harvesters.datainclusion import DataInclusionHarvester
from harvesters.engine import harvest
from tests.factories import service

TWO_IDS = b'[12345678901234567890123, 12345678901234567890124]'


def test_orjson_alone_makes_two_integers_past_64_bits_one_number():
    """Why the module exists: if orjson ever keeps them exact, it can go."""
    first, second = orjson.loads(TWO_IDS)
    assert first == second and isinstance(first, float)


@pytest.mark.parametrize("content", [TWO_IDS, TWO_IDS.decode(), bytearray(TWO_IDS), memoryview(TWO_IDS)],
                         ids=["bytes", "str", "bytearray", "memoryview"])
def test_integers_past_64_bits_stay_exact(content):
    assert json_text.loads(content) == [12345678901234567890123, 12345678901234567890124]


@pytest.mark.parametrize("document", [
    b'{"siret": 13003013300016, "prix": 1250.5, "bornes": [-9223372036854775808, 18446744073709551615]}',
    b'{"texte": "appeler le 01 23 45 67 89", "code": "1234567890123456789012"}',
    b'[1e300, -0.0, 3.14159, 1234567890123456789012.5]',
])
def test_every_other_document_is_read_as_orjson_reads_it(document):
    assert json_text.loads(document) == orjson.loads(document)


@pytest.mark.parametrize("document", [b'[NaN]', b'{"a": 1', b'[12345678901234567890123', b'"\xff"'])
def test_what_orjson_refuses_is_refused_with_its_error(document):
    with pytest.raises(orjson.JSONDecodeError):
        json_text.loads(document)


def test_a_document_too_deep_for_python_s_stack_is_still_read(document=b"[" * 1020 + b"12345678901234567890123" + b"]" * 1020):
    """Every reader refuses it afterwards as too deep (catalog.nesting); reading it must not crash."""
    assert json_text.loads(document) is not None


def test_two_ids_past_64_bits_are_two_records_in_a_source_s_report(tmp_path, settings, engine):
    """Read as floats, two distinct ids became one: the second record was « en double » of the
    first, and the message showed a number the source never wrote."""
    path = tmp_path / "services.ndjson"
    path.write_text("\n".join(json.dumps(service(i, id=12345678901234567890122 + i)) for i in (1, 2)))
    summary = harvest(DataInclusionHarvester(str(path), options={"kind": "service"}), source="di", settings=settings)
    messages = " ".join(str(group.message) for group in summary.groups)
    codes = {group.code for group in summary.groups}
    assert summary.counts["invalid"] == 2 and codes == {"type"}, summary.groups
    assert "« 12345678901234567890123 » reçu" in messages and "e+22" not in messages, messages
