"""The best documents by relevance without scoring every match.

FTS5's bm25 of a document depends only on its length and, for each phrase of the query, on
its weighted count (name × 4 + text): documents alike in these share one score. The index keeps
a set per length (`dl:<n>`) and per count ≥ 2 of each word or phrase (`f:<token>:<n>`), so the
found documents can be split into classes of equal score with set operations. Classes are
explored best first (branch and bound on the best score a class could still reach) until
enough documents are found; their scores, computed like FTS5's (`ranking.term`), are exact.

Gives up (None: FTS5 then scores every match) when a phrase has no sets (a synonym added
since the last rebuild) or when the classes are too many to be worth it.
"""

from __future__ import annotations

from catalog.search import bitmaps
from catalog.search.ranking import EXACT_WEIGHT, Phrase, idf, statistics, term
from catalog.search.reader import Reader
from catalog.search.tokens import IRREGULAR, phrase, word

# Set intersections allowed (each ~10 µs at a million documents) before giving up for FTS5,
# whose cost grows with the matches (several µs each): the budget follows the matches.
MIN_STEPS = 4000
_MARGIN = 1e-9  # bounds are widened by this (relative) so that rounding never prunes a tie


class _Gave(Exception):
    pass


def _base(reader: Reader, p: Phrase) -> str | None:
    if len(p) == 1:
        return word(p[0])
    return phrase(p) if p in reader.phrases else None


def best(reader: Reader, found: int, total: int, expanded: list[Phrase], exact: list[Phrase],
         want: int, after: float | None) -> dict[int, float] | None:
    """Ranks of at least the `want` best regular documents of `found` ranked at or after
    `after` (all ties of the last rank included), or None.

    `expanded` / `exact`: the phrases of the two bm25 passes (FTS5's order, repeats kept);
    the rank is bm25(expanded) + EXACT_WEIGHT × bm25(exact) for documents holding every
    typed word, bm25(expanded) otherwise — as `SqliteBackend._relevance` computes it.
    """
    rows, tokens = statistics(reader.conn, reader.g)
    if not rows:
        return {}
    avgdl = float(tokens) / float(rows)
    phrases = list(dict.fromkeys(expanded + exact))
    bases = [_base(reader, p) for p in phrases]
    if None in bases:
        return None
    weights = {p: idf(rows, reader.df(b)) for p, b in zip(phrases, bases)}
    # Per phrase: its set, and its counts ≥ 2 with their sets (count 1: the rest of the set).
    present = [reader.bits(b) for b in bases]
    counts = []
    for b, whole in zip(bases, present):
        classes = sorted(((int(t.rsplit(":", 1)[1]), t) for t, _ in reader.with_prefix(f"f:{b}:")),
                         reverse=True)
        sets = [(n, reader.bits(t)) for n, t in classes]
        rest = whole
        for _, s in sets:
            rest &= ~s
        counts.append(sets + [(1, rest)])
    top = [max(n for n, _ in c) for c in counts]
    at_least = []
    for c in counts:
        reach, union = [], 0
        for n, docs in c:
            union |= docs
            reach.append((n, union))
        at_least.append(reach)
    lengths = sorted(int(t[3:]) for t, _ in reader.with_prefix("dl:"))
    index = {p: i for i, p in enumerate(phrases)}
    exp_slots = [(index[p], weights[p]) for p in expanded]
    exact_slots = [(index[p], weights[p]) for p in exact]
    typed = {index[p] for p in exact}
    # The most a phrase can add at a length (its largest count, the typed-word bonus included).
    share = [sum(w for i, w in exp_slots if i == k)
             + EXACT_WEIGHT * sum(w for i, w in exact_slots if i == k) for k in range(len(phrases))]

    def rank(freqs: list[int], length: float) -> float:
        score = 0.0
        for i, w in exp_slots:
            score += term(w, float(freqs[i]), length, avgdl)
        value = -1.0 * score
        if exact_slots and all(freqs[i] > 0 for i in typed):
            score = 0.0
            for i, w in exact_slots:
                score += term(w, float(freqs[i]), length, avgdl)
            value = value + EXACT_WEIGHT * (-1.0 * score)
        return value

    def best_share(k: int, n: int, length: float) -> float:
        return term(share[k], float(n), length, avgdl)

    # Phrases that weigh most first: the first choices then decide most of the score.
    order = sorted(range(len(phrases)), key=lambda k: -share[k] * top[k] / (top[k] + 1.0))
    leaves: list[tuple[float, int, int]] = []  # (rank, size, set)
    state = {"threshold": float("inf"), "steps": 0}

    def settle() -> None:
        leaves.sort(key=lambda leaf: leaf[0])
        skip = sum(size for r, size, _ in leaves if after is not None and r == after)
        seen = 0
        for r, size, _ in leaves:
            seen += size
            if seen >= want + skip:
                state["threshold"] = r
                return

    budget = max(MIN_STEPS, total // 4)

    def step() -> None:
        state["steps"] += 1
        if state["steps"] > budget:
            raise _Gave

    def highest(docs: int, k: int) -> int:
        """The largest count of phrase k among these documents (0: none has it), by binary
        search on the sets of documents whose count reaches each value."""
        step()
        if not docs & present[k]:
            return 0
        reach = at_least[k]  # (n, documents with count ≥ n), n decreasing, the last n = 1
        low, high = 0, len(reach) - 1  # reach[high] is met; find the first met
        while low < high:
            middle = (low + high) // 2
            step()
            if docs & reach[middle][1]:
                high = middle
            else:
                low = middle + 1
        return reach[low][0]

    def explore(docs: int, k: int, freqs: list[int], partial: float, length: float,
                tops: list[int]) -> None:
        """Split `docs` on the count of phrase order[k]; `tops`: the counts the phrases
        order[k:] reach at most in `docs` (checked for order[k], inherited for the others)."""
        if k == len(order):
            r = rank(freqs, length)
            if after is None or r >= after:
                leaves.append((r, docs.bit_count(), docs))
                settle()
            return
        j = order[k]
        if k:  # the parent's bound for this phrase was for more documents: tighten it
            tops = [highest(docs, j)] + tops[1:]
        if -(partial + sum(best_share(i, n, length) for i, n in zip(order[k:], tops))) \
                * (1 + _MARGIN) > state["threshold"]:
            return
        remaining = sum(best_share(i, n, length) for i, n in zip(order[k + 1:], tops[1:]))
        for n, s in [(n, s) for n, s in counts[j] if n <= tops[0]] + [(0, None)]:
            gain = best_share(j, n, length) if n else 0.0
            if -(partial + gain + remaining) * (1 + _MARGIN) > state["threshold"]:
                continue
            step()
            part = docs & (s if s is not None else ~present[j])
            if part:
                freqs[j] = n
                explore(part, k + 1, freqs, partial + gain, length, tops[1:])
        freqs[j] = 0

    regular = found & ~reader.bits(IRREGULAR)
    by_bound = sorted(
        (-sum(best_share(k, top[k], float(n)) for k in range(len(phrases))) * (1 + _MARGIN), n)
        for n in lengths)
    try:
        for bound, n in by_bound:
            if bound > state["threshold"]:
                break
            step()
            docs = regular & reader.bits(f"dl:{n}")
            if docs:
                explore(docs, 0, [0] * len(phrases), 0.0, float(n),
                        [highest(docs, j) for j in order])
    except _Gave:
        return None
    ranks: dict[int, float] = {}
    for r, _size, docs in leaves:
        if r <= state["threshold"]:
            ranks.update(dict.fromkeys(bitmaps.members(docs), r))
    return ranks
