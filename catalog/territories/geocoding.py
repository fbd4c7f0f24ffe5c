"""Geocoder port and its BAN / Géoplateforme adapter (batch CSV geocoding).

Only commune positions are asked for here: each commune without one is sent as a CSV row
(`code`, `nom`) with `citycode` pinned to its code, and an answer is kept only when it is the
commune itself (`result_type` municipality, same `result_citycode`) with a good score.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import requests

BAN_URL = "https://api-adresse.data.gouv.fr/search/csv/"
GEOPLATEFORME_URL = "https://data.geopf.fr/geocodage/search/csv"
MIN_SCORE = 0.5


@dataclass(frozen=True)
class CommuneToLocate:
    code: str
    nom: str


class Geocoder(Protocol):
    def locate_communes(self, communes: Iterable[CommuneToLocate]) -> dict[str, tuple[float, float]]:
        """Commune code → (latitude, longitude), for the communes it could place."""
        ...


class BanCsvGeocoder:
    """The BAN batch endpoint (`/search/csv/`); the Géoplateforme one takes the same form."""

    def __init__(self, url: str = BAN_URL, session: requests.Session | None = None,
                 batch_size: int = 5000, timeout: float = 120.0):
        self.url = url
        self.session = session or requests.Session()
        self.batch_size = batch_size
        self.timeout = timeout

    def locate_communes(self, communes: Iterable[CommuneToLocate]) -> dict[str, tuple[float, float]]:
        found: dict[str, tuple[float, float]] = {}
        batch: list[CommuneToLocate] = []
        for commune in communes:
            batch.append(commune)
            if len(batch) >= self.batch_size:
                found.update(self._batch(batch))
                batch = []
        if batch:
            found.update(self._batch(batch))
        return found

    def _batch(self, communes: list[CommuneToLocate]) -> dict[str, tuple[float, float]]:
        body = io.StringIO()
        writer = csv.writer(body)
        writer.writerow(["code", "nom"])
        writer.writerows([c.code, c.nom] for c in communes)
        response = self.session.post(
            self.url,
            files={"data": ("communes.csv", body.getvalue().encode("utf-8"), "text/csv")},
            data=[("columns", "nom"), ("citycode", "code")],
            timeout=self.timeout,
        )
        response.raise_for_status()
        return parse_csv_response(response.content.decode("utf-8-sig"))


def parse_csv_response(text: str) -> dict[str, tuple[float, float]]:
    found = {}
    for row in csv.DictReader(io.StringIO(text)):
        code = (row.get("code") or "").strip()
        try:
            lat, lon = float(row["latitude"]), float(row["longitude"])
            score = float(row.get("result_score") or 0)
        except (KeyError, TypeError, ValueError):
            continue  # not found: the endpoint leaves the result columns empty
        if row.get("result_type") != "municipality" or row.get("result_citycode") != code:
            continue  # a street or another commune: not this commune's position
        if score >= MIN_SCORE:
            found[code] = (lat, lon)
    return found
