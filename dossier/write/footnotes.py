"""Keep every note on the page of its call.

To give a paragraph its minimum of lines at the foot of a page (`orphans`), WeasyPrint may move
the notes already placed on that page to the next one, notes whose calls stay behind
(layout/block.py, "first try to report footnotes"). This module finds such notes in the laid-out
pages and names the paragraph that displaced them, so that the layout can be run again with a
page break before that paragraph (or before the headings that lead into it). No library does
this: it works on WeasyPrint's page boxes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


@dataclass(frozen=True)
class Misplaced:
    """A note set on a later page than its call."""

    note: str  # the note's id
    call_page: int  # 0-based
    note_page: int


def misplaced_notes(document: Any) -> list[Misplaced]:
    calls: dict[str, int] = {}
    notes: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        body, area = page._page_box.children[:2]
        for box in body.descendants():
            if box.footnote is not None and (key := box.footnote.element.get("id")):
                calls.setdefault(key, index)
        for box in area.children:
            if box.element is not None and (key := box.element.get("id")):
                notes.setdefault(key, index)
    return [
        Misplaced(key, calls[key], page) for key, page in notes.items() if key in calls and page != calls[key]
    ]


def displacing_element(document: Any, page_index: int) -> Any | None:
    """The element to start on a new page so that page `page_index` keeps its notes: the
    block of the page's last line, or the headings just before it, when that block starts on
    this page; None when there is no such block."""
    lines = list(_lines(document.pages[page_index]._page_box.children[0]))
    if not lines:
        return None
    block = lines[-1].parent_element
    first_page = next(
        (i for i, page in enumerate(document.pages) if any(
            line.parent_element is block for line in _lines(page._page_box.children[0])
        )),
        None,
    )
    if first_page != page_index:
        return None
    target = block
    previous = target.getprevious() if hasattr(target, "getprevious") else None
    while previous is not None and previous.tag in HEADINGS:
        target, previous = previous, previous.getprevious()
    return target


@dataclass
class _Line:
    box: Any
    parent_element: Any


def _lines(root: Any) -> Iterator[_Line]:
    """The in-flow line boxes under `root`, with the element of the block holding each."""
    from weasyprint.formatting_structure import boxes

    def walk(box: Any, element: Any) -> Iterator[_Line]:
        for child in getattr(box, "children", ()):
            if isinstance(child, boxes.LineBox):
                yield _Line(child, element)
            elif isinstance(child, boxes.BlockContainerBox) or isinstance(child, boxes.ParentBox):
                yield from walk(child, child.element if isinstance(child, boxes.BlockBox) and child.element is not None else element)

    yield from walk(root, root.element)
