"""The e-reader edition, read back from the EPUB (zip + lxml) and set against the PDF of the
same build: validity, accessibility, navigation, print page numbers, notes, cover, metadata."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from dossier.write.validate import ace_command, run_ace
from tests.conftest import Built, _build
from tests.helpers import NS, copy_fixture, epub_documents, epub_file, epubcheck_messages, run_cli

OPF = "EPUB/content.opf"
needs_ace = pytest.mark.skipif(
    ace_command() is None,
    reason="DAISY Ace not installed (npm install -g --ignore-scripts @daisy/ace) or no Chromium (apt-get install chromium)",
)

# -- a longer dossier: paragraphs, notes and a table that run across pages -------------------------

SUBJECTS = ["Un témoin", "La correspondante", "Un habitant", "Le syndicaliste", "Une infirmière", "Le maire adjoint", "Une étudiante"]
VERBS = ["raconte", "affirme", "rappelle", "écrit", "précise", "souligne", "constate", "observe", "confirme", "nuance", "admet"]
PLACES = ["à Janaozen", "à Aktaou", "à Almaty", "à Aktobe", "à Chymkent", "à Taraz", "à Kyzylorda", "à Oural", "à Atyraou",
          "à Semeï", "à Petropavl", "à Kostanaï", "à Pavlodar"]
FACTS = ["que la place centrale s’est remplie dès le matin", "que les commerces ont baissé leurs rideaux vers midi",
         "que les transports publics ont cessé de circuler", "que la foule a chanté l’hymne national devant la mairie",
         "que les banques ont fermé plus tôt que d’habitude"]


def _sentence(i: int) -> str:
    return f"{SUBJECTS[i % 7]} {VERBS[i % 11]} {PLACES[i % 13]} {FACTS[i % 5]}"


def _long_chapter() -> str:
    parts, notes, n = [], [], 0
    for section in range(1, 4):
        parts.append(f"## Témoignages, série {section}\n")
        for _ in range(6):
            sentences = []
            for _ in range(9):
                text = _sentence(n)
                if n % 10 == 3:
                    text += f"[^t{n}]"
                    notes.append(f"[^t{n}]: Témoignage recueilli par la rédaction ; {_sentence(n + 5).lower()}.")
                sentences.append(text + ".")
                n += 1
            parts.append(" ".join(sentences) + "\n")
    rows = "\n".join(f"| {_sentence(i)} | {PLACES[(i * 3) % 13].removeprefix('à ')} |" for i in range(70))
    parts.append(f"## Relevé\n\n| Témoignage | Ville |\n| --- | --- |\n{rows}\n")
    return "\n".join(parts) + "\n" + "\n".join(notes) + "\n"


@pytest.fixture(scope="session")
def long_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The fixture dossier with a chapter of many pages, so that pages start mid-paragraph,
    mid-table (under a repeated header) and beside notes."""
    root = copy_fixture("mini", tmp_path_factory.mktemp("long-src"))
    chapter = root / "chapters" / "02-contexte.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n" + _long_chapter(), encoding="utf-8")
    return _build(root, tmp_path_factory.mktemp("long-out"))


@pytest.fixture(scope="session")
def next_edition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture dossier's next edition, built with a clock (SOURCE_DATE_EPOCH) of its own."""
    root = copy_fixture("mini", tmp_path_factory.mktemp("next-src"))
    config = root / "dossier.toml"
    text = config.read_text(encoding="utf-8").replace("number = 2\ndate = 2026-11-25", "number = 3\ndate = 2027-03-01")
    config.write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("next-out")
    result = run_cli("build", str(root), "--out", str(out), "--format", "epub", env={"SOURCE_DATE_EPOCH": "1000000000"})
    assert result.returncode == 0, result.stderr
    return out / "essai-3.epub"


def _opf(epub: Path) -> etree._Element:
    return etree.fromstring(epub_file(epub, OPF))


def _meta(opf: etree._Element, prop: str) -> list[str]:
    return [m.text for m in opf.xpath(f"//opf:meta[@property='{prop}']", namespaces=NS)]


def _nav(epub: Path) -> etree._Element:
    return epub_documents(epub)["EPUB/nav.xhtml"]


def _spine(epub: Path) -> list[str]:
    opf = _opf(epub)
    hrefs = {i.get("id"): i.get("href") for i in opf.xpath("//opf:manifest/opf:item", namespaces=NS)}
    return [hrefs[r.get("idref")] for r in opf.xpath("//opf:spine/opf:itemref", namespaces=NS)]


# -- validity and accessibility -------------------------------------------------------------------


def test_long_and_next_edition_epubs_pass_epubcheck(long_build: Built, next_edition: Path) -> None:
    assert epubcheck_messages(long_build.epub) == []
    assert epubcheck_messages(next_edition) == []


@needs_ace
@pytest.mark.parametrize("which", ["mini_build", "long_build"])
def test_ace_reports_no_violation(which: str, request: pytest.FixtureRequest) -> None:
    built = request.getfixturevalue(which)
    assert [f"{f.document}: {f.message}" for f in run_ace(built.epub)] == []


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))}


def test_check_builds_and_validates_the_epub_writing_nothing(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    before = _tree(root)
    result = run_cli("check", str(root))
    assert result.returncode == 0, result.stderr
    assert "error:" not in result.stderr
    if ace_command() is not None:
        assert result.stderr == ""
    assert _tree(root) == before


@needs_ace
def test_check_reports_an_ace_violation_at_its_chapter(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    with (root / "chapters" / "01-texte.md").open("a", encoding="utf-8") as chapter:
        chapter.write("\n#### Un niveau sauté\n\nTexte.\n")
    result = run_cli("check", str(root), cwd=root)
    assert result.returncode == 1
    assert result.stderr.startswith("chapters/01-texte.md: error: EPUB: ch1.xhtml: Ace: heading-order")


# -- documents ------------------------------------------------------------------------------------


def test_every_document_has_its_language_and_headings_without_gaps(mini_build: Built) -> None:
    for name, root in epub_documents(mini_build.epub).items():
        assert root.get("lang") == "fr-FR" == root.get("{http://www.w3.org/XML/1998/namespace}lang"), name
        levels = [int(h.tag[-1]) for h in root.iter() if re.fullmatch(r"\{.*\}h[1-6]", str(h.tag))]
        for previous, level in zip([0, *levels], levels, strict=False):
            assert level <= previous + 1, (name, levels)


def test_images_have_text_alternatives(long_build: Built) -> None:
    images = [i for root in epub_documents(long_build.epub).values() for i in root.iter(f"{{{NS['x']}}}img")]
    assert len(images) == 2  # the cover and the figure
    assert all(i.get("alt", "").strip() for i in images)


def test_one_document_per_chapter_in_the_spine_after_cover_title_and_contents(mini_build: Built) -> None:
    assert _spine(mini_build.epub) == ["cover.xhtml", "titlepage.xhtml", "contents.xhtml", "ch1.xhtml", "ch2.xhtml", "ch3.xhtml"]


def test_nav_toc_and_ncx_list_the_chapters_and_their_sections(mini_build: Built) -> None:
    documents = epub_documents(mini_build.epub)
    expected = []
    for name in ("ch1.xhtml", "ch2.xhtml", "ch3.xhtml"):
        root = documents[f"EPUB/{name}"]
        sections = "//x:h2[not(ancestor::x:section[@class='notes'] or ancestor::*[@role='doc-bibliography'])]"
        for heading in root.xpath(f"//x:h1 | {sections}", namespaces=NS):
            expected.append((heading.tag[-1], f"{name}#{heading.get('id')}", "".join(heading.itertext())))
    toc = _nav(mini_build.epub).xpath("//x:nav[@epub:type='toc']", namespaces=NS)[0]
    links = toc.xpath(".//x:a", namespaces=NS)
    found = [(str(len(a.xpath("ancestor::x:ol", namespaces=NS))), a.get("href"), a.text) for a in links]
    assert found == expected and len(found) == 9
    ncx = etree.fromstring(epub_file(mini_build.epub, "EPUB/toc.ncx"))
    points = ncx.xpath("//ncx:navPoint", namespaces=NS)
    assert [(p.find("ncx:content", NS).get("src"), p.findtext("ncx:navLabel/ncx:text", namespaces=NS)) for p in points] == [
        (href, text) for _, href, text in expected
    ]


def test_landmarks(mini_build: Built) -> None:
    nav = _nav(mini_build.epub)
    landmarks = {
        a.get("{http://www.idpf.org/2007/ops}type"): a.get("href")
        for a in nav.xpath("//x:nav[@epub:type='landmarks']//x:a", namespaces=NS)
    }
    assert landmarks == {"cover": "cover.xhtml", "toc": "contents.xhtml", "bodymatter": "ch2.xhtml", "bibliography": "ch3.xhtml"}


def test_every_note_call_pops_a_note_that_links_back(long_build: Built) -> None:
    documents = epub_documents(long_build.epub)
    calls = 0
    for name, root in documents.items():
        for call in root.xpath("//x:a[@epub:type='noteref']", namespaces=NS):
            calls += 1
            assert call.get("role") == "doc-noteref" and call.get("href").startswith("#")
            (note,) = root.xpath(f"//*[@id='{call.get('href')[1:]}']", namespaces=NS)
            assert note.get("{http://www.idpf.org/2007/ops}type") == "footnote" and note.get("role") == "doc-footnote"
            assert note.xpath("ancestor::x:section[@class='notes']", namespaces=NS), "listed at the chapter's end"
            backs = note.xpath(".//x:a[@role='doc-backlink']", namespaces=NS)
            assert [b.get("href") for b in backs] == [f"#{call.get('id')}"], name
            assert "".join(note.itertext()).strip()
    assert calls > 20


# -- print page numbers ---------------------------------------------------------------------------


def _letters(text: str) -> str:
    """Letters only, case-folded: what both editions share once note calls, numbers, spaces,
    punctuation and hyphenation are set aside."""
    return "".join(c for c in unicodedata.normalize("NFC", text).casefold() if c.isalpha())


@dataclass
class Marker:
    label: str
    document: str
    before: str  # letters of the document before the marker
    after: str
    page_follows: bool  # another marker comes before any text: this page has no text of its own


def _markers(epub: Path) -> list[Marker]:
    """Every page marker in reading order, with the text around it (notes and calls left out)."""
    markers: list[Marker] = []
    for name in _spine(epub):
        root = epub_documents(epub)[f"EPUB/{name}"]
        events: list[str | etree._Element] = []

        def walk(element: etree._Element, events: list[str | etree._Element] = events) -> None:
            if element.get("role") == "doc-pagebreak":
                events.append(element)
            elif not {"notes", "noteref"} & set((element.get("class") or "").split()):
                events.append(element.text or "")
                for child in element:
                    if isinstance(child.tag, str):
                        walk(child)
                    events.append(child.tail or "")

        walk(root.find("x:body", NS))
        for index, event in enumerate(events):
            if isinstance(event, str):
                continue
            before = _letters("".join(e for e in events[:index] if isinstance(e, str)))
            rest = events[index + 1 :]
            after = _letters("".join(e for e in rest if isinstance(e, str)))
            following = next((e for e in rest if not isinstance(e, str) or _letters(e)), None)
            markers.append(Marker(event.get("aria-label"), name, before, after, following is not None and not isinstance(following, str)))
            assert event.get("id") and event.get("title") == event.get("aria-label")
            assert event.get("{http://www.idpf.org/2007/ops}type") == "pagebreak"
    return markers


@pytest.mark.parametrize("which", ["mini_build", "long_build"])
def test_page_list_has_every_pdf_page_in_order(which: str, request: pytest.FixtureRequest) -> None:
    from pypdf import PdfReader

    built = request.getfixturevalue(which)
    pages = len(PdfReader(str(built.pdf)).pages)
    page_list = _nav(built.epub).xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS)
    assert [a.text for a in page_list] == [str(n) for n in range(1, pages + 1)]
    documents = epub_documents(built.epub)
    for a in page_list:
        name, anchor = a.get("href").split("#")
        (target,) = documents[f"EPUB/{name}"].xpath(f"//*[@id='{anchor}']")
        assert target.get("role") == "doc-pagebreak" and target.get("aria-label") == a.text
    assert [m.label for m in _markers(built.epub)] == [a.text for a in page_list], "markers in reading order"
    assert page_list[0].get("href").startswith("cover.xhtml#")


def test_markers_sit_where_the_pdf_pages_start(long_build: Built) -> None:
    """Each marker is followed by the text at the top of its PDF page, and preceded by text of
    the page before. (A marker may precede a hyphenated word's first half: skip one word.)"""
    from tests.helpers import pdf_text

    markers = _markers(long_build.epub)
    pages = [_letters(pdf_text(long_build.pdf, [i])) for i in range(len(markers))]
    checked = 0
    for marker in markers:
        if marker.page_follows or len(marker.after) < 40:
            continue  # a page without text of its own (blank, notes only), or the cover
        page = pages[int(marker.label) - 1]
        snippet = marker.after[15:35]
        assert snippet in page, (marker.label, snippet)
        assert page.index(snippet) < 120, (marker.label, snippet, page[:160])
        if len(marker.before) >= 20:
            assert marker.before[-20:] in pages[int(marker.label) - 2], (marker.label, marker.before[-20:])
        checked += 1
    assert checked >= 8


def test_page_source_is_the_pdf_edition(mini_build: Built) -> None:
    opf = _opf(mini_build.epub)
    source = opf.findtext(".//dc:source", namespaces=NS)
    assert source == "Dossier d’essai, édition PDF 2 du 25 novembre 2026 (essai-2.pdf)"
    assert _meta(opf, "pageBreakSource") == [source]


# -- cover ----------------------------------------------------------------------------------------


def test_cover_is_the_pdf_first_page_rasterised(mini_build: Built) -> None:
    import pypdfium2 as pdfium
    from PIL import Image, ImageChops, ImageStat

    opf = _opf(mini_build.epub)
    (item,) = opf.xpath("//opf:item[@properties='cover-image']", namespaces=NS)
    assert item.get("media-type") == "image/jpeg"
    assert opf.xpath("//opf:meta[@name='cover']/@content", namespaces=NS) == [item.get("id")]
    cover = Image.open(io.BytesIO(epub_file(mini_build.epub, f"EPUB/{item.get('href')}")))
    assert max(cover.size) >= 1600
    page = pdfium.PdfDocument(str(mini_build.pdf))[0]
    width, height = page.get_size()
    assert abs(cover.width / cover.height - width / height) < 0.01
    reference = page.render(scale=cover.height / height).to_pil().convert("RGB").resize(cover.size)
    difference = ImageStat.Stat(ImageChops.difference(cover.convert("RGB"), reference)).mean
    assert max(difference) < 3, difference
    page_doc = epub_documents(mini_build.epub)["EPUB/cover.xhtml"]
    (img,) = page_doc.xpath("//x:img", namespaces=NS)
    assert img.get("src") == item.get("href") and "Dossier d’essai" in img.get("alt").replace("'", "’")


# -- metadata -------------------------------------------------------------------------------------


def test_identifier_is_stable_across_editions_and_modified_is_the_editions_date(
    mini_build: Built, next_edition: Path
) -> None:
    first, second = _opf(mini_build.epub), _opf(next_edition)
    identifier = "urn:uuid:6d1c3f0e-7b59-4c1e-9a57-3f1d2a4b5c6d"
    assert first.findtext(".//dc:identifier", namespaces=NS) == second.findtext(".//dc:identifier", namespaces=NS) == identifier
    assert _meta(first, "dcterms:modified") == ["2026-11-25T00:00:00Z"]
    assert _meta(second, "dcterms:modified") == ["2027-03-01T00:00:00Z"], "the edition's date, not SOURCE_DATE_EPOCH"
    assert second.findtext(".//dc:date", namespaces=NS) == "2027-03-01"


def test_descriptive_metadata(mini_build: Built) -> None:
    opf = _opf(mini_build.epub)
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr-FR"
    assert opf.findtext(".//dc:title", namespaces=NS) == "Dossier d’essai"
    assert opf.findtext(".//dc:creator", namespaces=NS) == "Rédaction d’essai"
    assert opf.findtext(".//dc:publisher", namespaces=NS) == "Éditions d’essai"
    assert opf.findtext(".//dc:date", namespaces=NS) == "2026-11-25"
    assert opf.findtext(".//dc:description", namespaces=NS).startswith("Un dossier qui exerce")
    assert [s.text for s in opf.findall(".//dc:subject", NS)] == ["essai", "tests"]


def test_accessibility_metadata_says_what_the_book_has(mini_build: Built) -> None:
    opf = _opf(mini_build.epub)
    assert _meta(opf, "schema:accessMode") == ["textual", "visual"]
    assert _meta(opf, "schema:accessModeSufficient") == ["textual", "textual,visual"]
    features = set(_meta(opf, "schema:accessibilityFeature"))
    assert {"tableOfContents", "structuralNavigation", "printPageNumbers", "pageBreakMarkers", "alternativeText"} <= features
    assert _meta(opf, "schema:accessibilityHazard") == ["none"]
    (summary,) = _meta(opf, "schema:accessibilitySummary")
    assert summary.startswith("Cette publication EPUB") and "édition PDF" in summary
    assert _meta(opf, "dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]


# -- style and fonts ------------------------------------------------------------------------------


def test_stylesheet_is_reflowable(mini_build: Built) -> None:
    css = re.sub(r"/\*.*?\*/", "", epub_file(mini_build.epub, "EPUB/css/epub.css").decode(), flags=re.S)
    assert not re.search(r"@page|position:\s*fixed|!important|\d(pt|mm|cm|in|pc)\b", css)
    assert not re.search(r"font-size:\s*[\d.]+px", css) and not re.search(r"(?<!-)width:\s*[\d.]+(px|em)", css)
    body = re.search(r"\bbody\s*\{([^}]*)\}", css).group(1)
    assert "font-size" not in body, "the reader's size for body text"
    assert re.search(r"hyphens:\s*auto", css)


def test_fonts_are_subset_to_the_text_and_cover_it(mini_build: Built) -> None:
    from fontTools.ttLib import TTFont

    from dossier.resources import assets_dir

    text = "".join("".join(r.itertext()) for r in epub_documents(mini_build.epub).values())
    with zipfile.ZipFile(mini_build.epub) as archive:
        fonts = [n for n in archive.namelist() if n.startswith("EPUB/fonts/")]
        assert len(fonts) == 4
        for name in fonts:
            data = archive.read(name)
            original = assets_dir() / "fonts" / Path(name).name
            assert len(data) < original.stat().st_size / 3
            subset = TTFont(io.BytesIO(data)).getBestCmap()
            available = TTFont(str(original)).getBestCmap()
            missing = {c for c in text if ord(c) in available and ord(c) not in subset}
            assert not missing, (name, missing)


# -- the mapping itself, on a small document -------------------------------------------------------


def test_markers_go_before_the_word_in_order_and_where_the_markup_allows() -> None:
    from dossier.render.positions import PageStart, insert_marker, mark_document, unmark

    xhtml = (
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><section><h1>Titre</h1>'
        "<p>Un <em>premier</em> paragraphe<sup class='noteref'><a class='noteref'>12</a></sup> assez long.</p>"
        "<ul><li>Point un</li><li>Point deux</li></ul></section></body></html>"
    )
    root = etree.fromstring(xhtml)
    mark_document(root, print_document=False)
    body = root[0]

    def marker(label: str) -> etree._Element:
        return etree.Element(f"{{{NS['x']}}}span", {"role": "doc-pagebreak", "id": f"page-{label}"})

    starts = [
        PageStart(1, "1", "d", block=0),  # the heading: before it
        PageStart(2, "2", "d", block=0),  # a second page at the same place (a blank page): after the first
        PageStart(3, "3", "d", block=1, offset=12),  # in "paragraphe", letters 9..18 of the block: its start
        PageStart(4, "4", "d", block=1, offset=19),  # "assez": the note call's "12" does not count
        PageStart(5, "5", "d", block=3),  # a list item: inside it, not between items
        PageStart(6, "6", "d", at_end=True),
    ]
    for start in starts:
        insert_marker(body, start, marker(start.label))
    unmark(root)
    text = etree.tostring(body, encoding="unicode")
    text = re.sub(r' xmlns="[^"]+"| role="doc-pagebreak"', "", text)
    assert text == (
        '<body><section><span id="page-1"/><span id="page-2"/><h1>Titre</h1>'
        '<p>Un <em>premier</em> <span id="page-3"/>paragraphe<sup class="noteref"><a class="noteref">12</a></sup> '
        '<span id="page-4"/>assez long.</p>'
        '<ul><li>Point un</li><li><span id="page-5"/>Point deux</li></ul></section><span id="page-6"/></body>'
    )
