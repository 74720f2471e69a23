"""The cover as its own PDF (`SLUG-EDITION.cover.pdf`), for a print shop: the front cover and the
back cover, from the cover's layout; made with `--print-ready` (the interior then starts at the
title page), or when asked for by name."""

from __future__ import annotations

from pathlib import Path

from dossier.formats.builder import Format, Job, Results


def write(job: Job, target: Path, results: Results) -> None:
    from dossier.write.pdf import PdfOptions, write_pdf

    options = PdfOptions(job.options.pdf_variant, job.options.print_ready)
    write_pdf(results["cover-layout"], job.book.config, target, options, job.rendered.cover_html, part="cover")


FORMAT = Format(
    name="cover",
    label="writing the cover",
    write=write,
    needs=("cover-layout",),
    suffix="cover.pdf",
    default=False,
    own_layout_files=("print-cover.html.j2", "partials/back-cover.html.j2"),
)
