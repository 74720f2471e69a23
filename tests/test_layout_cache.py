"""The print book laid out chapter by chapter between builds (write/layoutcache.py) and across
processes (write/partlayout.py): what is kept must never change a byte of the outputs.

Each test builds the print fixture (four chapters whose page guard moves a figure, relaxes a
paragraph, makes a long page and respaces paragraphs: decisions worth keeping) as a user would,
with the command line, and compares the files with a clean build of the same inputs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import once
from tests.helpers import CLI_TIMEOUT, ROOT, copy_fixture, run_cli

# The fixture's chapters are below what makes a worker worth starting (partlayout.PARALLEL_BYTES):
# workers started for them all the same, as for a large book.
SMALL = {"DOSSIER_PARALLEL_BYTES": "0"}
KEPT = re.compile(r"layout: (\d+) of (\d+) parts laid out with the page guard's kept decisions")
EDITED = "chapters/02-composition.md"
FORESEEN = "epub: made beside the layout, from the page map and cover it foresees"
HELD = "epub: the foreseen page map and cover hold"
NOT_HELD = "epub: the foreseen page map or cover does not hold; made again"
SAME_LENGTH = ("Une ligne trop longue fatigue l’œil", "Une ligne trop longue lasse l’œil")
# Added to the chapter for an edit that lengthens it by pages (the fixture's own subject).
ADDED = (
    "\n\n## Le gris typographique\n\n"
    + "Une page bien composée se lit d’abord comme une tache : un gris égal, sans trou ni tache plus "
    "noire, où l’œil ne bute sur rien. Les espaces trop larges y ouvrent des lézardes, les lignes "
    "trop serrées des taches sombres, et le lecteur, sans savoir pourquoi, se fatigue plus vite. "
    "Le compositeur juge ce gris à distance, la page tenue à bout de bras, avant de lire le détail. " * 40
)


@dataclass(frozen=True)
class Cold:
    """The print fixture built once, cold, with two jobs: its folder, its outputs (and cache)."""

    root: Path
    out: Path
    said: str

    def copy(self, into: Path) -> tuple[Path, Path]:
        """The dossier and its output folder, cache included, copied for a test to change."""
        root, out = into / "print", into / "out"
        shutil.copytree(self.root, root)
        shutil.copytree(self.out, out)
        return root, out


@pytest.fixture(scope="session")
def cold(tmp_path_factory: pytest.TempPathFactory) -> Cold:
    return once(tmp_path_factory, "test_layout_cache.cold", lambda: _cold(tmp_path_factory))


def _cold(tmp_path_factory: pytest.TempPathFactory) -> Cold:
    folder = tmp_path_factory.mktemp("layout-cache")
    root = copy_fixture("print", folder)
    out = folder / "out"
    return Cold(root, out, _build(root, out, "--jobs", "2"))


def _build(root: Path, out: Path, *extra: str, formats: tuple[str, ...] = ()) -> str:
    """`dossier build ROOT --out OUT -v`: what it said on stderr (it must succeed)."""
    asked = [arg for name in formats for arg in ("--format", name)]
    result = run_cli("build", str(root), "--out", str(out), "-v", *asked, *extra, env=SMALL)
    assert result.returncode == 0, result.stderr
    return result.stderr


def _outputs(out: Path) -> dict[str, bytes]:
    return {path.suffix: path.read_bytes() for path in sorted(out.iterdir()) if path.suffix in (".pdf", ".epub")}


def _kept(stderr: str) -> tuple[int, int]:
    match = KEPT.search(stderr)
    assert match, stderr
    return int(match[1]), int(match[2])


def _pages(out: Path) -> int:
    return len(PdfReader(next(out.glob("*.pdf"))).pages)


def _entries(out: Path) -> list[Path]:
    return sorted((out / ".dossier-cache" / "layout").glob("*.json"))


@pytest.mark.parametrize("edit", ["same-pages", "more-pages"])
def test_an_edited_chapter_rebuilt_from_the_cache_gives_a_clean_builds_bytes(
    cold: Cold, tmp_path: Path, edit: str
) -> None:
    """A chapter edited after a build: the next build lays the other chapters out with the
    decisions it kept and gives the PDF and EPUB a build without any cache gives (in one
    process), whether the edit changes the chapter's page count or not."""
    root, out = cold.copy(tmp_path)
    before = _pages(out)
    chapter = root / EDITED
    text = chapter.read_text(encoding="utf-8")
    if edit == "same-pages":
        assert SAME_LENGTH[0] in text
        chapter.write_text(text.replace(*SAME_LENGTH), encoding="utf-8")
    else:
        chapter.write_text(text + ADDED, encoding="utf-8")
    said = _build(root, out)
    clean = tmp_path / "clean"
    _build(root, clean, "--jobs", "1")
    assert _outputs(out) == _outputs(clean)
    assert (_pages(out) == before) == (edit == "same-pages"), (before, _pages(out))
    kept, parts = _kept(said)
    assert kept >= 3 and kept < parts, said  # the three chapters not edited came from the cache
    assert re.search(r"La composition du texte \((page guard|guarded in a worker)\)", said), said
    assert "Tableaux et figures (with the decisions kept)" in said
    if edit == "same-pages":  # the EPUB made beside the layout, from the pages the other chapters kept
        assert FORESEEN in said and HELD in said, said


@pytest.mark.parametrize("tampered", ["cover", "pages"])
def test_a_foreseen_page_map_or_cover_that_does_not_hold_is_not_used(
    cold: Cold, tmp_path: Path, tampered: str
) -> None:
    """What the cache foresees for the EPUB made wrong (the kept cover replaced by another image;
    the second page of each chapter a block earlier, the entries still whole): the EPUB, handed it beside the layout, is made again from the real layout, and both
    files are a clean build's."""
    root, out = cold.copy(tmp_path)
    chapter = root / EDITED
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(*SAME_LENGTH), encoding="utf-8")
    if tampered == "cover":
        (cover,) = (out / ".dossier-cache" / "covers").glob("*.jpg")
        from PIL import Image

        with Image.open(cover) as image:
            size = image.size
        Image.new("RGB", size, "white").save(cover, "JPEG")
    else:
        _move_a_kept_page_start(_entries(out))
    said = _build(root, out)
    assert FORESEEN in said and NOT_HELD in said and HELD not in said, said
    clean = tmp_path / "clean"
    _build(root, clean, "--jobs", "1")
    assert _outputs(out) == _outputs(clean)
    assert len(_outputs(out)) == 2


def _move_a_kept_page_start(entries: list[Path]) -> None:
    """In each chapter's entry (not the front matter's, whose documents include the cover) with a
    second page, that page said to start a block earlier; its check made again, so that the
    entry is read as whole."""
    from dossier.write.layoutcache import _canonical, digest

    moved = 0
    for path in entries:
        entry = json.loads(path.read_text(encoding="utf-8"))
        starts = entry["payload"].get("pages", {}).get("starts", [])
        if any(s and s[0] == "cover.xhtml" for s in starts):
            continue
        if len(starts) > 1 and starts[1] is not None and starts[1][1]:
            starts[1][1:] = [starts[1][1] - 1, 0]
            entry["check"] = digest(_canonical(entry["payload"]))
            path.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
            moved += 1
    assert moved >= 2, "no chapter's entries of more than one page"


def test_one_process_and_two_give_the_same_bytes(cold: Cold, tmp_path: Path) -> None:
    """`--jobs 2` guards chapters in a worker process and lays them out again in the build's own
    with the worker's decisions: the files are those of `--jobs 1` (here without a cache)."""
    one = tmp_path / "one"
    said = _build(cold.root, one, "--jobs", "1", "--no-cache")
    assert "in a worker" in cold.said and "in a worker" not in said
    assert not (one / ".dossier-cache").exists() and _entries(cold.out)  # --no-cache: nothing kept
    assert _outputs(one) == _outputs(cold.out)
    assert len(_outputs(one)) == 2


def test_a_tampered_or_truncated_entry_is_ignored(cold: Cold, tmp_path: Path) -> None:
    """An entry edited by hand (its fixes said not laid out: used, it would give other pages) or cut short
    (a disk full, a copy interrupted) is not used: those parts are laid out by the guard again
    and the PDF is the clean build's."""
    root, out = cold.copy(tmp_path)
    clean = _outputs(out)
    entries = _entries(out)
    with_fixes = [p for p in entries if json.loads(p.read_text())["payload"]["decisions"]["done"]]
    assert len(with_fixes) >= 2, entries
    tampered, truncated = with_fixes[:2]
    entry = json.loads(tampered.read_text())
    decisions = entry["payload"]["decisions"]
    decisions["laid"] = 0  # as if its last layout had none of its fixes: not checked again when laid out
    tampered.write_text(json.dumps(entry), encoding="utf-8")
    truncated.write_bytes(truncated.read_bytes()[: len(truncated.read_bytes()) // 2])
    said = _build(root, out, "--force", "--jobs", "1", formats=("pdf",))
    kept, parts = _kept(said)
    assert kept == parts - 2, said
    assert _outputs(out)[".pdf"] == clean[".pdf"]


def test_a_build_killed_during_layout_leaves_the_outputs_and_a_correct_next_build(cold: Cold, tmp_path: Path) -> None:
    """SIGKILL while a worker guards a chapter: the previous PDF stays as it was, no worker (nor
    multiprocessing's resource tracker) outlives the build or says anything, and the next build,
    which finds what the killed one left in the cache, gives a clean build's bytes."""
    root, out = cold.copy(tmp_path)
    previous = _outputs(out)
    for name in (EDITED, "chapters/03-tableaux.md"):
        (root / name).write_text((root / name).read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    mark = uuid.uuid4().hex
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "DOSSIER_TEST_MARK": mark, **SMALL}
    command = [sys.executable, "-m", "dossier", "build", str(root), "--out", str(out), "-v"]
    build = subprocess.Popen([*command, "--jobs", "2"], env=environment, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + CLI_TIMEOUT
    while not [pid for pid in _marked(mark) if pid != build.pid]:  # a worker has started
        assert build.poll() is None and time.monotonic() < deadline, "the build ended before a worker started"
        time.sleep(0.05)
    time.sleep(1.0)  # the worker's engine made, a chapter under way
    build.kill()
    build.wait(timeout=CLI_TIMEOUT)
    assert _outputs(out) == previous
    assert _left_running(mark) == [], "a worker outlived its build"
    assert build.stderr is not None
    said = build.stderr.read().splitlines()
    assert [line for line in said if not line.startswith("dossier: ")] == []  # progress only: no warning, no traceback
    _build(root, out, formats=("pdf",))
    clean = tmp_path / "clean"
    _build(root, clean, "--jobs", "1", formats=("pdf",))
    assert _outputs(out)[".pdf"] == _outputs(clean)[".pdf"] != previous[".pdf"]
    assert _outputs(out)[".epub"] == previous[".epub"]  # not asked for: left as it was
    assert not list(out.glob(".*tmp*")) and not list((out / ".dossier-cache" / "layout").glob(".*tmp*"))


def test_a_file_a_chapter_reads_is_checked_and_a_moved_dossier_keeps_its_cache(cold: Cold, tmp_path: Path) -> None:
    """The dossier and its output folder moved elsewhere: every part comes from the cache, the
    same bytes. Then the figure a chapter shows replaced under the same name (its HTML the same):
    that chapter is laid out afresh, and the PDF is a clean build's."""
    root, out = cold.copy(tmp_path / "moved")
    kept, parts = _kept(_build(root, out, "--force", "--jobs", "1", formats=("pdf",)))
    assert kept == parts and _outputs(out)[".pdf"] == _outputs(cold.out)[".pdf"]
    from PIL import Image

    figure = root / "images" / "haute.png"
    with Image.open(figure) as image:
        width, height = image.size
    Image.new("RGB", (width, height // 3), "white").save(figure)  # a third as high: another page
    said = _build(root, out, "--force", "--jobs", "1", formats=("pdf",))
    assert "Tableaux et figures (page guard)" in said
    clean = tmp_path / "clean"
    _build(root, clean, "--jobs", "1", formats=("pdf",))
    assert _outputs(out)[".pdf"] == _outputs(clean)[".pdf"] != _outputs(cold.out)[".pdf"]


def _marked(mark: str) -> list[int]:
    """The processes whose environment holds `mark`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if f"DOSSIER_TEST_MARK={mark}".encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _left_running(mark: str, wait: float = 10.0) -> list[int]:
    """The processes whose environment holds `mark`, once `wait` seconds have passed for them to end."""
    deadline = time.monotonic() + wait
    while True:
        found = _marked(mark)
        if not found or time.monotonic() > deadline:
            for pid in found:
                os.kill(pid, signal.SIGKILL)
            return found
        time.sleep(0.2)
