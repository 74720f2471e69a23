"""The locale as a reader sees it, read back from the built PDF and EPUB.

The bundled dossier (French): no ordinary space, and no missing one, before ; : ! ? », none
after «, no straight quotes or `...` in prose, every date in French long form with `1er`.
A dossier in en_GB (tests/fixtures/en): English dates and layout words only, English quotes,
`lang` on the passages in French, EPUBCheck clean.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from lxml import html

from dossier.errors import Report
from dossier.l10n.i18n import catalog_path
from dossier.load import load_dossier
from dossier.render import render
from dossier.resolve import resolve
from tests.conftest import Built
from tests.helpers import FIXTURES, NS, epub_documents, epubcheck_messages, pdf_text
from tests.textscan import (
    FRENCH_DATES,
    FRENCH_SPACING,
    MONTHS_FR,
    WEEKDAYS_FR,
    epub_prose,
    findings,
    pdf_glyph_text,
    set_aside_passages,
    without_passages,
)

# --- the bundled dossier, in French ---------------------------------------------------------


@pytest.fixture(scope="module")
def bundled_pdf_text(bundled_build: Built) -> str:
    return pdf_glyph_text(bundled_build.pdf)


def test_bundled_pdf_spacing_quotes_and_dots(bundled_build: Built, bundled_pdf_text: str) -> None:
    text = without_passages(bundled_pdf_text, set_aside_passages(bundled_build.epub, "fr"))
    assert findings(text, FRENCH_SPACING) == []


def test_bundled_epub_spacing_quotes_and_dots(bundled_build: Built) -> None:
    found = [f"{name}: {f}" for name, text in epub_prose(bundled_build.epub, "fr").items() for f in findings(text, FRENCH_SPACING)]
    assert found == []


def test_bundled_dates_in_french_long_form(bundled_build: Built, bundled_pdf_text: str) -> None:
    text = without_passages(bundled_pdf_text, set_aside_passages(bundled_build.epub, "fr", titles=True))
    assert findings(text, FRENCH_DATES) == []
    epub = [f"{n}: {f}" for n, t in epub_prose(bundled_build.epub, "fr", titles=True).items() for f in findings(t, FRENCH_DATES)]
    assert epub == []
    # dates are there to be checked, and a first of the month reads 1er (letters raised in print)
    assert len(re.findall(rf"\b\d{{1,2}}(?:er)?[\s\u00a0\u202f]+(?:{MONTHS_FR})[\s\u00a0\u202f]+\d{{4}}", text)) > 50
    assert re.search(rf"\b1er[\s\u00a0\u202f]+(?:au|{MONTHS_FR})", text)
    assert re.search(rf"(?:{WEEKDAYS_FR}) 7\u00a0janvier 2022", text)  # the cover's full form


# --- a dossier in British English -------------------------------------------------------------


def _french_layout_words() -> list[str]:
    """The French catalog's words that English does not share (`consulté le`, `Sommaire`, ...)."""
    with catalog_path("fr").open("rb") as po:
        catalog = read_po(po)
    words = set()
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            if message.id and string not in ids:
                words.update(p.strip(" ,.[]") for p in re.split(r"%\(\w+\)s", string))
    return sorted(w for w in words if len(w) >= 4 and w not in {"Date", "Notes", "Dossier"})


def _en_texts(built: Built) -> dict[str, str]:
    """Everything a reader of the English edition sees: PDF, EPUB documents, EPUB metadata."""
    texts = {"pdf": pdf_text(built.pdf)}
    for name, root in epub_documents(built.epub).items():
        texts[name] = " ".join(root.itertext())
    with zipfile.ZipFile(built.epub) as archive:
        texts["opf"] = archive.read("EPUB/content.opf").decode()
    return {name: re.sub(r"\s+", " ", text) for name, text in texts.items()}


def test_en_has_no_french_layout_word(en_build: Built) -> None:
    words = _french_layout_words()
    assert "consulté le" in words and "Sommaire" in words
    texts = _en_texts(en_build)
    found = [(name, w) for name, text in texts.items() for w in words if re.search(rf"(?<!\w){re.escape(w.lower())}(?!\w)", text.lower())]
    assert found == []
    months = [(n, m) for n, t in texts.items() for m in re.findall(rf"\b(?:{MONTHS_FR}|{WEEKDAYS_FR})\b", t)]
    assert months == []


def test_en_dates_and_words_are_english(en_build: Built) -> None:
    pdf = _en_texts(en_build)["pdf"]
    for expected in (
        "Saturday, 1 January 2022",  # the cover, full form
        "Edition 2, 1 November 2026",  # title page, colophon
        "accessed 1 November 2026",  # a note's access date
        "13–19 January 2022",  # a span in the chronology
        "1 January 2022",  # no `1er` in English
        "March 2022",  # a source dated to the month
        "Contents",
        "Official documents".upper(),
        "Ibid.",
    ):
        assert expected in pdf, expected
    assert "1er" not in pdf


def test_en_typography_is_english(en_build: Built) -> None:
    texts = epub_prose(en_build.epub, "en")
    chapter = next(t for t in texts.values() if "The president addressed" in t)
    assert "He said: “law and order are the main guarantees” … and “the ‘state of emergency’ stays”." in chapter
    assert not re.search("[«»\u202f]", "".join(texts.values()))


def test_en_epub_passes_epubcheck(en_build: Built) -> None:
    assert epubcheck_messages(en_build.epub) == []


def test_en_languages_marked(en_build: Built) -> None:
    """The documents say en-GB; a source in French says fr, title and journal, in both editions."""
    for root in epub_documents(en_build.epub).values():
        assert root.get("lang") == "en-GB"
    chapters = [r for r in epub_documents(en_build.epub).values() if r.xpath("//*[@lang='fr']")]
    marked = {e.text for r in chapters for e in r.xpath("//x:*[@lang='fr']", namespaces=NS)}
    assert {"Des manifestations éclatent", "Journal d’essai"} <= marked
    report = Report()
    tree = html.fromstring(render(resolve(load_dossier(FIXTURES / "en", report), report)).print_html)
    assert tree.get("lang") == "en-GB"
    assert {"Des manifestations éclatent", "Journal d’essai"} <= {e.text for e in tree.xpath("//*[@lang='fr']")}


def test_print_css_hyphenates_by_language() -> None:
    """Hyphenation follows each element's `lang` (WeasyPrint: Pyphen's patterns for it)."""
    css = (Path(__file__).parent.parent / "layouts" / "default" / "print.css").read_text()
    assert re.search(r"hyphens:\s*auto", css)
