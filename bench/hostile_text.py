"""Seconds to read texts written to make the harvesters' text cleaning work forever.

    .venv/bin/python bench/hostile_text.py [--size 50000] [--size 200000]

Each shape (« <li » repeated and never closed, « [a]( » repeated, a run of spaces before a
separator...) goes through the function that reads such a field in a harvest, at each size. The
last column is the time at the largest size over the time at the smallest, divided by the ratio
of the sizes: about 1 when the time grows like the text (linear), the size ratio itself when it
grows like its square. Before November 2026's fix, « <li » × 20 000 took 9 s in mobiville, and
100 000 characters several minutes. A CSV header line of one column after another goes through
the reader every CSV format shares. The shapes marked « hygiène » go through the pass the engine
makes on every string of every record (harvesters/text_hygiene.py: active markup, web addresses,
invisible characters).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from catalog.errors import UnusableInput
from catalog.privacy import public_view
from catalog.tabular import iter_rows
from harvesters.aides_text import safe_text
from harvesters.base import Item
from harvesters.lheo_values import text as lheo_text
from harvesters.mobilite_csv import LIST_SEPARATORS
from harvesters.mobiville import _who
from harvesters.text_hygiene import clean_row


def hygiene(value: str) -> None:
    """The pass the engine makes on every string of every record (harvesters/text_hygiene.py)."""
    clean_row(Item("aide", {"description": value}))


def csv_header(text: str) -> None:
    """A CSV file whose header line is `text`, read as every CSV format reads it (catalog/tabular.py)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large.csv"
        path.write_text(text + "\nx\n", encoding="utf-8")
        try:
            next(iter_rows(path, "csv"), None)
        except UnusableInput:
            pass


# name: (the text of `size` characters, the function that reads it in a harvest)
SHAPES = {
    "<li jamais fermé (LHEO)": (lambda n: "<li " * (n // 4), lheo_text),
    "< puis espaces (LHEO)": (lambda n: "<" + " " * n + "<b>", lheo_text),
    "<br puis espaces (LHEO)": (lambda n: "<p>" + "<br" + " " * n, lheo_text),
    "<a jamais fermé (aides)": (lambda n: "<a " * (n // 3), safe_text),
    "lien sans </a> (aides)": (lambda n: '<a href="https://x.fr">' * (n // 22), safe_text),
    "[a]( répété (aides, Markdown)": (lambda n: "[a](" * (n // 4), safe_text),
    "[ répété (aides, Markdown)": (lambda n: "[" * n, safe_text),
    "**a répété (aides, Markdown rendu)": (lambda n: "**a" * (n // 3), safe_text),
    "balises échappées imbriquées (aides)": (lambda n: "&lt;" * (n // 9) + "b&gt;" * (n // 9), safe_text),
    "<span jamais fermé (Mobiville)": (lambda n: "<span " * (n // 6), _who),
    "<li jamais fermé (Mobiville)": (lambda n: "<li " * (n // 4), _who),
    "balises échappées imbriquées (Mobiville)": (lambda n: "&lt;" * (n // 9) + "b&gt;" * (n // 9), _who),
    "espaces sans séparateur (CSV mobilité)": (lambda n: "a" + " " * n + "b", LIST_SEPARATORS.split),
    "lettres puis @ (courriel dans un texte)": (lambda n: {"description": "a" * n + "@"}, public_view),
    "a. répété puis @ (courriel dans un texte)": (lambda n: {"description": "a." * (n // 2) + "@ x"}, public_view),
    "<a jamais fermé (hygiène)": (lambda n: "<a " * (n // 3), hygiene),
    "<img a= jamais fermé (hygiène)": (lambda n: "<img a=" * (n // 7), hygiene),
    "<<< puis une balise (hygiène)": (lambda n: "<" * n + "img src=x onerror=alert(1)>", hygiene),
    "</ répété (hygiène)": (lambda n: "</" * (n // 2), hygiene),
    "<a puis espaces (hygiène)": (lambda n: "<a" + " " * n + "b", hygiene),
    "<x a a a… jamais fermé (hygiène)": (lambda n: "<x" + " a" * (n // 2), hygiene),
    "<div/onclick=1>x répété (hygiène)": (lambda n: "<div/onclick=1>x" * (n // 16), hygiene),
    "<b> répété, inerte (hygiène)": (lambda n: "<b>" * (n // 3), hygiene),
    "adresse et \" répétés (hygiène)": (lambda n: "https://x.fr/" + '"' * n, hygiene),
    "U+202E répété (hygiène)": (lambda n: "a\u202e" * (n // 2), hygiene),
    "](javascript: répété (hygiène, Markdown)": (lambda n: "](javascript:" * (n // 13), hygiene),
    "[f]: javascript: par ligne (hygiène, Markdown)": (lambda n: "[f]: javascript:x\n" * (n // 18), hygiene),
    "[a…a]: par ligne (hygiène, Markdown)": (lambda n: ("[" + "a" * 1000 + "]:\n") * (n // 1004), hygiene),
    "]( puis espaces (hygiène, Markdown)": (lambda n: "](" + " " * n, hygiene),
    "<img a= jamais fermé (LHEO)": (lambda n: "<p>x</p>&lt;img a=" * (n // 19), lheo_text),
    "&lt;img a= jamais fermé (aides)": (lambda n: "&lt;img a=" * (n // 10), safe_text),
    # Each column's name was counted over the whole header: 160,000 columns took 5 minutes.
    "en-tête CSV d'une ligne, c1;c2;… (CSV)": (lambda n: ";".join(f"c{i}" for i in range(n // 7)), csv_header),
}


def seconds(function, value) -> float:
    start = time.perf_counter()
    function(value)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, action="append", help="caractères par texte (répétable)")
    sizes = sorted(parser.parse_args().size or [50_000, 200_000])
    print(f"{'forme':45s}" + "".join(f"{size:>12,d} car." for size in sizes) + "   croissance")
    for name, (make, function) in SHAPES.items():
        times = [min(seconds(function, make(size)) for _ in range(3)) for size in sizes]
        growth = (times[-1] / max(times[0], 1e-9)) / (sizes[-1] / sizes[0]) if len(sizes) > 1 else float("nan")
        print(f"{name:45s}" + "".join(f"{t:>15.4f} s" for t in times) + f"   {growth:8.2f}")


if __name__ == "__main__":
    main()
