"""Document sets of the embedded index: containers, writes across blocks, reads, member walks."""

from __future__ import annotations

import random
import sqlite3
from array import array

from catalog.search import bitmaps
from catalog.search.bitmaps import BLOCK, DENSE_MIN
from catalog.search.postings import Postings, PostingWriter, Vocabulary, create_tables


def test_containers_round_trip_sparse_and_dense():
    rnd = random.Random(1)
    for size in (0, 1, DENSE_MIN - 1, DENSE_MIN, 5000, BLOCK):
        offsets = array("H", sorted(rnd.sample(range(BLOCK), size)))
        data = bitmaps.encode(offsets)
        assert (len(data) == bitmaps.DENSE_BYTES) == (size >= DENSE_MIN)
        assert bitmaps.decode(data) == offsets
        target = bytearray(3 * bitmaps.DENSE_BYTES)
        bitmaps.decode_into(data, 2, target)
        assert bitmaps.members(int.from_bytes(target, "little")) == [2 * BLOCK + v for v in offsets]


def test_members_and_from_ids_agree_with_python_sets():
    rnd = random.Random(2)
    for size in (0, 3, 300, 30_000):
        ids = sorted(rnd.sample(range(300_000), size))
        x = bitmaps.from_ids(ids)
        assert x.bit_count() == size
        assert bitmaps.members(x) == ids
        assert bitmaps.members(x, expected=size) == ids
        data = bitmaps.as_bytes(x, 0)
        probe = rnd.sample(range(310_000), 200)
        assert [bitmaps.contains(data, d) for d in probe] == [d in set(ids) for d in probe]


def test_writes_across_blocks_match_a_python_model():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    create_tables(conn, 1)
    vocab = Vocabulary(conn, 1)
    rnd = random.Random(3)
    model: dict[str, set[int]] = {"a": set(), "b": set(), "c": set()}
    for round_ in range(6):
        writer = PostingWriter(conn, 1, vocab)
        vocab.resolve(model)
        # Removals anywhere (re-indexed or archived records)…
        for token, docs in model.items():
            for d in rnd.sample(sorted(docs), min(len(docs), 900)):
                writer.remove(d, [vocab[token]])
                docs.discard(d)
        # …and new documents at the end of the id space, across block boundaries.
        for d in range(round_ * 40_000, (round_ + 1) * 40_000, 7):
            token = rnd.choice("abc")
            writer.add(d, [token])
            model[token].add(d)
        writer.flush()
    state = Postings(1, ("test", 1, 1))
    for token, docs in model.items():
        assert bitmaps.members(state.bits(conn, token)) == sorted(docs)
        assert list(state.ids(conn, token)) == sorted(docs)
        assert state.df(conn, token) == len(docs)
    assert bitmaps.members(state.union(conn, ["a", "c"])) == sorted(model["a"] | model["c"])
    assert state.union_ids(conn, ["b", "c"]) == sorted(model["b"] | model["c"])


def test_the_vocabulary_cache_is_bounded_and_ids_stay_stable(monkeypatch):
    conn = sqlite3.connect(":memory:", isolation_level=None)
    create_tables(conn, 1)
    vocab = Vocabulary(conn, 1)
    monkeypatch.setattr(Vocabulary, "KEPT", 100)
    first_ids: dict[str, int] = {}
    for batch in range(20):
        # Numbered names: new tokens every batch, and a few from every earlier batch again.
        tokens = {f"n{batch}-{k}" for k in range(40)} | {f"n{b}-0" for b in range(batch)}
        vocab.resolve(tokens)
        assert tokens <= set(vocab.ids)
        assert len(vocab.ids) <= 100 + len(tokens)
        for token in tokens:
            assert first_ids.setdefault(token, vocab[token]) == vocab[token]
    assert len(set(first_ids.values())) == len(first_ids)  # one id per token, never reused
