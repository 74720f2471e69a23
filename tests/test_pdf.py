"""The print edition, read back from the PDF (pypdf, pdfplumber, pdfium): what a reader, a
screen reader and a print shop get. Issue 4's "done when", one test or more each.

Reference renders of three pages of the print fixture are kept in tests/reference/ and
compared with a tolerance, so that a layout regression fails. After a deliberate change of
the layout, look at the new pages, then regenerate the references with
    DOSSIER_UPDATE_REFERENCES=1 python -m pytest tests/test_pdf.py -k reference
and commit them.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from tests.conftest import once
from tests.helpers import FIXTURES, ROOT, run_cli

MM = 72 / 25.4
SIZES = {"A4": (595.28, 841.89), "A5": (419.53, 595.28), "Letter": (612.0, 792.0)}
REFERENCES = ROOT / "tests" / "reference"
UPDATE = os.environ.get("DOSSIER_UPDATE_REFERENCES") == "1"


# ---- builds: each variant once per session ------------------------------------------------


@dataclass
class Pdf:
    path: Path
    paper: str

    @property
    def reader(self) -> PdfReader:
        return PdfReader(str(self.path))


def _build_pdf(root: Path, out: Path, *options: str) -> Path:
    result = run_cli("build", str(root), "--out", str(out), "--format", "pdf", *options)
    assert result.returncode == 0, result.stderr
    return next(p for p in out.glob("*.pdf") if not p.name.endswith(".cover.pdf"))


@pytest.fixture(scope="session")
def print_a4(tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    """The print fixture as `dossier build` makes it by default: A4, PDF/UA-1."""
    return once(tmp_path_factory, "test_pdf.print_a4", lambda: _print_a4(tmp_path_factory))


def _print_a4(tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    return Pdf(_build_pdf(FIXTURES / "print", tmp_path_factory.mktemp("print-a4")), "A4")


@pytest.fixture(scope="session")
def print_a5_ready(tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    """A5, for a print shop: a PDF/X-4 interior with bleed and crop marks (its cover apart)."""
    return once(tmp_path_factory, "test_pdf.print_a5_ready", lambda: _print_a5_ready(tmp_path_factory))


def _print_a5_ready(tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    out = tmp_path_factory.mktemp("print-a5")
    return Pdf(_build_pdf(FIXTURES / "print", out, "--paper", "a5", "--print-ready"), "A5")


@pytest.fixture(scope="session")
def print_letter_pdfa(tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    """US Letter, PDF/A-3b for an archive."""
    return once(tmp_path_factory, "test_pdf.print_letter_pdfa", lambda: _print_letter_pdfa(tmp_path_factory))


def _print_letter_pdfa(tmp_path_factory: pytest.TempPathFactory) -> Pdf:
    out = tmp_path_factory.mktemp("print-letter")
    return Pdf(_build_pdf(FIXTURES / "print", out, "--paper", "letter", "--pdf-variant", "pdf/a-3b"), "Letter")


@pytest.fixture(scope="session")
def mini_pdf(mini_build: Any) -> Pdf:
    return Pdf(mini_build.pdf, "A4")


@pytest.fixture(scope="session")
def bundled_pdf(bundled_build: Any) -> Pdf:
    return Pdf(bundled_build.pdf, "A4")


ALL = ["mini_pdf", "print_a4", "print_a5_ready", "print_letter_pdfa", "bundled_pdf"]
TAGGED = ["mini_pdf", "print_a4", "print_a5_ready", "bundled_pdf"]  # tagged (all but PDF/A are)
UA = ["mini_pdf", "print_a4", "bundled_pdf"]  # PDF/UA-1, the default (print-ready is a PDF/X-4)


@pytest.fixture(params=ALL)
def any_pdf(request: pytest.FixtureRequest) -> Pdf:
    return request.getfixturevalue(request.param)


@pytest.fixture(params=TAGGED)
def ua_pdf(request: pytest.FixtureRequest) -> Pdf:
    return request.getfixturevalue(request.param)


# ---- reading helpers ---------------------------------------------------------------------------


def _objects(value: Any) -> Iterator[Any]:
    value = value.get_object() if isinstance(value, IndirectObject) else value
    if isinstance(value, ArrayObject):
        for item in value:
            yield item.get_object()
    elif value is not None:
        yield value


@dataclass(frozen=True)
class PageData:
    """What pdfplumber reads of a page, in its frame (top-left origin, the media box's)."""

    trimbox: tuple[float, float, float, float]
    chars: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    text: str


@functools.cache
def plumbed(path: Path) -> list[PageData]:
    """Every page of a PDF as pdfplumber reads it, once per session (parsing is the slow part)."""
    with pdfplumber.open(path) as pdf:
        return [
            PageData(tuple(page.trimbox), page.chars, page.lines, page.extract_text() or "") for page in pdf.pages
        ]


def destination_pages(reader: PdfReader) -> dict[str, int]:
    """Every named destination (an element's id) and the 0-based page it is on."""
    return {name: reader.get_destination_page_number(dest) for name, dest in reader.named_destinations.items()}


@dataclass(frozen=True)
class Link:
    page: int
    rect: tuple[float, float, float, float]
    dest: str | None  # an internal link's destination name
    uri: str | None


def links(reader: PdfReader) -> list[Link]:
    found = []
    for index, page in enumerate(reader.pages):
        for annotation in _objects(page.get("/Annots")):
            if annotation.get("/Subtype") != "/Link":
                continue
            action = annotation.get("/A")
            dest = annotation.get("/Dest")
            rect = tuple(float(v) for v in annotation["/Rect"])
            found.append(Link(index, rect, str(dest) if dest is not None else None, action and action.get("/URI")))
    return found


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(level, title, 0-based page) of every bookmark, in order."""
    entries: list[tuple[int, str, int]] = []

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                entries.append((level, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 1)
    return entries


LEADER_LINE = re.compile(r"^(?P<title>.+?)\s*(?:\.\s*){2,}(?P<page>\d+)$")


def sommaire(path: Path) -> list[tuple[str, int, int]]:
    """The Sommaire's entries as printed: (title, page number, 0-based page of the Sommaire)."""
    entries = []
    pages = plumbed(path)
    start = next(i for i, page in enumerate(pages) if page.text.startswith("Sommaire"))
    for index in range(start, len(pages)):
        matches = [m for line in pages[index].text.splitlines() if (m := LEADER_LINE.match(line.strip()))]
        if not matches:
            break
        entries += [(norm(m["title"]), int(m["page"]), index) for m in matches]
    return entries


def norm(text: str) -> str:
    """Spaces of every width (no-break, narrow) as one plain space: text extraction varies."""
    return re.sub(r"\s+", " ", text).strip()


def heading_text(path: Path) -> list[str]:
    """By page, the text set as headings (Inter, bold or semibold, 10 pt or more), lines
    joined: the running heads (7.5 pt) and the Sommaire's lines are not headings."""
    found: list[str] = []
    for page in plumbed(path):
        # `### ` headings are 10 pt, which pdfplumber may read as 9.99…
        chars = [c for c in page.chars if "Inter" in c["fontname"] and "Bold" in c["fontname"] and round(c["size"], 1) >= 10]
        rows: dict[int, list[Any]] = {}
        for char in chars:
            rows.setdefault(round(char["top"]), []).append(char)
        lines = ["".join(c["text"] for c in sorted(row, key=lambda c: c["x0"])) for _, row in sorted(rows.items())]
        found.append(norm(" ".join(lines)))
    return found


def fonts(reader: PdfReader) -> dict[str, DictionaryObject]:
    """Every font of the pages' resources and their form XObjects' (SVG figures), by base name."""
    found: dict[str, DictionaryObject] = {}
    seen: set[int] = set()

    def walk(resources: Any) -> None:
        resources = resources.get_object() if resources is not None else {}
        if id(resources) in seen:
            return
        seen.add(id(resources))
        for table in _objects(resources.get("/Font")):
            for font in table.values():
                font = font.get_object()
                found[str(font["/BaseFont"])] = font
        for table in _objects(resources.get("/XObject")):
            for xobject in table.values():
                walk(xobject.get_object().get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
    return found


def xmp(reader: PdfReader) -> str:
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()


# ---- page size and boxes -------------------------------------------------------------------------


def test_page_size_is_the_chosen_paper(any_pdf: Pdf) -> None:
    width, height = SIZES[any_pdf.paper]
    for page in any_pdf.reader.pages:
        trim = page.trimbox
        assert abs(float(trim.width) - width) < 0.5 and abs(float(trim.height) - height) < 0.5, (
            f"{any_pdf.path.name}: page of {trim.width} × {trim.height} pt, not {any_pdf.paper}"
        )


def test_default_has_no_bleed(print_a4: Pdf) -> None:
    page = print_a4.reader.pages[0]
    assert list(page.mediabox) == list(page.trimbox) == list(page.bleedbox)


def test_print_ready_has_3mm_bleed_and_crop_marks(print_a5_ready: Pdf) -> None:
    reader = print_a5_ready.reader
    for page in reader.pages:
        trim, bleed = [float(v) for v in page.trimbox], [float(v) for v in page.bleedbox]
        assert [round(b - t, 2) for b, t in zip(bleed, trim, strict=True)] == [round(v * 3 * MM, 2) for v in (-1, -1, 1, 1)]
    for index, page in enumerate(plumbed(print_a5_ready.path)):
        left, top, right, bottom = page.trimbox
        outside = [
            line for line in page.lines
            if line["x1"] <= left + 0.01 or line["x0"] >= right - 0.01
            or line["bottom"] <= top + 0.01 or line["top"] >= bottom - 0.01
        ]
        assert len(outside) == 8, f"page {index + 1}: {len(outside)} crop marks"


def test_cover_background_runs_into_the_bleed(print_a5_ready: Pdf) -> None:
    """On the cover's own PDF (print-ready builds set it apart from the interior)."""
    import pypdfium2 as pdfium

    cover = print_a5_ready.path.with_name(print_a5_ready.path.name.removesuffix(".pdf") + ".cover.pdf")
    page = PdfReader(str(cover)).pages[0]
    media, trim = float(page.mediabox.left), float(page.trimbox.left)
    image = pdfium.PdfDocument(str(cover))[0].render(scale=1).to_pil().convert("RGB")
    bleed = image.getpixel((round(trim - media - 1.5 * MM), image.height // 2))  # 1.5 mm out of the trim
    assert bleed != (255, 255, 255), "the cover's paper tone stops at the trim"
    slug = image.getpixel((round(trim - media - 6 * MM), image.height // 2))  # beyond the 3 mm bleed
    assert slug == (255, 255, 255), "the cover's background runs into the slug, under the marks"


def test_no_text_outside_the_page(any_pdf: Pdf) -> None:
    """Every character inside the trimmed page, and clear of the 8 mm along its edges that a
    print shop counts as unsafe (the folios are the nearest, at about 10 mm in A5)."""
    margin = 8 * MM
    for index, page in enumerate(plumbed(any_pdf.path)):
        left, top, right, bottom = page.trimbox
        stray = [
            c["text"] for c in page.chars
            if c["x0"] < left + margin or c["x1"] > right - margin
            or c["top"] < top + margin or c["bottom"] > bottom - margin
        ]
        assert not stray, f"{any_pdf.path.name} page {index + 1}: text in the margin: {''.join(stray)[:80]!r}"


# inner and outer margins of a page (paper-*.css): text set wider than the measure shows here
MARGINS = {"A4": (27 * MM, 39 * MM), "A5": (20 * MM, 22 * MM), "Letter": (1.1 * 72, 1.65 * 72)}


def test_text_stays_within_the_measure(any_pdf: Pdf) -> None:
    """Past the cover, no character outside the text column (mirrored margins: right-hand
    pages, odd folios, have their wider outer margin on the right): the very long word, the
    long addresses, the table and the notes all break inside it."""
    inner, outer = MARGINS[any_pdf.paper]
    for index, page in enumerate(plumbed(any_pdf.path)[1:], 1):
        left, _, right, _ = page.trimbox
        low, high = (left + inner, right - outer) if index % 2 == 0 else (left + outer, right - inner)
        # 2 pt of play: the last glyph of a justified line may overhang by up to 1.7 pt as
        # pdfminer measures it (advance widths, not the kerned positions); a word or an
        # address that does not break overflows by far more
        stray = [
            c["text"] for c in page.chars
            if (c["x0"] < low - 2 or c["x1"] > high + 2) and not c["text"].isspace()
        ]
        assert not stray, f"{any_pdf.path.name} page {index + 1}: text beyond the measure: {''.join(stray)[:80]!r}"


# ---- fonts ---------------------------------------------------------------------------------------


def test_every_font_is_embedded_and_subset(any_pdf: Pdf) -> None:
    found = fonts(any_pdf.reader)
    assert found, "no font"
    for name, font in found.items():
        assert re.fullmatch(r"/[A-Z]{6}\+.+", name), f"{name}: not a subset"
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), f"{name}: not embedded"


def test_only_the_shipped_fonts(any_pdf: Pdf) -> None:
    families = {re.sub(r"^/[A-Z]{6}\+", "", name).split("-")[0] for name in fonts(any_pdf.reader)}
    assert families == {"Vollkorn", "Inter"}


def test_french_letters_come_out_as_text(print_a4: Pdf) -> None:
    """É, œ, « » and the narrow no-break space U+202F: set with the fonts, and mapped back to
    their characters (copy, search and screen readers)."""
    text = "".join(page.extract_text() for page in print_a4.reader.pages)
    for needle in ("Œuvres", "œil", "«\u202fmanières\u202f»", "Éditions"):
        assert needle in text


# ---- navigation ---------------------------------------------------------------------------------


def test_outline_mirrors_the_sommaire(ua_pdf: Pdf) -> None:
    """The bookmarks are the Sommaire's entries, chapters and their sections, in order, each
    leading to the page the Sommaire gives."""
    bookmarks = outline(ua_pdf.reader)
    entries = sommaire(ua_pdf.path)
    assert [norm(title) for _, title, _ in bookmarks] == [title for title, _, _ in entries]
    assert [page + 1 for _, _, page in bookmarks] == [number for _, number, _ in entries]
    assert {level for level, _, _ in bookmarks} <= {1, 2, 3}  # chapters, `## ` and `### ` sections, no deeper


def margin_text(page: PageData, where: str) -> str:
    """The text of the running head ("head") or the folio ("foot"): 7.5 to 8 pt Inter in the
    page's top or bottom margin."""
    _, top, _, bottom = page.trimbox
    chars = [
        c for c in page.chars
        if "Inter" in c["fontname"] and c["size"] <= 8.5
        and (c["bottom"] < top + 23 * MM if where == "head" else c["top"] > bottom - 27 * MM)
    ]
    return norm("".join(c["text"] for c in sorted(chars, key=lambda c: (round(c["top"]), c["x0"]))))


def test_chapters_open_on_right_hand_pages(ua_pdf: Pdf) -> None:
    pages = [page for level, _, page in outline(ua_pdf.reader) if level == 1]
    assert all(page % 2 == 0 for page in pages), [page + 1 for page in pages]  # odd folios


def body_text(page: PageData) -> str:
    """The page's text without its running head and folio."""
    return norm("".join(c["text"] for c in page.chars)).replace(" ", "")


def is_blank(page: PageData) -> bool:
    return body_text(page) == (margin_text(page, "head") + margin_text(page, "foot")).replace(" ", "")


def test_cover_title_pages_and_blanks_are_bare(print_a4: Pdf) -> None:
    """Nothing in the margins of the cover, the title page or its verso; nothing at all on a
    blank page (the cover's verso, a page left blank before a right-hand chapter opening): no
    running head, no folio, as French practice has it."""
    pages = plumbed(print_a4.path)
    for index in (0, 2, 3):
        assert margin_text(pages[index], "head") == margin_text(pages[index], "foot") == "", index + 1
    assert pages[1].chars == []
    blanks = [index for index, page in enumerate(pages[4:], 4) if is_blank(page)]
    assert len(blanks) >= 2  # the fixture's chapters end on right-hand pages
    for index in blanks:
        assert pages[index].chars == [], f"page {index + 1}: text on a blank page: {pages[index].text!r}"


def test_running_heads_and_folios(print_a4: Pdf) -> None:
    """Left pages carry the dossier's title, right pages the chapter's; none on a chapter's
    first page or a blank page; every page from the Sommaire on but the blank ones has its
    folio `n / total`."""
    reader = print_a4.reader
    pages = plumbed(print_a4.path)
    title = norm(reader.metadata.title)
    chapters = [(page, norm(text)) for level, text, page in outline(reader) if level == 1]
    for index, page in enumerate(pages[4:], 4):
        if not page.chars:  # a blank page (test_cover_title_pages_and_blanks_are_bare)
            continue
        assert margin_text(page, "foot") == f"{index + 1} / {len(pages)}", index + 1
        chapter = [text for start, text in chapters if start <= index]
        opening = any(start == index for start, _ in chapters)
        expected = "" if not chapter or opening or is_blank(page) else (
            title if index % 2 else chapter[-1]
        )
        assert margin_text(page, "head") == expected, f"page {index + 1}"


def test_outline_levels(print_a4: Pdf) -> None:
    # a heading's last two words are bound by a no-break space (render/breaks.py): a space to a reader
    chapters = [title.replace("\xa0", " ") for level, title, _ in outline(print_a4.reader) if level == 1]
    assert chapters == ["Avant-propos", "La composition du texte", "Tableaux et figures", "Sources"]


def test_sommaire_page_numbers_are_where_the_headings_are(ua_pdf: Pdf) -> None:
    """Each page number printed in the Sommaire is the folio of the page on which that heading
    is really set (the folio is the page's position: the cover is page 1)."""
    headings = heading_text(ua_pdf.path)
    entries = sommaire(ua_pdf.path)
    assert len(entries) >= 5
    for title, number, _ in entries:
        pages = [index + 1 for index, text in enumerate(headings) if title in text]
        assert number in pages, f"Sommaire: {title!r} on page {number}, set on page(s) {pages}"


def test_sommaire_entries_are_links_to_their_headings(ua_pdf: Pdf) -> None:
    reader = ua_pdf.reader
    destinations = destination_pages(reader)
    entries = sommaire(ua_pdf.path)
    sommaire_pages = {page for _, _, page in entries}
    targets = {link.dest for link in links(reader) if link.page in sommaire_pages and link.dest}
    assert len(targets) == len(entries)
    assert sorted(destinations[t] + 1 for t in targets) == sorted(number for _, number, _ in entries)


def test_every_note_is_on_the_page_of_its_call(ua_pdf: Pdf) -> None:
    """Each note call links to its note; the note is set on the call's page."""
    reader = ua_pdf.reader
    destinations = destination_pages(reader)
    calls = [link for link in links(reader) if link.dest and link.dest.startswith("note-")]
    assert calls
    away = [(c.dest, c.page + 1, destinations[c.dest] + 1) for c in calls if destinations[c.dest] != c.page]
    assert not away, f"notes away from their call (note, call's page, note's page): {away}"


def test_note_calls_are_numbered_links(print_a4: Pdf) -> None:
    reader = print_a4.reader
    destinations = destination_pages(reader)
    calls = [link for link in links(reader) if link.dest and link.dest.startswith("note-")]
    notes = [name for name in destinations if name.startswith("note-")]
    assert sorted({c.dest for c in calls}) == sorted(notes)
    with pdfplumber.open(print_a4.path) as pdf:
        page = pdf.pages[calls[0].page]
        x0, y0, x1, y1 = calls[0].rect  # PDF space, its corners in either order
        top, bottom = float(page.height) - max(y0, y1), float(page.height) - min(y0, y1)
        words = page.within_bbox((min(x0, x1) - 0.5, top - 0.5, max(x0, x1) + 0.5, bottom + 0.5)).extract_text()
        assert words.strip() == "1"


def test_addresses_are_clickable(print_a4: Pdf, mini_pdf: Pdf) -> None:
    uris = {link.uri for link in links(print_a4.reader) if link.uri}
    assert "https://example.org/carnet/2022/01/02/cesures-et-veuves" in uris
    assert (
        "https://example.org/atelier/composition/les-adresses-tres-longues-doivent-se-couper-proprement-a-la-marge"
        "-sans-jamais-deborder/index.html"
    ) in uris
    assert any(link.uri and link.uri.startswith("https://example.org/") for link in links(mini_pdf.reader))


# ---- metadata and accessibility -----------------------------------------------------------------


def test_document_metadata(print_a4: Pdf) -> None:
    info = print_a4.reader.metadata
    assert info.title == "Œuvres et «\u202fmanières\u202f»\u00a0: essai de composition"
    assert info.author == "Atelier d’épreuve"
    assert info.subject.startswith("Un dossier qui éprouve la mise en page")
    assert info["/Keywords"] == "typographie, épreuve"
    assert info["/CreationDate"] == "D:20250301" and info["/ModDate"] == "D:20261125"  # the editions'
    assert "<dc:title>" in xmp(print_a4.reader)


def test_language_is_set(any_pdf: Pdf) -> None:
    assert any_pdf.reader.trailer["/Root"]["/Lang"] == "fr-FR"


def test_tagged_with_a_structure_tree(any_pdf: Pdf) -> None:
    catalog = any_pdf.reader.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])
    tree = catalog["/StructTreeRoot"].get_object()
    kinds = set()

    def walk(node: Any) -> None:
        for child in _objects(node.get("/K")):
            if isinstance(child, DictionaryObject):
                kinds.add(str(child.get("/S")))
                walk(child)

    walk(tree)
    assert {"/Document", "/H1", "/H2", "/P", "/Link"} <= kinds, kinds


def test_images_have_alt_text(print_a4: Pdf) -> None:
    figures = []

    def walk(node: Any) -> None:
        for child in _objects(node.get("/K")):
            if isinstance(child, DictionaryObject):
                if child.get("/S") == "/Figure":
                    figures.append(child.get("/Alt"))
                walk(child)

    walk(print_a4.reader.trailer["/Root"]["/StructTreeRoot"].get_object())
    assert figures and all(alt and len(alt) > 10 for alt in figures), figures


@pytest.mark.parametrize("name", UA)
def test_pdf_ua_identification(name: str, request: pytest.FixtureRequest) -> None:
    reader = request.getfixturevalue(name).reader
    assert re.search(r'pdfuaid:part="1"|<pdfuaid:part>1</pdfuaid:part>', xmp(reader))


def test_pdf_a_3b_by_option(print_letter_pdfa: Pdf, print_a4: Pdf) -> None:
    reader = print_letter_pdfa.reader
    metadata = xmp(reader)
    assert re.search(r'pdfaid:part="3"|<pdfaid:part>3</pdfaid:part>', metadata)
    assert re.search(r'pdfaid:conformance="B"|<pdfaid:conformance>B</pdfaid:conformance>', metadata)
    assert "/OutputIntents" in reader.trailer["/Root"]
    assert "pdfaid" not in xmp(print_a4.reader)


def test_bundled_pdf_stays_under_1_5_mb(bundled_pdf: Pdf) -> None:
    assert bundled_pdf.path.stat().st_size < 1_500_000


# ---- the layout's own guard ------------------------------------------------------------------


def test_notes_weasyprint_would_move_are_kept_with_their_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """In the print fixture (A4), WeasyPrint moves note 4 of chapter 2 to the page after its
    call, to give a paragraph its two lines; the layout starts that paragraph on the next page
    instead. If the first assertion fails, the fixture no longer provokes the case: lengthen or
    shorten the text before "Les mots trop longs" in tests/fixtures/print/chapters/02-composition.md."""
    from dossier import write
    from dossier.errors import Report
    from dossier.load import load_dossier
    from dossier.render import render
    from dossier.resolve import resolve
    from dossier.write.footnotes import misplaced_notes
    from dossier.write.pdf import layout

    report = Report()
    book = resolve(load_dossier(FIXTURES / "print", report), report)
    rendered = render(book)
    monkeypatch.setattr(write.pdf, "MAX_RELAYOUTS", 0)
    assert [m.note for m in misplaced_notes(layout(rendered, book.config))] == ["note-ch2-n4"]
    monkeypatch.undo()
    assert misplaced_notes(layout(rendered, book.config)) == []


# ---- reference renders ---------------------------------------------------------------------------

RENDERS = {"cover": 0, "sommaire": 4, "notes": 8}  # 0-based pages of the print fixture (A4)
DPI = 50
# Mean absolute difference on 0-255 grey levels, over the page and over the worst of its 8 × 8
# tiles (a changed note or line is local); the same pdfium gives 0 for the same PDF.
TOLERANCE = 0.5
TILE_TOLERANCE = 2.0
TILES = 8


def render_page(path: Path, index: int) -> Any:
    """A page rendered by pdfium (a dependency already, shipped with its own rasteriser so
    the same PDF gives the same pixels on every machine), in grey levels."""
    import pypdfium2 as pdfium

    return pdfium.PdfDocument(str(path))[index].render(scale=DPI / 72).to_pil().convert("L")


def mean_difference(a: Any, b: Any) -> float:
    from PIL import ImageChops, ImageStat

    if a.size != b.size:
        return 255.0
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


def worst_tile_difference(a: Any, b: Any) -> float:
    if a.size != b.size:
        return 255.0
    width, height = a.size
    boxes = [
        (x * width // TILES, y * height // TILES, (x + 1) * width // TILES, (y + 1) * height // TILES)
        for y in range(TILES) for x in range(TILES)
    ]
    return max(mean_difference(a.crop(box), b.crop(box)) for box in boxes)


@pytest.mark.parametrize("name", list(RENDERS))
def test_reference_render(print_a4: Pdf, name: str) -> None:
    image = render_page(print_a4.path, RENDERS[name])
    reference = REFERENCES / f"print-{name}.png"
    if UPDATE:
        REFERENCES.mkdir(exist_ok=True)
        image.save(reference, optimize=True)
    assert reference.is_file(), f"no {reference.name}: run with DOSSIER_UPDATE_REFERENCES=1 to make it"
    from PIL import Image

    expected = Image.open(reference)
    difference, worst = mean_difference(image, expected), worst_tile_difference(image, expected)
    assert difference < TOLERANCE and worst < TILE_TOLERANCE, (
        f"page {RENDERS[name] + 1} differs from {reference.name} by {difference:.2f} grey levels on average, "
        f"{worst:.2f} in its most changed part; if the change is wanted, look at the page and regenerate "
        "(see this module's docstring)"
    )


def test_reference_comparison_sees_a_shifted_line(print_a4: Pdf) -> None:
    """The tolerances are tight enough to fail on a small layout change: the notes page moved
    down by one line of text (14 pt), or by one pixel."""
    from PIL import ImageChops

    image = render_page(print_a4.path, RENDERS["notes"])
    shifted = ImageChops.offset(image, 0, round(14 * DPI / 72))
    assert mean_difference(image, shifted) > 2 * TOLERANCE
    assert worst_tile_difference(image, ImageChops.offset(image, 0, 1)) > 2 * TILE_TOLERANCE  # by one pixel
