"""Figures laid out for their SVG templates: positions and texts as small typed objects.

Python decides where things go (scales, label placement, text widths with the shipped font);
the templates in layouts/*/blocks/ draw them. Units are millimetres, the SVG's user units.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import groupby
from typing import Any

from dossier.l10n import dates
from dossier.load.blocks import Block, Event
from dossier.render import maps
from dossier.render.glyphs import GlyphSet, Run

# The timeline's proportions, in millimetres.
LABEL_SIZE = 3.0
DATE_SIZE = 3.0
MONTH_SIZE = 2.7
ROW = 4.7          # height of one label line
DAY = 4.3          # vertical distance of one day on the axis
AXIS_X = 5.0
TOP = 10.0


@dataclass(frozen=True)
class TimelineMark:
    """A date on the axis: a dot (or a bar for a span) and the elbow to its first label."""

    y: float
    y_end: float | None
    connector: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class TimelineRow:
    label: Run
    date: Run | None


@dataclass(frozen=True)
class Timeline:
    width: float
    height: float
    axis_x: float
    axis_top: float
    axis_bottom: float
    ticks: tuple[float, ...]
    month: Run
    marks: tuple[TimelineMark, ...]
    rows: tuple[TimelineRow, ...]
    glyphs: GlyphSet
    text_size: float = MONTH_SIZE  # its smallest text, mm


def _r(value: float) -> float:
    return round(value, 2)


def timeline(block: Block, locale: str, prefix: str) -> Timeline:
    """Events down a vertical axis, a day to `DAY` mm; same-day events stacked, labels
    pushed down where the previous ones need the room, an elbow joining each to its day."""
    events = sorted(block.events, key=lambda e: (e.date, e.end or e.date))
    first = events[0].date
    last = max(e.end or e.date for e in events)
    glyphs = GlyphSet(prefix)
    groups = [list(g) for _, g in groupby(events, key=lambda e: (e.date, e.end))]

    def y_of(day: dt.date) -> float:
        return TOP + (day - first).days * DAY

    date_texts = [_date_text(g[0], locale) for g in groups]
    date_column = max(glyphs.run(t, 0, 0, DATE_SIZE, 600).width for t in date_texts)
    date_x = AXIS_X + 8.0
    label_x = date_x + date_column + 2.5

    marks, rows = [], []
    cursor = TOP - ROW / 2
    for group, date_text in zip(groups, date_texts, strict=True):
        y = y_of(group[0].date)
        center = max(y, cursor + ROW / 2)
        elbow = ((AXIS_X, y), (AXIS_X + 3.0, y), (AXIS_X + 5.5, center), (date_x - 1.2, center))
        end = group[0].end
        marks.append(TimelineMark(_r(y), _r(y_of(end)) if end else None,
                                  tuple((_r(a), _r(b)) for a, b in elbow)))
        for index, event in enumerate(group):
            baseline = center + index * ROW + LABEL_SIZE * 0.36
            label = glyphs.run(event.label, _r(label_x), _r(baseline), LABEL_SIZE)
            date = glyphs.run(date_text, _r(date_x), _r(baseline), DATE_SIZE, 600) if index == 0 else None
            rows.append(TimelineRow(label, date))
        cursor = center + (len(group) - 1) * ROW + ROW / 2 + 0.6
    bottom = max(y_of(last), cursor)
    width = label_x + max(row.label.width for row in rows) + 1.0
    month = glyphs.run(dates.format_date(first, locale, "month"), 0.0, 4.0, MONTH_SIZE, 600)
    ticks = tuple(_r(y_of(first + dt.timedelta(days=n))) for n in range((last - first).days + 1))
    return Timeline(
        width=_r(width), height=_r(bottom + 3.0), axis_x=AXIS_X, axis_top=_r(TOP - 3.0),
        axis_bottom=_r(y_of(last) + 2.0), ticks=ticks, month=month,
        marks=tuple(marks), rows=tuple(rows), glyphs=glyphs, text_size=min(LABEL_SIZE, DATE_SIZE, MONTH_SIZE),
    )


# French ordinals have their letters raised (`1er`). A run is set glyph by glyph without the
# font's OpenType features, so the superior letters are reached by their code points: U+1D49 and
# U+02B3 are the glyphs Inter's own `sups` feature substitutes for `e` and `r`.
SUPERIOR = str.maketrans({"e": "\u1d49", "r": "\u02b3"})


def _date_text(event: Event, locale: str) -> str:
    if event.end and event.end != event.date:
        text = dates.format_day_range(event.date, event.end, locale)
    else:
        text = dates.format_date(event.date, locale, "day")
    return _raise_ordinals(text) if locale.split("_")[0] == "fr" else text


def _raise_ordinals(text: str) -> str:
    """`1er janvier` → `1ᵉʳ janvier` (the `er` of a first day, as superior letters)."""
    return re.sub(r"\b1(er)\b", lambda m: "1" + m.group(1).translate(SUPERIOR), text)


@dataclass(frozen=True)
class FigureFile:
    """A figure's SVG document, shipped as an image file in the EPUB."""

    name: str
    svg: str
    media_type: str = "image/svg+xml"

    @property
    def content(self) -> bytes:
        return f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{self.svg!s}\n".encode()


FIGURES: dict[str, Callable[[Block, str, str], Any]] = {"timeline": timeline, "map": maps.layout}
# The EPUB's renditions, where they differ from print's: the map narrower (larger labels on a phone).
EPUB_FIGURES: dict[str, Callable[[Block, str, str], Any]] = {
    **FIGURES, "map": partial(maps.layout, width=maps.READER_WIDTH),
}
