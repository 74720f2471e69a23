"""Break opportunities in runs of text too long for a line (a pasted URL, a 5 000-letter word).

The print stylesheet lets a block's own text break anywhere when a word is wider than the
measure, but not the text of inline elements (links, emphasis, code): WeasyPrint would break
their first word too eagerly (see print.css). So runs longer than any real word get `<wbr/>`
at the places a URL may break (the same rule as the bibliography's addresses), and at least
every few characters, in both the print document and the EPUB.
"""

from __future__ import annotations

import re

from lxml import etree

from dossier.render.templates import url_pieces

LONG_RUN = 30  # no word of the dossier's languages is this long; shorter runs are left alone
_LONG = re.compile(rf"\S{{{LONG_RUN},}}")
_SKIP = {"pre", "script", "style", "title", "svg", "math", "wbr"}


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _pieces(text: str) -> list[str]:
    """`text` cut where long runs may break; one piece if it has no long run."""
    pieces = [""]
    position = 0
    for match in _LONG.finditer(text):
        pieces[-1] += text[position : match.start()]
        run = url_pieces(match.group())
        pieces[-1] += run[0]
        pieces.extend(run[1:])
        position = match.end()
    pieces[-1] += text[position:]
    return pieces


def break_long_runs(root: etree._Element) -> None:
    """Insert `<wbr/>` into every long run of text under `root` (in place)."""
    namespace = etree.QName(root).namespace
    wbr_tag = f"{{{namespace}}}wbr" if namespace else "wbr"
    for element in list(root.iter()):
        if any(_local(a.tag) in _SKIP for a in element.iterancestors()):
            continue
        if _local(element.tag) not in _SKIP and element.text and _LONG.search(element.text):
            pieces = _pieces(element.text)
            element.text = pieces[0]
            for index, piece in enumerate(pieces[1:]):
                wbr = etree.Element(wbr_tag)
                wbr.tail = piece
                element.insert(index, wbr)
        _break_tail(element, wbr_tag)


def _break_tail(element: etree._Element, wbr_tag: str) -> None:
    parent = element.getparent()
    if parent is None or not element.tail or not _LONG.search(element.tail):
        return
    pieces = _pieces(element.tail)
    element.tail = pieces[0]
    position = parent.index(element)
    for offset, piece in enumerate(pieces[1:], 1):
        wbr = etree.Element(wbr_tag)
        wbr.tail = piece
        parent.insert(position + offset, wbr)
