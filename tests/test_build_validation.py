"""No invalid EPUB behind exit status 0: every build runs EPUBCheck on the EPUB it made, before
anything is renamed into place (dossier/build.py, dossier/write/validate.py)."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest

from dossier.errors import DossierError, Report
from dossier.load import load_dossier
from dossier.resolve import resolve
from dossier.write.validate import epubcheck_report
from tests.conftest import WITH_EPUBCHECK
from tests.helpers import CACHE, copy_fixture, run_cli


def test_a_build_whose_epub_epubcheck_rejects_fails_and_keeps_the_previous_outputs(tmp_path: Path, mini_build) -> None:
    root = copy_fixture("mini", tmp_path)
    out = tmp_path / "out"
    shutil.copytree(mini_build.out, out)  # the previous build's outputs and manifest
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name != CACHE}
    chapter = root / "chapters/02-contexte.md"
    # raw HTML the sanitiser keeps (allowed elements) but in a place XHTML does not allow: a block in a span
    text = chapter.read_text(encoding="utf-8") + '\nUn encadré <span class="note"><div>en bloc</div></span> ici.\n'
    chapter.write_text(text, encoding="utf-8")
    result = run_cli("build", str(root), "--out", str(out), cwd=root, env=WITH_EPUBCHECK)
    assert result.returncode == 1, result.stderr
    (line,) = result.stderr.splitlines()
    assert re.fullmatch(
        r'chapters/02-contexte\.md: error\[epub-epubcheck\]: EPUB: ch2\.xhtml line \d+: EPUBCheck: RSC-005: '
        r'Error while parsing file: element "div" not allowed here',
        line,
    ), line
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != CACHE} == before  # nothing replaced, no temporary file left
    assert result.stdout == ""


@pytest.fixture(scope="module")
def mini_book(tmp_path_factory: pytest.TempPathFactory):
    root = copy_fixture("mini", tmp_path_factory.mktemp("book"))
    return resolve(load_dossier(root, Report()), Report())


def _altered(epub: Path, target: Path, changes: dict[str, bytes | None]) -> Path:
    """A copy of `epub` with some entries replaced (None: a new entry's content is given as is)."""
    with zipfile.ZipFile(epub) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            data = original.read(info.filename)
            change = changes.get(info.filename)
            copy.writestr(info, change if change is not None else data)
        for name, data in changes.items():
            if name not in original.namelist() and data is not None:
                copy.writestr(name, data)
    return target


def test_epubcheck_errors_are_located_at_the_chapter_they_come_from(tmp_path: Path, mini_book, mini_build) -> None:
    with zipfile.ZipFile(mini_build.epub) as archive:
        chapter = archive.read("EPUB/ch2.xhtml")
    broken = chapter.replace(b"<h1 ", b'<h1 lang="en_GB" ', 1)
    assert broken != chapter
    staged = _altered(mini_build.epub, tmp_path / ".essai-2.epub.tmp-1", {"EPUB/ch2.xhtml": broken})
    with pytest.raises(DossierError) as failed:
        epubcheck_report(mini_book, staged)
    lines = [d.format(mini_book.config.root) for d in failed.value.report.diagnostics]
    assert lines and all(
        line.startswith("chapters/02-contexte.md: error[epub-epubcheck]: EPUB: ch2.xhtml line ") and "RSC-005" in line
        for line in lines
    ), lines


def test_epubcheck_warnings_are_reported_without_failing_the_build(tmp_path: Path, mini_book, mini_build) -> None:
    extra = _altered(mini_build.epub, tmp_path / "essai-2.epub", {"EPUB/my notes.txt": b"a file name with a space\n"})
    found = epubcheck_report(mini_book, extra)
    assert [d.severity.value for d in found.diagnostics] == ["warning"]
    line = found.diagnostics[0].format(mini_book.config.root)
    assert line.startswith("dossier.toml: warning[epub-epubcheck]: EPUB: ") and "PKG-010" in line, line
    assert epubcheck_report(mini_book, mini_build.epub).diagnostics == []
