"""Typographic measures read back from a PDF's characters (pdfplumber), as a typographer
would take them off the page: lines, their word spaces, the hyphens at their ends, and the
empty space left at a page's foot. Shared by the print tests and by `python -m tests.typeset
FILE.pdf`, which prints the figures for a before/after comparison.

A WeasyPrint page draws every space as a glyph of its natural width; justification moves the
next glyph on (the same extra for every space of a line), so a word space is the distance
from the end of the glyph before the space to the start of the glyph after it.
"""

from __future__ import annotations

import functools
import statistics
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MM = 72 / 25.4
STRETCHABLE = {" ", "\u00a0"}  # the spaces justification widens (not the narrow ones)
AUTO_HYPHEN = "\u2010"  # WeasyPrint's hyphenate-character: a hyphen it added, not the text's
RULE_WIDTH = 32 * MM  # print.css: the rule above the notes
NOTE_RULE_GAP = 5 * MM  # print.css: the footnote area's margin-top


@dataclass
class Line:
    """A line of text: its characters left to right, on one baseline."""

    page: int  # 0-based
    baseline: float  # from the top of the media box
    size: float  # the font size of most of its characters
    chars: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(c["text"] for c in self.chars)

    @property
    def x0(self) -> float:
        return self.chars[0]["x0"]

    @property
    def x1(self) -> float:
        return max(c["x1"] for c in self.chars)

    @property
    def top(self) -> float:
        return min(c["top"] for c in self.chars)

    @property
    def bottom(self) -> float:
        return max(c["bottom"] for c in self.chars)

    def word_spaces(self) -> list[tuple[float, float]]:
        """(width as set, natural width) of each stretchable space between two glyphs of the line."""
        spaces = []
        chars = self.chars
        for index in range(1, len(chars) - 1):
            char = chars[index]
            if char["text"] not in STRETCHABLE:
                continue
            before, after = chars[index - 1], chars[index + 1]
            if before["text"].isspace() or after["text"].isspace():
                continue
            natural = char["x1"] - char["x0"]
            if natural <= 0.1:
                continue
            spaces.append((after["x0"] - before["x1"], natural))
        return spaces

    def stretch(self) -> float:
        """The widest word space over the natural one (1.0 for a line set with natural spaces)."""
        spaces = self.word_spaces()
        return max((width / natural for width, natural in spaces), default=1.0)

    def justified(self) -> bool:
        """Justification widened its spaces: every one by the same extra (WeasyPrint adds
        `justification_spacing` to each), which tells a justified line from two table cells
        that happen to share a baseline."""
        extras = [width - natural for width, natural in self.word_spaces()]
        if not extras or max(extras) < 0.05:
            return False
        return max(extras) - min(extras) < 0.3


@functools.cache
def pages(path: Path) -> tuple[Any, ...]:
    """What pdfplumber reads of each page: size, characters, rectangles (once per file)."""
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return tuple(
            _Page(index, float(page.width), float(page.height), tuple(page.trimbox), list(page.chars),
                  list(page.rects) + list(page.lines) + list(page.curves) + list(page.images))
            for index, page in enumerate(pdf.pages)
        )


@dataclass(frozen=True)
class _Page:
    index: int
    width: float
    height: float
    trimbox: tuple[float, float, float, float]
    chars: list[dict[str, Any]]
    shapes: list[dict[str, Any]]


def _baseline(char: dict[str, Any], height: float) -> float:
    return height - char["matrix"][5]


def page_lines(page: Any) -> list[Line]:
    """The page's lines, top to bottom: characters grouped by baseline, split where a gap
    wider than two ems without a space parts two columns (table cells, a folio)."""
    rows: dict[float, list[dict[str, Any]]] = {}
    for char in page.chars:
        if not char.get("upright", True):
            continue
        key = round(_baseline(char, page.height) * 4) / 4
        rows.setdefault(key, []).append(char)
    lines = []
    for _, chars in sorted(rows.items()):
        chars.sort(key=lambda c: c["x0"])
        for run in _columns(chars):
            size = statistics.mode(round(c["size"], 1) for c in run)
            # grouped on a quarter-point grid, measured exactly: rounding each baseline to the
            # grid would make a 14.07 pt pitch read as 14.0 or 14.25
            baseline = statistics.median(_baseline(c, page.height) for c in run)
            lines.append(Line(page.index, baseline, size, run))
    return lines


def _columns(chars: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    run = [chars[0]]
    for char in chars[1:]:
        previous = run[-1]
        if char["x0"] - previous["x1"] > 2 * char["size"] and not (
            previous["text"] in STRETCHABLE or char["text"] in STRETCHABLE
        ):
            yield run
            run = []
        run.append(char)
    yield run


def all_lines(path: Path) -> list[Line]:
    return [line for page in pages(path) for line in page_lines(page)]


# ---- word spaces ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spacing:
    """A justified line and its widest word space, in times the natural space."""

    page: int
    ratio: float
    widest: float  # points
    size: float
    text: str


def justified_spacing(path: Path, sizes: Iterable[float] | None = None) -> list[Spacing]:
    """Every justified line (of the given font sizes, or all), with its widest word space."""
    wanted = None if sizes is None else {round(s, 1) for s in sizes}
    found = []
    for line in all_lines(path):
        if (wanted is None or line.size in wanted) and line.justified():
            width = max(w for w, _ in line.word_spaces())
            found.append(Spacing(line.page, line.stretch(), width, line.size, line.text))
    return found


# ---- hyphens -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hyphenation:
    """A word hyphenated across two lines."""

    page: int
    first: str  # the part before the hyphen
    second: str  # the part on the next line
    line: Line


def hyphenations(path: Path) -> list[Hyphenation]:
    """Every line ending with the hyphen WeasyPrint adds (U+2010), with the word's two parts:
    the last word of that line and the first word of the next line of the same block."""
    lines = all_lines(path)
    found = []
    for index, line in enumerate(lines):
        text = line.text.rstrip()
        if not text.endswith(AUTO_HYPHEN):
            continue
        following = next_line(lines, index)
        first = text[:-1].split()[-1] if text[:-1].split() else ""
        second = following.text.split()[0] if following and following.text.split() else ""
        found.append(Hyphenation(line.page, first, second, line))
    return found


def next_line(lines: list[Line], index: int) -> Line | None:
    """The line after `lines[index]` in the same block: the nearest one below it, of the
    same size, starting within two ems of its left edge (the next page's first line of that
    size for the page's last one)."""
    line = lines[index]
    for other in lines[index + 1 :]:
        if other.size != line.size:
            continue
        if other.page == line.page and other.baseline <= line.baseline + 0.1:
            continue
        if other.page > line.page + 1:
            return None
        if abs(other.x0 - line.x0) < 3 * line.size or other.page != line.page:
            return other
    return None


def hyphen_runs(path: Path) -> list[list[Line]]:
    """Runs of consecutive lines of one block that all end with an added hyphen."""
    lines = all_lines(path)
    runs: list[list[Line]] = []
    current: list[Line] = []
    for index, line in enumerate(lines):
        if not line.text.rstrip().endswith(AUTO_HYPHEN):
            continue
        if current and next_line(lines, lines.index(current[-1])) is line:
            current.append(line)
        else:
            if current:
                runs.append(current)
            current = [line]
        del index
    if current:
        runs.append(current)
    return runs


# ---- holes at the foot of a page -------------------------------------------------------------


@dataclass(frozen=True)
class Foot:
    """How far above the notes (or the foot of the text block) a page's text stops."""

    page: int
    gap: float  # points
    lines: float  # in lines of body text


def note_rule_top(page: Any) -> float | None:
    """The top of the rule over the notes, if the page has notes."""
    for shape in page.shapes:
        width = shape.get("width", shape.get("x1", 0) - shape.get("x0", 0))
        if abs(width - RULE_WIDTH) < 0.5 and shape.get("height", 1) < 1:
            return shape["top"]
    return None


def foot_space(path: Path, text_bottom: float, leading: float, body_top: float) -> list[Foot]:
    """For each page, the empty space between the lowest thing set in the text block (a line,
    a table rule, a figure) and the notes' area, or `text_bottom` (the text block's foot, from
    the top of the trimmed page) on a page without notes."""
    found = []
    for page in pages(path):
        _, top, _, _ = page.trimbox
        rule = note_rule_top(page)
        limit = (rule - NOTE_RULE_GAP) if rule is not None else top + text_bottom
        in_block = [c["bottom"] for c in page.chars if top + body_top - 2 < c["top"] and c["bottom"] < limit + 1]
        shapes = [
            s["bottom"] for s in page.shapes
            if top + body_top - 2 < s["top"] and s["bottom"] < limit + 1 and s.get("top") != rule
        ]
        lowest = max(in_block + shapes, default=None)
        if lowest is None:
            continue
        # a line's box ends below its glyphs' boxes (pdfminer's bottom is the font size below the top)
        found.append(Foot(page.index, limit - lowest, (limit - lowest) / leading))
    return found


def main(argv: list[str]) -> None:
    """Print the figures of a PDF (A4 unless a paper is given): the widest justified word
    spaces, the hyphenated lines and their runs, the pages' foot space."""
    path = Path(argv[0])
    spacing = justified_spacing(path)
    bad = sorted((s for s in spacing if s.ratio >= 2), key=lambda s: -s.ratio)
    print(f"{path.name}: {len(pages(path))} pages, {len(all_lines(path))} lines, {len(spacing)} justified")
    for size in sorted({s.size for s in spacing}):
        some = [s for s in spacing if s.size == size]
        print(f"  {size} pt: {len(some)} justified, {sum(s.ratio >= 2 for s in some)} ≥ 2×, "
              f"widest {max(s.ratio for s in some):.2f}× ({max(s.widest for s in some):.1f} pt)")
    for s in bad[:40]:
        print(f"    p. {s.page + 1} {s.ratio:.1f}× {s.widest:.1f} pt {s.size} pt: {s.text[:90]!r}")
    found = hyphenations(path)
    print(f"  hyphenated lines: {len(found)}")
    for h in found:
        print(f"    p. {h.page + 1}: {h.first}-/{h.second}")
    runs = [run for run in hyphen_runs(path) if len(run) >= 2]
    print(f"  runs of 2+ hyphenated lines: {[(run[0].page + 1, len(run)) for run in runs]}")
    feet = foot_space(path, text_bottom=297 * MM - 27 * MM, leading=10.5 * 1.34, body_top=23 * MM)
    print("  foot space (lines) by page: " + " ".join(f"{f.page + 1}:{f.lines:.1f}" for f in feet))


if __name__ == "__main__":
    main(sys.argv[1:])
