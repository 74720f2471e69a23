"""EPUB edition: ebooklib assembles the package; the zip is then made reproducible.

ebooklib writes the OPF, the NCX and the zip. Our XHTML documents (navigation included) come
from the layout templates and are added as plain items so that ebooklib keeps them byte for
byte. The print layout gives the page markers and the page list (`dossier.write.pages`) and
the cover image (`dossier.write.cover`); fonts are subset to the book's text. ebooklib stamps
zip entries with the current time and has no option for the package's `xml:lang`, so the
archive is rewritten: the edition's timestamp, a fixed entry order (reproducible-builds.org),
the package's language.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lxml import etree

from dossier import __version__
from dossier.formats import output_name
from dossier.l10n.dates import format_date
from dossier.l10n.i18n import translations
from dossier.l10n.typography import typeset
from dossier.model import Book, Config
from dossier.render import EPUB_NAMES, XHTML_NS, EpubDocument, Rendered
from dossier.render.pagination import paginate
from dossier.render.positions import PageStart
from dossier.resources import assets_dir
from dossier.write.cover import cover_image
from dossier.write.fonts import stylesheet_fonts, subset_font
from dossier.write.images import EpubImage, epub_images, rename_images
from dossier.write.pages import page_starts

FONT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}
OPF_NS = "http://www.idpf.org/2007/opf"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"


def build_time(book: Book, source_date_epoch: int | None) -> dt.datetime:
    """The one timestamp of a build: SOURCE_DATE_EPOCH when set, else the edition's date."""
    if source_date_epoch is not None:
        return dt.datetime.fromtimestamp(source_date_epoch, tz=dt.UTC)
    return edition_time(book.config)


def edition_time(config: Config) -> dt.datetime:
    """`dcterms:modified`: the edition's date, whenever and wherever the book is built."""
    date = config.edition.date
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)


@dataclass(frozen=True)
class FromPrint:
    """What the EPUB takes from the print layout: where each PDF page starts, and the cover.
    Small and picklable, so that the EPUB can be made in another process than the layout."""

    starts: list[PageStart]
    cover: bytes


def from_print(layout: Any, print_html: str) -> FromPrint:
    return FromPrint(page_starts(layout, print_html), cover_image(layout))


@dataclass(frozen=True)
class Features:
    """What the book has, read from its documents: the accessibility metadata claims this."""

    pages: bool
    images: int
    images_without_text: int


def write_epub(book: Book, rendered: Rendered, target: Path, stamp: dt.datetime, layout: Any) -> None:
    """The EPUB at `target`; `layout` is WeasyPrint's document for the PDF of the same build, or
    what the EPUB takes from it (`FromPrint`)."""
    from ebooklib import epub

    config = book.config
    printed = layout if isinstance(layout, FromPrint) else from_print(layout, rendered.print_html)
    starts = printed.starts
    documents = paginate(book, rendered.epub_documents, starts)
    pictures = epub_images(book.config.root, book.images)
    renamed = {p.source: p.name for p in pictures if p.name != p.source}
    documents = [replace(d, content=rename_images(d.content, renamed)) for d in documents] if renamed else documents
    package = epub.EpubBook()
    _metadata(package, config, _features(documents, starts))
    _add_resources(package, book, pictures, rendered, documents, printed.cover)
    items = _add_documents(package, documents)
    package.add_item(epub.EpubNcx())
    package.toc = _toc(book)
    package.spine = [items[d.name] for d in documents if d.kind != "nav"]
    package.guide = _guide(book)

    raw = target.with_name(target.name + ".raw")
    options = {"mtime": edition_time(config), "epub3_landmark": False, "epub3_pages": False, "raise_exceptions": True}
    try:
        epub.write_epub(str(raw), package, options)
        _reproducible_zip(raw, target, stamp, config.language)
    finally:
        raw.unlink(missing_ok=True)


def _add_resources(
    package: Any, book: Book, pictures: list[EpubImage], rendered: Rendered, documents: list[EpubDocument], cover: bytes
) -> None:
    """The stylesheet, the fonts (subset to the text), the cover image, the dossier's images
    (reader-sized: `dossier.write.images`) and figures."""
    from ebooklib import epub

    css = rendered.epub_stylesheet.read_bytes() + b"".join(b"\n" + sheet.read_bytes() for sheet in rendered.epub_extra)
    package.add_item(epub.EpubItem(uid="css", file_name="css/epub.css", media_type="text/css", content=css))
    text = "".join("".join(etree.fromstring(d.content).itertext()) for d in documents)
    layout = book.config.layout_files
    declared = {font.name: font for font in reversed(layout.fonts)} if layout else {}  # a house font first
    for index, name in enumerate(stylesheet_fonts(css.decode("utf-8")), 1):  # the layout's fonts its sheet names
        path = declared.get(name, assets_dir() / "fonts" / name)
        font = epub.EpubItem(uid=f"font-{index}", file_name=f"fonts/{name}", media_type=FONT_TYPES[path.suffix])
        font.content = subset_font(path, text)
        package.add_item(font)
    name = EPUB_NAMES["cover_image"]
    image = epub.EpubItem(uid="cover-image", file_name=name, media_type="image/jpeg", content=cover)
    image.properties = ["cover-image"]
    package.add_item(image)
    package.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})  # EPUB 2 reading systems
    for index, picture in enumerate(pictures, 1):
        package.add_item(
            epub.EpubImage(
                uid=f"image-{index}", file_name=picture.name, media_type=picture.media_type, content=picture.content
            )
        )
    for index, figure in enumerate(rendered.epub_files, 1):
        item = epub.EpubImage(uid=f"figure-{index}", file_name=figure.name, media_type=figure.media_type)
        item.content = figure.content
        package.add_item(item)


def _add_documents(package: Any, documents: list[EpubDocument]) -> dict[str, Any]:
    """Our XHTML documents as plain items, which ebooklib writes byte for byte."""
    from ebooklib import epub

    items = {}
    for document in documents:
        item = epub.EpubItem(
            uid=document.name.removesuffix(".xhtml"),
            file_name=document.name,
            media_type="application/xhtml+xml",
            content=document.content,
        )
        item.properties = list(document.properties)
        package.add_item(item)
        items[document.name] = item
    return items


def typeset_text(text: str, locale: str) -> str:
    """A metadata string with the typography of the text (apostrophes, spaces), as in the documents."""
    element = etree.Element("p")
    element.text = text
    typeset(element, locale)
    return "".join(element.itertext())


def _metadata(package: Any, config: Config, features: Features) -> None:
    def text(value: str) -> str:
        return typeset_text(value, config.locale)

    package.set_identifier(config.identifier)
    package.set_title(text(config.title))
    package.set_language(config.language)
    for index, author in enumerate(config.authors, 1):
        package.add_author(text(author), uid=f"creator-{index}")
    package.add_metadata("DC", "publisher", text(config.publisher))
    package.add_metadata("DC", "date", config.edition.date.isoformat())
    if config.description:
        package.add_metadata("DC", "description", text(config.description))
    for subject in config.subjects:
        package.add_metadata("DC", "subject", text(subject))
    if features.pages:
        source = text(_page_source(config))
        package.add_metadata("DC", "source", source)
        package.add_metadata(None, "meta", source, {"property": "pageBreakSource"})
    for prop, values in _accessibility(config, features).items():
        for value in values:
            package.add_metadata(None, "meta", value, {"property": prop})
    package.add_metadata(None, "meta", "", {"name": "generator", "content": f"dossier {__version__}"})


def _page_source(config: Config) -> str:
    """The PDF of the same edition, named as a reader finds it (it has no ISBN of its own)."""
    _ = translations(config.locale).gettext
    date = format_date(config.edition.date, config.locale, "long")
    return _("%(title)s, PDF edition %(number)s of %(date)s (%(file)s)") % {
        "title": config.title,
        "number": config.edition.number,
        "date": date,
        "file": output_name(config.slug, config.edition.number, "pdf"),
    }


def _features(documents: list[EpubDocument], starts: list[PageStart]) -> Features:
    images = without = 0
    for document in documents:
        if document.kind == "cover":
            continue
        root = etree.fromstring(document.content)
        for image in root.iter(f"{{{XHTML_NS}}}img", "{http://www.w3.org/2000/svg}svg"):
            if image.getparent() is not None and image.getparent().tag == "{http://www.w3.org/2000/svg}svg":
                continue
            images += 1
            label = image.get("alt") if image.tag.endswith("img") else image.get("aria-label") or _svg_title(image)
            without += not (label or "").strip()
    return Features(pages=bool(starts), images=images, images_without_text=without)


def _svg_title(svg: Any) -> str:
    title = svg.find("{http://www.w3.org/2000/svg}title")
    return "".join(title.itertext()) if title is not None else ""


def _accessibility(config: Config, features: Features) -> dict[str, list[str]]:
    """EPUB Accessibility 1.1 metadata: each claim follows from what the book has."""
    described = features.images_without_text == 0
    modes = ["textual", "visual"] if features.images else ["textual"]
    sufficient = ["textual"] if described else []
    if features.images:
        sufficient.append("textual,visual")
    feature_list = ["tableOfContents", "structuralNavigation", "readingOrder", "displayTransformability"]
    if features.pages:
        feature_list += ["pageBreakMarkers", "pageNavigation", "printPageNumbers"]
    if features.images and described:
        feature_list.append("alternativeText")
    metadata = {
        "schema:accessMode": modes,
        "schema:accessModeSufficient": sufficient,
        "schema:accessibilityFeature": feature_list,
        "schema:accessibilityHazard": ["none"],
        "schema:accessibilitySummary": [_summary(config, features)],
    }
    if described:
        metadata["dcterms:conformsTo"] = [CONFORMANCE]
    return metadata


def _summary(config: Config, features: Features) -> str:
    _ = translations(config.locale).gettext
    sentences = [
        _(
            "This EPUB publication is reflowable text in the reading order of the print edition, with a table of"
            " contents, headings for every chapter and section, and notes linked to their calls and back."
        )
    ]
    if features.pages:
        sentences.append(
            _("Page break markers and a page list give the page numbers of the PDF edition of the same date.")
        )
    if features.images and features.images_without_text == 0:
        sentences.append(_("Every image has a text alternative."))
    elif features.images:
        sentences.append(_("Some images have no text alternative."))
    if features.images_without_text == 0:
        sentences.append(_("It is designed to meet EPUB Accessibility 1.1 at WCAG 2.1 level AA."))
    return " ".join(sentences)


def _toc(book: Book) -> list[Any]:
    """The NCX for older reading systems: chapters and their sections, as in the navigation document."""
    from ebooklib import epub

    locale = book.config.locale
    toc: list[Any] = []
    for chapter in book.chapters:
        title = typeset_text(chapter.title, chapter.source.lang or locale)
        link = epub.Link(f"{chapter.file_name}#{chapter.anchor}", title, f"toc-{chapter.anchor}")
        lang = chapter.source.lang or locale

        def entry(h: Any, lang: str = lang, chapter: Any = chapter) -> Any:
            return epub.Link(f"{chapter.file_name}#{h.anchor}", typeset_text(h.text, lang), f"toc-{h.anchor}")

        sections = [
            (entry(h), [entry(sub) for sub in subsections]) if subsections else entry(h)
            for h, subsections in chapter.sections
        ]
        toc.append((link, sections) if sections else link)
    return toc


def _guide(book: Book) -> list[dict[str, str]]:
    """The EPUB 2 guide, still read by some reading systems (and Kindle's conversion) for the
    cover, the contents and where the text starts."""
    _ = translations(book.config.locale).gettext
    guide = [
        {"type": "cover", "href": EPUB_NAMES["cover"], "title": _("Cover")},
        {"type": "toc", "href": EPUB_NAMES["contents"], "title": _("Contents")},
    ]
    first = next((c for c in book.chapters if c.role == "body"), book.chapters[0] if book.chapters else None)
    if first is not None:
        title = typeset_text(first.title, first.source.lang or book.config.locale)
        guide.append({"type": "text", "href": first.file_name, "title": title})
    return guide


def _reproducible_zip(source: Path, target: Path, stamp: dt.datetime, language: str) -> None:
    """Rewrite the archive: mimetype first and stored, then fixed order and timestamps."""
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    with zipfile.ZipFile(source) as original:
        names = original.namelist()
        contents = {name: original.read(name) for name in names}
    contents["EPUB/content.opf"] = _package_language(contents["EPUB/content.opf"], language)
    first = ["mimetype", "META-INF/container.xml"]
    order = first + sorted(n for n in names if n not in first)
    with zipfile.ZipFile(target, "w") as out:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            out.writestr(info, contents[name], compresslevel=9 if name != "mimetype" else None)


def _package_language(opf: bytes, language: str) -> bytes:
    """`xml:lang` on the package: the language of its metadata (title, description, summary)."""
    root = etree.fromstring(opf)
    root.set(XML_LANG, language)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
