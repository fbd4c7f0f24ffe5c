"""Dates written in text are read in their documented shapes, whole (harvesters/written_dates.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from harvesters.aides_text import to_date
from harvesters.written_dates import written_date


@pytest.mark.parametrize(("text", "read"), [
    ("2025-02-14", date(2025, 2, 14)),
    (" 2025-02-14 ", date(2025, 2, 14)),
    ("2025-10-15T15:00:00Z", date(2025, 10, 15)),  # an API's date-time: its date, as written
    ("2025-10-15T23:30:00+02:00", date(2025, 10, 15)),
    ("2025-10-15T23:30:00.123456+0200", date(2025, 10, 15)),  # Django's, with microseconds
    ("2025-02-14 09:30", date(2025, 2, 14)),  # a spreadsheet's export
    ("14/02/2025", date(2025, 2, 14)),  # day first, as a French producer means it
    ("4/2/2025", date(2025, 2, 4)),
    ("14/02/2025 09:30:00", date(2025, 2, 14)),
    ("2025-02-1", None),  # « 2025-02-10 » cut short: strptime read it as 1 February
    ("2025-2-14", None),
    ("14/02/202", None),
    ("14/02/20255", None),  # a typed fifth digit: the old [:10] slice read 2025
    ("2025-02-14x", None),
    ("2025-02-14T", None),
    ("2025-02-14 et après", None),  # only a time may follow
    ("14/02/2025 (à confirmer)", None),
    ("14.02.2025", None),
    ("30/02/2025", None),  # no such day
    ("2025-13-01", None),
    ("", None),
    (None, None),
    (20250214, None),
])
def test_the_documented_shapes_and_nothing_else(text, read):
    assert written_date(text) == read


def test_objects_are_their_date_and_iso_only_refuses_the_french_shape():
    assert written_date(datetime(2025, 2, 14, 23, 59)) == date(2025, 2, 14)
    assert written_date(date(2025, 2, 14)) == date(2025, 2, 14)
    assert written_date("14/02/2025", french=False) is None
    # APIs in ISO 8601 (aides-territoires, dispositif-aide's schema) are read with it.
    assert to_date("2025-10-15T15:00:00Z") == date(2025, 10, 15)
    assert to_date("14/02/2025") is None and to_date("2025-02-1") is None
