"""Editions and rebuilds: reproducible bytes, atomic outputs, editions kept side by side,
incremental builds decided on content hashes, the watch mode and the progress display."""

from __future__ import annotations

import hashlib
import io
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader

from tests.conftest import once
from tests.helpers import (
    CACHE,
    NS,
    ROOT,
    copy_fixture,
    epub_documents,
    epub_file,
    epubcheck_messages,
    pdf_text,
    run_cli,
)

MANIFEST = ".dossier-manifest.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of `folder` (hidden ones too; the layout cache's folder aside): its bytes and its modification time."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir()) if p.name != CACHE}


def bump_edition(root: Path) -> None:
    """Edition 2 → 3, with edition 2 moved into the history, and the context chapter revised."""
    config = root / "dossier.toml"
    text = config.read_text(encoding="utf-8")
    current = '[edition]\nnumber = 2\ndate = 2026-11-25\nsummary = "Ajout du contexte."\n'
    assert current in text
    config.write_text(
        text.replace(
            current,
            '[edition]\nnumber = 3\ndate = 2026-12-02\nsummary = "Contexte complété."\n\n'
            '[[edition.history]]\nnumber = 2\ndate = 2026-11-25\nsummary = "Ajout du contexte."\n',
        ),
        encoding="utf-8",
    )
    with (root / "chapters" / "02-contexte.md").open("a", encoding="utf-8") as chapter:
        chapter.write("\nUn paragraphe ajouté pour la troisième édition.\n")


# --- reproducible -----------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("faketime") is None, reason="needs faketime (apt-get install faketime)")
def test_same_input_gives_the_same_bytes_in_another_folder_day_timezone_and_locale(mini_build, tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path / "elsewhere")
    out = tmp_path / "out"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TZ": "Pacific/Kiritimati",
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "4242",
    }
    env.pop("SOURCE_DATE_EPOCH", None)
    command = ["faketime", "2031-03-04 05:06:07", sys.executable, "-m", "dossier", "build", str(root), "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    pdf, epub = out / mini_build.pdf.name, out / mini_build.epub.name
    assert (sha256(pdf), sha256(epub)) == (sha256(mini_build.pdf), sha256(mini_build.epub))
    # the dates in the files are the edition's, not the (faked) day of the build
    reader = PdfReader(str(pdf))
    assert (reader.metadata["/CreationDate"], reader.metadata["/ModDate"]) == ("D:20261001", "D:20261125")
    with zipfile.ZipFile(epub) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 11, 25, 0, 0, 0)}


def test_source_date_epoch_sets_the_zip_times_and_the_dates_stay_the_editions(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    epoch = 1_800_000_000  # 2027-01-15T08:00:00Z
    result = run_cli("build", str(root), "--format", "epub,pdf", env={"SOURCE_DATE_EPOCH": str(epoch)})
    assert result.returncode == 0, result.stderr
    pdf, epub = root / "build" / "essai-2.pdf", root / "build" / "essai-2.epub"
    reader = PdfReader(str(pdf))  # the dates describe the edition, whatever the build's time
    assert (reader.metadata["/CreationDate"], reader.metadata["/ModDate"]) == ("D:20261001", "D:20261125")
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "<xmp:ModifyDate>2026-11-25</xmp:ModifyDate>" in xmp
    opf = etree.fromstring(epub_file(epub, "EPUB/content.opf"))
    assert opf.xpath("//opf:meta[@property='dcterms:modified']", namespaces=NS)[0].text == "2026-11-25T00:00:00Z"
    with zipfile.ZipFile(epub) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2027, 1, 15, 8, 0, 0)}
    assert epubcheck_messages(epub) == []
    bad = run_cli("build", str(root), "--force", "-q", env={"SOURCE_DATE_EPOCH": "tomorrow"})
    assert (bad.returncode, bad.stderr.strip()) == (1, "SOURCE_DATE_EPOCH: error[environment]: SOURCE_DATE_EPOCH must be an integer, not 'tomorrow'")


# --- atomic -----------------------------------------------------------------------------------


def test_a_build_killed_mid_write_leaves_the_previous_outputs(mini_build, tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    out = root / "build"
    assert run_cli("build", str(root), "-q").returncode == 0
    assert (sha256(out / "essai-2.epub"), sha256(out / "essai-2.pdf")) == (
        sha256(mini_build.epub),
        sha256(mini_build.pdf),
    )  # the EPUB is the one test_build checks with EPUBCheck
    before = snapshot(out)
    with (root / "chapters" / "01-texte.md").open("a", encoding="utf-8") as chapter:
        chapter.write("\nUne phrase de plus, pour que la construction suivante écrive.\n")

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    build = subprocess.Popen([sys.executable, "-m", "dossier", "build", str(root), "-q"], env=env)
    temporary = f".essai-2.pdf.tmp-{build.pid}"
    deadline = time.monotonic() + 300
    while not any(p.name.startswith(temporary) for p in out.iterdir()):
        assert build.poll() is None, "the build ended before it wrote anything"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    build.send_signal(signal.SIGKILL)  # no clean-up possible
    build.wait(timeout=60)

    after = snapshot(out)
    assert {name: after[name] for name in before} == before  # outputs and manifest untouched, byte for byte
    strays = sorted(set(after) - set(before))
    assert strays and all(name.startswith(".essai-2.") and f".tmp-{build.pid}" in name for name in strays)

    result = run_cli("build", str(root), "-q")  # the next build removes them
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [CACHE, MANIFEST, "essai-2.epub", "essai-2.pdf"]
    assert "Une phrase de plus" in pdf_text(out / "essai-2.pdf")
    assert epubcheck_messages(out / "essai-2.epub") == []


# --- editions ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_editions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini dossier built as edition 2, then as edition 3 with a chapter revised."""
    return once(tmp_path_factory, "test_editions.two_editions", lambda: _two_editions(tmp_path_factory))


def _two_editions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_fixture("mini", tmp_path_factory.mktemp("editions"))
    assert run_cli("build", str(root), "-q").returncode == 0
    (root / "edition-2.json").write_text(json.dumps({p.name: sha256(p) for p in (root / "build").glob("essai-*")}))
    bump_edition(root)
    result = run_cli("build", str(root), "-q")
    assert result.returncode == 0, result.stderr
    return root


def test_a_new_edition_keeps_the_previous_one(two_editions: Path) -> None:
    out = two_editions / "build"
    names = sorted(p.name for p in out.iterdir())
    assert names == [CACHE, MANIFEST, "essai-2.epub", "essai-2.pdf", "essai-3.epub", "essai-3.pdf"]
    previous = json.loads((two_editions / "edition-2.json").read_text())
    assert {name: sha256(out / name) for name in previous} == previous
    manifest = json.loads((out / MANIFEST).read_text())
    assert sorted(manifest["editions"]) == ["2", "3"]


def test_the_identifier_stays_across_editions(two_editions: Path) -> None:
    def identifier(path: Path) -> str:
        return etree.fromstring(epub_file(path, "EPUB/content.opf")).findtext(".//dc:identifier", namespaces=NS)

    out = two_editions / "build"
    assert identifier(out / "essai-2.epub") == identifier(out / "essai-3.epub") == "urn:uuid:6d1c3f0e-7b59-4c1e-9a57-3f1d2a4b5c6d"


def test_the_colophon_lists_the_editions_and_the_revised_chapter(two_editions: Path) -> None:
    out = two_editions / "build"
    pdf = pdf_text(out / "essai-3.pdf").replace("\u202f", " ").replace("\u00a0", " ")
    assert "Édition 3, 2 décembre 2026\nContexte complété.\nÉdition 2, 25 novembre 2026\nAjout du contexte." in pdf
    assert "Révisé depuis l’édition 2 : Le contexte." in pdf
    assert "Annexes." not in pdf.split("Révisé depuis")[1].split("\n")[0]
    documents = epub_documents(out / "essai-3.epub")
    colophon = next(d for d in documents.values() if d.xpath("//x:dl[@class='editions']", namespaces=NS))
    editions = [" ".join("".join(dt.itertext()).split()) for dt in colophon.xpath("//x:dl[@class='editions']/x:dt", namespaces=NS)]
    assert editions == ["Édition 3, 2 décembre 2026", "Édition 2, 25 novembre 2026", "Édition 1, 1er octobre 2026"]
    changes = ["".join(li.itertext()).replace("\u202f", " ").replace("\u00a0", " ") for li in colophon.xpath("//x:ul[@class='edition-changes']/x:li", namespaces=NS)]
    assert changes == ["Révisé depuis l’édition 2 : Le contexte."]
    # the edition 2 files, built without an earlier manifest, say nothing of changes
    assert "depuis l’édition" not in pdf_text(out / "essai-2.pdf").replace("\u202f", " ")
    assert epubcheck_messages(out / "essai-3.epub") == []


# --- incremental ------------------------------------------------------------------------------


def test_a_rebuild_with_nothing_changed_writes_nothing_and_says_so(mini_build) -> None:
    out = mini_build.out
    before = snapshot(out)
    env = {"PYTHONPROFILEIMPORTTIME": "1"}  # -X importtime: which modules the no-op path imports
    result = run_cli("build", str(mini_build.root), "--out", str(out), env=env)
    assert result.returncode == 0
    assert snapshot(out) == before
    assert result.stdout.split() == [str(mini_build.pdf), str(mini_build.epub)]
    lines = [line for line in result.stderr.splitlines() if not line.startswith("import time:")]
    assert lines[-1] == f"dossier: nothing changed since the last build: nothing written to {out}"
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "dossier.manifest" in imported
    assert not {"weasyprint", "ebooklib", "markdown_it", "pydantic", "jinja2", "lxml", "rich", "dossier.load"} & imported


def test_touching_a_file_is_not_a_change_but_editing_one_is(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    out = tmp_path / "out"
    assert run_cli("build", str(root), "--out", str(out), "--format", "pdf", "-q").returncode == 0
    before = snapshot(out)
    chapter = root / "chapters" / "03-annexes.md"
    os.utime(chapter, (time.time() + 60, time.time() + 60))
    touched = run_cli("build", str(root), "--out", str(out), "--format", "pdf")
    assert "nothing changed" in touched.stderr and snapshot(out) == before
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nUne annexe de plus.\n", encoding="utf-8")
    edited = run_cli("build", str(root), "--out", str(out), "--format", "pdf", "--verbose")
    assert edited.returncode == 0, edited.stderr
    assert sha256(out / "essai-2.pdf") != sha256_bytes(before["essai-2.pdf"][0])
    assert "Une annexe de plus" in pdf_text(out / "essai-2.pdf")
    stages = [line.split(":")[1].strip() for line in edited.stderr.splitlines() if line.endswith(" s")]
    assert stages[:4] == ["check", "load", "resolve", "render"] and "total" in stages
    # --format pdf wrote no EPUB, and the manifest records only what was written
    assert sorted(p.name for p in out.iterdir()) == [CACHE, MANIFEST, "essai-2.pdf"]
    forced = run_cli("build", str(root), "--out", str(out), "--format", "pdf", "--force", "--quiet")
    assert (forced.returncode, forced.stderr, forced.stdout.split()) == (0, "", [str(out / "essai-2.pdf")])
    # a new release of the layout engine may break lines elsewhere: the next build is a full one
    upgraded = tmp_path / "upgraded"
    (upgraded / "weasyprint-999.0.dist-info").mkdir(parents=True)
    (upgraded / "weasyprint-999.0.dist-info" / "METADATA").write_text("Name: weasyprint\nVersion: 999.0\n")
    env = {"PYTHONPATH": os.pathsep.join([str(upgraded), str(ROOT)])}
    again = run_cli("build", str(root), "--out", str(out), "--format", "pdf", env=env)
    assert again.returncode == 0 and "nothing changed" not in again.stderr, again.stderr
    assert "nothing changed" in run_cli("build", str(root), "--out", str(out), "--format", "pdf", env=env).stderr


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_epub_stylesheet_is_an_input_of_the_epub_only() -> None:
    from dossier.manifest import digests

    files = {"dossier/chapters/01.md": "a", "layout/default/print.css": "b", "layout/default/epub.css": "c"}
    base = digests(files, {}, [])
    epub_css = digests({**files, "layout/default/epub.css": "changed"}, {}, [])
    assert epub_css["pdf"] == base["pdf"] and epub_css["epub"] != base["epub"]
    print_css = digests({**files, "layout/default/print.css": "changed"}, {}, [])
    assert print_css["pdf"] != base["pdf"] and print_css["epub"] != base["epub"]
    chapter = digests({**files, "dossier/chapters/01.md": "changed"}, {}, [])
    assert chapter["pdf"] != base["pdf"] and chapter["epub"] != base["epub"]
    options = digests(files, {"paper": "A5"}, [])
    assert options["pdf"] != base["pdf"] and options["epub"] != base["epub"]


# --- watch ------------------------------------------------------------------------------------


class Watch:
    """`dossier watch` in a subprocess, its stderr read line by line."""

    def __init__(self, root: Path, out: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "dossier", "watch", str(root), "--out", str(out), "--format", "pdf"]
        self.process = subprocess.Popen(
            [*command, "--debounce", "200"], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 180) -> list[str]:
        """The lines up to the first one holding `text`."""
        deadline = time.monotonic() + timeout
        start = len(self.seen)
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {text!r} in: {self.seen[start:]}") from None
            self.seen.append(line)
            if text in line:
                return self.seen[start:]


def test_watch_rebuilds_on_save_reports_errors_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    out = tmp_path / "out"
    watch = Watch(root, out)
    try:
        assert "dossier: wrote essai-2.pdf" in watch.wait_for("dossier: wrote")
        watch.wait_for("dossier: watching")
        first = sha256(out / "essai-2.pdf")

        chapter = root / "chapters" / "02-contexte.md"
        chapter.write_text(chapter.read_text(encoding="utf-8") + "\nAjout enregistré pendant la veille.\n", encoding="utf-8")
        lines = watch.wait_for("dossier: wrote")
        assert "dossier: changed: chapters/02-contexte.md" in lines
        assert sha256(out / "essai-2.pdf") != first
        assert "Ajout enregistré pendant la veille" in pdf_text(out / "essai-2.pdf")

        chapter.touch()  # a save without a change
        assert watch.wait_for("dossier: nothing changed")

        sources = root / "sources.yaml"
        good = sources.read_text(encoding="utf-8")
        sources.write_text("- id: [unclosed\n", encoding="utf-8")
        lines = watch.wait_for("error[")
        assert any(line.startswith("sources.yaml:2:1: error[yaml-syntax]: invalid YAML") or "sources.yaml:2:1: error" in line for line in lines)
        sources.write_text(good, encoding="utf-8")  # back as at the last build, which the failed one left be
        watch.wait_for("dossier: nothing changed")
        sources.write_text(good + "\n# corrigé\n", encoding="utf-8")
        assert "dossier: wrote essai-2.pdf" in watch.wait_for("dossier: wrote")
    finally:
        watch.process.send_signal(signal.SIGINT)
        try:
            watch.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            watch.process.kill()  # no process left behind for the next tests
            watch.process.wait()
            raise AssertionError(f"Ctrl-C did not stop the watch: {watch.seen[-10:]}") from None
        watch.reader.join(timeout=60)  # every line read, up to the end of the stream
    rest = []
    while not watch.lines.empty():
        rest.append(watch.lines.get())
    # 0 (watch ends normally); 130 or death by SIGINT if the signal was handled again while exiting
    assert watch.process.returncode in (0, 130, -signal.SIGINT)
    assert not any("Traceback" in line for line in watch.seen + rest)
    assert "dossier: stopped watching" in rest
    assert sorted(p.name for p in out.iterdir()) == [CACHE, MANIFEST, "essai-2.pdf"]


# --- progress ---------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_uses_rich_in_a_terminal_and_plain_lines_elsewhere() -> None:
    from dossier.progress import Progress, RichProgress, make_progress

    terminal = _Terminal()
    progress = make_progress("normal", terminal)
    assert isinstance(progress, RichProgress)
    progress("load")
    progress("layout")
    progress.finish()
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue())  # without the terminal's escapes
    assert "✓ reading the dossier\n" in shown and "✓ laying out pages\n" in shown

    plain = io.StringIO()  # not a terminal: the outcome only, the stages with --verbose
    progress = make_progress("normal", plain)
    assert type(progress) is Progress
    progress("load")
    progress.say("wrote essai-2.pdf")
    progress.finish()
    assert plain.getvalue() == "dossier: wrote essai-2.pdf\n"
    verbose = io.StringIO()
    progress = make_progress("verbose", verbose)
    progress("load")
    progress.finish()
    assert re.fullmatch(r"dossier: load: reading the dossier\ndossier: load: \d+\.\d\d s\ndossier: total: \d+\.\d\d s\n", verbose.getvalue())

    quiet = _Terminal()
    progress = make_progress("quiet", quiet)
    progress("load")
    progress.say("done")
    progress.finish()
    assert quiet.getvalue() == ""
