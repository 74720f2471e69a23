"""PDF: written from the print layout (dossier.write.pdf), tagged PDF/UA-1 or PDF/A-3b."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from dossier.formats.builder import Format, Job, Results

Paper = Literal["A4", "A5", "Letter"]  # each has its layout stylesheet, paper-NAME.css
PAPERS: tuple[Paper, ...] = get_args(Paper)


def write(job: Job, target: Path, results: Results) -> None:
    from dossier.write.pdf import PdfOptions, write_pdf

    options = PdfOptions(job.options.pdf_variant, job.options.print_ready)
    sources = {chapter.file_name: chapter.source.path for chapter in job.book.chapters}
    laid_out = results["print-layout"]  # the tags are matched with the HTML the pages were laid out from
    write_pdf(laid_out.document, job.book.config, target, options, laid_out.html, sources)


FORMAT = Format(name="pdf", label="writing the PDF", write=write, needs=("print-layout",))
