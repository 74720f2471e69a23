"""EPUB 3 (dossier.write.epub): the page map and the cover come from the print layout.

Its own documents are rendered beside the layout, in a second process when there is a second
core; the page map and the cover are handed to it once the layout is made. EPUBCheck checks it
there, while the PDF is written; when more than one job is allowed, beside DAISY Ace (each a
process of its own: a JVM, a Chromium) rather than after it, with the same findings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dossier.formats.builder import Format, Job, Results

if TYPE_CHECKING:
    from dossier.errors import Report


def write(job: Job, target: Path, results: Results) -> Report:
    """The EPUB with the book's own checks and, unless `--no-ace`, DAISY Ace: what they found,
    as warnings. It claims conformance when they all passed; `check` withdraws the claim if
    EPUBCheck then finds anything."""
    from dossier.render import with_epub
    from dossier.write.epub import FromPrint, build_time, write_epub
    from dossier.write.parallel import jobs_allowed
    from dossier.write.validate import start_epubcheck

    documents = with_epub(job.book, job.rendered)
    printed = FromPrint(results["page-map"], results["cover"])  # in a second process: waits for the layout
    beside = jobs_allowed(job.options.jobs) > 1
    stamp = build_time(job.book, job.epoch)

    def before_ace(path: Path) -> Any:
        if beside:
            start_epubcheck(path)  # taken up by `check`
        # Ace's Chromium waits for the book's pages to be dropped, if they leave it no room (write/memory.py)
        return job.room() if job.room is not None else None

    return write_epub(job.book, documents, target, stamp, printed, ace=job.options.ace, before_ace=before_ace)


def check(job: Job, target: Path) -> Report:
    """EPUBCheck, in every build: an EPUB it rejects is never put in place (docs/builds.md); one
    it warns about keeps no accessibility conformance claim."""
    from dossier.errors import Report
    from dossier.write.epub import build_time, withdraw_claim
    from dossier.write.validate import epubcheck_off, epubcheck_report

    if epubcheck_off():  # DOSSIER_EPUBCHECK=off: no check, and so no claim (write_epub made none)
        return Report()
    found = epubcheck_report(job.book, target)
    if found.diagnostics:
        withdraw_claim(target, build_time(job.book, job.epoch), job.book.config)
    return found


FORMAT = Format(
    name="epub",
    label="writing the EPUB",
    write=write,
    needs=("page-map", "cover"),
    own_layout_files=("epub.css", "epub/"),
    beside=True,
    check=check,
)
