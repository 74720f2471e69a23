"""A format registered by a test: the PDF's page list as plain text, one `LABEL DOCUMENT` per page.

It needs the page map alone (not the cover), and shows what adding an output takes: this module
and one entry in `dossier.formats.REGISTRY`.
"""

from __future__ import annotations

from pathlib import Path

from dossier.formats.builder import Format, Job, Results


def write(job: Job, target: Path, results: Results) -> None:
    lines = [f"{start.label} {start.document}\n" for start in results["page-map"]]
    target.write_text("".join(lines), encoding="utf-8")


FORMAT = Format(name="txt", label="writing the page list", write=write, needs=("page-map",))
