"""The print edition as a typographer measures it (issue 17), read back from the PDF's
characters and embedded fonts: word spaces, holes at a page's foot, hyphens, figures, the
baseline grid, blank pages, the Sommaire's leaders, headings; and the page guard and the
hyphenation exceptions that make them so.

The bundled dossier is measured whatever its text is (its content changes from edition to
edition); tests/fixtures/web is a mémoire chapter whose notes cite web pages by long addresses,
with a figure that takes most of a page in the middle of a chapter.
"""

from __future__ import annotations

import itertools
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader

from dossier.resources import bundled_dossier
from tests.conftest import once
from tests.helpers import FIXTURES, ROOT, run_cli
from tests.typeset import (
    AUTO_HYPHEN,
    MM,
    Line,
    all_lines,
    foot_space,
    hyphen_runs,
    hyphenations,
    justified_spacing,
    page_lines,
    pages,
)

A4_TOP, A4_BOTTOM = 23 * MM, 27 * MM  # paper-a4.css
A4_HEIGHT = 297 * MM
BODY_SIZE, LEADING = 10.5, 10.5 * 1.34  # paper-a4.css: the text size and its leading
HOLE_LINES = 4  # the issue: no hole of more than 4 lines at a page's foot outside chapter ends


@dataclass(frozen=True)
class Built:
    pdf: Path
    epub: Path | None
    root: Path


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return once(tmp_path_factory, "test_print_edition.web", lambda: _web(tmp_path_factory))


def _web(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("web")
    result = run_cli("build", str(FIXTURES / "web"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return Built(next(out.glob("*.pdf")), next(out.glob("*.epub")), FIXTURES / "web")


@pytest.fixture(scope="session")
def bundled(bundled_build: Any) -> Built:
    return Built(bundled_build.pdf, bundled_build.epub, bundled_dossier())


@pytest.fixture(params=["bundled", "web"])
def built(request: pytest.FixtureRequest) -> Built:
    return request.getfixturevalue(request.param)


# ---- the book's structure, from the PDF ---------------------------------------------------------


def chapter_openings(path: Path) -> list[int]:
    """The 0-based pages where chapters open (the outline's first level)."""
    reader = PdfReader(str(path))
    found = []
    for item in reader.outline:
        if not isinstance(item, list):
            found.append(reader.get_destination_page_number(item))
    return sorted(found)


def blank(path: Path, index: int) -> bool:
    return not pages(path)[index].chars


def chapter_ends(path: Path) -> set[int]:
    """Each chapter's last page that is not blank (where its text may stop short)."""
    openings = chapter_openings(path)
    count = len(pages(path))
    ends = set()
    for start, following in zip(openings, [*openings[1:], count], strict=True):
        last = following - 1
        while last > start and blank(path, last):
            last -= 1
        ends.add(last)
    return ends


def running_text_pages(path: Path) -> list[int]:
    """The pages of the chapters but their last pages and the blank ones."""
    first = chapter_openings(path)[0]
    ends = chapter_ends(path)
    return [i for i in range(first, len(pages(path))) if i not in ends and not blank(path, i)]


# ---- word spaces ------------------------------------------------------------------------------------


def test_no_justified_line_has_a_word_space_twice_the_natural_one(built: Built) -> None:
    """Every justified line of the body and of the notes, measured from its characters: the
    widest gap between two words is less than twice the font's own space."""
    spacing = justified_spacing(built.pdf)
    assert len(spacing) > 20  # the measure sees the justified lines
    loose = [s for s in spacing if s.ratio >= 2]
    assert not loose, "\n".join(f"p. {s.page + 1}: {s.ratio:.2f}× ({s.widest:.1f} pt) {s.text[:70]!r}" for s in loose)


@pytest.mark.parametrize("fixture", ["print", "bundled"])
def test_probing_in_rounds_chooses_what_probing_every_setting_chooses(
    fixture: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page guard probes a paragraph's settings in rounds of growing change and stops at the
    first round that mends it (footnotes.probe_rounds): for every paragraph the guard probes
    while laying the fixture out (the bundled dossier: every other one, as the probe of all 34
    settings for its 25 paragraphs took 80 s of the suite's time), the settings chosen are those
    a probe of all 34 settings at once chooses (footnotes.best_setting), by the same layout."""
    from dossier.build import check
    from dossier.errors import Report
    from dossier.render import render
    from dossier.write import footnotes
    from dossier.write.pdf import print_layout

    compared: list[tuple[dict[Any, Any], dict[Any, Any]]] = []
    in_rounds = footnotes.probe_rounds
    step = 2 if fixture == "bundled" else 1
    probed = itertools.count(1)  # the paragraphs the guard probes, numbered in order

    def both(root: Any, elements: list[Any], lay_out: Any) -> dict[Any, Any]:
        chosen = in_rounds(root, elements, lay_out)
        sample = [e for e in elements if next(probed) % step == 0]
        if sample:
            every = footnotes.best_setting(lay_out(footnotes.probe_html(root, sample)), sample)
            compared.append(({e: s for e, s in chosen.items() if e in sample}, every))
        return chosen

    monkeypatch.setattr(footnotes, "probe_rounds", both)
    book = check(bundled_dossier() if fixture == "bundled" else FIXTURES / fixture, Report())
    print_layout(render(book, epub=False), book.config)
    assert compared, "the guard probed no paragraph: the test shows nothing"
    for chosen, every in compared:
        assert chosen == every
    assert any(chosen for chosen, _ in compared)  # some paragraph was mended


def test_the_word_space_measure_sees_a_loose_line(tmp_path: Path) -> None:
    """The measure above fails where it should: a justified line left with two words and a
    wide gap between them (a narrow column, a long unbreakable address after two words)."""
    from weasyprint import HTML

    html = (
        '<p style="width: 60mm; text-align: justify; font: 10pt serif; hyphens: none">'
        "Voir ainsi https://example.org/une-adresse-tres-longue-qui-ne-se-coupe-pas-du-tout ensuite.</p>"
    )
    target = tmp_path / "loose.pdf"
    HTML(string=html).write_pdf(target)
    assert max(s.ratio for s in justified_spacing(target)) >= 2


def test_notes_are_set_ragged_right(bundled: Built) -> None:
    """The notes, mostly references with long addresses, are set ragged right: no note line is
    justified (the body's are)."""
    note_size = 8.2  # paper-a4.css
    notes = [line for line in all_lines(bundled.pdf) if line.size == note_size]
    assert len(notes) > 100
    assert not [line for line in notes if line.justified() and line.x1 < max(n.x1 for n in notes) - 30]
    assert sum(line.justified() for line in all_lines(bundled.pdf) if line.size == BODY_SIZE) > 100


# ---- holes at a page's foot ---------------------------------------------------------------------------


def test_no_hole_at_the_foot_of_a_page_outside_chapter_ends(built: Built) -> None:
    """The empty space between the last thing set on a page (a line, a table row, a figure)
    and its notes (or the foot of the text block) is at most four lines, but on a chapter's
    last page."""
    feet = {f.page: f for f in foot_space(built.pdf, A4_HEIGHT - A4_BOTTOM, LEADING, A4_TOP)}
    checked = running_text_pages(built.pdf)
    assert len(checked) >= 3
    holes = [(i + 1, round(feet[i].lines, 1)) for i in checked if i in feet and feet[i].lines > HOLE_LINES]
    assert not holes, f"pages with more than {HOLE_LINES} empty lines at the foot (page, lines): {holes}"


def test_the_large_figure_stays_mid_chapter_with_text_around_it(web: Built) -> None:
    """The figure that takes most of a page: set on a page of its chapter that also carries
    running text, never on a page of its own, and not on the chapter's last page alone."""
    import pdfplumber

    with pdfplumber.open(web.pdf) as pdf:
        figure_pages = [i for i, page in enumerate(pdf.pages) if any(im["height"] > 300 for im in page.images)]
    assert len(figure_pages) == 1
    index = figure_pages[0]
    body = [line for line in page_lines(pages(web.pdf)[index]) if line.size == BODY_SIZE]
    assert len(body) >= 3, "the figure's page carries running text"
    assert index not in chapter_ends(web.pdf), "the text goes on after the figure"


FIT_PAGE = """<!DOCTYPE html><html lang="fr"><head><style>
@page chapter {{ size: 100mm 150mm; margin: 10mm; }}
section {{ page: chapter; font: 10pt/14pt serif; }}
p {{ margin: 0; orphans: 2; widows: 2; }}
figure {{ margin: 0; break-inside: avoid; }}
figure svg {{ display: block; }}
{guard}
</style></head><body><section class="chapter"><h1>Un chapitre</h1>{text}
<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 50 60" width="50mm" height="{height}mm">
<rect width="50" height="60" fill="#888"/></svg><figcaption>Une figure</figcaption></figure></section>
</body></html>"""


def _fit_layout(height: float, guard: str = "", marks: Any = ()) -> tuple[Any, Any, dict[Any, Any]]:
    from weasyprint import HTML

    from dossier.write.footnotes import apply, paths

    text = "<p>Une ligne.</p>" * 4
    html = HTML(string=FIT_PAGE.format(guard=guard, text=text, height=height))
    numbering = paths(html.etree_element)
    apply(html.etree_element, marks)
    return html.render(), html.etree_element, numbering


def _guard_template() -> Any:
    from jinja2 import Environment, FileSystemLoader

    return Environment(loader=FileSystemLoader(str(ROOT / "layouts" / "default"))).get_template("page-guard.css.j2")


@pytest.mark.parametrize(("height", "fits"), [(97.0, True), (120.0, False)])
def test_a_chapters_last_figure_is_fitted_to_the_page_it_missed(height: float, fits: bool) -> None:
    """A figure that is its chapter's last block and misses the page by a little (97 mm in a
    130 mm text block after five lines) is set smaller, to the height the page leaves it, and
    stays on that page; one that would need more than 15 % less (120 mm) is left as it is."""
    from dossier.write.footnotes import FIT_SCALE, fitted_heights, fixes

    document, _, numbering = _fit_layout(height)
    assert len(document.pages) == 2  # the figure missed the first page: a hole there
    found = [f for f in fixes(document, numbering) if f.kind == "fit"]
    assert bool(found) is fits
    if not fits:
        return
    fitted = int(found[0].value)
    assert FIT_SCALE * height / 25.4 * 96 <= fitted < height / 25.4 * 96
    css = _guard_template().render(pages=[], fits=fitted_heights(found), line="0px")
    document, _, _ = _fit_layout(height, css, found)
    assert len(document.pages) == 1  # fitted, the figure is set on the page it missed


# ---- hyphens ----------------------------------------------------------------------------------------------


def protected_names(root: Path) -> set[str]:
    """The names of the glossary and the spelling list (a capital letter, a digit or a dot), lowercased."""
    names: set[str] = set()
    texts = []
    if (root / "glossary.yaml").is_file():
        for entry in yaml.safe_load((root / "glossary.yaml").read_text(encoding="utf-8")) or []:
            texts += [entry.get("term") or "", entry.get("expansion") or ""]
    if (root / "spelling.txt").is_file():
        texts += [w for w in (root / "spelling.txt").read_text(encoding="utf-8").split() if not w.startswith("#")]
    for text in texts:
        words = re.findall(r"[^\W\d_]+", text)
        for index, word in enumerate(words):
            if (word[:1].isupper() and (index or len(words) == 1)) or any(c.isupper() for c in word[1:]):
                names.add(word.lower())
    return names


DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)*\.[a-z]{2,6}\b")


def test_no_hyphen_inside_an_address_a_domain_or_a_name(bundled: Built) -> None:
    """No line ends in a hyphen WeasyPrint added inside a web address, a domain name, or a
    name of the glossary or the spelling list; no address breaks right after one of its own
    hyphens (it breaks before its punctuation)."""
    names = protected_names(bundled.root)
    assert {"netblocks", "cloudflare", "janaozen"} <= names
    found = hyphenations(bundled.pdf)
    assert len(found) > 20  # the text is hyphenated
    wrong = []
    for h in found:
        word = re.sub(r"^[^\w]+|[^\w]+$", "", h.first + h.second)
        if DOMAIN.search(h.first + h.second) or "/" in h.first or word.split("’")[-1].lower() in names:
            wrong.append(f"p. {h.page + 1}: {h.first}-/{h.second}")
    for line in all_lines(bundled.pdf):
        text = line.text.rstrip()
        if text.endswith("-") and re.search(r"(?:https?://|www\.|\.\w{2,6}/)\S*-$", text):
            wrong.append(f"p. {line.page + 1}: an address broken after its hyphen: {text[-40:]!r}")
    assert not wrong, "\n".join(wrong)


def test_at_most_two_hyphenated_lines_in_a_row(built: Built) -> None:
    runs = [run for run in hyphen_runs(built.pdf) if len(run) > 2]
    assert not runs, [(run[0].page + 1, [line.text[-20:] for line in run]) for run in runs]


def _layout_lines(html: str, hyphenation: Any = None) -> list[str]:
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    from dossier.l10n.hyphenation import Hyphenation, patched

    with patched(hyphenation or Hyphenation(), ["fr", "en"]):
        document = HTML(string=html).render()
    return [
        "".join(t.text for t in line.descendants() if isinstance(t, boxes.TextBox))
        for page in document.pages
        for line in page._page_box.descendants()
        if isinstance(line, boxes.LineBox)
    ]


COLUMN = '<p lang="fr" style="width: {w}; font: 12pt serif; hyphens: auto; hyphenate-limit-chars: 5 2 3; margin: 0">{t}</p>'


def test_the_exceptions_file_changes_a_break(tmp_path: Path) -> None:
    """`Kazakhstan` in a 30 mm column: French patterns break it `Kazakhs-tan`; with `Kazakh-stan`
    in the dossier's hyphenation.txt it breaks there; a word listed without a hyphen
    (`Cloudflare`) does not break at all."""
    from dossier.l10n.hyphenation import Hyphenation, read_exceptions

    (tmp_path / "hyphenation.txt").write_text("# exceptions\nKazakh-stan\nCloudflare\n", encoding="utf-8")
    exceptions = Hyphenation(read_exceptions(tmp_path / "hyphenation.txt"))
    kazakhstan = COLUMN.format(w="30mm", t="au Kazakhstan")
    assert _layout_lines(kazakhstan) == [f"au Kazakhs{AUTO_HYPHEN}", "tan"]
    assert _layout_lines(kazakhstan, exceptions) == [f"au Kazakh{AUTO_HYPHEN}", "stan"]
    cloudflare = COLUMN.format(w="20mm", t="de Cloudflare et")
    assert _layout_lines(cloudflare) == ["de", f"Cloud{AUTO_HYPHEN}", "flare et"]
    assert _layout_lines(cloudflare, exceptions) == ["de", "Cloudflare", "et"]


def test_english_passages_take_english_patterns() -> None:
    """A passage marked `lang="en"` inside French text is hyphenated with English patterns:
    `Morn-ing` (French patterns: `Mor-ning`)."""
    french = _layout_lines(COLUMN.format(w="18mm", t="selon le Morning et"))
    english = _layout_lines(COLUMN.format(w="18mm", t='selon le <span lang="en">Morning</span> et'))
    assert french == ["selon le", f"Mor{AUTO_HYPHEN}", "ning et"]
    assert english == ["selon le", f"Morn{AUTO_HYPHEN}", "ing et"]


def test_a_bad_exceptions_line_is_an_error(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "web"
    shutil.copytree(FIXTURES / "web", root)
    (root / "hyphenation.txt").write_text("Kazakh-stan\ndeux mots\n", encoding="utf-8")
    result = run_cli("build", str(root), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert f"{root / 'hyphenation.txt'}:2:1: error[hyphenation-entry]:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.pdf"))


# ---- figures: lining where numbers are looked up --------------------------------------------------------


def glyphs(path: Path, page_index: int) -> list[tuple[str, str, float, float, float]]:
    """(text, glyph name, x, y, size) of every character drawn with Vollkorn on a page: the glyph
    id read from the page's text (its fonts are Identity-mapped CID fonts, the embedded subsets
    keeping the shipped fonts' glyph ids), its name read from the shipped font, the embedded
    glyph checked to be that glyph (the same outline)."""
    from pdfminer.converter import PDFLayoutAnalyzer
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    found: list[tuple[str, str, float, float, float]] = []

    class Collect(PDFLayoutAnalyzer):
        def render_char(self, matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate):  # type: ignore[no-untyped-def]
            base = font.basefont.split("+")[-1]
            if base == "Vollkorn":
                found.append((font.to_unichr(cid), cid, matrix[4], matrix[5], fontsize * abs(matrix[3])))
            return super().render_char(matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate)

    manager = PDFResourceManager()
    device = Collect(manager)
    with path.open("rb") as handle:
        for index, page in enumerate(PDFPage.get_pages(handle)):
            if index == page_index:
                PDFPageInterpreter(manager, device).process_page(page)
                break
    names = _shipped_glyph_order()
    _check_embedded_outlines(path, page_index, {cid for _, cid, *_ in found})
    return [(text, names[cid], x, y, size) for text, cid, x, y, size in found]


def _shipped_glyph_order() -> list[str]:
    from fontTools.ttLib import TTFont

    from dossier.resources import assets_dir

    return TTFont(str(assets_dir() / "fonts" / "Vollkorn-Regular.ttf")).getGlyphOrder()


def _check_embedded_outlines(path: Path, page_index: int, gids: set[int]) -> None:
    """The embedded Vollkorn's glyphs of these ids are the shipped font's (ids kept by the subset)."""
    import io

    from fontTools.ttLib import TTFont

    from dossier.resources import assets_dir

    shipped = TTFont(str(assets_dir() / "fonts" / "Vollkorn-Regular.ttf"))
    page = PdfReader(str(path)).pages[page_index]
    for font in page["/Resources"]["/Font"].values():
        font = font.get_object()
        if not str(font["/BaseFont"]).endswith("+Vollkorn"):
            continue
        descendant = font["/DescendantFonts"][0].get_object()
        assert descendant["/CIDToGIDMap"] == "/Identity"
        embedded = TTFont(io.BytesIO(descendant["/FontDescriptor"]["/FontFile2"].get_object().get_data()))
        order_e, order_s = embedded.getGlyphOrder(), shipped.getGlyphOrder()
        for gid in sorted(gids)[:40]:
            mine, theirs = embedded["glyf"][order_e[gid]], shipped["glyf"][order_s[gid]]
            if theirs.numberOfContours:  # a composite glyph too (its components' points, placed)
                ours = list(mine.getCoordinates(embedded["glyf"])[0])
                assert ours == list(theirs.getCoordinates(shipped["glyf"])[0]), f"glyph {gid} is not {order_s[gid]}"


def _in_rect(x: float, y: float, rect: tuple[float, ...]) -> bool:
    x0, y0, x1, y1 = rect
    return min(x0, x1) - 1 <= x <= max(x0, x1) + 1 and min(y0, y1) - 1 <= y <= max(y0, y1) + 1


def test_calls_and_addresses_use_lining_figures(bundled: Built) -> None:
    """The glyphs of the embedded font, by name: note calls are superior figures with the
    flagged one (`uni00B9.ss11`, not the `uni00B9` that reads as a roman I); the digits of
    addresses and notes are lining (`.lf`); the running text keeps its old-style figures."""
    reader = PdfReader(str(bundled.pdf))
    checked_calls = checked_urls = old_style = 0
    for index, page in enumerate(reader.pages):
        annotations = [a.get_object() for a in page.get("/Annots") or []]
        calls = [tuple(float(v) for v in a["/Rect"]) for a in annotations if str(a.get("/Dest", "")).startswith("note-")]
        urls = [tuple(float(v) for v in a["/Rect"]) for a in annotations if a.get("/A") and a["/A"].get("/URI")]
        if not calls or not urls:
            continue
        for text, name, x, y, size in glyphs(bundled.pdf, index):
            if not text.isdigit():
                continue
            if any(_in_rect(x, y, r) for r in calls):
                assert name.startswith(("uni20", "uni00B")), f"page {index + 1}: the call's {text} is {name}"
                assert name != "uni00B9", f"page {index + 1}: the call's one is the superior one that reads as an I"
                checked_calls += 1
            elif any(_in_rect(x, y, r) for r in urls):
                assert name.endswith(".lf"), f"page {index + 1}: the digit {text} of an address is {name}"
                checked_urls += 1
            elif abs(size - BODY_SIZE) < 0.2:
                old_style += name in OLD_STYLE
        if checked_calls > 20 and checked_urls > 20 and old_style:
            break
    assert checked_calls > 20 and checked_urls > 20
    assert old_style, "the running text's figures are old-style"


OLD_STYLE = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}


def test_epub_fonts_keep_the_figure_features(bundled: Built) -> None:
    """The EPUB's subset fonts keep lining, old-style and superior figures (their GSUB
    features and the glyphs they reach), which its stylesheet asks for."""
    import io

    from fontTools.ttLib import TTFont

    assert bundled.epub is not None
    with zipfile.ZipFile(bundled.epub) as archive:
        name = next(n for n in archive.namelist() if n.endswith("Vollkorn-Regular.ttf"))
        font = TTFont(io.BytesIO(archive.read(name)))
    features = {record.FeatureTag for record in font["GSUB"].table.FeatureList.FeatureRecord}
    assert {"lnum", "onum", "sups", "pnum", "tnum"} <= features, features
    # The glyphs the features reach (the subset keeps no glyph names: followed through GSUB): each
    # digit has a lining and a superior form of its own, with an outline.
    digits = [font.getBestCmap()[ord(d)] for d in "0123456789"]
    for tag in ("lnum", "sups"):
        reached = _substitutions(font, tag)
        assert all(reached.get(g, g) != g for g in digits), (tag, {g: reached.get(g) for g in digits})
        assert all(font["glyf"][reached[g]].numberOfContours != 0 for g in digits), tag


def _substitutions(font: Any, tag: str) -> dict[str, str]:
    """The single substitutions of a GSUB feature (glyph → glyph)."""
    table = font["GSUB"].table
    found: dict[str, str] = {}
    for record in (r for r in table.FeatureList.FeatureRecord if r.FeatureTag == tag):
        for index in record.Feature.LookupListIndex:
            for sub in table.LookupList.Lookup[index].SubTable:
                sub = sub.ExtSubTable if table.LookupList.Lookup[index].LookupType == 7 else sub
                found.update(getattr(sub, "mapping", {}))
    return found


# ---- the page: grid, blank pages, leaders, headings ------------------------------------------------------


def test_body_lines_keep_one_leading_calls_or_not(bundled: Built) -> None:
    """A fixed baseline grid: two running-text lines one above the other are one leading
    apart, or whole leadings where a heading, a list or a quotation sits between them; a note
    call does not push its line down."""
    off_grid = []
    checked = 0
    for index in running_text_pages(bundled.pdf):
        lines = page_lines(pages(bundled.pdf)[index])
        body = [line for line in lines if line.size == BODY_SIZE]
        for above, below in itertools.pairwise(body):
            between = [line for line in lines if above.baseline < line.baseline < below.baseline]
            if any(line.size < 9.5 for line in between) or below.baseline - above.baseline > 8 * LEADING:
                continue  # a table, a figure's caption or the notes between them
            pitch = below.baseline - above.baseline
            steps = round(pitch / LEADING)
            checked += 1
            if abs(pitch - steps * LEADING) > 0.15:
                off_grid.append((index + 1, round(pitch, 2), above.text[-30:]))
    assert checked > 300
    assert not off_grid, off_grid[:10]


def test_blank_pages_carry_no_text(built: Built) -> None:
    """A page left blank (a verso before a chapter, the cover's verso) is bare: no page carries
    only what the margins carry (a folio, 8 pt Inter; a running head, 7.5 pt)."""
    found = pages(built.pdf)
    assert len([page for page in found if not page.chars]) >= 2  # the book has blank pages
    margins_only = [
        i + 1 for i, page in enumerate(found)
        if page.chars and all("Inter" in c["fontname"] and c["size"] <= 8.5 for c in page.chars)
    ]
    assert not margins_only, f"pages with a folio or a running head and nothing else: {margins_only}"


def test_sommaire_leaders_start_after_a_space(bundled: Built) -> None:
    """The leader dots of the Sommaire start at least a word space after the title's last
    letter ("Sources." must not read as a sentence)."""
    index = next(i for i, p in enumerate(pages(bundled.pdf)) if "".join(c["text"] for c in p.chars[:8]) == "Sommaire")
    checked = 0
    for line in page_lines(pages(bundled.pdf)[index]):
        text = line.text
        match = re.search(r"[^\s.]\s*\.\s*\.", text)
        if not match:
            continue
        chars = [c for c in line.chars if not c["text"].isspace()]
        first_dot = next(i for i, c in enumerate(chars) if c["text"] == "." and i + 1 < len(chars) and chars[i + 1]["text"] == ".")
        gap = chars[first_dot]["x0"] - chars[first_dot - 1]["x1"]
        assert gap >= 2.5, f"{text[:40]!r}: the dots start {gap:.1f} pt after the title"
        checked += 1
    assert checked >= 5


def test_headings_and_the_cover_title_never_end_on_a_lone_word(built: Built) -> None:
    """A heading set on several lines (Inter, bold or semibold, 10 pt or more) has two words at
    least on its last line; the cover's title too."""
    lonely = []
    for index, page in enumerate(pages(built.pdf)):
        heading = [
            line for line in page_lines(page)
            if "Inter" in line.chars[0]["fontname"] and "Bold" in line.chars[0]["fontname"] and line.size >= 10
        ]
        groups: list[list[Line]] = []
        for line in heading:
            if groups and line.size == groups[-1][-1].size and line.baseline - groups[-1][-1].baseline < 1.6 * line.size:
                groups[-1].append(line)
            else:
                groups.append([line])
        for group in groups:
            if len(group) > 1 and len(group[-1].text.split()) < 2:
                lonely.append((index + 1, " / ".join(line.text for line in group)))
    assert not lonely, lonely


def test_the_number_sign_is_a_raised_o(web: Built) -> None:
    """`n° 12` in the source is printed `nº 12`: the number sign is a raised o, not a degree."""
    assert "n° 12" in (web.root / "chapters" / "02-enquete.md").read_text(encoding="utf-8")
    text = "\n".join(page.extract_text() or "" for page in PdfReader(str(web.pdf)).pages)
    assert not re.search(r"[nN]°\s*\d", text), "a degree sign for the number sign"
    assert re.search(r"nº\s12", text)


# ---- the print shop's PDF (`--print-ready`) ----------------------------------------------------------


@dataclass(frozen=True)
class Ready:
    interior: Path
    cover: Path


@pytest.fixture(scope="session")
def ready(tmp_path_factory: pytest.TempPathFactory) -> Ready:
    """The web fixture for a print shop: `--print-ready` makes the interior and the cover's own PDF."""
    return once(tmp_path_factory, "test_print_edition.ready", lambda: _ready(tmp_path_factory))


def _ready(tmp_path_factory: pytest.TempPathFactory) -> Ready:
    out = tmp_path_factory.mktemp("web-ready")
    result = run_cli("build", str(FIXTURES / "web"), "--out", str(out), "--format", "pdf", "--print-ready")
    assert result.returncode == 0, result.stderr
    return Ready(out / "archiver-le-web-1.pdf", out / "archiver-le-web-1.cover.pdf")


def _both(ready: Ready) -> list[Path]:
    return [ready.interior, ready.cover]


def test_print_ready_is_a_pdf_x4_with_an_output_intent(ready: Ready) -> None:
    """Both PDFs identify as PDF/X-4 in their XMP (`pdfxid:GTS_PDFXVersion`) and carry a CMYK
    output intent (GTS_PDFX, an ICC profile of four components); qpdf finds nothing wrong."""
    import subprocess

    import pikepdf

    for path in _both(ready):
        with pikepdf.open(path) as pdf:
            meta = pdf.open_metadata()
            assert meta.get("pdfxid:GTS_PDFXVersion") == "PDF/X-4", path.name
            intents = list(pdf.Root.get("/OutputIntents") or [])
            assert len(intents) == 1, path.name
            assert intents[0]["/S"] == "/GTS_PDFX"
            assert int(intents[0]["/DestOutputProfile"]["/N"]) == 4
            assert "FOGRA39" in str(intents[0]["/OutputConditionIdentifier"])
        check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "No syntax or stream encoding errors found" in check.stdout


def test_print_ready_boxes_bleed_and_marks_in_the_slug(ready: Ready) -> None:
    """Every page: TrimBox inside a BleedBox 3 mm larger, inside a MediaBox with at least 7 mm
    more for the marks; the eight crop marks all lie in that slug, clear of the bleed, and
    nothing else is painted there (the cover's background stops at the bleed's edge)."""
    import pdfplumber
    import pikepdf

    for path in _both(ready):
        with pikepdf.open(path) as pdf:
            boxes = [
                [[float(v) for v in page.obj[name]] for name in ("/MediaBox", "/BleedBox", "/TrimBox")]
                for page in pdf.pages
            ]
        for index, (media, bleed, trim) in enumerate(boxes):
            for side in range(4):
                sign = -1 if side < 2 else 1
                assert round(sign * (bleed[side] - trim[side]), 2) == round(3 * MM, 2), (path.name, index)
                assert sign * (media[side] - bleed[side]) >= 7 * MM, (path.name, index)
        with pdfplumber.open(path) as pdf:
            for index, page in enumerate(pdf.pages):
                media, bleed, _ = boxes[index]
                # pdfplumber's coordinates: x as the PDF has it, y downwards from its page's top
                left, right = bleed[0], bleed[2]
                top, bottom = page.bbox[1] + media[3] - bleed[3], page.bbox[1] + media[3] - bleed[1]
                outside = [
                    line for line in page.lines
                    if line["x1"] <= left or line["x0"] >= right or line["bottom"] <= top or line["top"] >= bottom
                ]
                assert len(outside) == 8, f"{path.name} page {index + 1}: {len(outside)} marks in the slug"
                stray = [
                    c for c in page.chars if c["x0"] < left or c["x1"] > right or c["top"] < top or c["bottom"] > bottom
                ]
                assert not stray


def test_print_ready_slug_is_white_but_for_the_marks(ready: Ready) -> None:
    """The cover's tone runs 3 mm past the trim, and stops there: a pixel 1.5 mm out of the
    trim is toned, one 6 mm out (between the marks, at mid-height) is white."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(ready.cover))
    for index in range(len(document)):
        page = PdfReader(str(ready.cover)).pages[index]
        offset = float(page.trimbox.left) - float(page.mediabox.left)
        image = document[index].render(scale=1).to_pil().convert("RGB")
        middle = image.height // 2
        assert image.getpixel((round(offset - 1.5 * MM), middle)) != (255, 255, 255), index
        assert image.getpixel((round(offset - 6 * MM), middle)) == (255, 255, 255), index
        assert image.getpixel((image.width - 1 - round(offset - 6 * MM), middle)) == (255, 255, 255), index


def test_print_ready_interior_is_even_and_the_cover_apart(ready: Ready, web: Built) -> None:
    """The interior starts at the title page and has an even page count; the cover's own PDF
    has the front (the title) and the back (the description); the accessible edition
    (`dossier build`, no option) keeps the cover as its first page."""
    interior, cover = PdfReader(str(ready.interior)), PdfReader(str(ready.cover))
    assert len(interior.pages) % 2 == 0
    assert len(cover.pages) == 2
    front, back = (norm(page.extract_text()) for page in cover.pages)
    assert "Archiver le web local" in front
    assert "archivage des sites municipaux" in back
    default = PdfReader(str(web.pdf))
    assert norm(default.pages[0].extract_text()).split()[:3] == front.split()[:3]
    first = norm(interior.pages[0].extract_text())
    assert "Camille Delorme" in first
    # the interior is the default edition without the cover and its blank verso
    assert norm(interior.pages[0].extract_text()) == norm(default.pages[2].extract_text())
    assert len(interior.pages) in (len(default.pages) - 2, len(default.pages) - 1)


def norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").replace("\u00ad", "")).strip()


def test_print_ready_text_is_black_ink_alone(ready: Ready) -> None:
    """Every colour the pages set is a CMYK one (no device RGB, no grey), and the body text is
    drawn in 100 % black (`0 0 0 1`), not a rich black converted from RGB."""
    import collections

    import pikepdf

    for path in _both(ready):
        inks: collections.Counter[tuple[float, ...]] = collections.Counter()
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                fill: tuple[float, ...] = ()
                space = ""
                for operands, operator in pikepdf.parse_content_stream(page):
                    op = str(operator)
                    assert op not in ("rg", "RG", "g", "G"), f"{path.name}: a device RGB or grey colour ({op})"
                    if op in ("cs", "CS"):
                        space = str(operands[0])
                        assert space == "/DeviceCMYK", f"{path.name}: colour space {space}"
                    elif op in ("sc", "scn", "k"):
                        fill = tuple(round(float(v), 3) for v in operands)
                    elif op in ("Tj", "TJ"):
                        inks[fill] += 1
        black = inks[(0.0, 0.0, 0.0, 1.0)]
        assert black > 0.6 * sum(inks.values()) or path == ready.cover, (path.name, inks)
        assert all(len(ink) == 4 for ink in inks), (path.name, inks)
