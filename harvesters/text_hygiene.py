"""Characters nobody typed never reach the catalog.

A source's text can carry control characters, invisible on screen:

- **C1 controls** (U+0080 to U+009F): Windows-1252 text decoded as ISO-8859-1. Windows
  exports often declare ISO-8859-1 and write Windows-1252, whose bytes 0x80 to 0x9F are
  typographic signs; read as ISO-8859-1 they become controls. U+0092 was a ’, U+009C an
  « œ », U+0080 a « € ». They get back the character Windows-1252 meant. The WHATWG Encoding
  Standard reads the label ISO-8859-1 as Windows-1252 for that very reason. The five bytes
  Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) meant nothing: removed.
- **Other controls** (U+0000 to U+001F except tab, line feed and carriage return; U+007F):
  a NUL left by a C program, a form feed or a bell from a word processor. JSON and CSV carry
  them (`\\u0000`), as do YAML escapes; XML 1.0 cannot. On a page they show as boxes, they
  split words for search and make any XML export invalid. Removed.

Each field so repaired is reported as a warning (`caracteres-de-controle`); the record is
written. The engine runs this on every item, where the items are read: in the reader process
for a harvester that reads in a child, so that the check costs the engine nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from catalog.validation import Problem
from catalog.validation.problems import plural
from harvesters.base import Item

CODE = "caracteres-de-controle"
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Byte 0x80 + n of Windows-1252, as a character; "" where Windows-1252 defines none.
_WINDOWS_1252 = [bytes([byte]).decode("cp1252", errors="ignore") for byte in range(0x80, 0xA0)]


def clean_items(items: Iterable[Item]) -> Iterator[Item]:
    for item in items:
        if item.row is not None:
            clean_row(item)
        # Where the report says the item is (« ligne 3 (velo-ecole) »), built from its raw id.
        item.reference = clean_text(item.reference)
        if item.id_hint:
            item.id_hint = clean_text(item.id_hint)
        yield item


def clean_text(value: str) -> str:
    """`value` repaired the same way, for text that is not a record's (a DCAT catalog's titles)."""
    return _clean(value, [], []) if _CONTROL.search(value) else value


def clean_row(item: Item) -> None:
    """Repairs `item.row` in place and adds one warning per field repaired."""
    row = item.row
    assert row is not None
    for name, value in row.items():
        kind = type(value)
        if kind is str:
            if _CONTROL.search(value) is None:
                continue
        elif kind is list or kind is dict:
            if not _holds_control(value):
                continue
        else:
            continue
        restored: list[str] = []
        removed: list[str] = []
        row[name] = _clean(value, restored, removed)
        item.warnings.append(_warning(name, restored, removed))


def _holds_control(value: Any) -> bool:
    if type(value) is str:
        return _CONTROL.search(value) is not None
    if type(value) is list:
        return any(_holds_control(part) for part in value)
    if type(value) is dict:
        return any(_holds_control(part) for part in value.values())
    return False


def _clean(value: Any, restored: list[str], removed: list[str]) -> Any:
    if type(value) is str:
        return _CONTROL.sub(lambda found: _replacement(found.group(), restored, removed), value)
    if type(value) is list:
        return [_clean(part, restored, removed) for part in value]
    if type(value) is dict:
        return {key: _clean(part, restored, removed) for key, part in value.items()}
    return value


def _replacement(control: str, restored: list[str], removed: list[str]) -> str:
    code = ord(control)
    meant = _WINDOWS_1252[code - 0x80] if 0x80 <= code <= 0x9F else ""
    (restored if meant else removed).append(meant or f"U+{code:04X}")
    return meant


def _warning(name: str, restored: list[str], removed: list[str]) -> Problem:
    said = []
    if restored:
        s = "s" if len(restored) > 1 else ""
        said.append(f"{plural(len(restored), 'signe')} Windows-1252 rétabli{s} ({' '.join(dict.fromkeys(restored))}) : "
                    "le texte avait été décodé en ISO-8859-1 au lieu de Windows-1252")
    if removed:
        s = "s" if len(removed) > 1 else ""
        said.append(f"{plural(len(removed), 'caractère')} de contrôle invisible{s} retiré{s} "
                    f"({', '.join(dict.fromkeys(removed))})")
    return Problem(name, CODE, f"Champ {name} : {' ; '.join(said)}.")
