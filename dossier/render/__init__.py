"""Render stage: the resolved book → one HTML document for print, XHTML documents for the EPUB.

Both come from the same layout templates. Every document is parsed back into a tree, typeset
(text nodes only) and serialised: HTML for WeasyPrint, XML for the EPUB.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jinja2 import Environment
from lxml import etree
from markupsafe import Markup

from dossier import __version__
from dossier.l10n.hyphenation import Hyphenation, dossier_hyphenation
from dossier.l10n.notecalls import place_note_calls
from dossier.l10n.typography import typeset
from dossier.model import Book, Chapter, GlossaryEntry
from dossier.render.abbreviations import initialisms, mark_abbreviations
from dossier.render.breaks import bind_last_words, break_long_runs, drop_word_joiners, mark_addresses, wbr_addresses
from dossier.render.cite import bibliography
from dossier.render.figures import FigureFile
from dossier.render.markup import FragmentRenderer, Target
from dossier.render.positions import mark_document
from dossier.render.templates import environment, layout_folders, template_errors

XHTML_NS = "http://www.w3.org/1999/xhtml"
# The EPUB documents that are not chapters; print regions name them (`data-doc`) too.
EPUB_NAMES = {
    "cover": "cover.xhtml",
    "cover_image": "cover.jpg",
    "titlepage": "titlepage.xhtml",
    "contents": "contents.xhtml",
    "nav": "nav.xhtml",
}


@dataclass
class EpubDocument:
    """One XHTML file of the EPUB."""

    name: str
    title: str
    content: bytes
    kind: str
    properties: list[str] = field(default_factory=list)
    chapter: Chapter | None = None


@dataclass
class Rendered:
    print_html: str
    print_stylesheets: list[Path]
    epub_documents: list[EpubDocument]
    epub_stylesheet: Path
    layout_dirs: list[Path]
    epub_files: list[FigureFile] = field(default_factory=list)
    epub_extra: list[Path] = field(default_factory=list)  # a house layout's sheets, added to the EPUB's
    cover_html: str = ""  # the cover alone, front and back (print-ready builds write it apart)
    hyphenation: Hyphenation = field(default_factory=Hyphenation)  # the print layout's exceptions


def _context(book: Book, env: Environment) -> dict[str, Any]:
    config = book.config
    return {
        "book": book,
        "config": config,
        "edition": config.edition,
        "history": config.history,
        "chapters": book.chapters,
        "bibliography": bibliography([book.sources[i] for i in book.cited]),
        "glossary": book.glossary,
        "generator": f"dossier {__version__}",
        "lang": config.language,
        "epub_names": EPUB_NAMES,
    }


def _chapter_values(renderer: FragmentRenderer, chapter: Chapter) -> dict[str, Any]:
    renderer.context["chapter"] = chapter
    body = renderer.render_blocks(chapter.body)
    if chapter.source.front_matter is not None:  # markdown-it's renderer started a line after it
        body = Markup("\n") + body
    return {"chapter": chapter, "body": body}


def _find(name: str, folders: list[Path]) -> Path:
    for directory in folders:
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(name)


def render_print(book: Book, env: Environment) -> str:
    context = _context(book, env)
    renderer = FragmentRenderer(env, "print", context)
    chapters = [_chapter_values(renderer, chapter) for chapter in book.chapters]
    text = env.get_template("print.html.j2").render(context, rendered_chapters=chapters, target="print")
    return _typeset(text, book.config.locale, "print")


def render_print_cover(book: Book, env: Environment) -> str:
    """The cover as its own print document (front and back), for a print shop."""
    text = env.get_template("print-cover.html.j2").render(_context(book, env), target="print")
    return _typeset(text, book.config.locale, "print")


def render_epub(
    book: Book, env: Environment, files: list[FigureFile] | None = None
) -> list[EpubDocument]:
    """The EPUB's documents; the figures' image files are added to `files`."""
    context = _context(book, env)
    renderer = FragmentRenderer(env, "epub", context)
    renderer.figure_files = files if files is not None else []
    title = book.config.title
    documents = [
        _epub_document(env, "epub/cover.xhtml.j2", context, EPUB_NAMES["cover"], title, "cover", book),
        _epub_document(env, "epub/titlepage.xhtml.j2", context, EPUB_NAMES["titlepage"], title, "titlepage", book),
        _epub_document(env, "epub/contents.xhtml.j2", context, EPUB_NAMES["contents"], "", "toc", book),
    ]
    abbreviations = initialisms(book.glossary)
    for chapter in book.chapters:
        values = _chapter_values(renderer, chapter)
        text = env.get_template("epub/chapter.xhtml.j2").render(
            context, **values, notes=chapter.notes, render=renderer, target="epub"
        )
        content = _typeset(text, chapter.source.lang or book.config.locale, "epub", abbreviations)
        properties = [name for name, mark in (("mathml", b"<math"), ("svg", b"<svg")) if mark in content]
        documents.append(EpubDocument(chapter.file_name, chapter.title, content, "chapter", properties, chapter))
    documents.append(render_nav(book, env, context, documents))
    return documents


def render_nav(
    book: Book, env: Environment, context: dict[str, Any], documents: list[EpubDocument], pages: list[Any] | None = None
) -> EpubDocument:
    """The navigation document; `pages` (label, href) for its page list once the print layout is known."""
    nav = _epub_document(
        env, "epub/nav.xhtml.j2", context, EPUB_NAMES["nav"], "", "nav", book, documents=documents, pages=pages or []
    )
    nav.properties.append("nav")
    return nav


def _epub_document(
    env: Environment, template: str, context: dict[str, Any], name: str, title: str, kind: str, book: Book, **extra: Any
) -> EpubDocument:
    text = env.get_template(template).render(context, target="epub", **extra)
    return EpubDocument(name, title, _typeset(text, book.config.locale, "epub"), kind)


def _typeset(text: str, locale: str, target: Target, abbreviations: dict[str, GlossaryEntry] | None = None) -> Any:
    """Parse the rendered document, typeset its text nodes, serialise it for its target (with
    the glossary's initialisms marked up, if given)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False, huge_tree=True)
    root = etree.fromstring(text.encode("utf-8"), parser)
    body = root.find(f"{{{XHTML_NS}}}body")
    if body is None:
        body = root.find("body")
    head_title = root.find(f".//{{{XHTML_NS}}}title")
    if head_title is None:
        head_title = root.find(".//title")
    for part in (head_title, body):
        if part is not None:
            typeset(part, locale)
    if body is not None:
        place_note_calls(body, locale)
        mark_addresses(body)
        break_long_runs(body)
        if target == "print":
            bind_last_words(body)  # a page's fixed measure; a reading system's varies (and its nav keeps plain spaces)
        else:
            wbr_addresses(body)
            drop_word_joiners(body)
        mark_abbreviations(body, abbreviations or {})
    mark_document(root, print_document=target == "print")
    if target == "print":
        return "<!DOCTYPE html>\n" + etree.tostring(root, method="html", encoding="unicode")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>")


def render(book: Book, epub: bool = True) -> Rendered:
    """Both editions' documents; with `epub=False` the EPUB's are left to `with_epub`."""
    folders = layout_folders(book.config)
    extra = book.config.layout_files.stylesheets if book.config.layout_files else ()
    env = environment(folders, book.config.locale)
    paper = book.config.layout.paper.lower()
    with template_errors(folders):
        print_html = render_print(book, env)
        cover_html = render_print_cover(book, env)
    rendered = Rendered(
        print_html=print_html,
        cover_html=cover_html,
        print_stylesheets=[_find("print.css", folders), _find(f"paper-{paper}.css", folders)]
        + [sheet for fmt, sheet in extra if fmt == "pdf"],
        epub_documents=[],
        epub_stylesheet=_find("epub.css", folders),
        layout_dirs=folders,
        epub_extra=[sheet for fmt, sheet in extra if fmt == "epub"],
        hyphenation=dossier_hyphenation(
            book.config.root, [text for entry in book.glossary for text in (entry.term, entry.expansion or "")]
        ),
    )
    return with_epub(book, rendered, env) if epub else rendered


def with_epub(book: Book, rendered: Rendered, env: Environment | None = None) -> Rendered:
    """`rendered` with the EPUB's documents and figure files (the build makes them beside the PDF)."""
    env = env or environment(rendered.layout_dirs, book.config.locale)
    files: list[FigureFile] = []
    with template_errors(rendered.layout_dirs):
        documents = render_epub(book, env, files)
    return replace(rendered, epub_documents=documents, epub_files=files)
