"""A plan → the set of matching documents, with set operations on token sets.

The same rule as always (DESIGN.md, `plan.py`): the words (each group: any of its
alternatives, phrases exact), the filters, eligibility (no zone, or a zone covering the
commune, and no excluded zone covering it), then on-site within the radius, remote anywhere, zone-only records for a commune.
Only documents of grid cells across the circle's edge get their distance computed.
"""

from __future__ import annotations

from catalog.search import bitmaps
from catalog.search.geo import Center, cell_token, lower_bound, max_term, upper_bound
from catalog.search.plan import Plan
from catalog.search.reader import Phrase, Reader
from catalog.search.tokens import (
    ALL,
    GROUPED,
    REMOTE,
    UNRESTRICTED,
    ZONED,
    ended_before,
    excluded_zone,
    phrase,
    word,
    zone,
)

CIRCLES_KEPT = 128  # circles kept per index state (~130 KB each at a million documents)


def phrase_set(reader: Reader, p: Phrase) -> int:
    if len(p) == 1:
        return reader.bits(word(p[0]))
    if p in reader.phrases:
        return reader.bits(phrase(p))
    # A synonym added since the index was built: FTS5 checks the phrase (slower, still exact).
    cache = reader.postings.extra.setdefault("phrases", {})
    if p not in cache:
        quoted = '"' + " ".join(p).replace('"', '""') + '"'
        cache[p] = bitmaps.from_ids(r[0] for r in reader.conn.execute(
            f"SELECT rowid FROM ftx_{reader.g} WHERE ftx_{reader.g} MATCH ?", (quoted,)))
    return cache[p]


def select(reader: Reader, plan: Plan) -> int:
    q = plan.query
    found = reader.bits(ALL)
    for group in plan.groups:
        alternatives = 0
        for p in dict.fromkeys(group):
            alternatives |= phrase_set(reader, p)
        found &= alternatives
    for prefix, values in (("ki:", q.kinds), ("so:", q.sources), ("pu:", q.publics),
                           ("fr:", q.frais), ("ma:", q.modes_accueil), ("ty:", q.types)):
        if values and found:
            found &= reader.any_of([prefix + v for v in values])
    if q.thematiques and found:
        found &= reader.any_of([p + v for v in q.thematiques for p in ("th:", "ca:")])
    for prefix, value in (("ep:", q.code_epci), ("dp:", q.code_departement),
                          ("rg:", q.code_region)):
        if value and found:
            found &= reader.bits(prefix + value.strip())
    if plan.eligible_zones is not None and found:
        found &= reader.any_of([UNRESTRICTED] + [zone(c) for c in sorted(plan.eligible_zones)])
    if plan.excluded_zones and found:
        found &= ~reader.any_of([excluded_zone(c) for c in sorted(plan.excluded_zones)])
    if plan.today and found:
        found &= ~reader.any_of(ended_before(plan.today))
    if plan.has_place and found:
        # Kept whatever the distance: remote records, and (for a commune) zone-only records.
        placed = reader.bits(REMOTE)
        if plan.eligible_zones is not None:
            placed |= reader.bits(ZONED)
        if plan.onsite_commune:
            found &= placed | reader.bits("co:" + plan.onsite_commune)
        else:
            center = Center(*plan.center)
            found = (found & placed) | in_circle(reader, found, center, max_term(plan.radius_km))
    if q.score_qualite_minimum is not None and found:
        ids = bitmaps.members(found)
        found = bitmaps.from_ids(r[0] for r in reader.rows(
            "SELECT docid FROM doc_{g} WHERE docid IN {ids} AND score >= ?", ids,
            float(q.score_qualite_minimum)))
    if q.exclure_doublons and found:
        found = without_duplicates(reader, found)
    return found


def circle(reader: Reader, center: Center, hmax: float) -> int:
    """Every located document within the circle (kept per index state: a commune's circle
    serves all its searches). Cells wholly inside are taken whole; only documents of the
    finest cells across the edge get their distance computed."""
    cache = reader.postings.extra.setdefault("circles", {})
    key = (center.lat, center.lon, hmax)
    found = cache.get(key)
    if found is not None:
        return found
    inside, edge = [], []
    stack = list(reader.roots())
    while stack:
        cell = stack.pop()
        if lower_bound(center, cell) > hmax:
            continue
        if upper_bound(center, cell) <= hmax:
            inside.append(cell_token(cell))
        elif cell[0] == 0:
            edge.append(cell_token(cell))
        else:
            stack.extend(reader.children(cell))
    ids = reader.postings.union_ids(reader.conn, edge)
    kept = [d for d, h in zip(ids, reader.terms(center, ids)) if h <= hmax]
    found = reader.union(inside) | bitmaps.from_ids(kept)
    if len(cache) >= CIRCLES_KEPT:
        try:
            cache.pop(next(iter(cache)), None)
        except (StopIteration, RuntimeError):  # another search thread evicted meanwhile
            pass
    cache[key] = found
    return found


def in_circle(reader: Reader, found: int, center: Center, hmax: float) -> int:
    """The documents of `found` positioned within the circle."""
    return found & circle(reader, center, hmax)


def without_duplicates(reader: Reader, found: int) -> int:
    """Keep the best record of each duplicate group (quality, then key) among the found."""
    grouped = found & reader.bits(GROUPED)
    if not grouped:
        return found
    best: dict[str, tuple] = {}
    losers = []
    for docid, groupe, score, key in reader.rows(
            "SELECT docid, groupe, score, key FROM doc_{g} WHERE docid IN {ids}",
            bitmaps.members(grouped)):
        rank = (score is None, -(score or 0.0), key, docid)
        held = best.get(groupe)
        if held is None or rank < held:
            if held is not None:
                losers.append(held[3])
            best[groupe] = rank
        else:
            losers.append(docid)
    return found & ~bitmaps.from_ids(losers)
