"""Text of figures measured, and drawn as outlines, with the shipped fonts (fontTools).

A figure is laid out in Python, so the width of each label must be known there: fontTools
reads the advance widths of the shipped Inter. The EPUB shows figures as SVG images, in which
e-readers load no fonts; there the same text is drawn as glyph outlines (each glyph defined
once, then placed), so the image looks as in print whatever the reader has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from dossier.resources import assets_dir

FONT_FILES = {400: "Inter-Regular.otf", 600: "Inter-SemiBold.otf"}
FAMILY = "Inter"


@cache
def _font(weight: int) -> Any:
    from fontTools.ttLib import TTFont

    return TTFont(str(assets_dir() / "fonts" / FONT_FILES[weight]), lazy=True)


def _glyph_names(text: str, weight: int) -> list[str]:
    cmap = _font(weight).getBestCmap()
    return [cmap.get(ord(c), cmap.get(ord("?"), ".notdef")) for c in text]


def text_width(text: str, size: float, weight: int = 400) -> float:
    """Advance width of `text` set at `size` (same unit as the result), without kerning."""
    font = _font(weight)
    metrics = font["hmtx"].metrics
    units = sum(metrics[name][0] for name in _glyph_names(text, weight))
    return units * size / font["head"].unitsPerEm


@dataclass(frozen=True)
class PlacedGlyph:
    ref: str
    x: float  # in font units from the start of the run


@dataclass(frozen=True)
class Run:
    """One line of text at (x, y) on the baseline; `anchor` as SVG's text-anchor."""

    text: str
    x: float
    y: float
    size: float
    weight: int = 400
    anchor: str = "start"
    width: float = 0.0
    glyphs: tuple[PlacedGlyph, ...] = ()
    scale: float = 0.0

    @property
    def left(self) -> float:
        return self.x - {"start": 0.0, "middle": self.width / 2, "end": self.width}[self.anchor]


@dataclass
class GlyphSet:
    """The glyph outlines a figure uses, each defined once (`<defs>`), keyed by `prefix`."""

    prefix: str
    outlines: dict[str, str] = field(default_factory=dict)

    def run(self, text: str, x: float, y: float, size: float, weight: int = 400,
            anchor: str = "start") -> Run:
        font = _font(weight)
        metrics = font["hmtx"].metrics
        placed, cursor = [], 0
        for name in _glyph_names(text, weight):
            ref = f"{self.prefix}-{weight}-{_safe(name)}"
            if ref not in self.outlines:
                self.outlines[ref] = _outline(name, weight)
            if self.outlines[ref]:
                placed.append(PlacedGlyph(ref, cursor))
            cursor += metrics[name][0]
        scale = size / font["head"].unitsPerEm
        return Run(text, x, y, size, weight, anchor, cursor * scale, tuple(placed), scale)

    @property
    def defs(self) -> list[tuple[str, str]]:
        return [(ref, d) for ref, d in self.outlines.items() if d]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


@cache
def _outline(name: str, weight: int) -> str:
    from fontTools.pens.svgPathPen import SVGPathPen

    glyphs = _font(weight).getGlyphSet()
    pen = SVGPathPen(glyphs, ntos=lambda v: f"{v:g}")
    glyphs[name].draw(pen)
    return pen.getCommands()
