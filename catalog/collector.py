"""Python's cyclic garbage collector, tuned for bulk work (a harvest, an index rebuild).

A harvest allocates millions of short-lived dicts, lists and strings, nearly none of them in a
reference cycle: reference counting frees them. With the default thresholds the collector
still walks the young objects every 700 allocations, and the old ones every 70,000: about 10 %
of an LHEO harvest's CPU (bench/lheo.py). Rarer passes keep collecting what is truly cyclic.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BULK_THRESHOLDS = (20_000, 20, 20)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Rarer collector passes while the block runs (and in the processes it forks meanwhile)."""
    before = gc.get_threshold()
    gc.set_threshold(*BULK_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
