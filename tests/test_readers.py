"""The e-reader edition on every reader (issue 18), read back from the bundled EPUB: zip + lxml
for what a reading system is given (metadata, NCX, semantics, languages, stylesheet), headless
Chromium (Debian's, driven by Playwright) for what a reader sees on a phone at large text sizes,
on a night theme, and whether the claims of the accessibility metadata rest on checks that ran."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from dossier.write.validate import ace_command
from tests.conftest import WITH_ACE, Built, _build
from tests.helpers import NS, copy_fixture, epub_documents, epub_file, epubcheck_messages, run_cli

OPF = "EPUB/content.opf"
SVG = "http://www.w3.org/2000/svg"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = f"{{{NS['epub']}}}type"
X = f"{{{NS['x']}}}"
ALL_NS = {**NS, "svg": SVG}


def _opf(epub: Path) -> etree._Element:
    return etree.fromstring(epub_file(epub, OPF))


def _meta(opf: etree._Element, prop: str) -> list[etree._Element]:
    return opf.xpath(f"//opf:meta[@property='{prop}']", namespaces=NS)


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _types(element: etree._Element) -> set[str]:
    return set((element.get(EPUB_TYPE) or "").split())


def _css(epub: Path) -> str:
    return re.sub(r"/\*.*?\*/", "", epub_file(epub, "EPUB/css/epub.css").decode(), flags=re.S)


def _chapters(epub: Path) -> dict[str, etree._Element]:
    return {n: r for n, r in epub_documents(epub).items() if re.fullmatch(r"EPUB/ch\d+\.xhtml", n)}


# -- note calls ---------------------------------------------------------------------------------


def _adjacent_calls(root: etree._Element) -> Iterator[tuple[etree._Element, etree._Element]]:
    for sup in root.iter(f"{X}sup"):
        after = sup.getnext()
        if "noteref" in (sup.get("class") or "") and after is not None and after.tag == f"{X}sup" and not (
            sup.tail or ""
        ).strip():
            yield sup, after


def test_consecutive_note_calls_are_set_apart(bundled_build: Built, wrong_languages: Built) -> None:
    """"⁸⁹¹⁰" never: a call right after another one starts with the comma print sets between them.
    (Edition 3 of the bundled dossier gives each passage one call; the fixture has two in a row.)"""
    pairs = [p for built in (bundled_build, wrong_languages)
             for root in _chapters(built.epub).values() for p in _adjacent_calls(root)]
    assert pairs, "the fixture has calls one after another"
    for first, second in pairs:
        assert second.get("class") == "noteref"
        assert not _text(first).endswith(",")
        assert _text(second)[:1] == "," and _text(second)[1:].isdigit(), etree.tostring(second)


# -- languages ----------------------------------------------------------------------------------


def _effective_lang(element: etree._Element) -> str:
    while element is not None:
        if element.get("lang"):
            return element.get("lang")
        element = element.getparent()
    return ""


def test_every_lang_is_valid_bcp47_and_english_titles_are_tagged_en(bundled_build: Built) -> None:
    import langcodes
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identify = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    documents = epub_documents(bundled_build.epub)
    tags = {e.get(a) for r in documents.values() for e in r.iter() for a in ("lang", XML_LANG) if e.get(a)}
    tags |= {_opf(bundled_build.epub).get(XML_LANG), _opf(bundled_build.epub).findtext(".//dc:language", namespaces=NS)}
    assert tags and all(re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", t) and langcodes.tag_is_valid(t) for t in tags), tags
    english = []
    for root in documents.values():
        for title in root.xpath("//x:cite[contains(@class, 'title')] | //x:span[contains(@class, 'title')]", namespaces=NS):
            text = _text(title)
            ranked = dict(identify.rank(text))
            if len(text.split()) >= 3 and ranked["en"] >= 0.9 * (ranked["en"] + ranked["fr"]):
                english.append((text, _effective_lang(title)))
    assert english, "the bundled dossier cites English titles"
    assert [t for t in english if not t[1].startswith("en")] == []


# -- Apple Books' specified fonts, night themes, stylesheet -------------------------------------


def test_apple_books_uses_the_books_fonts(bundled_build: Built) -> None:
    opf = _opf(bundled_build.epub)
    prefixes = dict(re.findall(r"(\w+): (\S+)", opf.get("prefix")))
    assert prefixes["ibooks"] == "http://vocabulary.itunes.apple.com/rdf/ibooks/vocabulary-extensions-1.0/"
    assert [m.text for m in _meta(opf, "ibooks:specified-fonts")] == ["true"]
    options = etree.fromstring(epub_file(bundled_build.epub, "META-INF/com.apple.ibooks.display-options.xml"))
    assert options.tag == "display_options"
    assert options.xpath("platform[@name='*']/option[@name='specified-fonts']/text()") == ["true"]


def _svgs(epub: Path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(epub) as archive:
        return {n: etree.fromstring(archive.read(n)) for n in archive.namelist() if n.endswith(".svg")}


def _has_paper(svg: etree._Element) -> bool:
    """The first thing drawn is an opaque rectangle over the whole drawing."""
    first = next((e for e in svg if isinstance(e.tag, str) and e.tag not in (f"{{{SVG}}}title", f"{{{SVG}}}defs")), None)
    _, _, width, height = (float(v) for v in svg.get("viewBox").split())
    return (
        first is not None and first.tag == f"{{{SVG}}}rect" and float(first.get("x", 0)) <= 0 >= float(first.get("y", 0))
        and float(first.get("width")) >= width and float(first.get("height")) >= height
        and first.get("fill", "none") not in ("none", "transparent") and float(first.get("fill-opacity", 1)) == 1
    )


def _inverted_at_night(css: str) -> set[str]:
    """Classes of images a `prefers-color-scheme: dark` rule inverts."""
    found = set()
    for block in re.findall(r"@media\s*\(prefers-color-scheme:\s*dark\)\s*\{((?:[^{}]*\{[^}]*\})*)[^{}]*\}", css):
        for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", block):
            if re.search(r"filter:\s*invert\(", body):
                found |= set(re.findall(r"img\.([\w-]+)", selector))
    return found


def test_every_svg_stays_legible_on_a_night_theme(bundled_build: Built) -> None:
    """Each figure has its own paper (a reader's dark background cannot show through its dark
    lines), or is marked and inverted under `prefers-color-scheme: dark`."""
    svgs = _svgs(bundled_build.epub)
    inverted = _inverted_at_night(_css(bundled_build.epub))
    images = {
        f"EPUB/{img.get('src')}": set((img.get("class") or "").split())
        for root in epub_documents(bundled_build.epub).values() for img in root.iter(f"{X}img")
        if img.get("src", "").endswith(".svg")
    }
    assert svgs and set(images) == set(svgs)
    for name, svg in svgs.items():
        assert _has_paper(svg) or images[name] & inverted, name
    inline = [s for r in epub_documents(bundled_build.epub).values() for s in r.iter(f"{{{SVG}}}svg")]
    assert all(_has_paper(s) for s in inline)
    assert {"line-art"} <= inverted, "line art is inverted at night, on top of its own paper"


def test_urls_break_only_where_the_template_allows(bundled_build: Built) -> None:
    css = _css(bundled_build.epub)
    assert not re.search(r"word-break:\s*break-all", css)
    urls = [a for r in _chapters(bundled_build.epub).values() for a in r.xpath("//x:a[@class='url']", namespaces=NS)]
    assert urls and all(a.find(f"{X}wbr") is not None for a in urls if len(_text(a)) > 30)


# -- navigation: NCX, semantics, landmarks ------------------------------------------------------


def test_ncx_has_its_depth_a_play_order_and_the_page_list(bundled_build: Built) -> None:
    ncx = etree.fromstring(epub_file(bundled_build.epub, "EPUB/toc.ncx"))
    n = {"n": NS["ncx"]}
    points = ncx.xpath("//n:navPoint", namespaces=n)
    depth = max(len(p.xpath("ancestor-or-self::n:navPoint", namespaces=n)) for p in points)
    assert depth >= 2 and ncx.xpath("//n:meta[@name='dtb:depth']/@content", namespaces=n) == [str(depth)]
    targets = ncx.xpath("//n:pageList/n:pageTarget", namespaces=n)
    nav = epub_documents(bundled_build.epub)["EPUB/nav.xhtml"]
    page_list = nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS)
    assert [(t.findtext("n:navLabel/n:text", namespaces=n), t.find("n:content", n).get("src")) for t in targets] == [
        (_text(a), a.get("href")) for a in page_list
    ]
    assert ncx.xpath("//n:meta[@name='dtb:totalPageCount']/@content", namespaces=n) == [str(len(targets))]
    assert all(t.get("type") == "normal" and t.get("value") == t.findtext("n:navLabel/n:text", namespaces=n)
               for t in targets if t.findtext("n:navLabel/n:text", namespaces=n).isdigit())
    # playOrder: every entry, from 1 without gaps, the same place the same number, in reading order
    entries = points + targets
    orders = [int(e.get("playOrder")) for e in entries]
    assert sorted(set(orders)) == list(range(1, max(orders) + 1))
    by_place: dict[str, set[int]] = {}
    for entry in entries:
        by_place.setdefault(entry.find("n:content", n).get("src"), set()).add(int(entry.get("playOrder")))
    assert all(len(o) == 1 for o in by_place.values())
    nav_points_in_order = [int(p.get("playOrder")) for p in points]
    assert nav_points_in_order == sorted(nav_points_in_order)


def test_title_page_foreword_and_colophon_say_what_they_are(bundled_build: Built) -> None:
    documents = epub_documents(bundled_build.epub)
    title = documents["EPUB/titlepage.xhtml"]
    (page,) = [e for e in title.iter() if "titlepage" in _types(e)]
    headings = page.xpath(".//x:h1", namespaces=NS)
    assert len(headings) == 1 and _text(headings[0]) == _text(_opf(bundled_build.epub).find(".//dc:title", NS))
    kinds = {}
    for name, root in _chapters(bundled_build.epub).items():
        (section,) = root.xpath("/x:html/x:body/x:section", namespaces=NS)
        kinds[name] = _types(section)
        assert section.get("role") == "doc-" + next(iter(_types(section)))
    assert {"foreword", "colophon", "chapter"} <= set().union(*kinds.values())
    assert all(len(k) == 1 for k in kinds.values())


def test_landmarks_lead_to_the_title_page_glossary_colophon(bundled_build: Built) -> None:
    documents = epub_documents(bundled_build.epub)
    nav = documents["EPUB/nav.xhtml"]
    landmarks = {
        a.get(EPUB_TYPE): a.get("href") for a in nav.xpath("//x:nav[@epub:type='landmarks']//x:a", namespaces=NS)
    }
    assert {"cover", "titlepage", "toc", "foreword", "bodymatter", "glossary", "bibliography", "colophon"} <= set(
        landmarks
    )
    for kind, href in landmarks.items():
        target = documents[f"EPUB/{href.partition('#')[0]}"]
        found = [e for e in target.iter() if kind in _types(e)] or [kind == "bodymatter"]
        assert found, (kind, href)


def test_initialisms_of_the_glossary_are_marked_up(bundled_build: Built) -> None:
    from dossier.errors import Report
    from dossier.load import load_dossier

    glossary = load_dossier(bundled_build.root, Report()).glossary
    initialisms = {e.term: e.expansion for e in glossary if e.expansion and re.fullmatch(r"[A-Z][A-Z/]+", e.term)}
    assert initialisms
    marked = []
    for root in _chapters(bundled_build.epub).values():
        for abbr in root.iter(f"{X}abbr"):
            marked.append(_text(abbr))
            assert abbr.get("title") == initialisms[_text(abbr)]
        for element in root.iter():
            if not isinstance(element.tag, str) or element.xpath("ancestor-or-self::x:a | ancestor-or-self::x:dfn"
                                                                 " | ancestor-or-self::x:abbr | ancestor-or-self::x:code"
                                                                 " | ancestor-or-self::x:head", namespaces=NS):
                continue
            for text in (element.text, *(c.tail for c in element)):
                for term in initialisms:
                    assert not re.search(rf"(?<![\w/.-]){re.escape(term)}(?![\w/-])", text or ""), (term, text)
    assert set(marked) <= set(initialisms) and len(marked) > len(initialisms)


# -- metadata -----------------------------------------------------------------------------------


def test_metadata_rights_creators_generator(bundled_build: Built) -> None:
    opf = _opf(bundled_build.epub)
    rights = opf.findall(".//dc:rights", NS)
    assert len(rights) == 1 and rights[0].text.strip()
    creators = opf.findall(".//dc:creator", NS)
    assert creators
    for creator in creators:
        refines = {m.get("property"): m for m in opf.xpath(f"//opf:meta[@refines='#{creator.get('id')}']", namespaces=NS)}
        assert refines["role"].text == "aut" and refines["role"].get("scheme") == "marc:relators"
        assert refines["file-as"].text.strip() and refines["file-as"].get("scheme") is None
    generators = opf.xpath("//opf:meta[@name='generator']/@content", namespaces=NS)
    assert len(generators) == 1 and generators[0].startswith("dossier ")
    features = [m.text for m in _meta(opf, "schema:accessibilityFeature")]
    assert "printPageNumbers" not in features and "pageBreakMarkers" in features


def test_conformance_is_claimed_only_with_its_certifier(bundled_build: Built, mini_build: Built, en_build: Built) -> None:
    """`dcterms:conformsTo` only when Ace ran with EPUBCheck and the book's own checks, and all
    passed: then refined by `a11y:certifiedBy` naming them, and the summary says so."""
    for built in (bundled_build, mini_build, en_build):
        opf = _opf(built.epub)
        claims = _meta(opf, "dcterms:conformsTo")
        certifiers = _meta(opf, "a11y:certifiedBy")
        summary = _meta(opf, "schema:accessibilitySummary")[0].text
        assert len(claims) <= 1 and len(certifiers) == len(claims)
        for claim, certifier in zip(claims, certifiers, strict=True):
            assert claim.text == "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
            assert certifier.get("refines") == f"#{claim.get('id')}"
            assert all(name in certifier.text for name in ("EPUBCheck", "DAISY Ace", "dossier"))
            assert "EPUBCheck" in summary and "DAISY Ace" in summary
        if not claims:
            assert "EPUBCheck" not in summary
    assert not _meta(_opf(mini_build.epub), "dcterms:conformsTo"), "built without Ace (DOSSIER_ACE=off): no claim"
    if ace_command() is not None:
        assert "warning[" not in bundled_build.stderr, bundled_build.stderr
        assert _meta(_opf(bundled_build.epub), "dcterms:conformsTo"), "Ace ran and every check passed"
    else:
        assert "warning[epub-a11y-unchecked]" in bundled_build.stderr


@pytest.mark.skipif(ace_command() is None, reason="DAISY Ace is not installed here")
def test_no_ace_says_ace_is_off_not_missing(tmp_path: Path) -> None:
    """`--no-ace` where Ace is installed: the EPUB makes no claim, and the warning says why
    (Ace is off), not that Ace is missing, which would send the user to reinstall it."""
    root = copy_fixture("mini", tmp_path)
    result = run_cli("build", str(root), "--out", str(tmp_path / "out"), "--format", "epub", "--no-ace", env=WITH_ACE)
    assert result.returncode == 0, result.stderr
    assert "warning[epub-a11y-unchecked]: EPUB: DAISY Ace is off (--no-ace" in result.stderr
    assert "not found" not in result.stderr
    assert not _meta(_opf(next((tmp_path / "out").glob("*.epub"))), "dcterms:conformsTo")


# -- a dossier whose parts are in the wrong language, with its rights --------------------------


@pytest.fixture(scope="module")
def wrong_languages(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The fixture dossier with a passage tagged with no language tag (`lang="English"`, as a
    Zotero export writes it) and a French sentence tagged English, and its own rights."""
    root = copy_fixture("mini", tmp_path_factory.mktemp("lang-src"))
    chapter = root / "chapters" / "02-contexte.md"
    chapter.write_text(
        chapter.read_text(encoding="utf-8")
        + '\nUn passage <span lang="English">in English, as an export labels it</span> et'
        ' <span lang="en">une phrase entièrement écrite en français, sans un seul mot anglais</span>.\n'
        "\nDeux appels à la suite[^suite-a][^suite-b].\n\n[^suite-a]: Une première note.\n\n[^suite-b]: Une seconde.\n",
        encoding="utf-8",
    )
    config = root / "dossier.toml"
    text = config.read_text(encoding="utf-8").replace('publisher = ', 'rights = "© 2026 Éditions d’essai. CC BY 4.0"\npublisher = ', 1)
    config.write_text(text, encoding="utf-8")
    return _build(root, tmp_path_factory.mktemp("lang-out"), WITH_ACE)


def test_a_wrong_language_is_left_out_or_said_and_the_claim_withheld(wrong_languages: Built) -> None:
    documents = epub_documents(wrong_languages.epub)
    tags = {e.get("lang") for r in documents.values() for e in r.iter() if e.get("lang")}
    assert "English" not in tags
    chapter = f"{wrong_languages.root / 'chapters' / '02-contexte.md'}: warning[epub-lang]: EPUB: ch2.xhtml: "
    lines = wrong_languages.stderr.splitlines()
    assert any(line.startswith(chapter + "'English' is not a language tag") for line in lines), lines
    assert any(
        line.startswith(chapter + "'une phrase entièrement écrite")
        and "is in 'en' but reads as 'fr'" in line and line.endswith("(so it makes no accessibility conformance claim)")
        for line in lines
    ), lines
    opf = _opf(wrong_languages.epub)
    assert not _meta(opf, "dcterms:conformsTo") and not _meta(opf, "a11y:certifiedBy")
    summary = _meta(opf, "schema:accessibilitySummary")[0].text
    assert "La langue du texte" not in summary and "EPUBCheck" not in summary
    assert opf.findtext(".//dc:rights", namespaces=NS) == "© 2026 Éditions d’essai. CC BY 4.0"
    assert epubcheck_messages(wrong_languages.epub) == []


def test_an_ace_violation_withdraws_the_claim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The claim is written before Ace runs (so that what ships with it is what Ace checked) and
    withdrawn, the rest of the archive unchanged, when Ace finds a violation."""
    from dossier.write import epub
    from dossier.write.validate import Finding

    written = tmp_path / "book.epub"
    opf_before = _claimed_package(tmp_path)
    monkeypatch.setattr("dossier.write.validate.run_epubcheck", lambda path: [])
    monkeypatch.setattr("dossier.write.validate.ace_command", lambda: (["ace"], {}))
    monkeypatch.setattr("dossier.write.validate.run_ace", lambda path: [Finding("Ace", "error", "ch1.xhtml", "x")])
    shutil.copyfile(opf_before["path"], written)
    epub.withdraw_claim(written, opf_before["stamp"], opf_before["config"])
    before, after = zipfile.ZipFile(opf_before["path"]), zipfile.ZipFile(written)
    assert before.namelist() == after.namelist()
    assert [n for n in before.namelist() if before.read(n) != after.read(n)] == [OPF]
    opf = etree.fromstring(after.read(OPF))
    assert not _meta(opf, "dcterms:conformsTo") and not _meta(opf, "a11y:certifiedBy")
    assert "EPUBCheck" not in _meta(opf, "schema:accessibilitySummary")[0].text


def _claimed_package(folder: Path) -> dict[str, Any]:
    """A small EPUB written with the conformance claim (the package writer alone, no build)."""
    import datetime as dt

    from ebooklib import epub as ebook

    from dossier.model import Config, Edition
    from dossier.write import epub

    config = Config(
        root=folder, path=folder / "dossier.toml", title="Essai", authors=("Rédaction",), publisher="Éditions",
        locale="fr_FR", identifier="urn:uuid:0", slug="essai", chapters=(), edition=Edition(1, dt.date(2026, 1, 2), "x"),
    )
    features = epub.Features(pages=False, images=0, images_without_text=0, notes=1)
    package = ebook.EpubBook()
    epub._metadata(package, config, features, "dossier (EPUBCheck, DAISY Ace, dossier's checks)")
    item = ebook.EpubItem(uid="ch1", file_name="ch1.xhtml", media_type="application/xhtml+xml",
                          content=b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head><body/></html>')
    package.add_item(item)
    package.add_item(ebook.EpubNcx())
    package.spine = [item]
    stamp = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    path = folder / "claimed.epub"
    epub._write(package, path, stamp, config)
    assert _meta(_opf(path), "dcterms:conformsTo")
    return {"path": path, "stamp": stamp, "config": config, "features": features}


# -- what a reader sees: headless Chromium --------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (apt-get install chromium: .ci/system-deps --test)")


@pytest.fixture(scope="module")
def unpacked(bundled_build: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(bundled_build.epub) as archive:
        archive.extractall(folder)
    return folder / "EPUB"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


class Reader:
    """A reading system's screen: a viewport, a text size (the default font size scaled, as a
    reader's text size setting does), light or night."""

    def __init__(self, browser: Any, width: int, height: int, text: float = 1.0, dark: bool = False) -> None:
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, color_scheme="dark" if dark else "light"
        )
        self.page = self.context.new_page()
        session = self.context.new_cdp_session(self.page)
        session.send("Page.enable")
        session.send("Page.setFontSizes", {"fontSizes": {"standard": round(16 * text), "fixed": round(13 * text)}})

    def open(self, document: Path) -> Any:
        self.page.goto(document.as_uri())
        self.page.wait_for_load_state("load")
        return self.page

    def close(self) -> None:
        self.context.close()


def _document_with(unpacked: Path, selector: str) -> Path:
    found = [p for p in sorted(unpacked.glob("ch*.xhtml")) if etree.parse(str(p)).xpath(selector, namespaces=NS)]
    assert found, selector
    return found[0]


OVERFLOW = """() => {
  const width = document.documentElement.clientWidth, out = [];
  if (document.documentElement.scrollWidth > width) out.push('document ' + document.documentElement.scrollWidth);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    const range = document.createRange(); range.selectNodeContents(node);
    for (const rect of range.getClientRects())
      if (rect.right > width + 0.5 || rect.left < -0.5) { out.push(node.textContent.trim().slice(0, 40) + ' ' + rect.right); break; }
  }
  for (const e of document.body.querySelectorAll('img, table, figure'))
    if (e.getBoundingClientRect().right > width + 0.5) out.push(e.tagName + ' ' + e.getBoundingClientRect().right);
  return out;
}"""


@needs_chromium
@pytest.mark.parametrize(("width", "text"), [(320, 2.0), (412, 1.0), (768, 1.0)])
def test_no_chapter_overflows_the_screen(unpacked: Path, browser: Any, width: int, text: float, tmp_path: Path) -> None:
    """A phone at twice the default text size, a phone, a tablet: every chapter, the chronology's
    and the map's among them, fits the width (a paginated reader would clip what does not)."""
    reader = Reader(browser, width, 700, text)
    try:
        for document in sorted(unpacked.glob("*.xhtml")):
            assert reader.open(document).evaluate(OVERFLOW) == [], (document.name, width, text)
        chronology = _document_with(unpacked, "//x:table[contains(@class, 'chronology')]")
        page = reader.open(chronology)
        page.locator("table.chronology tbody tr").nth(2).scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / f"chronology-{width}-{text}.png"))
        cells = page.evaluate("""() => [...document.querySelector('table.chronology tbody tr').children]
            .map(td => { const r = td.getBoundingClientRect(); return [r.left, r.top, r.bottom, r.width]; })""")
        (date_left, _, date_bottom, _), _, (event_left, event_top, _, event_width) = cells
        stacked = event_top >= date_bottom - 1
        assert stacked == (width / (16 * text) < 26), cells  # the stylesheet's breakpoint: 26 ems across
        if stacked:
            assert event_left == pytest.approx(date_left, abs=1) and event_width >= 0.9 * width - 1
    finally:
        reader.close()


def _label_sizes(svg_path: Path, rendered_width: float) -> list[float]:
    """The CSS px size of every text run of a figure drawn `rendered_width` px wide: each run's
    glyph scale times the font's units per em (Inter's), times the drawing's px per unit."""
    from fontTools.ttLib import TTFont

    from dossier.resources import assets_dir

    units = TTFont(str(assets_dir() / "fonts" / "Inter-Regular.otf"))["head"].unitsPerEm
    svg = etree.parse(str(svg_path)).getroot()
    per_unit = rendered_width / float(svg.get("viewBox").split()[2])
    scales = [float(s) for s in re.findall(r"scale\(([\d.]+) -", etree.tostring(svg).decode())]
    return [scale * units * per_unit for scale in scales]


# Every label of a figure (a group of glyphs, drawn twice where it has a white halo), boxed as drawn.
LABEL_BOXES = """() => [...new Set([...document.querySelectorAll('g[transform*="scale("]')].map(g => {
  const r = g.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom].map(v => v.toFixed(2)).join(' '); }))]
  .map(box => box.split(' ').map(Number))"""


def _overlapping(boxes: list[list[float]]) -> list[tuple[int, int]]:
    return [(i, j) for i, a in enumerate(boxes) for j, b in enumerate(boxes[:i])
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]]


@needs_chromium
def test_map_and_timeline_labels_are_three_quarters_of_the_text_at_412px(
    unpacked: Path, browser: Any, tmp_path: Path
) -> None:
    """Each label at least 0.75 times the body text as a phone shows the figure, and none over another."""
    reader = Reader(browser, 412, 900)
    try:
        for kind in ("map", "timeline"):
            document = _document_with(unpacked, f"//x:figure[contains(@class, 'figure-{kind}')]")
            page = reader.open(document)
            figure = page.locator(f"figure.figure-{kind} img")
            figure.scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / f"{kind}-412.png"))
            width = figure.evaluate("img => img.getBoundingClientRect().width")
            body = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('section.chapter > p')).fontSize)")
            sizes = _label_sizes(unpacked / figure.get_attribute("src"), width)
            assert sizes and min(sizes) >= 0.75 * body, (kind, width, body, min(sizes))
            labels = page.goto((unpacked / figure.get_attribute("src")).as_uri()) and page.evaluate(LABEL_BOXES)
            assert len(labels) >= 5 and _overlapping(labels) == [], (kind, _overlapping(labels))
    finally:
        reader.close()


@needs_chromium
def test_line_art_is_inverted_on_a_night_theme(unpacked: Path, browser: Any, tmp_path: Path) -> None:
    document = _document_with(unpacked, "//x:img[contains(@class, 'line-art')]")
    for dark, expected in ((False, "none"), (True, "invert(1) hue-rotate(180deg)")):
        reader = Reader(browser, 412, 900, dark=dark)
        try:
            page = reader.open(document)
            art = page.locator("img.line-art").first
            art.scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / f"line-art-{'dark' if dark else 'light'}.png"))
            assert art.evaluate("img => getComputedStyle(img).filter") == expected
        finally:
            reader.close()


@needs_chromium
@pytest.mark.parametrize(("width", "height"), [(1024, 600), (900, 412), (600, 1024), (412, 900)])
def test_the_cover_fits_the_screen_held_either_way(unpacked: Path, browser: Any, width: int, height: int) -> None:
    reader = Reader(browser, width, height)
    try:
        page = reader.open(unpacked / "cover.xhtml")
        size = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert size[0] <= width and size[1] <= height, size
    finally:
        reader.close()


FACES = re.compile(r"@font-face\s*\{([^}]*)\}")


def _faces(css: str) -> set[tuple[str, str, int]]:
    faces = set()
    for body in FACES.findall(css):
        family = re.search(r'font-family:\s*"?([^";]+)"?', body).group(1)
        faces.add((family, re.search(r"font-style:\s*(\w+)", body).group(1), int(re.search(r"font-weight:\s*(\d+)", body).group(1))))
    return faces


def _synthesised(faces: set[tuple[str, str, int]], family: str, style: str, weight: int) -> str | None:
    """What a browser would fake for this text (CSS Fonts 4 matching): italic when the family has
    no italic face, bold when the face it falls back to is lighter than 600 for a weight of 600+."""
    mine = [f for f in faces if f[0] == family]
    if not mine:
        return None  # a reader's or the system's font
    italic = style != "normal"
    same_style = [f for f in mine if (f[1] != "normal") == italic] or mine
    weights = sorted(w for _, _, w in same_style)
    above = [w for w in weights if w >= weight]
    chosen = (above[0] if above else weights[-1]) if weight > 500 else min(weights, key=lambda w: abs(w - weight))
    if italic and not any(f[1] != "normal" for f in mine):
        return "italic"
    if weight >= 600 and chosen < 600:
        return "bold"
    return None


@needs_chromium
def test_no_text_is_set_in_a_faked_bold_or_italic(unpacked: Path, browser: Any) -> None:
    faces = _faces(re.sub(r"/\*.*?\*/", "", (unpacked / "css" / "epub.css").read_text(), flags=re.S))
    reader = Reader(browser, 412, 900)
    faked = []
    try:
        for document in sorted(unpacked.glob("*.xhtml")):
            styles = reader.open(document).evaluate("""() => [...document.querySelectorAll('body *')]
              .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) && e.getClientRects().length)
              .map(e => { const s = getComputedStyle(e); return [s.fontFamily.split(',')[0].replace(/"/g, '').trim(),
                                                                  s.fontStyle, parseInt(s.fontWeight), e.textContent.slice(0, 30)]; })""")
            for family, style, weight, text in styles:
                if (fake := _synthesised(faces, family, style, weight)) is not None:
                    faked.append((document.name, fake, family, weight, text))
    finally:
        reader.close()
    assert faked == []


@needs_chromium
def test_note_labels_and_dates_use_lining_figures(unpacked: Path, browser: Any, bundled_build: Built) -> None:
    """Vollkorn's old-style "1" reads as "I": calls, note labels and the chronology's dates ask for
    lining figures, and the fonts shipped keep them."""
    from fontTools.ttLib import TTFont

    reader = Reader(browser, 412, 900)
    try:
        chronology = _document_with(unpacked, "//x:table[contains(@class, 'chronology')]")
        page = reader.open(chronology)
        for selector in ("sup.noteref a", "a.note-back", "table.chronology td.date"):
            assert "lining-nums" in page.locator(selector).first.evaluate("e => getComputedStyle(e).fontVariantNumeric")
    finally:
        reader.close()
    with zipfile.ZipFile(bundled_build.epub) as archive:
        for name in (n for n in archive.namelist() if n.startswith("EPUB/fonts/Vollkorn")):
            font = TTFont(io.BytesIO(archive.read(name)))
            assert "lnum" in {r.FeatureTag for r in font["GSUB"].table.FeatureList.FeatureRecord}, name


# Each piece of an address between two `<wbr/>` (split again after its hyphens, where a browser
# breaks a line too): the lines its characters are on, and its width set on one line.
URL_PIECES = """() => {
  const out = [];
  for (const a of document.querySelectorAll('a.url')) {
    const block = a.closest('li, p, dd, td') || a.parentElement, style = getComputedStyle(block);
    const line = block.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    for (const node of a.childNodes) {
      if (node.nodeType !== 3) continue;
      let start = 0;
      for (const piece of node.textContent.match(/[^-]*-|[^-]+/g) || []) {
        const tops = new Set(); let width = 0;
        for (let i = start; i < start + piece.length; i++) {
          const range = document.createRange(); range.setStart(node, i); range.setEnd(node, i + 1);
          const rect = range.getClientRects()[0];
          if (rect) { tops.add(Math.round(rect.top)); width += rect.width; }
        }
        out.push([piece, tops.size, width, line]); start += piece.length;
      }
    }
  }
  return out; }"""


@needs_chromium
def test_addresses_break_at_their_break_points(unpacked: Path, browser: Any, tmp_path: Path) -> None:
    """At 320 px and twice the text size, a line never breaks inside a piece of an address
    between two of its `<wbr/>` ("http ⏎ s://") or after one of its hyphens, unless the piece
    alone is wider than the line (then it breaks anywhere rather than run off the screen)."""
    reader = Reader(browser, 320, 700, 2.0)
    try:
        document = _document_with(unpacked, "//x:div[contains(@class, 'bibliography')]")
        page = reader.open(document)
        pieces = page.evaluate(URL_PIECES)
        page.locator("a.url").nth(3).scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "addresses-320-2.0.png"))
    finally:
        reader.close()
    assert len(pieces) > 100 and any(lines > 1 for _, lines, _, _ in pieces), "the addresses do break"
    assert [p for p, lines, width, line in pieces if lines > 1 and width <= line] == []
