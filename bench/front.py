"""The front of a build, timed in one process: load + resolve of a dossier, and how the front
(load, resolve, the print HTML) grows with the size of one chapter holding every construct.

    python bench/front.py DOSSIER             # {"load_s": …, "resolve_s": …} (best of 3)
    python bench/front.py --linearity         # the same chapter at 1× and 8×: time per unit, ratio

bench/run.py runs both and reports load + resolve as a share of the cold build (issue 14: under
2 %) and the linearity ratio (about 1: no construct makes the front super-linear in a chapter's size).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# One unit of a chapter: every construct of Pandoc's Markdown a dossier reads.
UNIT = """
## Section {n} {{#s{n}}}

Texte avec une note[^n{n}] et une autre^[Note en ligne [@a, p. {n}].], une citation [voir @a, p. 3; @b]
et @a [p. 4] dans la phrase, `du code`, H~2~O, x^2^, ~~barré~~, [petites]{{.smallcaps}},
[English]{{lang=en}}, $a + b = {n}$, 20\\ km -- et --- « guillemets ». Voir [plus haut](#s{n}).

[^n{n}]: Une note de deux paragraphes [@b].

    - une liste
    - dans la note

Terme {n}
:   Définition [@a].

::: {{.encadre}}
| Une ligne
|   et une autre
:::

i. un
ii. deux

  Gauche     Droite
--------   --------
  a             {n}
  b               2

Table: Un tableau [@b].

+------+------------------+
| A    | - un             |
|      | - deux [@a]      |
+------+------------------+

$$\\frac{{{n}}}{{2}}$$
"""

CONFIG = """title = "Front"
authors = ["Bench"]
publisher = "Bench"
locale = "fr_FR"
identifier = "urn:uuid:00000000-0000-4000-8000-000000000001"
chapters = ["chapters/01.md"]

[edition]
number = 1
date = 2026-01-01
summary = "Bench."
"""

SOURCES = """- id: a
  type: book
  title: Un livre
  issued: 2020
- id: b
  type: report
  title: Un rapport
  issued: 2021
"""


def front(root: Path, html: bool = False) -> dict[str, float]:
    """Best of three: load, resolve (and the print HTML, with `html`)."""
    from dossier.errors import Report
    from dossier.load import load_dossier
    from dossier.resolve import resolve

    best: dict[str, float] = {}
    for _ in range(3):
        report = Report()
        start = time.perf_counter()
        dossier = load_dossier(root, report)
        loaded = time.perf_counter()
        book = resolve(dossier, report)
        resolved = time.perf_counter()
        times = {"load_s": loaded - start, "resolve_s": resolved - loaded}
        if html:
            from dossier.render import render_print
            from dossier.render.templates import environment, layout_folders

            render_print(book, environment(layout_folders(book.config), book.config.locale))
            times["html_s"] = time.perf_counter() - resolved
        best = {k: min(v, best.get(k, v)) for k, v in times.items()}
    return best


def linearity(units: tuple[int, int] = (25, 200)) -> dict[str, float]:
    figures: dict[str, float] = {}
    work = Path(tempfile.mkdtemp(prefix="dossier-front-"))
    try:
        for count in units:
            root = work / str(count)
            (root / "chapters").mkdir(parents=True)
            (root / "dossier.toml").write_text(CONFIG, encoding="utf-8")
            (root / "sources.yaml").write_text(SOURCES, encoding="utf-8")
            body = "# Chapitre\n" + "".join(UNIT.format(n=n) for n in range(count))
            (root / "chapters" / "01.md").write_text(body, encoding="utf-8")
            times = front(root, html=True)
            figures[f"units_{count}_s"] = sum(times.values())
        small, large = units
        figures["per_unit_ratio"] = (figures[f"units_{large}_s"] / large) / (figures[f"units_{small}_s"] / small)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dossier", type=Path, nargs="?")
    parser.add_argument("--linearity", action="store_true")
    args = parser.parse_args()
    result = linearity() if args.linearity else front(args.dossier.resolve())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
