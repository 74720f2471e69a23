"""Orchestration: load → resolve → render → write, outputs staged and renamed into place.

Before anything heavy is imported, the output folder's manifest (`dossier.manifest`) decides
what to make: nothing when every requested output is as the last build of this edition left
it from the same inputs; otherwise the stale formats. The formats are registered builders
(`dossier.formats`): each declares the shared results it needs, and `dossier.formats.graph` makes
them once, in order. The PDF's layout is made whenever a format needs it (the EPUB takes its page
numbers and cover from it), so a change to a chapter means a new layout and both files; a change
to the EPUB's own stylesheet or templates rewrites the EPUB alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from dossier.errors import DossierError, Location, Report, Severity
from dossier.formats import defaults, names, output_name
from dossier.manifest import Manifest, digests, input_hashes, read_plan, text_hash
from dossier.write.atomic import staged

if TYPE_CHECKING:
    from dossier.model import Book, EditionChanges, Paper


@dataclass
class BuildOptions:
    formats: tuple[str, ...] = field(default_factory=defaults)
    pdf_variant: str = "pdf/ua-1"
    paper: Paper | None = None  # overrides dossier.toml's layout.paper
    print_ready: bool = False  # PDF/X-4, bleed and crop marks, the cover apart
    ace: bool = True  # DAISY Ace checks the EPUB (when installed): without it, no conformance claim
    jobs: int | None = None  # `--jobs N`: how many processes at once (None: DOSSIER_JOBS, else the cores)
    cache: bool = True  # the page guard's decisions kept between builds (OUT/.dossier-cache; `--no-cache`: off)


@dataclass
class BuildResult:
    book: Book | None  # None when nothing had to be built
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)  # requested outputs already up to date

    @property
    def outputs(self) -> list[Path]:
        order = names()
        return sorted(self.written + self.unchanged, key=lambda p: order.index(p.suffix.removeprefix(".")))


Progress = Callable[[str], None]
CACHE_NAME = ".dossier-cache"  # in the output folder, beside the manifest: what the next build can reuse


def output_paths(book: Book, out: Path, formats: tuple[str, ...]) -> dict[str, Path]:
    config = book.config
    return {fmt: out / output_name(config.slug, config.edition.number, fmt) for fmt in formats}


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
    then, if the content is sound, the PDF and the EPUB built in a temporary folder and checked
    there (the PDF's tags as a PDF/UA build checks them, the EPUB by EPUBCheck and Ace)."""
    from dossier.load import load_dossier
    from dossier.resolve import resolve

    dossier = load_dossier(root, report)
    book = resolve(dossier, report)
    if not report.errors:
        check_epub(book, report)
    return book


def check_epub(book: Book, report: Report) -> None:
    """The PDF's tag checks, and the EPUB's (EPUBCheck, DAISY Ace, the book's own:
    `dossier.write.epub`), on this build's outputs made in a temporary folder, each finding located
    at its source; an Ace violation is an error here, where a build only withholds the
    conformance claim."""
    import tempfile

    from dossier.formats.builder import Job
    from dossier.formats.graph import make
    from dossier.render import render
    from dossier.write.validate import ace_off

    rendered = render(book, epub=False)
    with tempfile.TemporaryDirectory(prefix="dossier-check-") as folder:
        target = Path(folder) / f"{book.config.slug}.epub"
        pdf = Path(folder) / f"{book.config.slug}.pdf"
        try:  # one layout for both
            found = make(Job(book, rendered, BuildOptions(), report=report), {"pdf": pdf, "epub": target})
        except DossierError as exc:  # the PDF's tag checks or EPUBCheck rejected an output
            found = exc.report
            if not any(d.code.startswith("epub-") for d in found.diagnostics):  # the PDF's: the EPUB checked alone
                try:
                    found.extend(make(Job(book, rendered, BuildOptions()), {"epub": target}))
                except DossierError as again:
                    found.extend(again.report)
    for diagnostic in found.diagnostics:
        severity = Severity.ERROR if diagnostic.code == "epub-ace" else diagnostic.severity
        report.diagnostics.append(replace(diagnostic, severity=severity))
    if ace_off():  # a missing Ace the EPUB's checks have said
        message = "DAISY Ace is off (DOSSIER_ACE=off): accessibility not checked"
        report.warning("epub-ace", Location(book.config.path), message)


def _check_styled(book: Book, formats: tuple[str, ...]) -> None:
    """A house layout that extends none styles only the formats its layout.toml lists."""
    layout = book.config.layout_files
    if layout is None or layout.extends or layout.house is None:
        return
    for fmt in formats:
        if fmt not in layout.formats:
            raise DossierError.single(
                "layout-format", Location(layout.house / "layout.toml"),
                f"the layout styles {', '.join(layout.formats)}, not {fmt}"
                " (list it in 'formats', or extend \"default\")",
            )


def _options_key(options: BuildOptions, epoch: int | None) -> dict[str, object]:
    """What, besides the files, the outputs depend on (the formats requested aside)."""
    return {
        "pdf_variant": options.pdf_variant,
        "paper": options.paper,
        "print_ready": options.print_ready,
        "ace": _audited(options),  # with Ace the EPUB may claim conformance: another EPUB
        "source_date_epoch": epoch,
        "engines": _engine_versions(),
    }


# The libraries whose release can change an output's bytes: line breaks, hyphens, CLDR words,
# subset fonts, zip layout, resampled images. An upgrade of one of them makes the next build a full one.
ENGINES = (
    "weasyprint", "pydyf", "fonttools", "pyphen", "babel", "ebooklib", "markdown-it-py", "mdit-py-plugins", "nh3",
    "pypandoc-binary", "py3langid",  # a .bib's CSL (Pandoc), the languages of titles
    "pikepdf",  # the PDF's tags are rebuilt and written by it (qpdf)
    "pillow",  # images resampled and encoded (dossier.write.images)
)  # fmt: skip


def _audited(options: BuildOptions) -> bool:
    from dossier.write.validate import ace_command, ace_off

    return options.ace and not ace_off() and ace_command() is not None


@cache  # once per process: `dossier watch` builds many times
def _engine_versions() -> dict[str, str]:
    """Read from the installed distributions' metadata, without importing them (~40 ms)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ENGINES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


def _chapter_records(book: Book) -> list[dict]:
    root = book.config.root
    return [
        {"path": c.source.path.relative_to(root).as_posix(), "title": c.title, "sha256": text_hash(c.source.path)}
        for c in book.chapters
    ]


def edition_changes(book: Book, previous: int | None, recorded: list[dict]) -> EditionChanges | None:
    """What changed since the previous edition, from the chapters its build recorded."""
    from dossier.model import EditionChanges

    if previous is None or not recorded:
        return None
    old = {r["path"]: r for r in recorded}
    current = _chapter_records(book)
    paths = {c["path"] for c in current}
    return EditionChanges(
        since=previous,
        changed=tuple(c["title"] for c in current if c["path"] in old and old[c["path"]]["sha256"] != c["sha256"]),
        added=tuple(c["title"] for c in current if c["path"] not in old),
        removed=tuple(r["title"] for r in recorded if r["path"] not in paths),
    )


def build(
    root: Path,
    out: Path,
    options: BuildOptions,
    report: Report,
    progress: Progress = lambda _: None,
    force: bool = False,
) -> BuildResult:
    """Build what is stale (everything with `force`); the manifest records what was written."""
    epoch = source_date_epoch()
    plan = read_plan(root)
    manifest = Manifest(out)
    if plan is None:  # dossier.toml unreadable: the full build reports why
        return _build(root, out, options, report, progress, epoch, options.formats)
    progress("check")
    hashes = input_hashes(root, out, plan)
    current = digests(hashes, _options_key(options, epoch), manifest.chapters(plan.previous))
    stale = list(options.formats) if force else manifest.stale(out, plan, options.formats, current)
    if report.strict and manifest.edition(plan.edition).get("warnings"):
        stale = list(options.formats)  # the last build warned: --strict says so again, and fails
    unchanged = [out / plan.output_name(f) for f in options.formats if f not in stale]
    if not stale:
        return BuildResult(None, unchanged=unchanged)
    result = _build(root, out, options, report, progress, epoch, tuple(stale), manifest.chapters(plan.previous))
    result.unchanged = unchanged
    assert result.book is not None
    date = result.book.config.edition.date.isoformat()
    manifest.record(plan, date, current, result.written, _chapter_records(result.book), len(report.warnings))
    manifest.save()
    return result


def _build(
    root: Path,
    out: Path,
    options: BuildOptions,
    report: Report,
    progress: Progress,
    epoch: int | None,
    formats: tuple[str, ...],
    previous_chapters: list[dict] | None = None,
) -> BuildResult:
    progress("load")
    from dossier.formats.builder import Job
    from dossier.formats.graph import make
    from dossier.load import load_dossier
    from dossier.render import render
    from dossier.resolve import resolve

    dossier = load_dossier(root, report)
    progress("resolve")
    book = resolve(dossier, report)
    if options.paper:
        book.config = replace(book.config, layout=replace(book.config.layout, paper=options.paper))
    history = book.config.history
    book.changes = edition_changes(book, history[0].number if history else None, previous_chapters or [])
    progress("render")
    rendered = render(book, epub=False)  # each format renders its own documents (the EPUB beside the layout)
    _check_styled(book, formats)
    targets = output_paths(book, out, formats)
    result = BuildResult(book)
    with staged(list(targets.values())) as temps:
        # each output checked before it is renamed into place (EPUBCheck): its warnings reported, its errors raised
        cache = out / CACHE_NAME if options.cache else None
        job = Job(book, rendered, options, epoch, report, cache, getattr(progress, "detail", None))
        found = make(job, dict(zip(targets, temps, strict=True)), progress)
        for diagnostic in found.diagnostics:  # the formats' checks' warnings, under --strict and [diagnostics] ignore
            report.warning(diagnostic.code, diagnostic.location, diagnostic.message)
        report.raise_if_errors()  # with --strict, a warning of the layout or EPUBCheck: the outputs stay as they were
    result.written = list(targets.values())
    return result
