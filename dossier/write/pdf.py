"""PDF edition: WeasyPrint lays out the print document; tagged PDF/UA-1 by default.

The layout's stylesheets are print.css and the paper's paper-*.css (chosen by `render`), plus
print-ready.css (bleed and crop marks) when the PDF goes to a print shop. Every variant is
tagged (a structure tree, for screen readers and reflow); PDF/A-3b is for archives.
Images are resampled to at most `PRINT_DPI` at the size they are printed (WeasyPrint's `dpi`
option: a 12-megapixel photograph printed 15 cm wide needs 2.4 megapixels at 300 dpi).
When WeasyPrint sets a note on a later page than its call, the layout is run again with a page
break before the paragraph that displaced it (write/footnotes.py). What WeasyPrint ignores in
the layout's stylesheets is reported as located warnings (write/csslog.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dossier.errors import DossierError, Location, Report
from dossier.model import Config
from dossier.render import Rendered

if TYPE_CHECKING:
    from dossier.write.footnotes import ElementPath
from dossier.resources import assets_dir, data_root
from dossier.write.images import PRINT_DPI

PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b")
# pikepdf keeps WeasyPrint's compressed streams as they are (compressing the rewritten pages),
# and its object streams; the file's /ID is computed from its content, so the same input gives
# the same bytes.
SAVE_OPTIONS: dict[str, Any] = {"deterministic_id": True}
PRINT_READY_STYLESHEET = "print-ready.css"
# A block that would push notes off their call's page starts a new page instead
# (dossier/write/footnotes.py); a few rounds settle it, each one a full layout.
PAGE_BREAK_ATTRIBUTE = "data-page-break"
MAX_RELAYOUTS = 3


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
    """WeasyPrint's `Document`: the pages, kept so the EPUB can use the same page breaks.
    Laid out again (rarely more than once) while a note is away from its call's page.
    `dump`: a folder where the HTML and what WeasyPrint is given with it are written (below).
    `report`: where WeasyPrint's remarks on the layout's stylesheets go, as located warnings."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from dossier.write.csslog import css_messages
    from dossier.write.fetch import DossierFetcher, Mounts
    from dossier.write.footnotes import break_points, element_at

    print_ready = options.print_ready if options else False
    house = config.layout_files.house if config.layout_files else None
    mounts = Mounts({"dossier": config.root, "data": data_root(), **({"layout": house} if house else {})})
    fetcher = DossierFetcher([config.root, *rendered.layout_dirs, assets_dir()], mounts)
    fonts = FontConfiguration()
    breaks: list[ElementPath] = []
    missing: list[tuple[Location, str]] = []
    with css_messages(partial(_layout_path, mounts, rendered.layout_dirs)) as messages:
        sheets = [
            CSS(url=mounts.url(p), url_fetcher=fetcher, font_config=fonts) for p in stylesheets(rendered, print_ready)
        ]
        for _ in range(MAX_RELAYOUTS + 1):
            html = HTML(string=rendered.print_html, base_url=mounts.url(config.root), url_fetcher=fetcher)
            for path in breaks:  # print.css starts these on a new page
                element_at(html.etree_element, path).set(PAGE_BREAK_ATTRIBUTE, "")
            document = html.render(stylesheets=sheets, font_config=fonts, dpi=PRINT_DPI)
            missing += _refusals(fetcher, config)
            more = [path for path in break_points(document) if path not in breaks]
            if not more:
                break
            breaks += more
    for message in messages if report is not None else ():
        report.warning(message.code, message.location, message.message)
    for location, text in dict.fromkeys(missing) if report is not None else ():
        report.warning("css-missing", location, text)
    if dump is not None:
        dump_print_html(rendered, config, options or PdfOptions(), dump, breaks)
    return document


def write_pdf(
    document: Any,
    config: Config,
    target: Path,
    options: PdfOptions,
    print_html: str,
    sources: dict[str, Path] | None = None,
) -> None:
    """Write the laid-out document, its tags rebuilt from the print HTML (dossier/write/tagging.py).
    Its dates are the editions' (from the print HTML's `dcterms` metadata), never the build time,
    and its identifier derives from the dossier's identifier and edition, so the same input gives
    the same file. A PDF/UA PDF is written only if the tag checks find nothing
    (dossier/validate/tags.py): else the build fails with what they found, located at the
    chapter of the page (`sources`: the print HTML's `data-doc` names → chapter files)."""
    if options.variant not in PDF_VARIANTS:
        raise ValueError(f"unknown PDF variant {options.variant!r}")
    identifier = hashlib.sha256(f"{config.identifier}#{config.edition.number}".encode()).hexdigest()[:32]
    with _quiet_weasyprint():
        data = document.write_pdf(
            pdf_variant=options.variant,
            pdf_identifier=identifier.encode(),
            pdf_tags=True,
            uncompressed_pdf=False,
        )
    written, summary = tag_pdf(data, print_html, config.locale)
    if options.variant == "pdf/ua-1":
        findings = check_pdf(written)
        if summary.unplaced:
            findings.append(_unplaced(summary.unplaced))
        _refuse_findings(findings, config, summary.page_documents, sources or {})
    target.write_bytes(written)


def tag_pdf(data: bytes, print_html: str, locale: str) -> tuple[bytes, Any]:
    """WeasyPrint's PDF with its structure tree rebuilt (dossier/write/tagging.py), and what the
    pass did."""
    import pikepdf

    from dossier.write.tagging import retag

    with pikepdf.open(io.BytesIO(data)) as pdf:
        summary = retag(pdf, print_html, locale)
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


def dump_print_html(
    rendered: Rendered, config: Config, options: PdfOptions, folder: Path, breaks: list[ElementPath]
) -> None:
    """The print HTML and what WeasyPrint is given with it, for the benchmark's floor (a debugging aid:
    DOSSIER_DUMP_HTML=DIR). `weasyprint.json` names the stylesheets, the base URL, the PDF options
    and the page breaks the note guard added (element paths and the attribute print.css breaks
    on), so that one layout of the dump gives the build's own pages."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "print.html").write_text(rendered.print_html, encoding="utf-8")
    manifest = {
        "html": "print.html",
        "base_url": config.root.as_uri() + "/",
        "stylesheets": [str(p) for p in stylesheets(rendered, options.print_ready)],
        "pdf_variant": options.variant,
        "pdf_tags": True,
        "dpi": PRINT_DPI,
        "page_breaks": {"attribute": PAGE_BREAK_ATTRIBUTE, "paths": [list(p) for p in breaks]},
    }
    (folder / "weasyprint.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _layout_file(rendered: Rendered, name: str) -> Path:
    for directory in rendered.layout_dirs:
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(name)


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
