"""Session fixtures: each dossier is built once per test session and shared.

Builds run DAISY Ace only where a test needs its verdict (the bundled dossier's, which then
claims conformance): elsewhere DOSSIER_ACE=off spares each build Ace's 20–40 s, and its EPUB
simply makes no claim.
"""

from __future__ import annotations

import fcntl
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from dossier.resources import bundled_dossier
from tests.helpers import FIXTURES, ROOT, run_cli


@dataclass
class Built:
    """The outputs of `dossier build ROOT --out OUT`, and what the command printed."""

    root: Path
    pdf: Path
    epub: Path
    stdout: str
    stderr: str

    @property
    def out(self) -> Path:
        return self.pdf.parent


# What DOSSIER_ACE was before the suite turned Ace off for its builds ("" when unset: Ace found on PATH).
ACE = os.environ.get("DOSSIER_ACE", "")
os.environ["DOSSIER_ACE"] = "off"
# The suite's builds skip the build's own EPUBCheck run too: the tests run EPUBCheck on the EPUBs
# they read (tests.helpers.epubcheck_messages), once each; the builds that must run it (a claim
# of conformance, the build that fails on an EPUB EPUBCheck rejects) say so with these.
os.environ["DOSSIER_EPUBCHECK"] = "off"
WITH_EPUBCHECK = {"DOSSIER_EPUBCHECK": ""}
WITH_ACE = {"DOSSIER_ACE": "" if ACE.strip().lower() in ("off", "0", "no") else ACE, **WITH_EPUBCHECK}


T = TypeVar("T")


def once(factory: pytest.TempPathFactory, name: str, make: Callable[[], T]) -> T:
    """What `make` returns, made once for the whole session rather than once per xdist worker:
    the first worker to ask makes it (the others wait on a lock) and keeps it pickled in the
    session's common temporary folder, where the outputs it names live too. Builds shared this
    way are read, never changed, by the tests. Outside xdist, `make()`."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return make()
    shared = factory.getbasetemp().parent / "shared"
    shared.mkdir(exist_ok=True)
    kept = shared / f"{name}.pickle"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the worker dies
        if kept.exists():
            return pickle.loads(kept.read_bytes())
        made = make()
        part = kept.with_suffix(".part")
        part.write_bytes(pickle.dumps(made))
        part.replace(kept)
        return made


def _build(root: Path, out: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> Built:
    """`dossier build ROOT --out OUT`; with `cwd`, `dossier build --out OUT` run there (no ROOT)."""
    where = () if cwd else (str(root),)
    result = run_cli("build", *where, "--out", str(out), env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    pdf = next(out.glob("*.pdf"))
    epub = next(out.glob("*.epub"))
    return Built(root, pdf, epub, result.stdout, result.stderr)


@pytest.fixture(scope="session")
def mini_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The small fixture dossier (tests/fixtures/mini), which exercises every stage."""
    return once(tmp_path_factory, "mini_build", lambda: _build(FIXTURES / "mini", tmp_path_factory.mktemp("mini")))


@pytest.fixture(scope="session")
def bundled_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The bundled dossier (content/), as the README's first command makes it: `dossier build`
    in the checkout (which holds Markdown but no dossier.toml), with DAISY Ace when installed."""
    return once(tmp_path_factory, "bundled_build", lambda: _build(bundled_dossier(), tmp_path_factory.mktemp("bundled"), WITH_ACE, cwd=ROOT))


@pytest.fixture(scope="session")
def en_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A small dossier in British English (tests/fixtures/en): the locale is not hard-coded."""
    return once(tmp_path_factory, "en_build", lambda: _build(FIXTURES / "en", tmp_path_factory.mktemp("en")))


@pytest.fixture(scope="session")
def paper_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """An English working paper written for Pandoc (tests/fixtures/paper): one file, no `# `."""
    return once(tmp_path_factory, "paper_build", lambda: _build(FIXTURES / "paper", tmp_path_factory.mktemp("paper")))


@pytest.fixture(scope="session")
def memoire_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A French mémoire in Pandoc Markdown (tests/fixtures/memoire): title block, divs, definitions."""
    return once(tmp_path_factory, "memoire_build", lambda: _build(FIXTURES / "memoire", tmp_path_factory.mktemp("memoire")))


@pytest.fixture(scope="session")
def book_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A one-file book (tests/fixtures/book): several `# ` chapters in one Markdown file."""
    return once(tmp_path_factory, "book_build", lambda: _build(FIXTURES / "book", tmp_path_factory.mktemp("book")))
