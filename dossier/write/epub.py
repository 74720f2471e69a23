"""EPUB edition: the documents paginated and checked, ebooklib assembles the package, the zip is made reproducible.

ebooklib writes the OPF and the zip. Our XHTML documents (navigation included), the NCX and
Apple's display options come from the layout templates and are added as plain items, which
ebooklib keeps byte for byte (its own NCX has no depth, no `playOrder` and no page list). The
print layout gives the page markers and the page list (`dossier.write.pages`) and the cover
image (`dossier.write.cover`); fonts are subset to the book's text. ebooklib stamps zip entries
with the current time and has no option for the package's `xml:lang`, so the archive is
rewritten: the edition's timestamp, a fixed entry order (reproducible-builds.org), the
package's language.

Accessibility metadata says what is true of this book, from checks that ran: the book's own
(`dossier.validate.accessibility`: language of parts, text alternatives, page list, notes both
ways) on the documents before they are packaged, then EPUBCheck and DAISY Ace on the written
file (`dossier.write.validate`). The conformance claim (`dcterms:conformsTo`, refined by
`a11y:certifiedBy`, which names what checked it) is written only when Ace is to run and the
book's own checks passed, and withdrawn (the package document rewritten) if Ace, or EPUBCheck
then (the EPUB format's check, `dossier.formats.epub`), finds anything: an EPUB that ships with
the claim is the file they checked. An EPUBCheck error fails the build (the previous outputs
stay as they were).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from lxml import etree

from dossier import __version__
from dossier.errors import Location, Report
from dossier.formats import output_name
from dossier.l10n.dates import format_date
from dossier.l10n.i18n import translations
from dossier.l10n.typography import typeset
from dossier.model import Book, Config
from dossier.render import EPUB_NAMES, XHTML_NS, EpubDocument, Rendered, _context
from dossier.render.pagination import paginate
from dossier.render.positions import PageStart
from dossier.render.templates import environment, layout_folders
from dossier.resources import assets_dir
from dossier.validate.accessibility import Problem, check_book, drop_invalid_languages
from dossier.write.cover import cover_image
from dossier.write.fonts import stylesheet_fonts, subset_font
from dossier.write.images import EpubImage, epub_images, rename_images
from dossier.write.pages import page_starts

FONT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}
OPF_NS = "http://www.idpf.org/2007/opf"
NS = {"opf": OPF_NS, "dc": "http://purl.org/dc/elements/1.1/", "x": XHTML_NS, "epub": "http://www.idpf.org/2007/ops"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
# Apple's vocabulary for `ibooks:specified-fonts` (Apple Books Asset Guide); `a11y:` is reserved.
IBOOKS = "ibooks: http://vocabulary.itunes.apple.com/rdf/ibooks/vocabulary-extensions-1.0/"
DISPLAY_OPTIONS = "META-INF/com.apple.ibooks.display-options.xml"
OPF = "EPUB/content.opf"


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
    """What the book has, read from its documents, and which of its own checks it passed: the
    accessibility metadata claims this."""

    pages: bool
    images: int
    images_without_text: int
    notes: int = 0
    failed: frozenset[str] = frozenset()  # the book's own checks (CHECKS) that found a problem

    @property
    def checked(self) -> bool:
        return not self.failed


def write_epub(
    book: Book,
    rendered: Rendered,
    target: Path,
    stamp: dt.datetime,
    layout: Any,
    ace: bool = True,
    before_ace: Callable[[Path], Any] | None = None,
) -> Report:
    """The EPUB at `target`; `layout` is WeasyPrint's document for the PDF of the same build, or
    what the EPUB takes from it (`FromPrint`). With `ace` (and Ace installed), DAISY Ace checks
    it and a conformance claim can be made; `before_ace` is called with the written EPUB just
    before Ace starts (EPUBCheck started beside it, room made for Ace: `dossier.formats.epub`),
    and what it returns is handed to `run_ace`. Returns what the
    checks found (warnings, located); raises `DossierError` when EPUBCheck rejects the EPUB."""
    from dossier.write.validate import ace_command, ace_off, epubcheck_available

    config = book.config
    printed = layout if isinstance(layout, FromPrint) else from_print(layout, rendered.print_html)
    starts = printed.starts
    report = Report()
    documents = paginate(book, rendered.epub_documents, starts)
    pictures = epub_images(book.config.root, book.images)  # reader-sized copies (dossier.write.images)
    renamed = {p.source: p.name for p in pictures if p.name != p.source}
    documents = [replace(d, content=rename_images(d.content, renamed)) for d in documents] if renamed else documents
    documents = _valid_languages(book, documents, report)
    parsed = {d.name: etree.fromstring(d.content) for d in documents}
    problems = check_book(parsed, config.language, [s.label for s in starts])
    features = _features(documents, starts, problems)
    audited = ace and not ace_off() and ace_command() is not None
    claim = _claim() if audited and features.checked and epubcheck_available() else None
    package = epub_package(book, rendered, pictures, documents, parsed, printed.cover, features, claim)
    _write(package, target, stamp, config)
    _report_problems(book, problems, report)
    room = before_ace(target) if audited and before_ace is not None else None
    if not _ace_passes(book, target, audited, report, wanted=ace, room=room) and claim is not None:
        withdraw_claim(target, stamp, config)
    return report


def epub_package(
    book: Book,
    rendered: Rendered,
    pictures: list[EpubImage],
    documents: list[EpubDocument],
    parsed: dict[str, Any],
    cover: bytes,
    features: Features,
    claim: str | None,
) -> Any:
    """ebooklib's book: metadata, resources, documents, the NCX, the spine and the guide."""
    from ebooklib import epub

    package = epub.EpubBook()
    _metadata(package, book.config, features, claim)
    _add_resources(package, book, pictures, rendered, documents, cover)
    items = _add_documents(package, documents)
    package.add_item(epub.EpubItem(uid="ncx", file_name="toc.ncx", media_type="application/x-dtbncx+xml",
                                   content=_ncx(book, documents, parsed)))
    options = epub.EpubItem(file_name=DISPLAY_OPTIONS, media_type="application/xml", content=_display_options(book))
    options.manifest = False  # written at its place in META-INF/, outside the package
    package.add_item(options)
    package.spine = [items[d.name] for d in documents if d.kind != "nav"]
    package.guide = _guide(book)
    return package


def _write(package: Any, target: Path, stamp: dt.datetime, config: Config) -> None:
    from ebooklib import epub

    raw = target.with_name(target.name + ".raw")
    options = {"mtime": edition_time(config), "epub3_landmark": False, "epub3_pages": False, "raise_exceptions": True}
    try:
        epub.write_epub(str(raw), package, options)
        with zipfile.ZipFile(raw) as original:
            contents = {name: original.read(name) for name in original.namelist()}
        contents[OPF] = _package_language(contents[OPF], config.language)
        _reproducible_zip(contents, target, stamp)
    finally:
        raw.unlink(missing_ok=True)


def _valid_languages(book: Book, documents: list[EpubDocument], report: Report) -> list[EpubDocument]:
    """The documents without a `lang` that is not a valid BCP 47 tag (an EPUB must carry none),
    each one dropped said where it comes from."""
    out = []
    for document in documents:
        root = etree.fromstring(document.content)
        dropped = drop_invalid_languages(root)
        for tag, text in dropped:
            message = f"EPUB: {document.name}: '{tag}' is not a language tag (BCP 47): left out, on '{text[:80]}'"
            report.warning("epub-lang", _where(book, document.name, text), message)
        if dropped:
            content = etree.tostring(root, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>")
            document = replace(document, content=content)
        out.append(document)
    return out


def _where(book: Book, document: str, text: str | None, lang: str | None = None) -> Location:
    """Where a part of an EPUB document comes from: the source (of that language, if several have
    the words) or glossary entry whose words it is, else the chapter (dossier.toml for the
    documents that are not chapters)."""
    if text:
        titled = [s for s in book.sources.values()
                  if any(text == " ".join(str(s.get(f) or "").split()) for f in ("title", "original-title"))]
        if titled:
            return next((s for s in titled if lang and s.get("language") == lang), titled[0]).location
        for entry in book.glossary:
            if text in (entry.term, entry.expansion):
                return entry.location
    chapters = {chapter.file_name: chapter.source.path for chapter in book.chapters}
    return Location(chapters.get(document, book.config.path))


_CODES = {"language": "epub-lang", "alt-text": "epub-alt-text", "page-list": "epub-page-list", "notes": "epub-notes"}


def _report_problems(book: Book, problems: list[Problem], report: Report) -> None:
    for problem in problems:
        message = f"EPUB: {problem.document}: {problem.message} (so it makes no accessibility conformance claim)"
        report.warning(_CODES[problem.check], _where(book, problem.document, problem.text, problem.lang), message)


def _ace_passes(
    book: Book, target: Path, audited: bool, report: Report, wanted: bool = True, room: Any = None
) -> bool:
    """If `audited`, DAISY Ace on the written EPUB: whether it found nothing (what it found is
    reported, as warnings, at the chapter it is in). EPUBCheck runs after, as the EPUB format's
    check (`dossier.formats.epub`), once."""
    from dossier.write.validate import ACE_SETUP, ace_off, locate, run_ace

    if audited:
        ace = run_ace(target, room)
        locate(book, ace, report, level="warning")
        return not ace
    where = Location(book.config.path)
    if not wanted:  # --no-ace, or a draft of `watch`: Ace may well be installed
        report.warning("epub-a11y-unchecked", where, "EPUB: DAISY Ace is off (--no-ace, or a draft of watch), "
                       "so the EPUB makes no accessibility conformance claim")
    elif not ace_off():
        report.warning("epub-a11y-unchecked", where, f"EPUB: DAISY Ace not found, so the EPUB makes no accessibility "
                       f"conformance claim ({ACE_SETUP})")
    return False


def _claim() -> str:
    """`a11y:certifiedBy`: what checked the book, in this build."""
    return f"dossier {__version__} (EPUBCheck {_version('epubcheck')}, DAISY Ace {_ace_version()}, dossier's checks)"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def _ace_version() -> str:
    from dossier.write.validate import ace_version

    return ace_version() or "?"


def withdraw_claim(target: Path, stamp: dt.datetime, config: Config) -> None:
    """The package document without the conformance claim, if it has one, and its summary
    without the sentence that says so; nothing else of the archive changes."""
    with zipfile.ZipFile(target) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    root = etree.fromstring(contents[OPF])
    claims = root.xpath("//opf:meta[@property='dcterms:conformsTo' or @property='a11y:certifiedBy']", namespaces=NS)
    if not claims:
        return
    for meta in claims:
        meta.getparent().remove(meta)
    for meta in root.xpath("//opf:meta[@property='schema:accessibilitySummary']", namespaces=NS):
        meta.text = meta.text.replace(" " + _claim_sentence(config), "")
    contents[OPF] = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    _reproducible_zip(contents, target, stamp)


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


def _metadata(package: Any, config: Config, features: Features, claim: str | None) -> None:
    def text(value: str) -> str:
        return typeset_text(value, config.locale)

    package.set_identifier(config.identifier)
    package.set_title(text(config.title))
    package.set_language(config.language)
    for index, author in enumerate(config.authors, 1):
        uid = f"creator-{index}"
        package.add_metadata("DC", "creator", text(author), {"id": uid})
        # ebooklib's add_author gives file-as the relator scheme too: written here as EPUB 3 has them
        package.add_metadata(None, "meta", "aut", {"refines": f"#{uid}", "property": "role", "scheme": "marc:relators"})
        package.add_metadata(None, "meta", text(author), {"refines": f"#{uid}", "property": "file-as"})
    package.add_metadata("DC", "publisher", text(config.publisher))
    package.add_metadata("DC", "date", config.edition.date.isoformat())
    package.add_metadata("DC", "rights", text(_rights(config)))
    if config.description:
        package.add_metadata("DC", "description", text(config.description))
    for subject in config.subjects:
        package.add_metadata("DC", "subject", text(subject))
    if features.pages:
        source = text(_page_source(config))
        package.add_metadata("DC", "source", source)
        package.add_metadata(None, "meta", source, {"property": "pageBreakSource"})
    for prop, values in _accessibility(config, features, claim).items():
        for value in values:
            package.add_metadata(None, "meta", value, {"property": prop})
    if claim is not None:
        package.add_metadata(None, "meta", CONFORMANCE, {"property": "dcterms:conformsTo", "id": "conformance"})
        package.add_metadata(None, "meta", claim, {"property": "a11y:certifiedBy", "refines": "#conformance"})
    # Apple Books: the book's fonts, not the reader's default (with META-INF's display options)
    package.prefixes.append(IBOOKS)
    package.add_metadata(None, "meta", "true", {"property": "ibooks:specified-fonts"})
    # one generator: this one, in place of ebooklib's
    package.metadata[OPF_NS]["generator"] = [("", {"name": "generator", "content": f"dossier {__version__}"})]


def _rights(config: Config) -> str:
    """dossier.toml's `rights`; else the copyright the authors hold by default, of the edition's year."""
    if config.rights:
        return config.rights
    return f"© {config.edition.date.year} {', '.join(config.authors)}"


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


def _features(documents: list[EpubDocument], starts: list[PageStart], problems: list[Problem]) -> Features:
    images = without = notes = 0
    for document in documents:
        if document.kind == "cover":
            continue
        root = etree.fromstring(document.content)
        notes += len(root.xpath("//*[contains(concat(' ', @epub:type, ' '), ' footnote ')]", namespaces=NS))
        for image in root.iter(f"{{{XHTML_NS}}}img", "{http://www.w3.org/2000/svg}svg"):
            if image.getparent() is not None and image.getparent().tag == "{http://www.w3.org/2000/svg}svg":
                continue
            images += 1
            label = image.get("alt") if image.tag.endswith("img") else image.get("aria-label") or _svg_title(image)
            without += not (label or "").strip()
    failed = frozenset(p.check for p in problems)
    return Features(pages=bool(starts), images=images, images_without_text=without, notes=notes, failed=failed)


def _svg_title(svg: Any) -> str:
    title = svg.find("{http://www.w3.org/2000/svg}title")
    return "".join(title.itertext()) if title is not None else ""


def _accessibility(config: Config, features: Features, claim: str | None) -> dict[str, list[str]]:
    """EPUB Accessibility 1.1 metadata: each claim follows from what the book has and what its
    checks found (schema.org's deprecated `printPageNumbers` left out: `pageBreakMarkers` says it)."""
    described = features.images_without_text == 0
    modes = ["textual", "visual"] if features.images else ["textual"]
    sufficient = ["textual"] if described else []
    if features.images:
        sufficient.append("textual,visual")
    feature_list = ["tableOfContents", "structuralNavigation", "readingOrder", "displayTransformability"]
    if features.pages and "page-list" not in features.failed:
        feature_list += ["pageBreakMarkers", "pageNavigation"]
    if features.images and described:
        feature_list.append("alternativeText")
    return {
        "schema:accessMode": modes,
        "schema:accessModeSufficient": sufficient,
        "schema:accessibilityFeature": feature_list,
        "schema:accessibilityHazard": ["none"],
        "schema:accessibilitySummary": [_summary(config, features, claim)],
    }


def _summary(config: Config, features: Features, claim: str | None) -> str:
    """What is true of this book, in its language: each sentence says what a check found."""
    _ = translations(config.locale).gettext
    sentences = [
        _(
            "This EPUB publication is reflowable text in the reading order of the print edition, with a table of"
            " contents and headings for every chapter and section."
        )
    ]
    if features.notes and "notes" not in features.failed:
        sentences.append(_("Its notes are linked to their calls and back."))
    if features.pages and "page-list" not in features.failed:
        sentences.append(
            _("Page break markers and a page list give the page numbers of the PDF edition of the same date.")
        )
    if features.images and features.images_without_text == 0:
        sentences.append(_("Every image has a text alternative."))
    elif features.images:
        sentences.append(_("Some images have no text alternative."))
    if "language" not in features.failed:
        sentences.append(_("The language of the text, and of every passage and title in another language, is marked."))
    if claim is not None:
        sentences.append(_claim_sentence(config))
    return " ".join(sentences)


def _claim_sentence(config: Config) -> str:
    _ = translations(config.locale).gettext
    return _(
        "It conforms to EPUB Accessibility 1.1 at WCAG 2.1 level AA, as EPUBCheck, DAISY Ace and the"
        " checks of dossier found when it was made."
    )


def _label(a: Any) -> str:
    """A link's text, its runs of white space one space; no-break spaces kept (the typography)."""
    return re.sub(r"[ \t\r\n]+", " ", "".join(a.itertext())).strip()


def _ncx(book: Book, documents: list[EpubDocument], parsed: dict[str, Any]) -> bytes:
    """The NCX (layouts' epub/toc.ncx.j2), from the navigation document's contents and page list."""
    nav = parsed[EPUB_NAMES["nav"]]
    toc = nav.xpath("//x:nav[@epub:type='toc']/x:ol", namespaces=NS)
    entries = _points(toc[0], [0]) if toc else []
    pages = []
    for a in nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS):
        label = _label(a)
        numeric = label.isdigit()
        roman = bool(re.fullmatch(r"[ivxlcdm]+", label, re.IGNORECASE))
        pages.append({
            "id": f"pagetarget-{re.sub(r'[^A-Za-z0-9_.-]', '_', label)}", "label": label, "href": a.get("href"),
            "type": "normal" if numeric else "front" if roman else "special", "value": int(label) if numeric else None,
        })
    everything = [*_flat(entries), *pages]
    order = _reading_order([d.name for d in documents if d.kind != "nav"], parsed, [e["href"] for e in everything])
    for entry in everything:
        entry["order"] = order[entry["href"]]
    env = environment(layout_folders(book.config), book.config.locale)
    values = {
        "entries": entries, "pages": pages, "depth": _depth(entries),
        "max_page": max((p["value"] for p in pages if p["value"]), default=0),
        "title": typeset_text(book.config.title, book.config.locale),
        "authors": [typeset_text(a, book.config.locale) for a in book.config.authors],
    }
    return env.get_template("epub/toc.ncx.j2").render(_context(book, env), **values).encode("utf-8")


def _points(ol: Any, counter: list[int]) -> list[dict[str, Any]]:
    """The navigation document's list of contents as nested entries."""
    points = []
    for li in ol.findall(f"{{{XHTML_NS}}}li"):
        a = li.find(f"{{{XHTML_NS}}}a")
        if a is None:
            continue
        counter[0] += 1
        nested = li.find(f"{{{XHTML_NS}}}ol")
        points.append({
            "id": f"navpoint-{counter[0]}", "label": _label(a), "href": a.get("href"),
            "children": _points(nested, counter) if nested is not None else [],
        })
    return points


def _flat(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for entry in entries for e in (entry, *_flat(entry["children"]))]


def _depth(entries: list[dict[str, Any]]) -> int:
    return 1 + max((_depth(e["children"]) for e in entries), default=0) if entries else 0


def _reading_order(spine: list[str], parsed: dict[str, Any], hrefs: list[str]) -> dict[str, int]:
    """`playOrder` of each of `hrefs`: the rank of the place it points to in the reading order,
    from 1 and without gaps, hrefs to the same place sharing one (NCX 2005-1)."""
    places: dict[str, tuple[int, int]] = {}
    for index, name in enumerate(spine):
        places[name] = (index, -1)
        for position, element in enumerate(parsed[name].iter()):
            if isinstance(element.tag, str) and element.get("id"):
                places.setdefault(f"{name}#{element.get('id')}", (index, position))
    end = (len(spine), 0)  # an href to nothing known (EPUBCheck says so) goes last
    where = {href: places.get(href) or places.get(href.partition("#")[0]) or end for href in hrefs}
    ranks = {place: rank for rank, place in enumerate(sorted(set(where.values())), 1)}
    return {href: ranks[place] for href, place in where.items()}


def _display_options(book: Book) -> bytes:
    env = environment(layout_folders(book.config), book.config.locale)
    return env.get_template("epub/display-options.xml.j2").render().encode("utf-8")


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


def _reproducible_zip(contents: dict[str, bytes], target: Path, stamp: dt.datetime) -> None:
    """The archive written again: mimetype first and stored, then a fixed order and timestamps."""
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    first = ["mimetype", "META-INF/container.xml"]
    order = first + sorted(n for n in contents if n not in first)
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
