"""The shared results: what several outputs take from one computation, each with what it needs.

The print layout (WeasyPrint's pages) is the PDF's; the EPUB takes from it where each page starts
(the page map, for its page list) and the cover (the first page, rasterised, or the cover's own
layout for a print shop), so that both editions agree. The page map and the cover are small and
picklable, so a format made in another process can be handed them; the layouts, graphs of
Python objects, never cross.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dossier.formats.builder import Job, Result, Results


def print_layout(job: Job, results: Results) -> Any:
    from dossier.write.pdf import PdfOptions, print_layout

    dump = Path(os.environ["DOSSIER_DUMP_HTML"]) if os.environ.get("DOSSIER_DUMP_HTML") else None  # bench's floor
    options = PdfOptions(job.options.pdf_variant, job.options.print_ready)
    config = job.book.config
    return print_layout(
        job.rendered, config, options, dump, job.report, job.cache, job.options.jobs, job.tell, job.foresee
    )


def page_map(job: Job, results: Results) -> Any:
    from dossier.write.pages import page_starts

    return page_starts(results["print-layout"].document, job.rendered.print_html)


def cover_layout(job: Job, results: Results) -> Any:
    """The cover's pages: laid out on their own for a print shop (front and back, with the
    bleed), else the book's first page."""
    from dossier.write.pdf import PdfOptions, layout_cover

    if job.options.print_ready:
        return layout_cover(job.rendered, job.book.config, PdfOptions(job.options.pdf_variant, True))
    document = results["print-layout"].document
    return document.copy([document.pages[0]])


def cover(job: Job, results: Results) -> bytes:
    """The cover image, kept in the cache for the next build's foresight (write/foresight.py)."""
    from dossier.write.cover import cover_image
    from dossier.write.foresight import keep_cover

    image = cover_image(results["cover-layout"])
    key = getattr(results.get("print-layout"), "cover_key", None)
    if key is not None:  # None for a print-ready build, or without a cache (write/pdf.py)
        keep_cover(job.cache, key, image)
    return image


RESULTS: dict[str, Result] = {
    r.name: r
    for r in (
        Result("print-layout", print_layout, stage="layout", label="laying out pages", portable=False),
        Result("page-map", page_map, needs=("print-layout",)),
        Result("cover-layout", cover_layout, needs=("print-layout",), portable=False),
        Result("cover", cover, needs=("cover-layout",)),
    )
}
