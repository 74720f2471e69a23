"""The shared results: what several outputs take from one computation, each with what it needs.

The print layout (WeasyPrint's pages) is the PDF's; the EPUB takes from it where each page starts
(the page map, for its page list) and the cover (the first page, rasterised), so that both
editions agree. The page map and the cover are small and picklable, so a format made in another
process can be handed them; the layout, a graph of Python objects, never crosses.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dossier.formats.builder import Job, Result, Results


def print_layout(job: Job, results: Results) -> Any:
    from dossier.write.pdf import PdfOptions, layout

    dump = Path(os.environ["DOSSIER_DUMP_HTML"]) if os.environ.get("DOSSIER_DUMP_HTML") else None  # bench's floor
    options = PdfOptions(job.options.pdf_variant, job.options.print_ready)
    return layout(job.rendered, job.book.config, options, dump, job.report)


def page_map(job: Job, results: Results) -> Any:
    from dossier.write.pages import page_starts

    return page_starts(results["print-layout"], job.rendered.print_html)


def cover(job: Job, results: Results) -> bytes:
    from dossier.write.cover import cover_image

    return cover_image(results["print-layout"])


RESULTS: dict[str, Result] = {
    r.name: r
    for r in (
        Result("print-layout", print_layout, stage="layout", label="laying out pages", portable=False),
        Result("page-map", page_map, needs=("print-layout",)),
        Result("cover", cover, needs=("print-layout",)),
    )
}
