"""Shared fixtures: the bundled dossier is built once per test session and shared."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from dossier.resources import bundled_dossier


@dataclass(frozen=True)
class BundledBuild:
    """The outputs of `dossier build content --out <tmp>`."""

    root: Path
    out: Path
    pdf: Path
    epub: Path


@pytest.fixture(scope="session")
def bundled_build(tmp_path_factory: pytest.TempPathFactory) -> BundledBuild:
    from dossier.cli import main

    out = tmp_path_factory.mktemp("bundled")
    assert main(["build", str(bundled_dossier()), "--out", str(out)]) == 0
    pdf = next(out.glob("*.pdf"))
    epub = next(out.glob("*.epub"))
    return BundledBuild(root=bundled_dossier(), out=out, pdf=pdf, epub=epub)
