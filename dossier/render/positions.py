"""Places in the text that mean the same in the print document and in the EPUB documents.

Both are rendered from the same token stream and templates, so the text blocks of a chapter
come in the same order in both. Each block is numbered (`data-b`, counted per EPUB document);
in the print document, the element that becomes an EPUB document names it (`data-doc`). A
place is then (document, block, offset), the offset counted in letters and digits only, so
that what differs between the two renderings (whitespace, hyphenation, note calls, which print
generates from CSS and the EPUB writes as links) does not shift it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

BLOCK = "data-b"
DOCUMENT = "data-doc"
BLOCK_TAGS = frozenset(
    {
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "dt",
        "dd",
        "th",
        "td",
        "caption",
        "figcaption",
        "pre",
        "blockquote",
        "img",
        "svg",
    }
)
ATOMIC_TAGS = frozenset({"img", "svg"})  # replaced content: no text of its own, one unit long
# Notes and their calls are placed differently in print (in the line, floated to the foot of
# the page) and in the EPUB (linked, listed at the end of the chapter): outside every count.
SKIPPED_CLASSES = frozenset({"footnote", "noteref", "notes"})
# Where a page marker at the very start of a block goes inside it: these cannot have a
# phrasing sibling in their parent (a list, a row, a table, a definition list).
INSIDE_AT_START = frozenset({"li", "dt", "dd", "th", "td", "caption"})


@dataclass(frozen=True)
class PageStart:
    """Where a page of the print edition starts, as a place in an EPUB document.

    `block` None: at the start of the document (`at_end`: at its end, for blank pages after
    the last text); else `offset` letters and digits into that block's own text.
    """

    number: int
    label: str
    document: str
    block: int | None = None
    offset: int = 0
    at_end: bool = False


def local_name(element: Any) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""  # comments, processing instructions
    return tag.rsplit("}", 1)[-1]


def skipped(element: Any) -> bool:
    return bool(SKIPPED_CLASSES.intersection((element.get("class") or "").split()))


def units(text: str | None) -> int:
    """The length of a text in the unit of offsets: letters and digits."""
    return sum(1 for c in text or "" if c.isalnum())


def mark_blocks(region: Any) -> None:
    """Number the blocks of one region (an EPUB document's body, a print region) in order."""
    count = 0

    def visit(element: Any) -> None:
        nonlocal count
        for child in element:
            name = local_name(child)
            if not name or skipped(child):
                continue
            if name in BLOCK_TAGS:
                child.set(BLOCK, str(count))
                count += 1
            if name not in ATOMIC_TAGS:
                visit(child)

    visit(region)


def mark_document(root: Any, print_document: bool) -> None:
    """Print: number the blocks of each region that names its EPUB document. EPUB: the body's."""
    if print_document:
        for region in root.iter():
            if isinstance(region.tag, str) and region.get(DOCUMENT):
                mark_blocks(region)
        return
    body = next((e for e in root if local_name(e) == "body"), None)
    if body is not None:
        mark_blocks(body)


def text_slots(element: Any) -> Iterator[tuple[Any, str]]:
    """The text of a block in order, as (element, "text" or "tail"): its own text and that of
    its inline descendants, not that of nested blocks nor of notes."""
    if local_name(element) in ATOMIC_TAGS:
        return
    yield element, "text"
    for child in element:
        if local_name(child) and not skipped(child) and child.get(BLOCK) is None:
            yield from text_slots(child)
        yield child, "tail"


def block_units(block: Any) -> int:
    if local_name(block) in ATOMIC_TAGS:
        return 1
    return sum(units(getattr(e, attr)) for e, attr in text_slots(block))


def blocks_by_document(root: Any) -> dict[tuple[str, int], int]:
    """Print document: the length of every block, by (EPUB document, block number)."""
    lengths = {}
    for region in root.iter():
        if isinstance(region.tag, str) and region.get(DOCUMENT):
            for block in region.iter():
                if isinstance(block.tag, str) and block.get(BLOCK) is not None:
                    lengths[(region.get(DOCUMENT), int(block.get(BLOCK)))] = block_units(block)
    return lengths


# -- the EPUB side: markers where the pages start -----------------------------------------------


def insert_marker(body: Any, start: PageStart, marker: Any) -> None:
    """Put `marker` (an empty element) where `start` says, in an EPUB document's body."""
    block = None
    if start.block is not None:
        block = next((e for e in body.iter() if e.get(BLOCK) == str(start.block)), None)
    if block is None or start.at_end:
        _at_edge(body, marker, start.at_end)
    elif start.offset <= 0 or local_name(block) in ATOMIC_TAGS:
        _before_block(block, marker)
    else:
        _in_text(block, start.offset, marker)


def _at_edge(body: Any, marker: Any, end: bool) -> None:
    if end:
        body.append(marker)
        return
    index = 0  # after the markers already there, so pages stay in order
    while index < len(body) and body[index].get("role") == "doc-pagebreak":
        index += 1
    body.insert(index, marker)


def _before_block(block: Any, marker: Any) -> None:
    if local_name(block) in INSIDE_AT_START:
        _split(block, "text", 0, marker)
        return
    parent = block.getparent()
    parent.insert(parent.index(block), marker)


def _in_text(block: Any, offset: int, marker: Any) -> None:
    """Before the word holding the `offset`-th letter or digit (0-based) of the block's text."""
    seen = 0
    last = None
    for element, attr in text_slots(block):
        text = getattr(element, attr) or ""
        for index, char in enumerate(text):
            if not char.isalnum():
                continue
            if seen == offset:
                while index > 0 and not text[index - 1].isspace():
                    index -= 1
                _split(element, attr, index, marker)
                return
            seen += 1
        if text:
            last = (element, attr, len(text))
    if last is None:
        _split(block, "text", 0, marker)
    else:
        _split(*last, marker)  # the block is shorter than the print one: at its end


def _split(element: Any, attr: str, index: int, marker: Any) -> None:
    """Insert `marker` at `index` of an element's text (as its first child) or tail (after it)."""
    text = getattr(element, attr) or ""
    marker.tail = text[index:] or None
    setattr(element, attr, text[:index] or None)
    if attr == "text":
        element.insert(0, marker)
    else:
        parent = element.getparent()
        parent.insert(parent.index(element) + 1, marker)


def unmark(root: Any) -> None:
    """Drop the block marks: the EPUB does not need them once the markers are in."""
    for element in root.iter():
        if isinstance(element.tag, str):
            element.attrib.pop(BLOCK, None)
            element.attrib.pop(DOCUMENT, None)
