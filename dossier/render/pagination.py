"""The print edition's page numbers in the EPUB: a marker where each PDF page starts, a page list.

The render stage writes the EPUB documents before the print layout exists; once it does
(`dossier.write.pages`), this puts the markers (from the layout's `epub/pagebreak.xhtml.j2`)
into the documents, renders the navigation document with its page list, and drops the block
marks the EPUB no longer needs.
"""

from __future__ import annotations

from dataclasses import replace

from lxml import etree

from dossier.model import Book
from dossier.render import XHTML_NS, EpubDocument, _context, render_nav
from dossier.render.positions import PageStart, insert_marker, unmark
from dossier.render.templates import environment, layout_folders, template_errors


def marker_id(start: PageStart) -> str:
    return f"page-{start.label}"


def paginate(book: Book, documents: list[EpubDocument], starts: list[PageStart]) -> list[EpubDocument]:
    """The EPUB documents with page markers, and the navigation document with the page list."""
    with template_errors(layout_folders(book.config)):
        return _paginate(book, documents, starts)


def _paginate(book: Book, documents: list[EpubDocument], starts: list[PageStart]) -> list[EpubDocument]:
    env = environment(layout_folders(book.config), book.config.locale)
    context = _context(book, env)
    template = env.get_template("epub/pagebreak.xhtml.j2")
    placed: list[PageStart] = []
    out = []
    for document in documents:
        if document.kind == "nav":
            continue
        root = _parse(document.content)
        body = root.find(f"{{{XHTML_NS}}}body")
        for start in (s for s in starts if s.document == document.name):
            marker = etree.fromstring(template.render(context, page=start, id=marker_id(start)).encode("utf-8"))
            insert_marker(body, start, marker)
            placed.append(start)
        out.append(replace(document, content=_serialise(root)))
    placed.sort(key=lambda s: s.number)
    pages = [(s.label, f"{s.document}#{marker_id(s)}") for s in placed]
    nav = render_nav(book, env, context, out, pages)
    out.append(replace(nav, content=_serialise(_parse(nav.content))))
    return out


def _parse(content: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    return etree.fromstring(content, parser)


def _serialise(root: etree._Element) -> bytes:
    unmark(root)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>")
