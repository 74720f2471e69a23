"""Bad and hostile input (issue 9): one located line per mistake, nothing read or fetched from
outside the dossier, no hostile markup in an output, bounded builds, previous outputs kept.

Each case copies tests/fixtures/mini, changes one file, and builds into a folder holding the
outputs of a good build (the session's `mini_build`); a failing build must leave them
byte-identical. Builds run as subprocesses with timeouts: a hang fails the test.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from tests.helpers import NS, copy_fixture, epub_documents, epubcheck_messages, pdf_text, run_cli

Mutation = Callable[[Path], object]
LINE = re.compile(r"^[^\s:][^:]*(:\d+(:\d+)?)?: (error|warning): \S.*$")


def replace(relative: str, old: str, new: str) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def write(relative: str, data: bytes | str) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")

    return mutate


def append(relative: str, text: str) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / relative
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return mutate


def bytes_replace(relative: str, old: bytes, new: bytes) -> Mutation:
    def mutate(root: Path) -> None:
        path = root / relative
        data = path.read_bytes()
        assert old in data
        path.write_bytes(data.replace(old, new, 1))

    return mutate


def empty_folder(root: Path) -> None:
    shutil.rmtree(root)
    root.mkdir()


def outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def build_over_good_outputs(tmp_path: Path, mini_build, mutate: Mutation, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Build a changed copy of the mini dossier into a folder holding a good build's outputs;
    the outputs must be exactly as they were unless the build succeeded."""
    root = copy_fixture("mini", tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for built in (mini_build.pdf, mini_build.epub):
        shutil.copy2(built, out / built.name)
    before = outputs(out)
    mutate(root)
    result = run_cli("build", str(root), "--out", str(out), *args, cwd=root)
    assert "Traceback" not in result.stderr
    if result.returncode != 0:
        assert outputs(out) == before, "a failed build changed or left files in --out"
    return result, out


# -- one located line per malformed input ------------------------------------------------------

_CHAPTERS_LIST = 'chapters = [\n    "chapters/01-texte.md",\n    "chapters/02-contexte.md",\n    "chapters/03-annexes.md",\n]'

CASES: dict[str, tuple[Mutation, str]] = {
    "toml-syntax": (
        replace("dossier.toml", 'publisher = "', "publisher = "),
        "dossier.toml:4:13: error: invalid TOML: invalid value",
    ),
    "yaml-syntax": (
        replace("sources.yaml", "  title: Allocution à la nation", "  title: [Allocution"),
        "sources.yaml:4:9: error: invalid YAML: expected ',' or ']', but got ':'",
    ),
    "front-matter-yaml": (
        replace("chapters/01-texte.md", "role: front", "role: [front"),
        "chapters/01-texte.md:2:13: error: invalid YAML: expected ',' or ']', but got '<stream end>'",
    ),
    "unknown-key": (
        replace("dossier.toml", "subjects =", "subjets ="),
        "dossier.toml:9:1: error: unknown key 'subjets' (did you mean 'subjects'?)",
    ),
    "unknown-front-matter-key": (
        replace("chapters/01-texte.md", "role: front", "rôle: front"),
        "chapters/01-texte.md:2:1: error: unknown front matter key 'rôle' (known: title, role, lang)",
    ),
    "missing-key": (
        replace("dossier.toml", "publisher = \"Éditions d'essai\"\n", ""),
        "dossier.toml:1:1: error: missing key 'publisher'",
    ),
    "wrong-type": (
        replace("dossier.toml", "number = 2", 'number = "2"'),
        "dossier.toml:19:1: error: 'edition.number': expected an integer",
    ),
    "wrong-type-choice": (
        append("dossier.toml", '\n[layout]\npaper = "A3"\n'),
        "dossier.toml:29:1: error: 'layout.paper': 'A3' is not one of 'A4', 'A5' or 'Letter'",
    ),
    "layout-path": (
        append("dossier.toml", '\n[layout]\nname = "../../etc"\n'),
        "dossier.toml:29:1: error: unknown layout '../../etc' (known: default)",
    ),
    "chapter-listed-missing": (
        lambda root: (root / "chapters/02-contexte.md").unlink(),
        "dossier.toml:13:5: error: chapter 'chapters/02-contexte.md' is listed but does not exist",
    ),
    "chapter-outside": (
        replace("dossier.toml", '"chapters/03-annexes.md",', '"chapters/03-annexes.md", "../secret.md",'),
        "dossier.toml:14:31: error: chapter '../secret.md' is outside the dossier",
    ),
    "chapter-not-listed": (
        write("chapters/04-brouillon.md", "# Brouillon\n"),
        "chapters/04-brouillon.md: error: chapter file not listed in dossier.toml 'chapters' (add it, or move it out of chapters/)",
    ),
    "unknown-citation": (
        replace("chapters/02-contexte.md", "[@agence, p. 3]", "[@agnce, p. 3]"),
        "chapters/02-contexte.md:3:96: error: unknown source '@agnce' (not in sources)",
    ),
    "undefined-note": (
        replace("chapters/01-texte.md", "2022[^adresse]. Il", "2022[^adresse]. Il[^autre]"),
        "chapters/01-texte.md:7:71: error: note '[^autre]' is called but never defined",
    ),
    "duplicate-note": (
        replace("chapters/01-texte.md", "[^adresse]: Le", "[^adresse]: Doublon.\n\n[^adresse]: Le"),
        "chapters/01-texte.md:14:1: error: note '[^adresse]' is defined twice (first at line 12)",
    ),
    "duplicate-source": (
        replace("sources.yaml", "- id: agence", "- id: discours"),
        "sources.yaml:10:3: error: duplicate source id 'discours' (first defined at line 1)",
    ),
    "impossible-date-yaml": (
        replace("sources.yaml", "issued: 2022-01-07", "issued: 2022-02-30"),
        "sources.yaml:6:11: error: invalid YAML: impossible date '2022-02-30' (day is out of range for month)",
    ),
    "impossible-date-toml": (
        replace("dossier.toml", "date = 2022-01-07", "date = 2022-02-30"),
        "dossier.toml:10:8: error: impossible date '2022-02-30'",
    ),
    "impossible-date-data": (
        replace("data/chronology.yaml", "date: 2022-01-02", "date: 2022-02-30"),
        "data/chronology.yaml:4:9: error: invalid YAML: impossible date '2022-02-30' (day is out of range for month)",
    ),
    "unknown-locale": (
        replace("dossier.toml", 'locale = "fr_FR"', 'locale = "xx_YY"'),
        "dossier.toml:5:1: error: unknown locale 'xx_YY'",
    ),
    "missing-image": (
        lambda root: (root / "images/schema.png").unlink(),
        "chapters/02-contexte.md:15:1: error: image 'images/schema.png' not found",
    ),
    "not-the-image-it-claims": (
        write("images/schema.png", b"GIF89a\x01\x00\x01\x00 not a PNG at all"),
        "chapters/02-contexte.md:15:1: error: 'images/schema.png' is not a PNG image",
    ),
    "text-named-png": (
        write("images/schema.png", "Ceci n'est pas une image.\n"),
        "chapters/02-contexte.md:15:1: error: 'images/schema.png' is not a PNG image",
    ),
    "empty-dossier-folder": (empty_folder, "dossier.toml: error: no dossier.toml here: not a dossier folder"),
    "empty-dossier-toml": (
        write("dossier.toml", "# rien encore\n"),
        "dossier.toml: error: dossier.toml is empty: it needs at least title, authors, publisher, locale, "
        "identifier, chapters and [edition] (`dossier new` writes one)",
    ),
    "no-chapters": (
        replace("dossier.toml", _CHAPTERS_LIST, "chapters = []"),
        "dossier.toml:11:1: error: 'chapters': must not be empty",
    ),
    "empty-chapter": (
        write("chapters/02-contexte.md", ""),
        "chapters/02-contexte.md:1:1: error: chapter without a title: start it with a '# ' heading",
    ),
    "not-utf8": (
        bytes_replace("chapters/01-texte.md", "déclaré".encode(), b"d\xe9clar\xe9"),
        "chapters/01-texte.md:7:75: error: not UTF-8: byte 0xe9 at offset 110; save the file as UTF-8",
    ),
    "control-character-in-yaml": (
        replace("sources.yaml", "Allocution à la nation", "Allocution\x01 à la nation"),
        "sources.yaml:3:20: error: character U+0001 is not allowed in YAML: remove it",
    ),
    "control-character-in-toml": (
        replace("dossier.toml", "Dossier d'essai", "Dossier\x1b d'essai"),
        "dossier.toml:1:17: error: invalid TOML: illegal character '\\x1b'",
    ),
    "huge-file": (
        write("chapters/02-contexte.md", ("# Trop long\n\n" + ("Une phrase assez ordinaire. " * 40 + "\n\n") * 4500)[:5_000_001]),
        "chapters/02-contexte.md: error: file of 5,000,001 bytes: the limit is 5,000,000",
    ),
    "huge-paragraph": (
        append("chapters/02-contexte.md", "\n" + "mot " * 250_000 + "\n"),
        "chapters/02-contexte.md:26:1: error: paragraph of 999,999 characters: the limit is 200,000; "
        "separate paragraphs with a blank line",
    ),
    "too-many-notes": (
        append(
            "chapters/02-contexte.md",
            "\n" + "".join(f"Phrase {i}[^n{i}]. " for i in range(5000)) + "\n\n"
            + "".join(f"[^n{i}]: Note {i}.\n" for i in range(5000)),
        ),
        "chapters/02-contexte.md:26:18658: error: more than 1,000 notes and citations: the page layout of so many "
        "footnotes takes too long; split the dossier",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_input_is_one_located_line(case: str, tmp_path: Path, mini_build) -> None:
    mutate, expected = CASES[case]
    result, _ = build_over_good_outputs(tmp_path, mini_build, mutate)
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if ": error: " in line or not LINE.match(line)]
    assert errors == [expected]
    assert result.stdout == ""


def test_bom_and_crlf_are_accepted_silently(tmp_path: Path, mini_build) -> None:
    def bom_crlf(root: Path) -> None:
        for path in [*root.glob("**/*.md"), *root.glob("**/*.yaml"), root / "dossier.toml", root / "spelling.txt"]:
            path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))

    result, out = build_over_good_outputs(tmp_path, mini_build, bom_crlf)
    assert result.returncode == 0, result.stderr
    assert result.stderr == mini_build.stderr  # no word about the BOM or the line endings
    # the same text, so the same books: the EPUB byte for byte; the PDF names its images after
    # their path (WeasyPrint), which differs here, so its text and pages are compared
    assert (out / mini_build.epub.name).read_bytes() == mini_build.epub.read_bytes()
    assert pdf_text(out / mini_build.pdf.name) == pdf_text(mini_build.pdf)


def test_control_characters_are_removed_with_located_warnings(tmp_path: Path, mini_build) -> None:
    pasted = replace("chapters/02-contexte.md", "des habitants", "des\x0b habit\x01ants\x7f\x1b")
    result, out = build_over_good_outputs(tmp_path, mini_build, pasted)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "control character" in line]
    assert warnings == [
        "chapters/02-contexte.md:3:18: warning: control character U+000B removed",
        "chapters/02-contexte.md:3:25: warning: control character U+0001 removed",
        "chapters/02-contexte.md:3:30: warning: control character U+007F removed",
        "chapters/02-contexte.md:3:31: warning: control character U+001B removed",
    ]
    epub = next(out.glob("*.epub"))
    assert epubcheck_messages(epub) == []
    text = "".join(epub_documents(epub)["EPUB/ch2.xhtml"].itertext())
    assert "des habitants" in text and not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    assert "des habitants" in pdf_text(next(out.glob("*.pdf")))
