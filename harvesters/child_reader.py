"""A harvester's `items()` read and validated in a child process, while the engine writes.

A large feed (LHEO: hundreds of MB to GB) costs CPU twice: parsing, mapping and validating the
XML, then writing and indexing rows. Only harvesters whose `items()` reads its source and nothing else
(no catalog, no territories) opt in (`Harvester.reads_in_child`): the child never touches the
catalog, the engine's single transaction stays in the parent, and a failure in the child is
raised in the engine (catalog/child_iter.py), which rolls back as usual.

When the child has read everything it sends back what `items()` left on the harvester (counts,
corrections, "read to its end"), which the engine asks after the items (`covered_kinds()`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from catalog.child_iter import ChildIterator, children_enabled, picklable
from catalog.validation import validator_for
from harvesters.base import Harvester, Item
from harvesters.text_hygiene import clean_items

IDENTITY = ("source", "id")  # what the engine reads of a checked row (harvesters/engine.py)
# Never sent back: set by the engine on its own copy of the harvester.
_KEPT_BY_PARENT = frozenset({"settings", "source_name", "credentials"})


def child_reading_enabled(harvester: Harvester) -> bool:
    return bool(getattr(harvester, "reads_in_child", False)) and children_enabled()


class ChildItems:
    """`harvester.items()` from a child process, control characters repaired and rows checked
    against their schema there (harvesters/text_hygiene.py, `Item.checked`); `progress` is its
    `progress_done()` as of the last batch received."""

    def __init__(self, harvester: Harvester):
        self.harvester = harvester
        for kind in harvester.kinds:
            validator_for(kind)  # compiled once, before the fork, for both processes
        self.reader = ChildIterator(lambda: _checked(clean_items(harvester.items())), name=f"lecture {harvester.format}",
                                    progress=harvester.progress_done, finish=lambda: _state(harvester))

    @property
    def progress(self) -> int | None:
        return self.reader.progress

    def __iter__(self) -> Iterator[Item]:
        yield from self.reader
        for name, value in (self.reader.result or {}).items():
            setattr(self.harvester, name, value)


def _checked(items: Iterator[Item]) -> Iterator[Item]:
    for item in items:
        if item.row is not None and not item.problems:
            item.checked = validator_for(item.kind).check(item.row)
            # Checked, the row is read only for its identity: the rest need not cross the pipe.
            item.row = {key: item.row[key] for key in IDENTITY if key in item.row}
        yield item


def _state(harvester: Harvester) -> dict[str, Any]:
    return {name: value for name, value in vars(harvester).items()
            if name not in _KEPT_BY_PARENT and picklable(value)}
