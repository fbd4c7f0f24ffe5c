"""What the embedded index records of a document, as tokens: one document set per token.

- `w:<stem>`: a word of the name or text (analysed, `analysis.analyze`; lowercased as FTS5
  folds case);
- `p:<stem> <stem>…`: a multi-word synonym expression found as a phrase (consecutive stems in
  the name or in the text), so that "code de la route" is matched exactly without positions;
- for relevance (`topk.py`): `f:<word or phrase token>:<n>` when the weighted count of a word
  or phrase (name × 4 + text) is n ≥ 2, `dl:<n>` the document's length in terms, and `irr`
  for the rare document whose terms FTS5 might split or fold otherwise (non-ASCII, capitals);
- one token per filter and facet value (`ki:service`, `th:mobilite--…`, `ca:mobilite`, `pu:`,
  `fr:`, `ma:`, `ty:`, `so:`, `dp:`, `ep:`, `rg:`, `co:` for the commune);
- `el:<code>` per eligibility zone code, `el:` for "no restriction": a commune's eligible
  documents are the union of the sets of its covering codes; `ex:<code>` per zone the
  record's conditions exclude, taken out of that union;
- `pl:located` / `pl:zoned` (placed by position / by zone only), grid cells (`geo.cell_token`),
  `gr:` (has a duplicate group) and `*` (every document);
- `fy:<year>`, `fm:<year-month>`, `fd:<day>` for the day an offer ends (`date_fin`): the
  offers ended before a day are the union of a few of these (`ended_before`).
Values are kept verbatim: a filter matches a value exactly, as it always did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from catalog.search import SearchDocument
from catalog.search.geo import cell_token, cells_of

ALL = "*"
LOCATED = "pl:located"
ZONED = "pl:zoned"
GROUPED = "gr:"
UNRESTRICTED = "el:"
IRREGULAR = "irr"
REMOTE = "ma:a-distance"
# Facet name → token prefix (each facet is also the filter of the same name).
FACET_PREFIX = {"kinds": "ki:", "thematiques": "th:", "categories": "ca:", "publics": "pu:",
                "frais": "fr:", "modes_accueil": "ma:", "types": "ty:", "sources": "so:",
                "code_departement": "dp:"}

Phrase = tuple[str, ...]


def word(stem: str) -> str:
    return "w:" + stem.lower()


def phrase(terms: Phrase) -> str:
    return "p:" + " ".join(terms).lower()


def frequency(base: str, n: int) -> str:
    return f"f:{base}:{n}"


def zone(code: str) -> str:
    return "el:" + code


def excluded_zone(code: str) -> str:
    return "ex:" + code


def end_tokens(day: str) -> list[str]:
    return ["fy:" + day[:4], "fm:" + day[:7], "fd:" + day]


def ended_before(day: str, first_year: int = 1900) -> list[str]:
    """The tokens of every end day before `day` (ISO): whole years, then whole months of its
    year, then days of its month: about 150 tokens, whatever the index holds."""
    year, month, dom = int(day[:4]), int(day[5:7]), int(day[8:10])
    return ([f"fy:{y:04d}" for y in range(first_year, year)]
            + [f"fm:{year:04d}-{m:02d}" for m in range(1, month)]
            + [f"fd:{day[:8]}{d:02d}" for d in range(1, dom)])


def regular(text: str) -> bool:
    """Analysed text that FTS5 tokenizes exactly as Python splits it, with the same case."""
    return text.isascii() and text == text.lower()


def text_tokens(nom_terms: list[str], body_terms: list[str], phrases: frozenset[Phrase],
                plain: bool | None = None) -> list[str]:
    """`plain`: whether the terms are all `regular` (the caller may know it from the joined
    text, cheaper than term by term)."""
    counts = Counter(body_terms)
    for t in nom_terms:
        counts[t] += 4  # bm25's weight of the name
    if plain is None:
        plain = all(map(regular, counts))
    tokens = ["w:" + t for t in counts] if plain else [word(t) for t in counts]
    tokens += [f"f:{'w:' + t if plain else word(t)}:{n}" for t, n in counts.items() if n > 1]
    tokens.append(f"dl:{len(nom_terms) + len(body_terms)}")
    if phrases and not counts.keys().isdisjoint(_firsts(phrases)):
        for p in phrases:
            if p[0] in counts and all(t in counts for t in p[1:]):
                n = 4 * occurrences(nom_terms, p) + occurrences(body_terms, p)
                if n:
                    tokens.append(phrase(p))
                    if n > 1:
                        tokens.append(frequency(phrase(p), n))
    if not plain:
        tokens.append(IRREGULAR)
        tokens = list(dict.fromkeys(tokens))  # "HH" and "hh": one token, as in FTS5
    return tokens


@lru_cache(maxsize=8)
def _firsts(phrases: frozenset[Phrase]) -> frozenset[str]:
    return frozenset(p[0] for p in phrases)


def occurrences(terms: list[str], p: Phrase) -> int:
    """Where the phrase starts in the terms (overlaps counted, as FTS5 counts instances)."""
    first, size, n, start = p[0], len(p), 0, 0
    while True:
        try:
            i = terms.index(first, start)
        except ValueError:
            return n
        if size == 1 or tuple(terms[i:i + size]) == p:
            n += 1
        start = i + 1


def tag_tokens(doc: SearchDocument) -> list[str]:
    """The filter, facet, eligibility and place tokens of a document."""
    tokens = [ALL, "ki:" + doc.kind]
    if doc.source:
        tokens.append("so:" + doc.source)
    tokens += ["th:" + v for v in doc.thematiques]
    tokens += ["ca:" + v for v in doc.categories]
    tokens += ["pu:" + v for v in doc.publics]
    tokens += ["fr:" + v for v in doc.frais]
    tokens += ["ma:" + v for v in doc.modes_accueil]
    tokens += ["ty:" + v for v in doc.types]
    for prefix, value in (("co:", doc.code_commune), ("ep:", doc.code_epci),
                          ("dp:", doc.code_departement), ("rg:", doc.code_region)):
        if value:
            tokens.append(prefix + value)
    if doc.zone_eligibilite:
        tokens += [zone(z) for z in doc.zone_eligibilite]
    else:
        tokens.append(UNRESTRICTED)
    tokens += [excluded_zone(z) for z in doc.territoires_exclus]
    if doc.date_fin:
        tokens += end_tokens(doc.date_fin)
    if doc.located:
        tokens.append(LOCATED)
        tokens += [cell_token(c) for c in cells_of(doc.latitude, doc.longitude)]
    elif doc.zoned:
        tokens.append(ZONED)
    if doc.groupe_doublons:
        tokens.append(GROUPED)
    return tokens  # distinct: each prefix once per value, values distinct per field


def multiword(expressions: Iterable[Phrase]) -> frozenset[Phrase]:
    return frozenset(p for p in expressions if len(p) > 1)
