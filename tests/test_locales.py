"""Every locale, not only French: `dossier new --locale` in German, British English and Russian,
built and read back (PDF and EPUB text, OPF metadata) — each in its own words and note usage,
with no layout word from another catalog — and a locale without a catalog warned about once."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from lxml import etree

from dossier.errors import Report
from dossier.l10n.i18n import catalog_languages, catalog_path
from dossier.load import load_dossier
from dossier.resources import assets_dir
from tests.conftest import Built, once
from tests.helpers import NS, epub_documents, epubcheck_messages, pdf_text, run_cli

LOCALES = ("de_DE", "en_GB", "ru_RU")
S = "\u00a0"


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    """`dossier new --locale L` then `dossier build`, for each locale."""
    return once(tmp_path_factory, "test_locales.editions", lambda: _editions(tmp_path_factory))


def _editions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    built = {}
    for locale in LOCALES:
        root = tmp_path_factory.mktemp(locale) / "dossier"
        assert run_cli("new", str(root), "--locale", locale).returncode == 0
        result = run_cli("build", str(root), "--out", str(root / "out"), cwd=root)
        assert result.returncode == 0, result.stderr
        out = root / "out"
        built[locale] = Built(root, next(out.glob("*.pdf")), next(out.glob("*.epub")), result.stdout, result.stderr)
    return built


def _texts(built: Built) -> dict[str, str]:
    """What a reader of the edition sees: the PDF's text, each EPUB document's, the OPF."""
    texts = {"pdf": pdf_text(built.pdf)}
    for name, root in epub_documents(built.epub).items():
        texts[name] = " ".join(root.itertext())
    with zipfile.ZipFile(built.epub) as archive:
        opf = etree.fromstring(archive.read("EPUB/content.opf"))
    # what reading systems show of the metadata: Dublin Core and the accessibility summary
    # (not the machine-readable vocabulary: `textual`, `WCAG 2.1 Level AA`)
    shown = opf.xpath("//dc:*|//opf:meta[@property='schema:accessibilitySummary']", namespaces=NS)
    texts["opf"] = " ".join(e.text or "" for e in shown)
    return {name: re.sub(r"[ \t\r\n]+", " ", text) for name, text in texts.items()}


def _notes(built: Built) -> str:
    root = next(r for n, r in epub_documents(built.epub).items() if n.endswith("ch1.xhtml"))
    parts = [*root.iterfind(".//x:p", NS), *root.iterfind(".//x:div[@class='note']", NS)]
    return "\n".join(re.sub(r"[ \t\r\n]+", " ", "".join(e.itertext())).strip() for e in parts)


def _words(lang: str) -> set[str]:
    """The words of a catalog's translations (English: its message ids)."""
    with catalog_path(lang).open("rb") as po:
        catalog = read_po(po)
    words: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            words.update(w.casefold() for w in re.findall(r"[^\W\d_]{4,}", re.sub(r"%\(\w+\)s", " ", text)))
    return words


def _own_words(built: Built, lang: str) -> set[str]:
    """The words the edition may share with other catalogs: its own catalog's, and the user's text
    (the scaffold's chapters, sources and dossier.toml, file names included)."""
    own = _words(lang)
    for path in built.root.rglob("*"):
        if path.is_file() and path.suffix in (".md", ".yaml", ".toml") and "out" not in path.parts:
            own.update(w.casefold() for w in re.findall(r"[^\W\d_]{4,}", path.read_text(encoding="utf-8")))
    return own


@pytest.mark.parametrize("locale", LOCALES)
def test_no_layout_word_from_another_language(editions: dict[str, Built], locale: str) -> None:
    built, lang = editions[locale], locale.split("_")[0]
    others = set().union(*(_words(other) for other in catalog_languages() if other != lang)) - _own_words(built, lang)
    assert {"anmerkungen", "notes", "consulté", "accessed", "обращения", "presse", "edition", "ausgabe"} & others
    found = sorted({
        (name, word) for name, text in _texts(built).items()
        for word in re.findall(r"[^\W\d_]{4,}", text) if word.casefold() in others
    })
    assert found == []


EXPECTED = {
    # The locators are the writer's (`[@beispiel, S. 12-14]`): their space is as written, since the
    # typography pass knows English and French abbreviations only.
    # German: S. with an en dash, Hrsg., abgerufen am, Ebd. in roman, a short title without a. a. O.,
    # the call after the punctuation.
    "de_DE": [
        "(Anna Schmidt (Hrsg.), Ein Beispielbuch, Berlin, Beispielverlag, 2020, S. 2).",
        "Ebd., S. 12–14.", "Ebd., S. 15.",
        "„Eine Beispielseite“, example.org, o. J., https://example.org/ [abgerufen am ",
        "A. Schmidt (Hrsg.), Ein Beispielbuch, S. 20.",
        "eckigen Klammern.2",
    ],
    "en_GB": [
        f"(Jane Smith (ed.), An Example Book, London, Example Press, 2020, p.{S}2).",
        f"Ibid., pp.{S}12–14.", f"Ibid., p.{S}15.",
        "“An Example Page”, example.org, n.d., https://example.org/ [accessed ",
        f"J. Smith (ed.), An Example Book, p.{S}20.",  # no op. cit.
        "cited in brackets.2",
    ],
    # ГОСТ Р 7.0.5–2008: Фамилия И. О.; Там же. С.; Указ. соч.; URL: … (дата обращения: дд.мм.гггг).
    "ru_RU": [
        f"(Иванова{S}А.{S}С. Пример книги. Москва: Пример, 2020. С. 2).",
        "Там же. С. 12–14.", "Там же. С. 15.",
        "Пример страницы // example.org. б. г. URL: https://example.org/ (дата обращения: ",
        f"Иванова{S}А.{S}С. Указ. соч. С. 20.",
        "в квадратных скобках2.",  # Russian keeps the call before the punctuation
    ],
}


@pytest.mark.parametrize("locale", LOCALES)
def test_notes_follow_the_locale(editions: dict[str, Built], locale: str) -> None:
    built = editions[locale]
    chapter = _notes(built)
    for expected in EXPECTED[locale]:
        assert expected in chapter, expected
    pdf = re.sub(r"[\s\u00ad]", "", re.sub(r"\u2010\s*\n", "", pdf_text(built.pdf)))  # words hyphenated at line ends
    for expected in EXPECTED[locale][:3]:
        assert re.sub(r"\s", "", expected) in pdf, expected
    assert built.stderr == ""


@pytest.mark.parametrize("locale", LOCALES)
def test_locale_editions_pass_epubcheck(editions: dict[str, Built], locale: str) -> None:
    assert epubcheck_messages(editions[locale].epub) == []


def test_a_locale_without_catalog_builds_with_one_warning(tmp_path: Path) -> None:
    root = tmp_path / "it"
    assert run_cli("new", str(root), "--locale", "it_IT").returncode == 0
    assert (root / "chapters" / "01-introduction.md").is_file()  # the English scaffold
    report = Report()
    load_dossier(root, report)
    assert [d.format(root) for d in report.diagnostics] == [
        "dossier.toml:5:1: warning[locale-catalog]: no layout words for locale 'it_IT': the layout's words and the notes' style "
        "are English (dates and numbers are it_IT's; catalogs: de, en, fr, ru)"
    ]


def test_every_catalog_has_a_scaffold_or_the_english_one() -> None:
    # a folder per language; the house-layout template beside them is not a language
    # a folder per language; beside them, the house layout's template and `dossier import`'s folder
    languages = [p.name for p in (assets_dir() / "scaffold").iterdir() if p.is_dir() and p.name != "import"]
    assert sorted(languages) == catalog_languages()
