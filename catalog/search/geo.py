"""Distances and the grid that pre-filters places in the embedded index.

Distances are great-circle (haversine, mean Earth radius), as Elasticsearch's `arc` distance,
so both backends draw the same circle. The grid gives every position a cell token at three
sizes; a radius query ORs the few cells that cover its bounding box (the inverted index then
does the spatial cut), and the exact distance is checked on what remains.
"""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088
# (token prefix, cell size in degrees); a query uses the finest level whose cells covering the
# circle are at most 2 × 2: an inverted index ORs few long lists faster than many short ones,
# and the exact distance check in SQL removes the corners.
LEVELS = (("ga_", 0.05), ("gb_", 0.2), ("gc_", 0.8), ("gd_", 3.2))  # "_": never in a stem
MAX_CELLS = 4


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _cell(prefix: str, size: float, lat: float, lon: float) -> str:
    return f"{prefix}{math.floor((lat + 90) / size)}x{math.floor((lon + 180) / size)}"


def cell_tokens(lat: float, lon: float) -> list[str]:
    return [_cell(prefix, size, lat, lon) for prefix, size in LEVELS]


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    coslat = math.cos(math.radians(lat))
    dlon = 180.0 if coslat < 1e-6 else min(180.0, dlat / coslat)
    return (lat - dlat, lon - dlon, lat + dlat, lon + dlon)


def covering_cells(lat: float, lon: float, radius_km: float) -> list[str] | None:
    """Cell tokens covering the circle, or None when the circle is too wide for a grid cut."""
    south, west, north, east = bounding_box(lat, lon, radius_km)
    # Cells stop at the antimeridian: a circle crossing it (Wallis-et-Futuna) is cut there.
    west, east = max(west, -180.0), min(east, 179.999999)
    south, north = max(south, -90.0), min(north, 89.999999)
    for prefix, size in LEVELS:
        lat_cells = range(math.floor((south + 90) / size), math.floor((north + 90) / size) + 1)
        lon_cells = range(math.floor((west + 180) / size), math.floor((east + 180) / size) + 1)
        if len(lat_cells) * len(lon_cells) <= MAX_CELLS:
            return [f"{prefix}{i}x{j}" for i in lat_cells for j in lon_cells]
    return None
