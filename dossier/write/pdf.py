"""PDF edition: WeasyPrint lays out the print document; tagged PDF/UA-1 by default.

The layout's stylesheets are print.css and the paper's paper-*.css (chosen by `render`), plus
print-ready.css (bleed and crop marks) when the PDF goes to a print shop. Every variant is
tagged (a structure tree, for screen readers and reflow); PDF/A-3b is for archives.
Images are resampled to at most `PRINT_DPI` at the size they are printed (WeasyPrint's `dpi`
option: a 12-megapixel photograph printed 15 cm wide needs 2.4 megapixels at 300 dpi).
The book is laid out part by part, the front matter and each chapter (write/parts.py); when
WeasyPrint sets a note on a later page than its call, that part is laid out again with a page
break before the paragraph that displaced it (write/footnotes.py). What WeasyPrint ignores in
the layout's stylesheets is reported as located warnings (write/csslog.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dossier.errors import DossierError, Location, Report
from dossier.model import Config
from dossier.render import Rendered
from dossier.resources import assets_dir, data_root, layouts_dir
from dossier.write.images import PRINT_DPI

if TYPE_CHECKING:
    from dossier.write.footnotes import Fix

logger = logging.getLogger(__name__)

PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b")
# pikepdf keeps WeasyPrint's compressed streams as they are (compressing the rewritten pages),
# and its object streams; the file's /ID is computed from its content, so the same input gives
# the same bytes.
SAVE_OPTIONS: dict[str, Any] = {"deterministic_id": True}
PRINT_READY_VARIANT = "pdf/x-4"  # what a print shop takes: CMYK, an output intent (print-ready.css)
PRINT_READY_STYLESHEET = "print-ready.css"
PAGE_GUARD_STYLESHEET = "page-guard.css.j2"
PARTS_STYLESHEET = "parts.css"  # what a part laid out alone is given (write/parts.py)
FOLIO_SHEET = "print-folios.html.j2"  # the folios of the book, set into the parts' pages
# The page guard's rounds (dossier/write/footnotes.py), each one a layout of the part (the front
# matter, a chapter) it found something in; most parts settle in one or two.
MAX_RELAYOUTS = 4


@dataclass(frozen=True)
class PrintLayout:
    """The laid-out pages and the HTML they were laid out from: the print HTML with the page
    guard's marks, moves and splits (write/footnotes.py), the text the tagger must find on them."""

    document: Any
    html: str
    cover_key: str | None = None  # what its cover depends on (write/foresight.py), when a cache is used


@dataclass(frozen=True)
class PdfOptions:
    variant: str = "pdf/ua-1"
    print_ready: bool = False


def stylesheets(rendered: Rendered, print_ready: bool = False) -> list[Path]:
    """The print stylesheets, in cascade order."""
    paths = list(rendered.print_stylesheets)
    if print_ready:
        paths.append(_layout_file(rendered, PRINT_READY_STYLESHEET))
    return paths


def layout(
    rendered: Rendered,
    config: Config,
    options: PdfOptions | None = None,
    dump: Path | None = None,
    report: Report | None = None,
) -> Any:
    """WeasyPrint's `Document` (`print_layout`'s, without its HTML)."""
    return print_layout(rendered, config, options, dump, report).document


def print_layout(
    rendered: Rendered,
    config: Config,
    options: PdfOptions | None = None,
    dump: Path | None = None,
    report: Report | None = None,
    cache: Path | None = None,
    jobs: int | None = None,
    tell: Any = None,
    foreseen: Any = None,
) -> PrintLayout:
    """WeasyPrint's `Document`: the pages, kept so the EPUB can use the same page breaks. Laid
    out part by part (write/parts.py: the front matter, then each chapter), each part again
    (a few times at most) while the page guard (write/footnotes.py) finds in it a note away
    from its call, a hole at a page's foot or three hyphens in a row.
    `dump`: a folder where the HTML and what WeasyPrint is given with it are written (below).
    `report`: where WeasyPrint's remarks on the layout's stylesheets go, as located warnings.
    `cache`: the build's cache folder, where the guard's decisions for each part are kept
    (write/layoutcache.py); `jobs`: how many processes may lay chapters out at once
    (write/partlayout.py); `tell`: called with what is being laid out, for the progress;
    `foreseen`: called, while the layout runs, with the page map and cover the book will have,
    if the cache can tell them (write/foresight.py; checked against the real ones by the caller)."""
    from weasyprint import HTML

    from dossier.write.csslog import css_messages
    from dossier.write.partlayout import Layouts
    from dossier.write.parts import lay_out_book

    print_ready = options.print_ready if options else False
    mounts = _mounts(config)
    with css_messages(partial(_layout_path, mounts, rendered.layout_dirs)) as messages:
        engine = Engine(rendered, config, print_ready)
        layouts = Layouts(engine, cache, jobs, tell)
        if foreseen is not None and cache is not None and not print_ready:
            layouts.foresee = partial(_foresee, cache, foreseen, layouts)

        def lay_sheet(source: str) -> Any:
            with _quiet_weasyprint():
                return engine.render(source, part=False)[0]

        root = HTML(string=rendered.print_html).etree_element
        if print_ready:  # the cover is a PDF of its own (layout_cover): the interior starts at the title page
            _drop_cover(root)
        sheet = partial(_folio_sheet, rendered, config, root.get("lang", ""))
        book = lay_out_book(root, layouts.one, lay_sheet, sheet, layouts.chapters)
        layouts.close()
    for message in messages if report is not None else ():
        report.warning(message.code, message.location, message.message)
    for location, text in dict.fromkeys(engine.missing) if report is not None else ():
        report.warning("css-missing", location, text)
    if dump is not None:
        done = [_in_book(fix, start) for part, start in zip(book.parts, book.starts, strict=True) for fix in part.done]
        guard_css = _page_guard_css(rendered, done, book.document)
        dump_print_html(rendered, config, options or PdfOptions(), dump, done, guard_css, book.tree)
    cover_key = None
    if cache is not None and not print_ready:
        from dossier.write.foresight import cover_key as key_of_cover

        cover_key = key_of_cover(layouts.last_key or "", len(book.document.pages))
    return PrintLayout(book.document, _html(book.tree), cover_key)


def _foresee(cache: Path | None, foreseen: Any, layouts: Any, front: Any, chapters: list[Any]) -> None:
    """The page map and cover foreseen (write/foresight.py), handed to `foreseen` if both are known."""
    from dossier.write.foresight import foresee, kept_cover, values

    found = foresee(front, chapters, layouts.pages_of, layouts.key_of)
    cover = kept_cover(cache, found.cover_key) if found is not None else None
    if found is not None and cover is not None:
        foreseen(values(found, cover))


def _mounts(config: Config) -> Any:
    from dossier.write.fetch import Mounts

    house = config.layout_files.house if config.layout_files else None
    return Mounts({"dossier": config.root, "data": data_root(), **({"layout": house} if house else {})})


class Engine:
    """WeasyPrint set up once for a print layout, in the build's process or in a worker that
    lays chapters out (write/partlayout.py): the fetcher (which records the files each layout
    reads), the fonts, the stylesheets parsed; `render` lays a source out, `lay_out` with the
    page guard's rounds, `replay` with decisions a guard made before."""

    def __init__(
        self, rendered: Rendered, config: Config, print_ready: bool, languages: set[str] | None = None
    ) -> None:
        from weasyprint.text.fonts import FontConfiguration

        from dossier.write.fetch import DossierFetcher

        self.rendered, self.config, self.print_ready = rendered, config, print_ready
        self.mounts = _mounts(config)
        self.fetcher = DossierFetcher([config.root, *_engine_dirs(rendered), assets_dir()], self.mounts)
        self.fonts = FontConfiguration()
        self.profiles: dict[str, Any] = {}  # print-ready.css's output profile: WeasyPrint's output intent
        self.missing: list[tuple[Location, str]] = []
        self.languages = languages if languages is not None else _languages(rendered.print_html)
        paths = stylesheets(rendered, print_ready)
        self.sheets = [self._css(p) for p in paths]
        parts_css = _layout_file(rendered, PARTS_STYLESHEET)
        self.part_sheets = [*self.sheets, self._css(parts_css)]
        self.sheet_paths = [*paths, parts_css]
        self.sheet_reads = dict(sorted(self.fetcher.read.items()))  # what parsing them read: their fonts

    def _css(self, path: Path) -> Any:
        from weasyprint import CSS

        url = self.mounts.url(path)
        return CSS(url=url, url_fetcher=self.fetcher, font_config=self.fonts, color_profiles=self.profiles)

    @cached_property
    def base(self) -> dict[str, Any]:
        """What every part's layout reads (the cache key's common half, write/layoutcache.py): the
        stylesheets in cascade order and the files they read (their fonts), the hyphenation
        patterns, the layout's templates, the options. Made only when a cache is used."""
        from dossier.l10n.hyphenation import dictionaries
        from dossier.write.layoutcache import digest, file_digest

        patterns = dictionaries(self.rendered.hyphenation, self.languages)
        return {
            "sheets": [self.mounts.url(p) for p in self.sheet_paths],
            "reads": self.sheet_reads,
            "languages": sorted(self.languages),
            "hyphenation": {name: digest(text) for name, text in sorted(patterns.items())},
            "templates": {str(path): file_digest(path) for path in _templates(self.rendered)},
            "base_url": self.mounts.url(self.config.root),
            "dpi": PRINT_DPI,
        }

    def render(self, source: str, prepare: Any = None, extra: list[str] | None = None, part: bool = True) -> Any:
        """One WeasyPrint layout of `source` (`prepare`: changes to its tree before; `extra`:
        stylesheets' text; `part`: a part of the book, with parts.css), and its tree."""
        from weasyprint import CSS, HTML

        from dossier.l10n.hyphenation import patched

        html = HTML(string=source, base_url=self.mounts.url(self.config.root), url_fetcher=self.fetcher)
        if prepare is not None:
            prepare(html.etree_element)
        more = [CSS(string=text, font_config=self.fonts) for text in extra or ()]
        with patched(self.rendered.hyphenation, self.languages):
            document = html.render(
                stylesheets=(self.part_sheets if part else self.sheets) + more,
                font_config=self.fonts,
                color_profiles=self.profiles,
                dpi=PRINT_DPI,
            )
        self.missing.extend(_refusals(self.fetcher, self.config))
        return document, html.etree_element

    def lay_out(self, source: str) -> Any:
        """A part laid out, then again with the page guard's fixes while it finds more."""
        return _guarded(self.rendered, source, self.render, lambda probe: self.render(probe, part=False)[0])

    def replay(self, source: str, decisions: Any) -> Any:
        """A part laid out once with the guard's `decisions` (write/layoutcache.py), or None if
        the guard, which had found nothing more on the same input, now would: then the part
        must be laid out as if nothing had been kept."""
        from dossier.write.footnotes import fixes
        from dossier.write.parts import LaidOut

        numbering: dict[Any, Any] = {}
        laid = decisions.done[: decisions.laid]
        prepare = partial(_prepare, numbering, laid)
        document, tree = self.render(source, prepare, [decisions.css] if decisions.css else [])
        if decisions.settled and fixes(document, numbering, decisions.done, lambda elements: {}):
            return None
        return LaidOut(document, tree, done=list(decisions.done), decisions=decisions)


def _guarded(rendered: Rendered, source: str, render: Any, probe_render: Any) -> Any:
    """One part laid out, then again with the page guard's fixes while it finds more."""
    from dossier.write.footnotes import Setting, fixes, probe_rounds
    from dossier.write.layoutcache import Decisions
    from dossier.write.parts import LaidOut

    done: list[Fix] = []
    document = tree = None
    decisions = Decisions((), 0, "")
    for _ in range(MAX_RELAYOUTS + 1):
        numbering: dict[Any, Any] = {}

        css = _page_guard_css(rendered, done, document)
        document, tree = render(source, partial(_prepare, numbering, tuple(done)), [css] if css else [])
        decisions = Decisions(tuple(done), len(done), css)

        def probe(elements: list[Any], root: Any = tree) -> dict[Any, Setting]:
            """Lay copies of the paragraphs out with the settings: the one that suits each."""
            return probe_rounds(root, elements, probe_render) if elements else {}

        more = fixes(document, numbering, done, probe)
        if not more:
            break
        for fix in more:
            logger.debug("page guard: %s %s (%s)", fix.kind, fix.path, fix.reason)
        done += more
        decisions = Decisions(tuple(done), decisions.laid, css)
    return LaidOut(document, tree, done=done, decisions=decisions)


def _in_book(fix: Fix, start: int) -> Fix:
    """A part's fix with its long page counted in the book (`start`: the part's first page)."""
    from dataclasses import replace

    return replace(fix, value=str(int(fix.value) + start)) if fix.kind == "long-page" else fix


def _prepare(numbering: dict[Any, Any], done: tuple[Fix, ...], root: Any) -> None:
    """A part's tree before its layout: its elements numbered, then the page guard's fixes made."""
    from dossier.write.footnotes import apply, paths

    numbering.update(paths(root))  # before a fix moves an element
    apply(root, done)  # print.css reads the marks


def _folio_sheet(rendered: Rendered, config: Config, lang: str, pages: list[tuple[str, str, bool]]) -> str:
    """The folio sheet's HTML, rendered as every layout template is (sandboxed: a house layout
    may override it)."""
    from dossier.render.templates import environment

    env = environment(_engine_dirs(rendered), config.locale)
    return env.get_template(FOLIO_SHEET).render(pages=pages, lang=lang)


XLINK = "http://www.w3.org/1999/xlink"


def _html(tree: Any) -> str:
    """A laid-out tree as HTML again. WeasyPrint's parser puts inline SVG in its namespace, which
    ElementTree would write as `ns0:svg`: the names are written as the print HTML had them."""
    import copy
    import xml.etree.ElementTree as ET

    tree = copy.deepcopy(tree)
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = element.tag.split("}", 1)[1]
        for name in [n for n in element.attrib if n.startswith("{")]:
            space, local = name[1:].split("}", 1)
            prefix = "xlink:" if space == XLINK else "xml:" if space.endswith("/XML/1998/namespace") else ""
            element.set(prefix + local, element.attrib.pop(name))
    return "<!DOCTYPE html>\n" + ET.tostring(tree, encoding="unicode", method="html")


def layout_cover(rendered: Rendered, config: Config, options: PdfOptions | None = None) -> Any:
    """The cover's own document (front and back, `rendered.cover_html`), laid out with the
    same stylesheets as the book (print-ready.css too, for a print shop)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from dossier.write.fetch import DossierFetcher

    mounts = _mounts(config)
    fetcher = DossierFetcher([config.root, *_engine_dirs(rendered), assets_dir()], mounts)
    fonts = FontConfiguration()
    profiles: dict[str, Any] = {}  # print-ready.css's output profile: WeasyPrint's output intent
    print_ready = options.print_ready if options else False
    sheets = [
        CSS(url=mounts.url(p), url_fetcher=fetcher, font_config=fonts, color_profiles=profiles)
        for p in stylesheets(rendered, print_ready)
    ]
    html = HTML(string=rendered.cover_html, base_url=mounts.url(config.root), url_fetcher=fetcher)
    with _quiet_weasyprint():
        document = html.render(stylesheets=sheets, font_config=fonts, color_profiles=profiles, dpi=PRINT_DPI)
    _refusals(fetcher, config)
    return document


def write_pdf(
    document: Any,
    config: Config,
    target: Path,
    options: PdfOptions,
    print_html: str,
    sources: dict[str, Path] | None = None,
    part: str = "",
) -> None:
    """Write the laid-out document, its tags rebuilt from the print HTML (dossier/write/tagging.py).
    Its dates are the editions' (from the print HTML's `dcterms` metadata), never the build time,
    and its identifier derives from the dossier's identifier and edition (and `part`: "cover" for
    the cover's own PDF), so the same input gives the same file. A PDF/UA PDF is written only if
    the tag checks find nothing (dossier/validate/tags.py): else the build fails with what they
    found, located at the chapter of the page (`sources`: the print HTML's `data-doc` names →
    chapter files). Print-ready: a PDF/X-4 (never labelled PDF/UA), finished for the print shop
    (write/printready.py), its interior padded to an even page count."""
    if options.variant not in PDF_VARIANTS:
        raise ValueError(f"unknown PDF variant {options.variant!r}")
    identifier = hashlib.sha256(f"{config.identifier}#{config.edition.number}{part}".encode()).hexdigest()[:32]
    from dossier.write.tagging import drawn_marks

    with _quiet_weasyprint(), drawn_marks() as drawn:
        data = document.write_pdf(
            pdf_variant=PRINT_READY_VARIANT if options.print_ready else options.variant,
            pdf_identifier=identifier.encode(),
            pdf_tags=True,
            uncompressed_pdf=False,
        )
    written, summary = tag_pdf(data, print_html, config.locale, drawn)
    if options.variant == "pdf/ua-1" and not options.print_ready:
        findings = check_pdf(written)
        if summary.unplaced:
            findings.append(_unplaced(summary.unplaced))
        _refuse_findings(findings, config, summary.page_documents, sources or {})
    target.write_bytes(written)
    if options.print_ready:
        from dossier.write.printready import finish

        finish(target, even=not part)


def tag_pdf(data: bytes, print_html: str, locale: str, drawn: list[Any] | None = None) -> tuple[bytes, Any]:
    """WeasyPrint's PDF with its structure tree rebuilt (dossier/write/tagging.py), and what the
    pass did. `drawn`: what WeasyPrint drew in each sequence (`tagging.drawn_marks`), if known."""
    import pikepdf

    from dossier.write.tagging import retag

    with pikepdf.open(io.BytesIO(data)) as pdf:
        summary = retag(pdf, print_html, locale, drawn)
        out = io.BytesIO()
        pdf.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none, **SAVE_OPTIONS)
    return out.getvalue(), summary


def check_pdf(data: bytes) -> list[Any]:
    """The tag checks' findings on a written PDF."""
    import pikepdf

    from dossier.validate.tags import check_tags

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return check_tags(pdf)


def _unplaced(count: int) -> Any:
    from dossier.validate.tags import Finding

    return Finding(
        "pdf-text",
        None,
        f"{count} pieces of the pages' text are nowhere in the print HTML: hidden from assistive technology",
    )


def _refuse_findings(
    findings: list[Any], config: Config, documents: tuple[str | None, ...], sources: dict[str, Path]
) -> None:
    if not findings:
        return
    report = Report()
    for finding in findings:
        document = documents[finding.page - 1] if finding.page and finding.page <= len(documents) else None
        path = sources.get(document or "", config.path)
        report.error(finding.code, Location(path), f"not written as PDF/UA: {finding.describe()}")
    raise DossierError(report)


def _drop_cover(root: Any) -> None:
    """The print HTML without its cover section (the cover's own PDF carries it)."""
    for parent in root.iter():
        for child in list(parent):
            if child.tag == "section" and "cover" in (child.get("class") or "").split():
                parent.remove(child)
                return


def dump_print_html(
    rendered: Rendered,
    config: Config,
    options: PdfOptions,
    folder: Path,
    done: list[Fix],
    guard_css: str = "",
    tree: Any = None,
) -> None:
    """The print HTML and what WeasyPrint is given with it, for the benchmark's floor (a debugging aid:
    DOSSIER_DUMP_HTML=DIR). The HTML is the one the last layout was given (`tree`: the page
    guard's marks, moves and splits made, write/footnotes.py); `weasyprint.json` names the
    stylesheets (the guard's long pages among them), the base URL, the PDF options, the guard's
    fixes (for the record) and the hyphenation patterns the layout used (written beside it), so
    that one layout of the dump gives the build's own pages."""
    from dossier.l10n.hyphenation import dictionaries
    from dossier.write.footnotes import describe

    folder.mkdir(parents=True, exist_ok=True)
    html = _html(tree) if tree is not None else rendered.print_html
    (folder / "print.html").write_text(html, encoding="utf-8")
    hyphenation = {}
    for name, text in dictionaries(rendered.hyphenation, _languages(rendered.print_html)).items():
        (folder / f"hyph_{name}.dic").write_bytes(text)
        hyphenation[name] = f"hyph_{name}.dic"
    sheets = [str(p) for p in stylesheets(rendered, options.print_ready)]
    if guard_css:
        (folder / "page-guard.css").write_text(guard_css, encoding="utf-8")
        sheets.append(str(folder / "page-guard.css"))
    manifest = {
        "html": "print.html",
        "base_url": config.root.as_uri() + "/",
        "stylesheets": sheets,
        "pdf_variant": options.variant,
        "pdf_tags": True,
        "dpi": PRINT_DPI,
        "page_guard": describe(done),
        "hyphenation": hyphenation,
    }
    (folder / "weasyprint.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _page_guard_css(rendered: Rendered, done: list[Fix], document: Any) -> str:
    """The page guard's long pages and fitted figures as a stylesheet (the layout's
    page-guard.css.j2), with the leading of the text as the last layout measured it."""
    from jinja2 import Environment, FileSystemLoader

    from dossier.write.footnotes import fitted_heights, long_pages, text_leading

    pages, fits = long_pages(done), fitted_heights(done)
    if not (pages or fits) or document is None:
        return ""
    env = Environment(loader=FileSystemLoader([str(d) for d in rendered.layout_dirs]), autoescape=False)
    line = f"{text_leading(document):.2f}px"
    return env.get_template(PAGE_GUARD_STYLESHEET).render(pages=pages, fits=fits, line=line)


def _templates(rendered: Rendered) -> list[Path]:
    """The layout's Jinja templates (the page guard's stylesheet, and whatever it includes or
    extends), for the cache's key."""
    return sorted({path for folder in rendered.layout_dirs for path in folder.rglob("*.j2") if path.is_file()})


def _languages(html: str) -> set[str]:
    """The languages the print HTML names (its `lang` attributes)."""
    return set(re.findall(r'\slang="([^"]+)"', html))


def _layout_file(rendered: Rendered, name: str) -> Path:
    for directory in _engine_dirs(rendered):
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(name)


def _engine_dirs(rendered: Rendered) -> list[Path]:
    """Where the files the engine itself needs (parts.css, the folio sheet, print-ready.css) are
    looked up: the layout's folders, which may override them, then the shipped default's, so
    that a house layout that extends nothing need not copy them."""
    shipped = layouts_dir() / "default"
    return [*rendered.layout_dirs, *([shipped] if shipped not in rendered.layout_dirs else [])]


def _layout_path(mounts: Any, folders: list[Path], url: str) -> Path | None:
    """The layout file behind a stylesheet's URL, None for anything else (the print document itself)."""
    path = mounts.path(url) if url.startswith(mounts.PREFIX) else None
    if path is None or path.suffix != ".css":
        return None
    return path if any(path.resolve().is_relative_to(f.resolve()) for f in folders) else None


def _refusals(fetcher: Any, config: Config) -> list[tuple[Location, str]]:
    """Refused resources are errors, but for a file a house layout names that is not in its folder
    (a missing font or image): a warning where its stylesheet names it (returned), as WeasyPrint
    goes on without it."""
    layout = config.layout_files
    named = dict(layout.references) if layout else {}
    report = Report()
    missing = []
    for url, reason in fetcher.refused:
        path = fetcher.missing.get(url)
        if layout and layout.house and path and path.is_relative_to(layout.house):
            where = named.get(path, Location(layout.house / "layout.toml"))
            missing.append((where, f"'{path.relative_to(layout.house).as_posix()}' not found in the layout's folder"))
            continue
        report.error("resource-refused", Location(config.path), f"resource refused: {url[:120]}: {reason}")
    report.raise_if_errors()
    fetcher.refused.clear()
    return missing


class _quiet_weasyprint:  # a context manager, named as one
    """WeasyPrint logs layout remarks (unsupported CSS and the like) as warnings; the
    builder reports what matters itself, so they are kept at ERROR level here."""

    def __enter__(self) -> None:
        self.logger = logging.getLogger("weasyprint")
        self.level = self.logger.level
        self.logger.setLevel(logging.ERROR)

    def __exit__(self, *exc: object) -> None:
        self.logger.setLevel(self.level)
