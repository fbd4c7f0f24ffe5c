"""The date of records whose source gives none: the file's. A remote file's is its server's
`Last-Modified`, never after today; not the day it was downloaded, which made every record of
a daily schedule « modifié » each day, for nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import responses

from catalog.clock import utcnow
from catalog.errors import UnusableInput
from harvesters.aides_velo import AidesVeloHarvester
from harvesters.engine import harvest
from harvesters.mobilite_csv import MobiliteCsvHarvester
from harvesters.mobiville import MobivilleHarvester
from tests.conftest import FIXTURES, stored_records

MOBILITE = FIXTURES / "mobilite"
LAST_MODIFIED = "Sat, 01 Mar 2025 10:00:00 GMT"
IN_THE_FUTURE = "Fri, 31 Dec 9999 23:59:59 -0100"  # overflows once brought to UTC

REMOTE = [
    (AidesVeloHarvester, "https://example.fr/aides.publicodes", MOBILITE / "aides-velo" / "aides.publicodes"),
    (MobiliteCsvHarvester, "https://example.fr/plateformes.csv", MOBILITE / "csv" / "plateformes.csv"),
]


def _dates(engine) -> set[str]:
    return {record["date_maj"] for record in stored_records(engine).values()}


@pytest.mark.parametrize("harvester, url, path", REMOTE, ids=["aides-velo", "mobilite-csv"])
def test_a_remote_file_dates_its_records_by_its_last_modified(settings, engine, territories, harvester, url, path):
    with responses.RequestsMock() as rsps:
        rsps.get(url, body=path.read_bytes(), headers={"Last-Modified": LAST_MODIFIED})
        first = harvest(harvester(url), source="distante", settings=settings)
    assert first.counts["added"] > 0
    assert "2025-03-01" in _dates(engine) and utcnow().date().isoformat() not in _dates(engine)


@pytest.mark.parametrize("harvester, url, path", REMOTE, ids=["aides-velo", "mobilite-csv"])
def test_a_remote_file_without_a_usable_date_is_dated_today_at_most(settings, engine, territories, harvester, url,
                                                                    path):
    local = harvest(harvester(str(path)), source="locale", settings=settings, dry_run=True).counts["invalid"]
    for header in ({}, {"Last-Modified": IN_THE_FUTURE}, {"Last-Modified": "hier"}):
        with responses.RequestsMock() as rsps:
            rsps.get(url, body=path.read_bytes(), headers=header)
            summary = harvest(harvester(url), source="distante", settings=settings, dry_run=True)
        assert summary.counts["invalid"] == local, (header, summary.as_dict())  # no date « dans le futur »


def test_a_remote_mobiville_file_from_the_future_is_dated_today(settings, engine, territories):
    """Its Last-Modified was read as is: in the future, every aid was invalid (« dans le futur »)."""
    url = "https://example.fr/aides-mobilite.json"
    path = MOBILITE / "mobiville" / "aides.json"
    local = harvest(MobivilleHarvester(str(path)), source="locale", settings=settings, dry_run=True).counts["invalid"]
    tomorrow = utcnow().date() + timedelta(days=2)
    with responses.RequestsMock() as rsps:
        rsps.get(url, body=path.read_bytes(),
                 headers={"Last-Modified": tomorrow.strftime("%a, %d %b %Y 10:00:00 GMT")})
        summary = harvest(MobivilleHarvester(url), source="distante", settings=settings)
    assert summary.counts["invalid"] == local, summary.as_dict()
    assert max(_dates(engine)) <= utcnow().date().isoformat()


@pytest.mark.parametrize("harvester, path", [
    (AidesVeloHarvester, MOBILITE / "aides-velo" / "aides.publicodes"),
    (MobiliteCsvHarvester, MOBILITE / "csv" / "plateformes.csv"),
    (MobivilleHarvester, MOBILITE / "mobiville" / "aides.json"),
], ids=["aides-velo", "mobilite-csv", "mobiville"])
def test_the_date_maj_option_is_read_or_refused_in_french(harvester, path):
    """aides-vélo stopped on a ValueError traceback (« Erreur interne » in a scheduled run)."""
    with pytest.raises(UnusableInput, match="Option date_maj illisible .« 14/08/2025 ». : AAAA-MM-JJ attendu"):
        list(harvester(str(path), options={"date_maj": "14/08/2025"}).items())
    items = [item for item in harvester(str(path), options={"date_maj": "2025-08-14"}).items() if item.row]
    assert items and date(2025, 8, 14) in {item.row.get("date_maj") for item in items}
