"""The print book laid out part by part: the front matter, then each chapter, as WeasyPrint
documents of their own, their pages assembled into one document.

Why: WeasyPrint lays a document out as a whole, and the page guard (write/footnotes.py) lays
it out again each time it finds a note away from its call, a hole or a run of hyphens. A
chapter starts on a right-hand page and numbers its own notes, so nothing that happens in one
chapter changes the pages of another: laid out alone, each chapter is laid out again only while
the guard finds something in it.

What a part cannot know alone, and how it is given:
- the folios (`counter(page) / counter(pages)`): the parts are laid out without them (the
  layout's parts.css) and they are taken from a light "folio sheet" laid out with the same
  stylesheets, one empty page for each page of the book (print-folios.html.j2): its bottom
  margin boxes are set into the parts' pages;
- the Sommaire's page numbers (`target-counter`): the front matter is laid out last, each of its
  links given the page of its target (`data-page`, which parts.css shows), again while its own
  page count moves the chapters;
- the dossier's title in the running heads (`string(dossier-title)`, set by the cover): given
  to each chapter (`data-dossier-title` on its body, parts.css).
A chapter that ends on a right-hand page is followed by a blank page (the sheet's, bare as
print.css has blank pages), as WeasyPrint would have made before the next chapter. The pages of
the parts make one `Document` (`Document.copy`): links across parts, the outline and the tags
are WeasyPrint's own, written once.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

FRONT = "front"
PAGE_ATTRIBUTE = "data-page"  # a Sommaire link's target page (parts.css shows it)
TITLE_ATTRIBUTE = "data-dossier-title"  # the dossier's title, for a chapter's running heads
FOLIO_BOXES = ("@bottom-left", "@bottom-center", "@bottom-right")  # taken from the folio sheet
# The front matter is laid out again while its page count (rounded to a right-hand page) moves
# the chapters, and so the Sommaire's numbers: once more is the most a change of a digit needs.
MAX_FRONT_LAYOUTS = 3


@dataclass(frozen=True)
class Part:
    """One part of the book: its name (the chapter's `data-doc`, or FRONT) and its HTML tree,
    the print HTML's head and this part's blocks of the body."""

    name: str
    tree: Any


@dataclass
class LaidOut:
    """A part laid out: WeasyPrint's document and the tree it was laid out from (the page
    guard's marks and moves made)."""

    document: Any
    tree: Any
    done: list[Any] = field(default_factory=list)  # the page guard's fixes (footnotes.Fix)
    anchors: dict[str, int] = field(default_factory=dict)  # id → page in the part, from 0
    decisions: Any = None  # what the guard decided, to lay it out again alike (write/layoutcache.py)


# A part's HTML (a tree) → laid out, the page guard's rounds made
LayOut = Callable[[Part], LaidOut]
# The chapters and the front matter to come → each chapter laid out (at once, in other
# processes, from a cache: write/partlayout.py)
LayOutMany = Callable[[list[Part], Part | None], list[LaidOut]]
# The folio sheet's HTML → its laid-out document (the print stylesheets alone)
LaySheet = Callable[[str], Any]
# The pages of the book, (page name, side, blank) each → the folio sheet's HTML
SheetHtml = Callable[[list[tuple[str, str, bool]]], str]


def is_chapter(element: Any) -> bool:
    return element.tag == "section" and "chapter" in (element.get("class") or "").split()


def split(root: Any) -> list[Part]:
    """The front matter (the body's blocks before the first chapter) and each chapter, each in
    a copy of the document's head and body."""
    body = root.find("body")
    blocks = list(body)
    first = next((i for i, b in enumerate(blocks) if is_chapter(b)), len(blocks))
    title = _dossier_title(root)
    parts = [Part(FRONT, _with_body(root, blocks[:first]))] if first else []
    for block in blocks[first:]:
        tree = _with_body(root, [block])
        if title:
            tree.find("body").set(TITLE_ATTRIBUTE, title)
        parts.append(Part(block.get("data-doc") or f"part-{len(parts)}", tree))
    return parts


def _with_body(root: Any, blocks: list[Any]) -> Any:
    tree = ET.Element(root.tag, dict(root.attrib))
    tree.text = root.text
    for child in root:
        if child.tag != "body":
            tree.append(copy.deepcopy(child))
    source = root.find("body")
    body = ET.SubElement(tree, "body", dict(source.attrib))
    body.text = source.text
    for block in blocks:
        body.append(copy.deepcopy(block))
    return tree


def _dossier_title(root: Any) -> str:
    """The text print.css puts in the left running heads (`string-set` on the cover's title)."""
    for element in root.iter("h1"):
        if "cover-title" in (element.get("class") or "").split():
            return re.sub(r"[ \t\n\r\f]+", " ", "".join(element.itertext())).strip()  # no-break spaces kept
    return ""


def anchors(document: Any) -> dict[str, int]:
    """Each anchor (id) of a laid-out document and its page, from 0."""
    found: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            found.setdefault(name, index)
    return found


def number_contents(tree: Any, pages: dict[str, int]) -> None:
    """Each Sommaire link gets the page (from 1) its target is on in the book."""
    for nav in tree.iter("nav"):
        if "toc" not in (nav.get("class") or "").split():
            continue
        for link in nav.iter("a"):
            target = (link.get("href") or "").partition("#")[2]
            if target in pages:
                link.set(PAGE_ATTRIBUTE, str(pages[target] + 1))


@dataclass(frozen=True)
class Book:
    """The assembled layout: one document of every part's pages, and the tree of the whole
    book they were laid out from (for the tagger and the EPUB's page map)."""

    document: Any
    tree: Any
    parts: list[LaidOut]
    starts: list[int]  # each part's first page in the book, from 0


def lay_out_book(
    root: Any, lay_out: LayOut, lay_sheet: LaySheet, sheet_html: SheetHtml, lay_out_many: LayOutMany | None = None
) -> Book:
    """Every part laid out (the chapters first, `lay_out_many` if given, then the front matter
    with the Sommaire's numbers), the folios set from the folio sheet, one document of the pages."""
    parts = split(root)
    front = parts[0] if parts and parts[0].name == FRONT else None
    rest = [part for part in parts if part is not front]
    chapters = lay_out_many(rest, front) if lay_out_many is not None else [lay_out(part) for part in rest]
    for laid in chapters:
        laid.anchors = anchors(laid.document)
    laid_front = None
    if front is not None:
        counted = [(laid.anchors, len(laid.document.pages)) for laid in chapters]
        laid_front = settle_front(front, counted, lay_out, lambda laid: len(laid.document.pages))
    laid = ([laid_front] if laid_front is not None else []) + chapters
    pages = _sequence([p.document for p in laid])
    sheet = lay_sheet(sheet_html([(name, side, blank) for _, name, side, blank in pages]))
    document = _assemble(laid[0].document, pages, sheet)
    starts, start = [], 0
    for part in laid:
        starts.append(start)
        start += _right_hand(len(part.document.pages))
    return Book(document, _whole(root, [p.tree for p in laid]), laid, starts)


T = TypeVar("T")


def settle_front(
    front: Part, chapters: list[tuple[dict[str, int], int]], lay_out: Callable[[Part], T], count: Callable[[T], int]
) -> T:
    """The front matter laid out (`lay_out`), its Sommaire numbered from the chapters' anchors
    and page counts (`chapters`), again while its own page count (`count`) moves them: what
    the build does, and what write/foresight.py does with the pages a previous build kept."""
    offset = 0
    for _ in range(MAX_FRONT_LAYOUTS):
        number_contents(front.tree, _book_pages(offset, chapters))
        laid = lay_out(front)
        pages = _right_hand(count(laid))
        if pages == offset:
            return laid
        offset = pages
    # never a Sommaire whose numbers are those of another page count
    raise RuntimeError(f"the Sommaire's page numbers did not settle in {MAX_FRONT_LAYOUTS} layouts")


def _right_hand(count: int) -> int:
    """Pages taken by a part of `count` pages before the next right-hand page."""
    return count + count % 2


def _book_pages(offset: int, chapters: list[tuple[dict[str, int], int]]) -> dict[str, int]:
    """Each chapter anchor's page in the book (from 0), the front matter taking `offset` pages
    (`chapters`: each one's anchors and page count)."""
    found: dict[str, int] = {}
    start = offset
    for anchors_of, count in chapters:
        for name, page in anchors_of.items():
            found.setdefault(name, start + page)
        start += _right_hand(count)
    return found


Slot = tuple[Any, str, str, bool]  # a part's page (None: a blank to add), its name, side, blank


def _sequence(documents: list[Any]) -> list[Slot]:
    """The book's pages in order, a blank added after a part that ends on a right-hand page."""
    slots: list[Slot] = []
    for number, document in enumerate(documents):
        for page in document.pages:
            box = page._page_box
            side = "left" if len(slots) % 2 else "right"
            slots.append((page, box.page_type.name or "", side, bool(box.page_type.blank)))
        if len(slots) % 2 and number < len(documents) - 1:
            name = slots[-1][1]
            slots.append((None, name, "left", True))
    return slots


def _assemble(first: Any, slots: list[Slot], sheet: Any) -> Any:
    """One document of the parts' pages, each page's folio boxes the sheet's; an added blank
    page is the sheet's own."""
    if len(sheet.pages) != len(slots):
        raise RuntimeError(f"folio sheet of {len(sheet.pages)} pages for a book of {len(slots)}")
    pages = []
    for (page, _, _, blank), leaf in zip(slots, sheet.pages, strict=True):
        if bool(leaf._page_box.page_type.blank) != blank:
            raise RuntimeError("the folio sheet's blank pages are not the book's")
        if page is None:
            pages.append(leaf)
            continue
        if not blank:
            _set_folios(page._page_box, leaf._page_box)
        pages.append(page)
    return first.copy(pages)


def _set_folios(page: Any, leaf: Any) -> None:
    """The sheet page's folio margin boxes set into the book's page, last, where WeasyPrint
    puts the bottom margin boxes (after the page's content, its notes and its running head):
    the content stream, and the order text extraction reads, are those of a whole layout."""
    folios = [box for box in leaf.children if getattr(box, "at_keyword", None) in FOLIO_BOXES]
    page.children = [box for box in page.children if getattr(box, "at_keyword", None) not in FOLIO_BOXES] + folios


def _whole(root: Any, trees: list[Any]) -> Any:
    """The whole book's tree: the print HTML's head and body, holding each part's blocks as
    they were laid out."""
    whole = _with_body(root, [])
    body = whole.find("body")
    for tree in trees:
        for block in tree.find("body"):
            body.append(block)
    return whole
