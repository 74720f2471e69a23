"""EPUB 3 (dossier.write.epub): the page map and the cover come from the print layout.

Its own documents are rendered beside the layout, in a second process when there is a second
core; the page map and the cover are handed to it once the layout is made.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dossier.formats.builder import Format, Job, Results

if TYPE_CHECKING:
    from dossier.errors import Report


def write(job: Job, target: Path, results: Results) -> Report:
    """The EPUB, checked (EPUBCheck, DAISY Ace unless `--no-ace`, the book's own checks): what
    they found, as warnings; EPUBCheck's errors raised."""
    from dossier.render import with_epub
    from dossier.write.epub import FromPrint, build_time, write_epub

    documents = with_epub(job.book, job.rendered)
    printed = FromPrint(results["page-map"], results["cover"])  # in a second process: waits for the layout
    return write_epub(job.book, documents, target, build_time(job.book, job.epoch), printed, ace=job.options.ace)


FORMAT = Format(
    name="epub",
    label="writing the EPUB",
    write=write,
    needs=("page-map", "cover"),
    own_layout_files=("epub.css", "epub/"),
    beside=True,
)
