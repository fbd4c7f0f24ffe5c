"""Distances, and the grid that the embedded index uses to cut and order by distance.

Distances are great-circle (haversine, mean Earth radius), as Elasticsearch's `arc` distance,
so both backends draw the same circle. The embedded index compares and sorts on the haversine
term h (0 ≤ h ≤ 1, growing with the distance, `haversine_term`) and turns only the page's
values into kilometres.

The grid: every position belongs to one cell per level (0.05°, 0.2°, 0.8°, 3.2°; each cell
holds 4 × 4 cells of the level below). A cell's bounds on h from a point (`lower_bound`,
`upper_bound`) tell whether the cell lies wholly inside a circle, wholly outside, or across it;
only documents of cells across it need their own distance computed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

EARTH_RADIUS_KM = 6371.0088
FINEST = 0.05  # degrees: the side of a level-0 cell
LEVELS = (0, 1, 2, 3)
TOP = LEVELS[-1]
_HALF = math.pi / 360
_RAD = math.pi / 180
# Bounds are widened by this much so that rounding (of cell edges, of h) never puts a document
# on the wrong side: a cell is "inside" or "outside" only with this margin to spare.
_PAD_DEGREES = 1e-9
_RELATIVE = 1e-7

Cell = tuple[int, int, int]  # (level, i, j)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class Center:
    """A search point, with the constants of its haversine term."""

    __slots__ = ("coslat", "lat", "lon")

    def __init__(self, lat: float, lon: float):
        self.lat, self.lon = lat, lon
        self.coslat = math.cos(math.radians(lat))

    def h(self, lat: float, lon: float) -> float:
        """The haversine term to (lat, lon); the expression the SQL version used, operation for
        operation, so that distances, their order and the cursors built on them are unchanged."""
        return (math.sin((lat - self.lat) * _HALF) ** 2
                + self.coslat * math.cos(lat * _RAD) * math.sin((lon - self.lon) * _HALF) ** 2)

    def terms(self, lats, lons, offsets) -> list[float]:
        """`h` of many positions (lats[i], lons[i] for i in offsets), without a call each."""
        sin, cos, clat, clon, coslat = math.sin, math.cos, self.lat, self.lon, self.coslat
        return [sin((lats[i] - clat) * _HALF) ** 2
                + coslat * cos(lats[i] * _RAD) * sin((lons[i] - clon) * _HALF) ** 2
                for i in offsets]


def max_term(radius_km: float) -> float:
    """The haversine term of a radius: a point is within it when its term is ≤ this."""
    return math.sin(min(radius_km / (2 * EARTH_RADIUS_KM), math.pi / 2)) ** 2


def km(h: float) -> float:
    """Kilometres from the haversine term h."""
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(max(0.0, h))))


def cell_size(level: int) -> float:
    return FINEST * 4 ** level


def cells_of(lat: float, lon: float) -> list[Cell]:
    """The cells of a position, finest first."""
    i = math.floor((lat + 90) / FINEST)
    j = math.floor((lon + 180) / FINEST) % round(360 / FINEST)
    return [(level, i >> 2 * level, j >> 2 * level) for level in LEVELS]


def cell_token(cell: Cell) -> str:
    return f"g{cell[0]}:{cell[1]}:{cell[2]}"


def parse_cell(token: str) -> Cell:
    level, i, j = token[1:].split(":")
    return (int(level), int(i), int(j))


def children(cell: Cell) -> Iterator[Cell]:
    level, i, j = cell
    for di in range(4):
        for dj in range(4):
            yield (level - 1, 4 * i + di, 4 * j + dj)


def _bounds(cell: Cell) -> tuple[float, float, float, float]:
    size = cell_size(cell[0])
    return (cell[1] * size - 90 - _PAD_DEGREES, cell[2] * size - 180 - _PAD_DEGREES,
            (cell[1] + 1) * size - 90 + _PAD_DEGREES, (cell[2] + 1) * size - 180 + _PAD_DEGREES)


def _lon_gap(lon: float, west: float, east: float) -> float:
    """Degrees of longitude from `lon` to the span [west, east] (0 inside), the short way round."""
    if west <= lon <= east or west <= lon + 360 <= east or west <= lon - 360 <= east:
        return 0.0
    return min((west - lon) % 360, (lon - east) % 360)


def lower_bound(center: Center, cell: Cell) -> float:
    """A term no point of the cell is below.

    Two true lower bounds on the angle, the larger kept: the latitude gap (no path to another
    latitude is shorter than along the meridian), and the angle to the meridian plane beyond
    the longitude gap (asin(cos φ · sin Δλ), for Δλ up to 90°).
    """
    south, west, north, east = _bounds(cell)
    lat_gap = max(0.0, south - center.lat, center.lat - north)
    lon_gap = min(90.0, _lon_gap(center.lon, west, east))
    angle = max(math.radians(lat_gap),
                math.asin(min(1.0, center.coslat * math.sin(math.radians(lon_gap)))))
    return math.sin(angle / 2) ** 2 * (1 - _RELATIVE)


def upper_bound(center: Center, cell: Cell) -> float:
    """A term no point of the cell is above: the farthest corner.

    On a sphere a circle of less than a hemisphere is convex; along a parallel the term grows
    with the longitude gap, and meridian edges are great-circle arcs, so a cell whose four
    corners are inside is inside. Beyond a quarter of the globe, no bound (1.0).
    """
    south, west, north, east = _bounds(cell)
    far = max(center.h(lat, lon) for lat in (south, north) for lon in (west, east))
    return 1.0 if far >= 0.25 else far * (1 + _RELATIVE) + 1e-300

