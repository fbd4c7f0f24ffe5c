"""How deep a source's document may nest.

No source of ours nests lists and objects more than a handful of levels (an aid's conditions:
four). A document nested thousands of levels deep (`[[[[…]]]]`, a few kilobytes) is a hostile
one, and each reader fails on it differently: ijson's prefixed events cost memory in the square
of the depth (20 000 levels: 2 GB, then the kernel kills the harvest), PyYAML and every
recursive walk (the harvesters' mappings, validation, pickling for the reader process) exhaust
Python's stack. So every parsed document is checked here, without recursion, and refused with
a clear reason before anything walks it.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import ijson
import yaml

from catalog.errors import UnusableInput

MAX_DEPTH = 64
TOO_DEEP = f"listes ou objets imbriqués sur plus de {MAX_DEPTH} niveaux"


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `value` nests lists or objects past `limit` levels (walked with a list as stack).

    A parsed YAML document shares a container wherever it names an alias: ten aliases of ten
    aliases… are 10^n paths to walk for a few hundred bytes. So each container is walked again
    only when reached deeper than before (at most `limit` times): the walk is linear in the
    document's size, and a container that holds itself (`&a [*a]`) is found too deep."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    deepest: dict[int, int] = {}  # id of a container → the deepest level it was walked from
    while pending:
        current, depth = pending.pop()
        kind = type(current)
        if kind is list or kind is dict:
            if depth > limit:
                return True
            if deepest.get(id(current), 0) >= depth:
                continue  # its parts were already checked with less room left
            deepest[id(current)] = depth
            pending.extend((part, depth + 1) for part in (current if kind is list else current.values()))
    return False


def refuse_too_deep(value: Any, where: str) -> Any:
    """`value` itself, or UnusableInput when it nests past MAX_DEPTH levels."""
    if too_deep(value):
        raise UnusableInput(too_deep_message(where))
    return value


def refuse_too_deep_stream(stream: BinaryIO, where: str) -> None:
    """Reads a seekable JSON stream once, by its unprefixed events (memory independent of the
    depth), and puts it back at the start. A malformed document is left to the reading pass,
    which says where it breaks."""
    depth = 0
    try:
        for event, _ in ijson.basic_parse(stream):
            if event == "start_map" or event == "start_array":
                depth += 1
                if depth > MAX_DEPTH:
                    raise UnusableInput(too_deep_message(where))
            elif event == "end_map" or event == "end_array":
                depth -= 1
    except (ijson.common.JSONError, UnicodeDecodeError):
        pass
    finally:
        stream.seek(0)


def too_deep_message(where: str) -> str:
    return f"{where} : {TOO_DEEP} ; aucune source n'en a besoin, document refusé."


class AliasRefused(yaml.MarkedYAMLError):
    """An alias met by `NoAliasLoader` (`problem_mark` says where)."""


class NoAliasLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader without anchors and aliases. No source of ours needs them, and ten
    aliases of ten aliases… (a YAML « bomb » of a few hundred bytes) expand to millions of values
    in every walk that follows. `refusal` is the reader's own words for it."""

    refusal = "alias YAML (*nom) refusé"

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            raise AliasRefused(problem=self.refusal, problem_mark=self.peek_event().start_mark)
        return super().compose_node(parent, index)
