"""Spell check (`dossier check`): hunspell + the dossier's word list, warnings located."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dossier.cli import main
from dossier.errors import Report
from dossier.load.config import load_config
from dossier.resources import bundled_dossier
from dossier.scaffold import scaffold
from dossier.validate import spelling
from dossier.validate.spelling import check_spelling, find_dictionary, split_words

needs_hunspell = pytest.mark.skipif(
    shutil.which("hunspell") is None or find_dictionary("fr_FR") is None,
    reason="hunspell and its French dictionary (Debian: hunspell hunspell-fr) are not installed",
)


def _warnings(root: Path) -> list[str]:
    report = Report()
    status = check_spelling(load_config(root), report)
    assert status.ran, status.detail
    return [d.format(root) for d in report.diagnostics]


@pytest.fixture
def small_dossier(tmp_path: Path) -> Path:
    root = scaffold(tmp_path / "d", "fr_FR")
    (root / "spelling.txt").write_text("exemple\nMarkdown\n", encoding="utf-8")
    return root


def test_elisions_are_split_and_urls_skipped() -> None:
    text = "l’OTSC jusqu’à aujourd’hui, voir ptrk.qr-pib.kz et https://x.org/a, le 1er"
    words = [w for w, _ in split_words(text)]
    assert words == ["OTSC", "à", "aujourd’hui", "voir", "et", "le"]


@needs_hunspell
def test_bundled_dossier_has_no_misspelling() -> None:
    assert _warnings(bundled_dossier()) == []


@needs_hunspell
def test_misspelt_word_is_located(small_dossier: Path) -> None:
    chapter = small_dossier / "chapters" / "01-introduction.md"
    lines = chapter.read_text(encoding="utf-8").split("\n")
    lines[3] = "Une phrase avec une fôte, et une autre."
    chapter.write_text("\n".join(lines), encoding="utf-8")
    expected = "chapters/01-introduction.md:4:21: warning[spelling]: unknown word 'fôte'"
    assert _warnings(small_dossier) == [expected]


@needs_hunspell
def test_elided_word_is_checked_without_its_article(small_dossier: Path) -> None:
    chapter = small_dossier / "chapters" / "01-introduction.md"
    with chapter.open("a", encoding="utf-8") as handle:
        handle.write("\nLe rôle de l’OTSC et d’Aktobe.\n")
    line = len(chapter.read_text(encoding="utf-8").splitlines())
    assert _warnings(small_dossier) == [
        f"chapters/01-introduction.md:{line}:14: warning[spelling]: unknown word 'OTSC'",
        f"chapters/01-introduction.md:{line}:24: warning[spelling]: unknown word 'Aktobe'",
    ]
    words = "exemple\nMarkdown\nOTSC\nAktobe\n"
    (small_dossier / "spelling.txt").write_text(words, encoding="utf-8")
    assert _warnings(small_dossier) == []


@needs_hunspell
def test_notes_and_data_files_are_checked(small_dossier: Path) -> None:
    chapter = small_dossier / "chapters" / "01-introduction.md"
    text = chapter.read_text(encoding="utf-8")
    text = text.replace("Une note de la rédaction", "Une note de la rédacsion")
    text += "\n```{chronology}\ndata: data/events.yaml\ncaption: Chronolojie\n```\n"
    chapter.write_text(text, encoding="utf-8")
    (small_dossier / "data").mkdir()
    (small_dossier / "data" / "events.yaml").write_text(
        "- date: 2022-01-02\n  label: Rassemblemant\n  event: Un texte [@exemple].\n",
        encoding="utf-8",
    )
    found = _warnings(small_dossier)
    assert "data/events.yaml:2:10: warning[spelling]: unknown word 'Rassemblemant'" in found
    assert any(w.endswith("warning[spelling]: unknown word 'rédacsion'") for w in found)
    assert any(w.endswith("warning[spelling]: unknown word 'Chronolojie'") for w in found)
    assert len(found) == 3


def test_without_hunspell_the_check_is_skipped(
    small_dossier: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(spelling.shutil, "which", lambda _: None)
    report = Report()
    status = check_spelling(load_config(small_dossier), report)
    assert not status.ran and report.diagnostics == []
    assert main(["check", str(small_dossier), "--verbose"]) == 0
    assert "spell check skipped: hunspell is not installed" in capsys.readouterr().err


@needs_hunspell
def test_check_command_prints_located_warnings(
    small_dossier: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chapter = small_dossier / "chapters" / "02-sources.md"
    text = chapter.read_text(encoding="utf-8") + "\nUn mot mal écrrit.\n"
    chapter.write_text(text, encoding="utf-8")
    assert main(["check", str(small_dossier)]) == 0
    err = capsys.readouterr().err
    assert "02-sources.md:" in err and "warning[spelling]: unknown word 'écrrit'" in err


@needs_hunspell
def test_a_repeated_unknown_word_is_one_line_with_its_count(small_dossier: Path) -> None:
    chapter = small_dossier / "chapters" / "01-introduction.md"
    lines = chapter.read_text(encoding="utf-8").split("\n")
    lines[3] = "Une fôte, puis la même fôte, et encore une fôte."
    chapter.write_text("\n".join(lines), encoding="utf-8")
    assert _warnings(small_dossier) == [
        "chapters/01-introduction.md:4:5: warning[spelling]: unknown word 'fôte' (3 times; add it to spelling.txt if it is right)"
    ]


def test_spell_check_switched_off_in_dossier_toml(small_dossier: Path) -> None:
    toml = small_dossier / "dossier.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[check]\nspelling = false\n", encoding="utf-8")
    report = Report()
    status = check_spelling(load_config(small_dossier), report)
    assert (status.ran, status.detail, report.diagnostics) == (
        False, "spell check off ([check] spelling = false in dossier.toml)", []
    )
