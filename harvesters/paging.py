"""What a paged API announces about itself, read as untrusted input.

A page's `pages`, `total` or `count`, and a source's counting options (`page_size`,
`max_pages`), come from outside: a number written as text, a list, a negative figure must end
the run with its reason, never with Python's ValueError; and a server that announces ever more
pages must not keep a harvest reading forever.
"""

from __future__ import annotations

import re
from typing import Any

from catalog.errors import UnusableInput

MAX_PAGES = 100_000
MAX_PAGE_SIZE = 100_000


def announced(body: dict, key: str, where: str) -> int | None:
    """The whole number ≥ 0 a page announces under `key` (« 12 » and 12.0 too), None if absent."""
    value = body.get(key)
    if value is None:
        return None
    written_whole = isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,18}\s*", value)
    if written_whole or (isinstance(value, float) and value.is_integer()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnusableInput(f"{where} : réponse inattendue, « {key} » vaut {str(value)[:40]!r} au lieu d'un "
                            "nombre entier positif.")
    return value


def page_size(options: dict[str, Any], default: int) -> int:
    return whole_option(options, "page_size", default, MAX_PAGE_SIZE)


def whole_option(options: dict[str, Any], name: str, default: int, maximum: int) -> int:
    """A source's option that counts something (`page_size`, `max_pages`), from sources.json or
    the command line: a whole number from 1 to `maximum`, else the run says so."""
    raw = options.get(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= maximum:
        raise UnusableInput(f"Option {name} : un nombre entier entre 1 et {maximum} est attendu "
                            f"(reçu {str(raw)[:40]!r}).")
    return value


def refuse_endless(pages: int, where: str) -> None:
    """`pages`: the page about to be read, or the number a page announces."""
    if pages > MAX_PAGES:
        raise UnusableInput(f"{where} : plus de {MAX_PAGES} pages à lire, pagination sans fin ; moissonnage arrêté.")


def short_read(what: str, read: int, count: int | None,
               consequence: str = "aucun n'est archivé après cette exécution") -> str | None:
    """Why a paged read does not speak for its whole source, in French: it met fewer distinct
    records than its first page announced (pages shifting under the reader, an API rounding its
    page count down, a series that stops early). None when it met them all, or none were announced."""
    if count is None or read >= count:
        return None
    return (f"{what} : {read} enregistrement(s) distinct(s) lu(s) sur {count} annoncé(s) par la première page "
            f"(pages décalées pendant la lecture, ou série arrêtée avant la fin ?) ; {consequence}.")
