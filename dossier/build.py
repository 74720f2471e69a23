"""Orchestration: load → resolve → render → write, outputs staged and renamed into place."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from dossier.errors import DossierError, Location, Report
from dossier.load import load_dossier
from dossier.model import Book, Paper
from dossier.resolve import resolve
from dossier.write.atomic import staged

FORMATS = ("pdf", "epub")


@dataclass
class BuildOptions:
    formats: tuple[str, ...] = FORMATS
    pdf_variant: str = "pdf/ua-1"
    paper: Paper | None = None  # overrides dossier.toml's layout.paper
    print_ready: bool = False  # bleed and crop marks


@dataclass
class BuildResult:
    book: Book
    written: list[Path] = field(default_factory=list)


Progress = Callable[[str], None]


def output_paths(book: Book, out: Path, formats: tuple[str, ...]) -> dict[str, Path]:
    config = book.config
    return {fmt: out / f"{config.slug}-{config.edition.number}.{fmt}" for fmt in formats}


def source_date_epoch() -> int | None:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise DossierError.single(
            "environment", Location(Path("SOURCE_DATE_EPOCH")), f"SOURCE_DATE_EPOCH must be an integer, not '{value}'"
        ) from None


def check(root: Path, report: Report) -> Book:
    """Every validation, writing nothing in the dossier: load and resolve with all diagnostics,
    then, if the content is sound, the EPUB built in a temporary folder and checked there."""
    dossier = load_dossier(root, report)
    book = resolve(dossier, report)
    if not report.errors:
        check_epub(book, report)
    return book


def check_epub(book: Book, report: Report) -> None:
    """EPUBCheck and DAISY Ace on the EPUB of this build, each finding located at its chapter."""
    import tempfile

    from dossier.render import render
    from dossier.write.epub import edition_time, write_epub
    from dossier.write.pdf import layout
    from dossier.write.validate import check_epub as validate

    rendered = render(book)
    with tempfile.TemporaryDirectory(prefix="dossier-check-") as folder:
        target = Path(folder) / f"{book.config.slug}.epub"
        write_epub(book, rendered, target, edition_time(book.config), layout(rendered, book.config))
        findings = validate(target)
    sources = {chapter.file_name: chapter.source.path for chapter in book.chapters}
    for finding in findings:
        location = Location(sources.get(finding.document or "", book.config.path))
        where = f"{finding.document}: " if finding.document else ""
        message = f"EPUB: {where}{finding.tool}: {finding.message}"
        if finding.level == "error":
            report.error(f"epub-{finding.tool.lower()}", location, message)
        else:
            report.warning(f"epub-{finding.tool.lower()}", location, message)


def build(root: Path, out: Path, options: BuildOptions, report: Report, progress: Progress = lambda _: None) -> BuildResult:
    from dossier.render import render, with_epub
    from dossier.write.epub import build_time, from_print, write_epub
    from dossier.write.parallel import Background, Handoff, parallel_allowed
    from dossier.write.pdf import PdfOptions, dump_print_html, layout, write_pdf

    stamp_epoch = source_date_epoch()
    progress("load")
    dossier = load_dossier(root, report)
    progress("resolve")
    book = resolve(dossier, report)
    if options.paper:
        book.config = replace(book.config, layout=replace(book.config.layout, paper=options.paper))
    progress("render")
    rendered = render(book, epub=False)  # the EPUB's documents are made beside the layout, below
    pdf_options = PdfOptions(options.pdf_variant, options.print_ready)
    if os.environ.get("DOSSIER_DUMP_HTML"):  # for the benchmark's floor: WeasyPrint alone on this HTML
        dump_print_html(rendered, book.config, pdf_options, Path(os.environ["DOSSIER_DUMP_HTML"]))
    targets = output_paths(book, out, options.formats)
    result = BuildResult(book)
    with staged(list(targets.values())) as temps:
        staging = dict(zip(targets, temps, strict=True))
        printed = Handoff(parallel_allowed())

        def epub() -> None:  # in a second process when there is a second core (dossier.write.parallel)
            documents = with_epub(book, rendered)
            write_epub(book, documents, staging["epub"], build_time(book, stamp_epoch), printed.get())

        beside = Background(epub, printed) if "epub" in targets else None
        try:
            progress("layout")  # the EPUB takes its page numbers and cover from the PDF's layout
            document = layout(rendered, book.config, pdf_options)
            printed.put(from_print(document, rendered.print_html))
            if "pdf" in targets:
                progress("pdf")
                write_pdf(document, book.config, staging["pdf"], pdf_options)
        except BaseException:
            if beside:
                beside.cancel()
            raise
        if beside:
            progress("epub")
            beside.wait()
    result.written = list(targets.values())
    return result
