"""The bundled dossier (content/) against issue 3's 'done when', read back from its PDF and EPUB.

The dossier is built once per session (the `bundled_build` fixture); these tests only read it.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pdfplumber
import pytest
from lxml import etree
from pypdf import PdfReader

from dossier.errors import Report
from dossier.load import load_dossier
from dossier.render.cite import group_of
from dossier.resolve import resolve
from dossier.resources import bundled_dossier
from tests.conftest import Built
from tests.helpers import NS, ROOT, epub_documents, epub_file, epubcheck_messages

X = f"{{{NS['x']}}}"
CONTEXT_CHAPTERS = (
    "Les événements de janvier 2022",
    "La loi de 2020 sur les rassemblements pacifiques",
    "L’OTSC et le déploiement de janvier 2022",
)
ADDRESS_TITLE = "L’allocution du 7 janvier 2022"


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _chapters(built: Built) -> dict[str, etree._Element]:
    """The EPUB's chapter documents by their title (h1)."""
    found = {}
    for root in epub_documents(built.epub).values():
        section = root.find(f".//{X}section[@class='chapter']")
        if section is not None:
            found[_text(section.find(f".//{X}h1"))] = section
    return found


def _body_paragraphs(section: etree._Element) -> list[etree._Element]:
    """The chapter's running text: paragraphs outside the notes, tables and captions."""
    return [p for p in section.iter(f"{X}p")
            if not any(a.tag in (f"{X}table", f"{X}figcaption") or "notes" in (a.get("class") or "").split()
                       for a in p.iterancestors())]


@pytest.fixture(scope="module")
def book():
    report = Report()
    resolved = resolve(load_dossier(bundled_dossier(), report), report)
    assert not report.errors
    return resolved


# -- notes and sources ------------------------------------------------------------------------------


def test_every_paragraph_of_the_context_chapters_has_a_note_call(bundled_build: Built) -> None:
    chapters = _chapters(bundled_build)
    for title in CONTEXT_CHAPTERS:
        paragraphs = _body_paragraphs(chapters[title])
        assert len(paragraphs) >= 5, title
        bare = [_text(p)[:80] for p in paragraphs if p.find(f".//{X}a[@role='doc-noteref']") is None]
        assert bare == [], title


def test_at_least_forty_notes(bundled_build: Built) -> None:
    notes = [n for section in _chapters(bundled_build).values()
             for n in section.iter(f"{X}div") if n.get("role") == "doc-footnote"]
    assert len(notes) >= 40


def test_sources_cited_official_and_independent(book, bundled_build: Built) -> None:
    cited = set(book.cited)
    assert len(cited) >= 12
    groups = {group_of(book.sources[i]) for i in cited}
    assert {"official", "press"} <= groups
    # official: the presidency's address, the legal database; independent: press agencies
    assert {"ptrk-0107", "adilet-333"} <= cited
    assert {"ap-0115", "afp-0525"} <= cited
    bibliography = _text(_chapters(bundled_build)["Sources"])
    for agency in ("Associated Press", "AFP", "Trend", "Adilet"):
        assert agency in bibliography


def test_every_bibliography_source_is_cited(book, bundled_build: Built) -> None:
    listed = {li.get("id").removeprefix("source-") for li in _chapters(bundled_build)["Sources"].iter(f"{X}li")
              if (li.get("id") or "").startswith("source-")}
    declared = set(re.findall(r"^- id: (\S+)", (bundled_dossier() / "sources.yaml").read_text(), re.MULTILINE))
    assert listed == declared
    assert declared - set(book.cited) == set()


# -- the address, word for word ---------------------------------------------------------------------

QUOTES = "«»“”„\"‹›"


def _normalise(text: str) -> list[str]:
    """Words and punctuation, with typography set aside: spaces of any width, quotation marks,
    apostrophes."""
    text = unicodedata.normalize("NFC", text).replace("’", "'")
    text = "".join(" " if c in QUOTES or unicodedata.category(c) == "Zs" else c for c in text)
    return re.findall(r"[\w'-]+|[^\w\s'-]", text)


def _without_note_calls(element: etree._Element) -> str:
    """The element's text, note calls left out (their tails kept)."""
    parts = [element.text or ""]
    for child in element:
        if "noteref" not in (child.get("class") or "").split():
            parts.append(_without_note_calls(child))
        parts.append(child.tail or "")
    return "".join(parts)


def test_address_chapter_is_the_supplied_text(bundled_build: Built) -> None:
    supplied = (ROOT / "tests" / "data" / "address-2022-01-07.fr.txt").read_text(encoding="utf-8")
    bullets = [b for b in supplied.split("•") if b.strip()]
    section = _chapters(bundled_build)[ADDRESS_TITLE]
    printed = [_without_note_calls(li) for li in section.iter(f"{X}li")]
    assert len(printed) == len(bullets) == 11
    for given, shown in zip(bullets, printed, strict=True):
        assert _normalise(shown) == _normalise(given)


def test_address_note_calls_sit_on_their_passage_one_at_a_time(bundled_build: Built) -> None:
    """Issue 20: a call goes on the passage it annotates, before the punctuation, never stacked
    (`5,6`) at the end of a point."""
    section = _chapters(bundled_build)[ADDRESS_TITLE]
    calls = stacked = 0
    for li in section.iter(f"{X}li"):
        refs = [a for a in li.iter(f"{X}a") if a.get("role") == "doc-noteref"]
        calls += len(refs)
        for ref in refs:
            holder = ref.getparent() if ref.getparent().tag == f"{X}sup" else ref
            nxt = holder.getnext()
            if nxt is not None and not (holder.tail or "").strip() and nxt.find(f".//{X}a[@role='doc-noteref']") is not None:
                stacked += 1
    assert calls >= 12 and stacked == 0


def test_address_comparison_fails_on_a_changed_word() -> None:
    assert _normalise("« La loi et l’ordre »") == _normalise('"La loi et l\'ordre"')
    assert _normalise("La loi et l’ordre") != _normalise("La loi et le ordre")
    assert _normalise("bien-être du pays.") != _normalise("bien-être du pays")


# -- figures and table in both editions ---------------------------------------------------------------

CAPTIONS = {
    "chronology": "Chronologie des événements, du 1er au 19 janvier 2022",
    "timeline": "Frise des événements, du 1er au 19 janvier 2022",
    "map": "Les six États membres de l’OTSC en janvier 2022",
}


def test_epub_has_the_table_and_figures_with_captions_and_alt_text(bundled_build: Built) -> None:
    chapters = _chapters(bundled_build)
    events, otsc = chapters[CONTEXT_CHAPTERS[0]], chapters[CONTEXT_CHAPTERS[2]]
    table = events.find(f".//{X}table[@class='chronology']")
    assert CAPTIONS["chronology"] in _text(table.find(f"{X}caption"))
    assert len(table.findall(f".//{X}tbody/{X}tr")) >= 8
    for section, name in ((events, "timeline"), (otsc, "map")):
        figure = section.find(f".//{X}figure[@class='figure figure-{name}']")
        assert CAPTIONS[name] in _text(figure.find(f"{X}figcaption"))
        image = figure.find(f"{X}img")
        assert len(image.get("alt")) > 80
        svg = etree.fromstring(epub_file(bundled_build.epub, f"EPUB/{image.get('src')}"))
        assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        assert svg.findtext("{http://www.w3.org/2000/svg}title") == image.get("alt")


def test_map_credits_its_data_in_both_editions(bundled_build: Built) -> None:
    figure = _chapters(bundled_build)[CONTEXT_CHAPTERS[2]].find(f".//{X}figure[@class='figure figure-map']")
    caption = _text(figure.find(f"{X}figcaption"))
    pdf = " ".join(_pdf_pages(bundled_build.pdf))
    for credit in ("Natural Earth", "domaine public", "GeoNames", "CC BY 4.0", "Lambert"):
        assert credit in caption
        assert credit in pdf


def _pdf_pages(pdf: Path) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(str(pdf)).pages]


def test_pdf_has_the_table_and_figures_as_vector_with_their_labels(bundled_build: Built) -> None:
    pages = _pdf_pages(bundled_build.pdf)
    where = {name: next(i for i, text in enumerate(pages) if caption in text) for name, caption in CAPTIONS.items()}
    assert "DATE LIEU ÉVÉNEMENT" in pages[where["chronology"]]
    with pdfplumber.open(bundled_build.pdf) as pdf:
        timeline = pdf.pages[where["timeline"]]
        map_page = pdf.pages[where["map"]]
        # figures drawn as vectors, their labels kept as text in the shipped Inter
        assert not map_page.images and len(map_page.curves) + len(map_page.rects) > 20
        labels = " ".join(w["text"] for w in map_page.extract_words(extra_attrs=["fontname"]) if "Inter" in w["fontname"])
        for label in ("Russie", "Biélorussie", "Arménie", "Kazakhstan", "Kirghizistan", "Tadjikistan",
                      "Nour-Soultan", "Almaty", "Aktobe", "Janaozen"):
            assert label in labels, label
        assert not timeline.images and len(timeline.curves) + len(timeline.lines) > 5
        assert "Janaozen" in timeline.extract_text()


# -- the book as a whole -------------------------------------------------------------------------------


def test_pdf_is_16_to_48_a4_pages_and_small(bundled_build: Built) -> None:
    # Edition 3 (43 pages) adds the sources' other account, the 2010 wording of article 4 and
    # the new references to edition 2's 37 pages.
    reader = PdfReader(str(bundled_build.pdf))
    assert 16 <= len(reader.pages) <= 48
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert bundled_build.pdf.stat().st_size < 1.5 * 1024 * 1024


def test_no_empty_page_but_the_covers_verso(bundled_build: Built) -> None:
    """Every page has text; the only pages with nothing but their folio are the blank versos
    before a chapter opening on a recto; the cover's verso (page 2) is the one bare page."""
    pages = _pdf_pages(bundled_build.pdf)
    total = len(pages)
    assert pages[1] == ""
    for number, text in enumerate(pages, 1):
        if number == 2:
            continue
        assert text, number
        if text == f"{number}\u2009/\u2009{total}":
            assert number % 2 == 0 and number < total, number
            following = pages[number]  # the next page, 0-based
            assert any(following.startswith(t[:25]) for t in (*CONTEXT_CHAPTERS, ADDRESS_TITLE, "Avant-propos",
                                                                 "Glossaire", "Sources", "Colophon")), number


def test_bundled_epub_passes_epubcheck(bundled_build: Built) -> None:
    assert epubcheck_messages(bundled_build.epub) == []


# -- edition 3: the catalogue, the cover, the figures ---------------------------------------------------


def test_supplied_summary_is_catalogued_apart_without_author_under_a_supplied_title(bundled_build: Built) -> None:
    sources = _chapters(bundled_build)["Sources"]
    groups = [_text(h) for h in sources.iter(f"{X}h2")]
    assert groups[:2] == ["Texte publié", "Documents officiels"]
    entry = _text(sources.find(f".//{X}li[@id='source-seed']"))
    assert entry.startswith("[Résumé en français de l’allocution télévisée du président Kassym-Jomart Tokaïev")
    assert "texte fourni à la rédaction, s. d." in entry
    assert "Tokayev, Kassym-Jomart" not in entry and "«" not in entry.split("]")[0]
    official = sources.xpath(".//x:section[x:h2='Documents officiels']//x:li/@id", namespaces=NS)
    assert "source-seed" not in official and {"source-kz-law-501", "source-csto-treaty"} <= set(official)


def test_cover_date_has_no_weekday_and_timeline_raises_the_first(bundled_build: Built) -> None:
    pages = _pdf_pages(bundled_build.pdf)
    assert "7 janvier 2022" in pages[0] and "vendredi" not in pages[0]
    timeline = next(text for text in pages if CAPTIONS["timeline"] in text)
    assert "1\u1d49\u02b3 janvier" in timeline  # the superior letters of Inter, not a plain "1er"
    table = _chapters(bundled_build)[CONTEXT_CHAPTERS[0]].find(f".//{X}table[@class='chronology']")
    assert all(_text(td) for td in table.iter(f"{X}td"))  # no blank Lieu cell
