"""Load stage: dossier.toml, chapters, sources; every problem located."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dossier.errors import DossierError, Location, Report
from dossier.load import load_dossier
from dossier.load.config import load_config
from dossier.load.markdown import parse_document
from dossier.load.sources import load_sources
from dossier.nodes import Citation, Header, Text, plain_text
from tests.helpers import FIXTURES, copy_fixture


def _errors(exc: pytest.ExceptionInfo[DossierError], base: Path) -> list[str]:
    return [d.format(base) for d in exc.value.report.errors]


def test_config_reads_the_fixture() -> None:
    config = load_config(FIXTURES / "mini")
    assert config.title == "Dossier d'essai"
    assert config.language == "fr-FR"
    assert config.edition.number == 2
    assert [e.number for e in config.history] == [1]
    assert config.chapters[0] == "chapters/01-texte.md"


def _config_error(tmp_path: Path, old: str, new: str) -> list[str]:
    root = copy_fixture("mini", tmp_path)
    path = root / "dossier.toml"
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(DossierError) as exc:
        load_config(root)
    return _errors(exc, root)


def test_unknown_key_names_line_and_suggests(tmp_path: Path) -> None:
    assert _config_error(tmp_path, "subtitle =", "subtitel =") == [
        "dossier.toml:2:1: error[config-unknown-key]: unknown key 'subtitel' (did you mean 'subtitle'?)"
    ]


def test_missing_key_in_a_table(tmp_path: Path) -> None:
    assert _config_error(tmp_path, 'summary = "Ajout du contexte."\n', "") == [
        "dossier.toml:18:1: error[config-missing-key]: missing key 'summary' in [edition]"
    ]


def test_wrong_type(tmp_path: Path) -> None:
    assert _config_error(tmp_path, "number = 2", 'number = "deux"') == [
        "dossier.toml:19:1: error[config-type]: 'edition.number': expected an integer"
    ]


def test_unknown_locale(tmp_path: Path) -> None:
    assert _config_error(tmp_path, 'locale = "fr_FR"', 'locale = "xx_YY"') == [
        "dossier.toml:5:1: error[config-locale]: unknown locale 'xx_YY'"
    ]


def test_toml_syntax_error(tmp_path: Path) -> None:
    errors = _config_error(tmp_path, 'title = "Dossier', 'title = Dossier')
    assert len(errors) == 1 and errors[0].startswith("dossier.toml:1:9: error[config-syntax]: invalid TOML")


def test_impossible_toml_date(tmp_path: Path) -> None:
    errors = _config_error(tmp_path, "date = 2026-11-25", "date = 2026-02-30")
    assert len(errors) == 1 and errors[0].startswith("dossier.toml:20:")


def _cites(text: str, language: str = "fr") -> list[tuple] | None:
    """The citations of a one-paragraph text: (mode, id, prefix, label, locator, suffix) per item."""
    para = parse_document(Path("c.md"), text, language).blocks[0]
    found = [n for n in para.content if isinstance(n, Citation)]
    if not found:
        return None
    return [
        (i.mode, i.id, plain_text(i.prefix), i.label, i.locator, plain_text(i.suffix)) for c in found for i in c.items
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[@a]", [("normal", "a", "", None, None, "")]),
        ("[@a, p. 12]", [("normal", "a", "", "page", "12", "")]),
        ("[@a p. 12]", [("normal", "a", "", "page", "12", "")]),
        ("[@a, pp. 33-35, 38 and *passim*]", [("normal", "a", "", "page", "33-35, 38", "and passim")]),
        ("[@a, chap. 3]", [("normal", "a", "", "chapter", "3", "")]),
        ("[@a, chapitre 3]", [("normal", "a", "", "chapter", "3", "")]),  # the dossier's language
        ("[@a, art. 4]", [("normal", "a", "", "article-locator", "4", "")]),
        ("[@a, § 2]", [("normal", "a", "", "section", "2", "")]),
        ("[@a, 12]", [("normal", "a", "", "page", "12", "")]),  # a bare number is a page
        ("[@a, passim]", [("normal", "a", "", None, None, ", passim")]),
        ("[see *also* @a, p. 12; also @b]", [("normal", "a", "see also", "page", "12", ""), ("normal", "b", "also", None, None, "")]),
        ("[-@a, p. 4]", [("suppress-author", "a", "", "page", "4", "")]),
        ("Comme le montre @a, rien.", [("author-in-text", "a", "", None, None, "")]),
        ("Comme @a [p. 30] le dit.", [("author-in-text", "a", "", "page", "30", "")]),
        ("[@{key.with.dots}]", [("normal", "key.with.dots", "", None, None, "")]),
        ("[@https://example.org/item/1]", [("normal", "https://example.org/item/1", "", None, None, "")]),
        ("[@24kg-armenia; @doi:10.1/x]", [("normal", "24kg-armenia", "", None, None, ""), ("normal", "doi:10.1/x", "", None, None, "")]),
        ("écrire à me@example.org", None),
        ("[voir le texte]", None),
        ("[@handle](https://example.org)", None),
    ],
)
def test_citation_syntax(text: str, expected: list[tuple] | None) -> None:
    assert _cites(text) == expected


def test_markdown_becomes_located_nodes() -> None:
    path = Path("ch.md")
    text = "# Titre\n\n> Un *mot*[@a] et\n> une note[^n] <b>x</b>.\n\n[^n]: Texte.\n"
    document = parse_document(path, text)
    header, quote = document.blocks
    assert isinstance(header, Header) and header.level == 1 and header.content == (Text("Titre", Location(path, 1, 3)),)
    para = quote.content[0]
    kinds = [type(n).__name__ for n in para.content]
    assert kinds == ["Text", "Emph", "Citation", "Text", "SoftBreak", "Text", "NoteRef", "Text", "RawInline", "Text", "RawInline", "Text"]
    emph, citation, note_ref, raw = para.content[1], para.content[2], para.content[6], para.content[8]
    assert emph.location == Location(path, 3, 6) and emph.content[0] == Text("mot", Location(path, 3, 7))
    assert citation.location == Location(path, 3, 11) and citation.items[0].id == "a"
    assert note_ref.label == "n" and note_ref.location == Location(path, 4, 11)
    assert raw.html == "<b>" and raw.location == Location(path, 4, 16)
    assert [(n.label, n.location.line) for n in document.notes] == [("n", 6)]


def test_sources_yaml_and_json_are_the_same(tmp_path: Path) -> None:
    report = Report()
    from_yaml = load_sources(FIXTURES / "mini" / "sources.yaml", report)
    import yaml

    items = yaml.safe_load((FIXTURES / "mini" / "sources.yaml").read_text())
    for item in items:
        for key in ("issued", "accessed"):
            if hasattr(item.get(key), "isoformat"):
                item[key] = item[key].isoformat()
    json_path = tmp_path / "sources.json"
    json_path.write_text(json.dumps(items, indent="\t", ensure_ascii=False))
    from_json = load_sources(json_path, report)
    assert not report.errors
    assert {k: (v.type, v.fields) for k, v in from_yaml.items()} == {k: (v.type, v.fields) for k, v in from_json.items()}
    line = from_json["agence"].location.line
    assert json_path.read_text().splitlines()[line - 1 : line + 1][-1].strip() == '"id": "agence",'


def test_duplicate_source_and_bad_date(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "- id: a\n  type: book\n  title: A\n  issued: 2022-02-30\n- id: a\n  type: book\n  title: B\n"
    )
    report = Report()
    with pytest.raises(DossierError) as exc:
        load_sources(path, report)
        report.raise_if_errors()
    assert _errors(exc, tmp_path) == ["sources.yaml:4:11: error[yaml-syntax]: invalid YAML: impossible date '2022-02-30' (day is out of range for month)"]


def test_web_source_without_access_date_warns(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("- id: w\n  type: webpage\n  title: W\n  URL: https://example.org/w\n")
    report = Report()
    load_sources(path, report)
    assert [d.format(tmp_path) for d in report.diagnostics] == [
        "sources.yaml:1:3: warning[source-accessed]: web source 'w' has no access date ('accessed')"
    ]


def test_not_utf8_names_the_byte(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    chapter = root / "chapters" / "02-contexte.md"
    chapter.write_bytes(chapter.read_bytes().replace(b"Le contexte", "Le contexte caf\xe9".encode("latin-1")))
    with pytest.raises(DossierError) as exc:
        load_dossier(root, Report())
    assert _errors(exc, root) == [
        "chapters/02-contexte.md:1:18: error[encoding]: not UTF-8: byte 0xe9 at offset 17; save the file as UTF-8"
    ]


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    chapter = root / "chapters" / "02-contexte.md"
    chapter.write_bytes(b"\xef\xbb\xbf" + chapter.read_bytes().replace(b"\n", b"\r\n"))
    dossier = load_dossier(root, Report())
    assert dossier.chapters[1].title == "Le contexte"


def test_listed_chapter_missing_and_unlisted_file(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    (root / "chapters" / "02-contexte.md").rename(root / "chapters" / "02-autre.md")
    with pytest.raises(DossierError) as exc:
        load_dossier(root, Report())
    assert _errors(exc, root) == [
        "dossier.toml:13:5: error[chapter-missing]: chapter 'chapters/02-contexte.md' is listed but does not exist",
        "chapters/02-autre.md: error[chapter-unlisted]: chapter file not listed in dossier.toml 'chapters' (add it, or move it out of chapters/)",
    ]
