"""dossier.write.parts: what the book laid out part by part must never do, on layouts made up
for the case (the real layouts are read back in test_pdf.py and test_print_edition.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest

from dossier.write.parts import FRONT, PAGE_ATTRIBUTE, LaidOut, Part, lay_out_book

HTML = (
    "<html><head><title>t</title></head><body>"
    '<nav class="toc"><ol><li><a href="#ch1">Un</a></li></ol></nav>'
    '<section class="chapter" data-doc="ch1" id="ch1"><p>texte</p></section>'
    "</body></html>"
)


class Numbered(Exception):
    """Raised where the folio sheet would be laid out: the numbering is done."""


def _laid(part: Part, pages: int) -> LaidOut:
    box = SimpleNamespace(page_type=SimpleNamespace(name="chapter", blank=False))
    page = SimpleNamespace(anchors={"ch1": None} if part.name != FRONT else {}, _page_box=box)
    return LaidOut(SimpleNamespace(pages=[page] * pages), part.tree)


def _sheet(html: str) -> None:
    raise Numbered


def test_a_sommaire_whose_page_count_never_settles_is_an_error_not_wrong_numbers() -> None:
    """The front matter's length moves the chapters, whose numbers it prints: if its page count
    changes at every layout, the build stops rather than print the numbers of another count."""
    lengths = iter([1, 3, 5, 7, 9])

    def lay_out(part: Part) -> LaidOut:
        return _laid(part, next(lengths) if part.name == FRONT else 4)

    with pytest.raises(RuntimeError, match="did not settle"):
        lay_out_book(ET.fromstring(HTML), lay_out, _sheet, lambda pages: "")


def test_the_sommaire_gets_the_page_of_its_chapter_once_the_front_matter_settles() -> None:
    """Front matter of 3 pages (4 with the blank before the chapter): the chapter opens on page 5."""
    seen: list[str | None] = []

    def lay_out(part: Part) -> LaidOut:
        if part.name == FRONT:
            seen.append(part.tree.find(".//nav//a").get(PAGE_ATTRIBUTE))
        return _laid(part, 3 if part.name == FRONT else 4)

    with pytest.raises(Numbered):
        lay_out_book(ET.fromstring(HTML), lay_out, _sheet, lambda pages: "")
    assert seen == ["1", "5"]  # laid out with no front matter counted, then with its 4 pages
