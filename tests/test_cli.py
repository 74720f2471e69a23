"""The command-line contract: commands, exit statuses, one-line located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import CACHE, copy_fixture, epubcheck_messages, pdf_text, run_cli


@pytest.mark.parametrize("command", [[], ["build"], ["check"], ["new"], ["import"]])
def test_help_on_every_command(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0 and "usage: dossier" in result.stdout


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("dossier ")


def test_bad_command_line_exits_2() -> None:
    assert run_cli("build", "--format", "docx").returncode == 2
    assert run_cli("frobnicate").returncode == 2


def test_check_reports_unknown_source_with_location(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    chapter = root / "chapters" / "02-contexte.md"
    chapter.write_text(chapter.read_text().replace("[@agence, p. 3]", "[@inconnue, p. 3]"))
    result = run_cli("check", str(root), cwd=root)
    assert result.returncode == 1
    assert result.stderr.splitlines() == ["chapters/02-contexte.md:3:97: error[source-unknown]: unknown source '@inconnue' (not in sources)"]
    assert "Traceback" not in result.stderr


def test_check_passes_on_a_clean_dossier(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    result = run_cli("check", str(root))
    # Where DAISY Ace is not installed, or turned off as the suite does, `check` says so in a warning
    # (see test_epub.py, whose check tests run it).
    lines = [e for e in result.stderr.splitlines() if "DAISY Ace not found" not in e and "DAISY Ace is off" not in e]
    assert (result.returncode, lines) == (0, [])
    assert not (root / "build").exists()


def test_failed_build_leaves_previous_outputs_untouched(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    assert run_cli("build", str(root)).returncode == 0
    outputs = sorted(p for p in (root / "build").iterdir() if p.name != CACHE)
    before = {p.name: p.read_bytes() for p in outputs}
    (root / "sources.yaml").write_text("- id: [unclosed\n")
    result = run_cli("build", str(root), cwd=root)
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("sources.yaml:2:1: error[yaml-syntax]: invalid YAML")
    assert {p.name: p.read_bytes() for p in sorted((root / "build").iterdir()) if p.name != CACHE} == before


def test_new_scaffolds_a_dossier_that_builds(tmp_path: Path) -> None:
    target = tmp_path / "nouveau"
    assert run_cli("new", str(target)).returncode == 0
    result = run_cli("build", cwd=target)
    assert result.returncode == 0, result.stderr
    pdf, epub = (Path(line) for line in result.stdout.split())
    assert pdf.parent == target / "build"
    assert "Une note de la rédaction" in pdf_text(pdf)
    assert epubcheck_messages(epub) == []


def test_new_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("x")
    result = run_cli("new", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().endswith("error[new-exists]: already exists and is not empty: nothing written")
    assert (tmp_path / "file.txt").read_text() == "x"
