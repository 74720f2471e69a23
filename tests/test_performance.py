"""Performance work that must stay correct (figures are in bench/, never timed here):
lazy imports for `--help`, and the EPUB made in a second process beside the PDF."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dossier.errors import DossierError, Location, Report
from dossier.write.parallel import Background, Handoff, cores, jobs_allowed, parallel_allowed
from tests.conftest import Built
from tests.helpers import FIXTURES, ROOT, run_cli

HEAVY = ("weasyprint", "ebooklib", "fontTools", "pydantic", "babel", "lxml", "jinja2", "markdown_it")


def imported_modules(*args: str) -> set[str]:
    """Every module `python -m dossier ARGS` imports, from `-X importtime`'s report."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dossier", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: dossier" in result.stdout
    lines = [line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert "dossier.cli" in lines  # the report is read right: the CLI itself is listed
    return {name.split(".")[0] for name in lines[1:]}


@pytest.mark.parametrize("args", [("--help",), ("build", "--help"), ("check", "--help")])
def test_help_imports_no_heavy_library(args: tuple[str, ...]) -> None:
    assert not set(HEAVY) & imported_modules(*args)


def test_epub_beside_pdf_is_the_same_as_one_after_the_other(mini_build: Built, tmp_path: Path) -> None:
    """`--jobs 1` makes the EPUB after the PDF in one process: the same bytes as the fixture's
    build, which had the default jobs (the cores: two or more here, else the test says nothing)."""
    if jobs_allowed() < 2 or cores() < 2:
        pytest.skip("one job by default here: the fixture's build was made in one process too")
    result = run_cli("build", str(FIXTURES / "mini"), "--out", str(tmp_path), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / mini_build.epub.name).read_bytes() == mini_build.epub.read_bytes()
    assert (tmp_path / mini_build.pdf.name).read_bytes() == mini_build.pdf.read_bytes()


PARENT_ACE = """#!/bin/sh
echo "$PPID" > "$0.parent"
printf '{"assertions": []}' > "$3/report.json"
"""


@pytest.mark.skipif(cores() < 2 or shutil.which("node") is None, reason="a second core; ace_command() asks for Node")
def test_in_a_terminal_the_epub_is_still_made_in_a_second_process(tmp_path: Path) -> None:
    """In a terminal the progress is rich's spinner, whose thread kept the build from forking
    (a fork copies only one thread), so the EPUB was made after the PDF, on one core. The spinner
    is paused while the EPUB's process is forked: Ace, which that process starts, is not the
    build's child. Run under a pseudo-terminal, as a user runs it."""
    import pty

    ace = tmp_path / "ace"
    ace.write_text(PARENT_ACE, encoding="utf-8")
    ace.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DOSSIER_ACE": str(ace), "PUPPETEER_EXECUTABLE_PATH": sys.executable,
           "DOSSIER_JOBS": "2", "TERM": "xterm"}
    leader, follower = pty.openpty()
    try:
        build = subprocess.Popen(
            [sys.executable, "-m", "dossier", "build", str(FIXTURES / "mini"), "--out", str(tmp_path / "out"), "--no-cache"],
            stdin=follower, stdout=follower, stderr=follower, env=env,
        )
        os.close(follower)
        shown = _read_all(leader)
        assert build.wait(timeout=300) == 0, shown
    finally:
        os.close(leader)
    assert "writing the EPUB" in shown, "rich's progress was shown"
    assert int((tmp_path / "ace.parent").read_text(encoding="utf-8")) != build.pid, "Ace started by the build itself"


def _read_all(fd: int) -> str:
    """What a pseudo-terminal's program wrote, until it closed it (EIO on Linux)."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize(("flag", "variable", "expected"), [(None, "1", 1), (None, "3", 3), (2, "1", 2), (None, "x", None)])
def test_jobs_from_the_flag_else_dossier_jobs_else_the_cores(
    flag: int | None, variable: str, expected: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOSSIER_JOBS", variable)
    assert jobs_allowed(flag) == (cores() if expected is None else expected)
    if jobs_allowed(flag) == 1:
        assert not parallel_allowed(flag)


def _write_pid(path: Path) -> None:
    path.write_text(str(os.getpid()))


def _fail() -> None:
    raise DossierError.single("epub-test", Location(Path("chapters/x.md"), 3, 1), "made to fail")


def test_background_runs_in_another_process(tmp_path: Path) -> None:
    if not parallel_allowed():  # checked when the test runs: another test's thread may still be alive
        pytest.skip("one CPU, no fork, or a second thread running: the job runs in this process")
    marker = tmp_path / "pid"
    job = Background(lambda: _write_pid(marker))
    job.wait()
    assert marker.read_text() != str(os.getpid())


def test_background_returns_what_the_job_returned() -> None:
    """The EPUB's process hands back EPUBCheck's warnings (a Report) when it is done."""
    warnings = Report()
    warnings.warning("epub-epubcheck", Location(Path("dossier.toml")), "a warning from the child")
    job = Background(lambda: (os.getpid(), warnings))
    pid, got = job.wait()
    assert got == warnings and (pid != os.getpid()) == (job.process is not None)


def test_background_error_reaches_the_parent_with_its_location() -> None:
    job = Background(_fail)
    with pytest.raises(DossierError) as caught:
        job.wait()
    [diagnostic] = caught.value.report.diagnostics
    assert diagnostic.format(None) == "chapters/x.md:3:1: error[epub-test]: made to fail"


def test_handoff_reaches_the_job_and_a_failed_job_does_not_block_the_parent(tmp_path: Path) -> None:
    """The layout's facts are handed to the EPUB's process after it started; if that process has
    already failed, handing them over (more than a pipe holds) must not hang the build."""
    marker = tmp_path / "got"
    handoff = Handoff(parallel_allowed())
    job = Background(lambda: marker.write_bytes(handoff.get()), (handoff,))
    handoff.put(b"page starts" * 100_000)
    job.wait()
    assert marker.read_bytes() == b"page starts" * 100_000

    failing = Handoff(parallel_allowed())
    job = Background(_fail, (failing,))
    if job.process is not None:
        job.process.join(timeout=30)  # the child has failed before the parent hands anything over
    failing.put(b"x" * 1_000_000)
    with pytest.raises(DossierError):
        job.wait()


def test_the_benchmark_floor_lays_out_the_builds_own_pages(tmp_path: Path) -> None:
    """bench/floor.py (WeasyPrint alone) on the HTML a build dumped gives the build's pages, the
    note guard's page breaks included: the print fixture has a note its call would lose."""
    from pypdf import PdfReader

    dump, out = tmp_path / "dump", tmp_path / "out"
    built = run_cli("build", str(FIXTURES / "print"), "--out", str(out), "--format", "pdf", env={"DOSSIER_DUMP_HTML": str(dump)})
    assert built.returncode == 0, built.stderr
    manifest = json.loads((dump / "weasyprint.json").read_text(encoding="utf-8"))
    assert manifest["page_guard"]  # the guard did mend the layout
    floor = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "floor.py"), str(dump), str(tmp_path / "floor.pdf")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert floor.returncode == 0, floor.stderr
    pages = [page.extract_text() for page in PdfReader(str(next(out.glob("*.pdf")))).pages]
    assert [page.extract_text() for page in PdfReader(str(tmp_path / "floor.pdf")).pages] == pages


def test_the_tag_tree_reads_the_page_references_once_and_writes_the_same_bytes() -> None:
    """WeasyPrint's tags asked pydyf for every page's reference at each sequence (pages ×
    sequences: quadratic); inside `drawn_marks` the tuple is made once per write, the PDF is
    byte for byte the one WeasyPrint writes alone, and pydyf's property is left as it was."""
    import pydyf
    from weasyprint import HTML

    from dossier.write.tagging import drawn_marks

    pages = "".join(f"<section style='break-before: page'><h2>Partie {n}</h2><p>{'Un mot. ' * 40}</p></section>" for n in range(12))
    document = HTML(string=f"<html lang='fr'><body>{pages}</body></html>").render()
    alone = document.write_pdf(pdf_tags=True, pdf_identifier=b"same", pdf_variant="pdf/ua-1")
    original = vars(pydyf.PDF)["page_references"]
    calls = [0]

    def counted(self: object) -> object:
        calls[0] += 1
        return original.fget(self)

    pydyf.PDF.page_references = property(counted)
    try:
        unwrapped = document.write_pdf(pdf_tags=True, pdf_identifier=b"same", pdf_variant="pdf/ua-1")
        without = calls[0]
        calls[0] = 0
        with drawn_marks() as drawn:
            wrapped = document.write_pdf(pdf_tags=True, pdf_identifier=b"same", pdf_variant="pdf/ua-1")
    finally:
        pydyf.PDF.page_references = original
    assert len(drawn) == 12
    outline = 12  # the outline asks once per heading, before the tags: left as it is
    assert without >= outline + 2 * 12  # and the tags once per sequence (a heading, a paragraph a page)
    assert calls[0] <= outline + 2  # ours, and the one tuple the tree is built with
    assert wrapped == unwrapped == alone
    assert vars(pydyf.PDF)["page_references"] is original
