"""Keep every note on the page of its call.

To give a paragraph its minimum of lines at the foot of a page (`orphans`), WeasyPrint moves
notes already placed on that page to the next one, while their calls stay behind
(weasyprint/layout/block.py, "first try to report footnotes"); `footnote-policy` does not
prevent it. This module finds such notes in the laid-out pages and names the block that
displaced them: the layout is then run again with that block (or the headings leading into it)
starting a new page. No library does this: it works on WeasyPrint's page boxes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
ElementPath = tuple[int, ...]  # an element's place in the document: child indices from the root


@dataclass(frozen=True)
class Misplaced:
    """A note set on another page than its call's."""

    note: str  # the note's id
    call_page: int  # 0-based
    note_page: int


def misplaced_notes(document: Any) -> list[Misplaced]:
    """Every note whose page differs from its call's page."""
    calls: dict[str, int] = {}
    notes: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        body, *others = page._page_box.children
        for box in body.descendants():
            if getattr(box, "footnote", None) is not None and (key := box.footnote.element.get("id")):
                calls.setdefault(key, index)
        for area in others:
            if type(area).__name__ == "FootnoteAreaBox":
                for box in area.children:
                    if box.element is not None and (key := box.element.get("id")):
                        notes.setdefault(key, index)
    return [Misplaced(key, calls[key], page) for key, page in notes.items() if page != calls.get(key, page)]


def break_points(document: Any) -> list[ElementPath]:
    """Where to start a new page so that the misplaced notes stay with their calls: for each
    page that lost notes, the block of its last line (or the headings just before it), if that
    block starts on this page."""
    pages = sorted({m.call_page for m in misplaced_notes(document)})
    if not pages:
        return []
    root = document.pages[0]._page_box.children[0].element
    parents = {child: parent for parent in root.iter() for child in parent}
    points = []
    for page in pages:
        if (element := _displacing_element(document, page, parents)) is not None:
            points.append(_path(element, parents))
    return points


def element_at(root: Any, path: ElementPath) -> Any:
    element = root
    for index in path:
        element = element[index]
    return element


def _displacing_element(document: Any, page_index: int, parents: dict[Any, Any]) -> Any | None:
    lines = list(_line_blocks(document.pages[page_index]._page_box.children[0]))
    if not lines:
        return None
    block = lines[-1]
    if page_index and block in set(_line_blocks(document.pages[page_index - 1]._page_box.children[0])):
        return None  # the block comes from the page before: breaking before it would not help
    target = block
    while (previous := _previous(target, parents)) is not None and previous.tag in HEADINGS:
        target = previous
    return target


def _previous(element: Any, parents: dict[Any, Any]) -> Any | None:
    parent = parents.get(element)
    if parent is None:
        return None
    siblings = list(parent)
    index = siblings.index(element)
    return siblings[index - 1] if index else None


def _path(element: Any, parents: dict[Any, Any]) -> ElementPath:
    path: list[int] = []
    while (parent := parents.get(element)) is not None:
        path.insert(0, list(parent).index(element))
        element = parent
    return tuple(path)


def _line_blocks(root: Any) -> Iterator[Any]:
    """The element of the block holding each in-flow line box under `root`, in order."""
    from weasyprint.formatting_structure import boxes

    def walk(box: Any, element: Any) -> Iterator[Any]:
        for child in getattr(box, "children", ()):
            if isinstance(child, boxes.LineBox):
                yield element
            elif isinstance(child, boxes.ParentBox):
                own = isinstance(child, boxes.BlockBox) and child.element is not None
                yield from walk(child, child.element if own else element)

    yield from walk(root, root.element)
