"""Where each page of the PDF starts, as places in the EPUB documents.

Read from WeasyPrint's layout of the print document, the one the PDF is written from: on each
page, the first box of the main flow whose text was not on an earlier page (running heads,
footnotes, list numbers and other generated content left aside; a table header repeated on a
continued table is not new text) gives the block (`data-b`) and how far into it the page
starts. A page without new text (a blank verso, a page of notes only) starts where the next
text does. WeasyPrint has no public API for a page's boxes: `Page._page_box` is the one used.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from lxml import html

from dossier.render.positions import BLOCK, DOCUMENT, PageStart, blocks_by_document, skipped, units


@dataclass(frozen=True)
class _Content:
    document: str | None
    block: int | None
    units: int
    replaced: bool = False


def page_starts(document: Any, print_html: str) -> list[PageStart]:
    """One `PageStart` per page of WeasyPrint's `document`, in order."""
    return book_starts(raw_starts(document.pages, block_lengths(print_html)))


@lru_cache(maxsize=1)
def block_lengths(print_html: str) -> dict[tuple[str, int], int]:
    """`blocks_by_document` of the print HTML, parsed once for the build's page map and for
    the pages each part's layout gives (write/partlayout.py). Not to be changed by callers."""
    return blocks_by_document(html.document_fromstring(print_html))


RawStart = tuple[str, int | None, int] | None  # a page's first new text: (document, block, units before)


def raw_starts(pages: Any, lengths: dict[tuple[str, int], int]) -> list[RawStart]:
    """Each page's first new text, None for a page without any: what a page holds alone, so the
    pages of a part laid out on its own (write/parts.py) give the same as in the whole book
    (`lengths`: `blocks_by_document` of the print HTML)."""
    seen: dict[tuple[str | None, int | None], int] = {}
    found: list[RawStart] = []
    for page in pages:
        start = None
        for content in _contents(page._page_box):
            key = (content.document, content.block)
            before = seen.get(key, 0)
            if content.block is not None and before >= lengths.get(key, 0) and not content.replaced:
                continue  # text already laid out on an earlier page: a repeated table header
            if content.replaced and before:
                continue
            seen[key] = before + content.units
            if start is None and content.document is not None:
                start = (content.document, content.block, before)
        found.append(start)
    return found


def book_starts(found: list[RawStart]) -> list[PageStart]:
    """The book's page starts from each page's own (`raw_starts`, in the book's order)."""
    return _fill_blank_pages(found)


def _fill_blank_pages(found: list[tuple[str, int | None, int] | None]) -> list[PageStart]:
    starts: list[PageStart | None] = [
        None if f is None else PageStart(i + 1, str(i + 1), f[0], f[1], f[2]) for i, f in enumerate(found)
    ]
    following: PageStart | None = None
    for index in range(len(starts) - 1, -1, -1):
        current = starts[index]
        if current is None and following is not None:
            starts[index] = replace(following, number=index + 1, label=str(index + 1))
        elif current is not None:
            following = current
    last = next((s for s in reversed(starts) if s is not None), None)
    result = []
    for index, start in enumerate(starts):
        if start is None:  # blank pages after the last text, or no text at all
            document = last.document if last else ""
            start = PageStart(index + 1, str(index + 1), document, at_end=True)
        result.append(start)
    return result


def _contents(page_box: Any) -> Iterator[_Content]:
    """The text and images of a page's main flow, in order, with their block."""
    from weasyprint.formatting_structure import boxes

    for child in page_box.children:
        if isinstance(child, boxes.FootnoteAreaBox | boxes.MarginBox):
            continue
        yield from _walk(child, None, None, boxes)


def _walk(box: Any, document: str | None, block: int | None, boxes: Any) -> Iterator[_Content]:
    if "::" in (box.element_tag or ""):
        return  # generated content: list markers, note calls, leaders and page numbers
    element = box.element
    if element is not None:
        if skipped(element):
            return
        document = element.get(DOCUMENT) or document
        if element.get(BLOCK) is not None and not isinstance(box, boxes.TextBox):
            block = int(element.get(BLOCK))
    if isinstance(box, boxes.TextBox):
        count = units(box.text)
        if count:
            yield _Content(document, block, count)
        return
    if isinstance(box, boxes.ReplacedBox):
        yield _Content(document, block, 1, replaced=True)
        return
    for child in getattr(box, "children", ()):
        yield from _walk(child, document, block, boxes)
