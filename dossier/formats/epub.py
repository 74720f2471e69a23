"""EPUB 3 (dossier.write.epub): the page map and the cover come from the print layout.

Its own documents are rendered beside the layout, in a second process when there is a second
core; the page map and the cover are handed to it once the layout is made.
"""

from __future__ import annotations

from pathlib import Path

from dossier.formats.builder import Format, Job, Results


def write(job: Job, target: Path, results: Results) -> None:
    from dossier.render import with_epub
    from dossier.write.epub import FromPrint, build_time, write_epub

    documents = with_epub(job.book, job.rendered)
    printed = FromPrint(results["page-map"], results["cover"])  # in a second process: waits for the layout
    write_epub(job.book, documents, target, build_time(job.book, job.epoch), printed)


FORMAT = Format(
    name="epub",
    label="writing the EPUB",
    write=write,
    needs=("page-map", "cover"),
    own_layout_files=("epub.css", "epub/"),
    beside=True,
)
