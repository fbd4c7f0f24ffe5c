"""Dates as sources write them in text: `AAAA-MM-JJ` (ISO 8601, the schemas'), and in French files
also `JJ/MM/AAAA`, the date a spreadsheet writes in its place.

Each shape is read whole. `strptime` and a `[:10]` slice, which the harvesters used before, were
lenient in the wrong places: « 2025-02-1 » (a « 2025-02-10 » cut short) read as 1 February, and
« 15/01/20255 » (a typed fifth digit) as 2025. A time after the date (an API's date-time, a
spreadsheet's export) is allowed and ignored: the catalog keeps dates, as written locally.
"""

from __future__ import annotations

import re
from datetime import date, datetime

_TIME = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
ISO_DATE = re.compile(rf"(\d{{4}})-(\d{{2}})-(\d{{2}})(?:[T ]{_TIME}(?:Z|[+-]\d{{2}}(?::?\d{{2}})?)?)?")
# Day and month may have one digit (« 4/2/2025 »): a cut shortens the end, the year, which must
# have its four.
FRENCH_DATE = re.compile(rf"(\d{{1,2}})/(\d{{1,2}})/(\d{{4}})(?: {_TIME})?")


def written_date(value: object, *, french: bool = True) -> date | None:
    """The date `value` writes (a date object is one), or None when it is not one of the shapes
    above (`french=False`: the ISO one only) or names no day of the calendar (« 30/02/2025 »)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if found := ISO_DATE.fullmatch(text):
            year, month, day = map(int, found.groups())
            return date(year, month, day)
        if french and (found := FRENCH_DATE.fullmatch(text)):
            day, month, year = map(int, found.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None
