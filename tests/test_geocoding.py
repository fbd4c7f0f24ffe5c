"""The BAN / Géoplateforme batch CSV adapter, against a recorded (hand-written) response."""

from __future__ import annotations

import responses

from catalog.territories import get_territories
from catalog.territories.geocoding import (
    BAN_URL,
    BanCsvGeocoder,
    CommuneToLocate,
    parse_csv_response,
)
from catalog.territories.loader import communes_without_position, geocode_missing
from tests.test_search_support import TERRITORIES, load_territories

RECORDED = (TERRITORIES / "ban-csv-response.csv").read_text(encoding="utf-8")


def test_only_the_commune_itself_is_kept():
    # Thônes answered as a municipality; Annecy-le-Vieux answered by a street of Annecy.
    assert parse_csv_response(RECORDED) == {"74280": (45.881547, 6.325376)}


def test_unfound_rows_are_skipped():
    text = "code,nom,latitude,longitude,result_score,result_type,result_citycode\n99999,X,,,,,\n"
    assert parse_csv_response(text) == {}


@responses.activate
def test_batch_request_shape():
    responses.post(BAN_URL, body=RECORDED.encode("utf-8"), content_type="text/csv")
    geocoder = BanCsvGeocoder(batch_size=1)
    found = geocoder.locate_communes([CommuneToLocate("74011", "Annecy-le-Vieux"),
                                      CommuneToLocate("74280", "Thônes")])
    assert found == {"74280": (45.881547, 6.325376)}
    assert len(responses.calls) == 2  # one request per batch
    body = responses.calls[0].request.body
    assert b'name="data"; filename="communes.csv"' in body
    assert b"code,nom\r\n74011,Annecy-le-Vieux" in body
    assert b'name="citycode"\r\n\r\ncode' in body and b'name="columns"\r\n\r\nnom' in body


@responses.activate
def test_geocode_missing_positions(engine):
    load_territories(engine)
    missing = [c.code for c in communes_without_position(engine)]
    # A position set on a code serves every row sharing it (Annecy and its déléguée Annecy).
    assert missing == ["74011", "74280"]
    responses.post(BAN_URL, body=RECORDED.encode("utf-8"), content_type="text/csv")
    assert geocode_missing(engine, BanCsvGeocoder()) == 1
    assert get_territories(engine).commune("74280").position == (45.881547, 6.325376)
