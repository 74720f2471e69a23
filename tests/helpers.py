"""Shared test helpers: run the CLI, read PDFs and EPUBs back, run EPUBCheck."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CACHE = ".dossier-cache"  # the layout cache's folder in a build's output folder (write/layoutcache.py)
NS = {
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}


# A hang fails a test; a busy machine (a shared CI runner) may raise the bound.
CLI_TIMEOUT = float(os.environ.get("DOSSIER_TEST_TIMEOUT", "300"))

def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, wrapper: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """`python -m dossier ARGS` in a subprocess, as a user would run it (under `wrapper`, if
    given: `faketime DATE`)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    environment.pop("DOSSIER_DEBUG", None)
    command = [*wrapper, sys.executable, "-m", "dossier", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=environment, timeout=CLI_TIMEOUT)


def copy_fixture(name: str, target: Path) -> Path:
    destination = target / name
    shutil.copytree(FIXTURES / name, destination)
    return destination


def pdf_text(path: Path, pages: list[int] | None = None) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    indices = pages if pages is not None else range(len(reader.pages))
    text = "\n".join(reader.pages[i].extract_text() or "" for i in indices)
    return re.sub(r"  +", " ", text)  # justified lines' wide word spaces come out as several


def pdf_page_texts(path: Path) -> list[str]:
    """The text of each page, as `pdf_text` gives it, the PDF read once."""
    from pypdf import PdfReader

    # justified lines' wide word spaces come out as several
    return [re.sub(r"  +", " ", page.extract_text() or "") for page in PdfReader(str(path)).pages]


def epub_documents(path: Path) -> dict[str, etree._Element]:
    """Every XHTML document of the EPUB, parsed, by name inside the archive."""
    with zipfile.ZipFile(path) as archive:
        return {
            name: etree.fromstring(archive.read(name))
            for name in archive.namelist()
            if name.endswith(".xhtml")
        }


def epub_file(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def epubcheck_messages(path: Path) -> list[str]:
    """EPUBCheck's errors and warnings (the W3C validator, the `epubcheck` package's jar), in a JVM
    started for a short job as dossier starts it (C1 compiler, serial GC: half the CPU time)."""
    from dossier.write.validate import epubcheck_messages as messages

    return [f"{m.level} {m.id} {m.location}: {m.message}" for m in messages(path) if m.level in ("ERROR", "WARNING", "FATAL")]
