"""The e-reader edition, read back from the EPUB (zip + lxml) and set against the PDF of the
same build: validity, accessibility, navigation, print page numbers, notes, cover, metadata."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from dossier.write.parallel import cores
from dossier.write.validate import ace_command, run_ace, run_epubcheck
from tests.conftest import WITH_ACE, Built, _build, once
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
    return once(tmp_path_factory, "test_epub.long_build", lambda: _long_build(tmp_path_factory))


def _long_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = copy_fixture("mini", tmp_path_factory.mktemp("long-src"))
    chapter = root / "chapters" / "02-contexte.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n" + _long_chapter(), encoding="utf-8")
    return _build(root, tmp_path_factory.mktemp("long-out"))


@pytest.fixture(scope="session")
def next_edition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture dossier's next edition, built with a clock (SOURCE_DATE_EPOCH) of its own."""
    return once(tmp_path_factory, "test_epub.next_edition", lambda: _next_edition(tmp_path_factory))


def _next_edition(tmp_path_factory: pytest.TempPathFactory) -> Path:
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


def test_long_next_edition_and_bundled_epubs_pass_epubcheck(
    long_build: Built, next_edition: Path, bundled_build: Built
) -> None:
    assert epubcheck_messages(long_build.epub) == []
    assert epubcheck_messages(next_edition) == []
    assert epubcheck_messages(bundled_build.epub) == []


@needs_ace
@pytest.mark.parametrize("which", ["mini_build", "long_build", "bundled_build", "en_build"])
def test_ace_reports_no_violation(which: str, request: pytest.FixtureRequest) -> None:
    built = request.getfixturevalue(which)
    assert [f"{f.document}: {f.message}" for f in run_ace(built.epub)] == []


FAKE_ACE = """#!/bin/sh
# Ace as it behaves when its Chromium starts slowly: exit 1, the reason on an `error:` line
out="$3"  # --force --outdir OUT BOOK
if [ "${ACE_TIMEOUT_INITIAL:-5000}" -lt 60000 ]; then
    printf '\\033[31merror\\033[39m:   Ace processing error: Timed out after 5000 ms while waiting for the WS endpoint URL\\n'
    exit 1
fi
echo "$@" >> "$0.calls"
printf '{"assertions": []}' > "$out/report.json"
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="ace_command() asks for Node.js")
def test_ace_gets_time_to_start_its_browser_and_its_failure_is_told(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ace's own browser-launch timeout (5 s) failed builds on a loaded machine: dossier gives it
    120 s, and when Ace fails all the same, the warning carries Ace's reason, not only its exit."""
    ace = tmp_path / "ace"
    ace.write_text(FAKE_ACE, encoding="utf-8")
    ace.chmod(0o755)
    monkeypatch.setenv("DOSSIER_ACE", str(ace))
    monkeypatch.setenv("PUPPETEER_EXECUTABLE_PATH", sys.executable)
    monkeypatch.delenv("ACE_TIMEOUT_INITIAL", raising=False)
    assert run_ace(tmp_path / "book.epub") == []
    assert (tmp_path / "ace.calls").read_text(encoding="utf-8").count("book.epub") == 1, "run once when it passes"
    monkeypatch.setenv("ACE_TIMEOUT_INITIAL", "5000")  # a user's own setting is kept
    [finding] = run_ace(tmp_path / "book.epub")
    assert finding.level == "warning"
    assert finding.message == (
        "DAISY Ace failed (Ace processing error: Timed out after 5000 ms while waiting for the WS endpoint URL):"
        " accessibility not checked"
    )


# A stand-in Ace that loads Ace's own runner module, as Ace's command line does, and says how
# many content documents that runner would open at once in Chromium.
PAGES_ACE = """#!/usr/bin/env node
const fs = require('fs');
const runner = require('@daisy/ace-axe-runner-puppeteer');
fs.writeFileSync(__filename + '.pages', String(runner.concurrency));
fs.writeFileSync(require('path').join(process.argv[4], 'report.json'), '{"assertions": []}');
"""


def _ace_modules() -> Path | None:
    """The node_modules folder of the installed Ace, where its runner module is."""
    found = shutil.which("ace-puppeteer")
    modules = Path(found).resolve().parent.parent / "node_modules" if found else None
    return modules if modules and (modules / "@daisy" / "ace-axe-runner-puppeteer").is_dir() else None


@pytest.mark.skipif(shutil.which("node") is None or _ace_modules() is None, reason="needs DAISY Ace's own modules")
def test_ace_opens_as_many_documents_at_once_as_the_cores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ace opens 4 content documents at once in its Chromium whatever the machine (its memory:
    bench/README.md, 2026-12-04); the build's Ace opens as many as the cores, at most 4, and a
    user's NODE_OPTIONS are kept."""
    ace = tmp_path / "ace"
    ace.write_text(PAGES_ACE, encoding="utf-8")
    ace.chmod(0o755)
    monkeypatch.setenv("DOSSIER_ACE", str(ace))
    monkeypatch.setenv("PUPPETEER_EXECUTABLE_PATH", sys.executable)
    monkeypatch.setenv("NODE_PATH", str(_ace_modules()))
    monkeypatch.setenv("NODE_OPTIONS", "--no-warnings")
    for machine, pages in ((2, "2"), (1, "1"), (8, "4")):
        monkeypatch.setattr("dossier.write.parallel.cores", lambda machine=machine: machine)
        assert run_ace(tmp_path / "book.epub") == []
        assert (tmp_path / "ace.pages").read_text(encoding="utf-8") == pages, f"{machine} cores"


# A stand-in Ace that notes what the build's output folder holds when it starts: the end of
# each PDF being written there (its temporary file, named as write/atomic.py names it).
SEEING_ACE = """#!/bin/sh
out="$3"  # --force --outdir OUT BOOK
for pdf in "$(dirname "$4")"/.*.pdf.tmp-*; do tail -c 6 "$pdf"; done > "$0.seen" 2>&1
echo "$DOSSIER_ACE_PAGES" > "$0.pages"
build=$(cut -d' ' -f4 /proc/$PPID/stat)  # the EPUB's process's parent
cat /proc/$build/task/*/children > "$0.children"
echo "$PPID" > "$0.epub"
printf '{"assertions": []}' > "$out/report.json"
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="ace_command() asks for Node.js")
def test_ace_waits_for_the_pdf_when_the_memory_budget_says_so(tmp_path: Path) -> None:
    """With a budget the layout and the checks together would pass (DOSSIER_MEMORY_MB), Ace's
    Chromium starts only once the PDF is written and the process the layout was made in has
    ended (write/memory.py, formats/graph.py): the build's only child is then the EPUB's
    process; with room for both, it starts beside the PDF. Having waited, Ace opens as few
    documents at once as the budget asks (one, at least). Either way the EPUB is the same,
    claim and all."""
    ace = tmp_path / "ace"
    ace.write_text(SEEING_ACE, encoding="utf-8")
    ace.chmod(0o755)
    root = copy_fixture("mini", tmp_path)
    epubs = []
    for budget in ("1", "100000"):
        out = tmp_path / f"out-{budget}"
        env = {**WITH_ACE, "DOSSIER_ACE": str(ace), "PUPPETEER_EXECUTABLE_PATH": sys.executable,
               "DOSSIER_MEMORY_MB": budget, "DOSSIER_JOBS": "2"}
        result = run_cli("build", str(root), "--out", str(out), "-v", "--no-cache", env=env)
        assert result.returncode == 0, result.stderr
        waited = "its accessibility check waits for the PDF" in result.stderr
        assert waited == (budget == "1"), result.stderr
        pages = (tmp_path / "ace.pages").read_text(encoding="utf-8").strip()
        if waited:
            assert (tmp_path / "ace.seen").read_text(encoding="utf-8").strip() == "%%EOF", "the PDF written"
            assert pages == "1"
            children = (tmp_path / "ace.children").read_text(encoding="utf-8").split()
            assert children == [(tmp_path / "ace.epub").read_text(encoding="utf-8").strip()]
        else:
            assert pages == str(min(4, cores()))
        [epub] = out.glob("*.epub")
        epubs.append(epub.read_bytes())
        assert "conformsTo" in _opf_text(epub)
    assert epubs[0] == epubs[1]


def test_ace_opens_as_many_documents_as_the_budget_leaves_room_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the build made room (its size told), Ace's Chromium gets what remains of the budget:
    about 90 MB per document open at once beyond the first (write/memory.py)."""
    from dossier.write.memory import CHROMIUM_MB, NODE_MB, PAGE_MB, ace_pages

    here = os.getpid()  # the EPUB made in the build's own process: counted once
    monkeypatch.setenv("DOSSIER_MEMORY_MB", str(800 + NODE_MB + CHROMIUM_MB + 3 * PAGE_MB))
    assert ace_pages(None, 4) == 4, "no room had to be made"
    assert ace_pages((here, None), 4) == 4, "the build's size not known"
    assert ace_pages((here, 800.0), 4) == 3
    assert ace_pages((here, 800.0), 2) == 2
    assert ace_pages((here, 800.0 + 2 * PAGE_MB), 4) == 1
    assert ace_pages((here, 5000.0), 4) == 1, "never fewer than one"
    assert ace_pages((here + 1, 800.0), 4) < 3, "another process's size (this one's) counted too"


def _opf_text(epub: Path) -> str:
    with zipfile.ZipFile(epub) as archive:
        return archive.read("EPUB/content.opf").decode("utf-8")


def test_epubchecks_jvm_starts_with_a_small_heap_and_no_ceiling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """EPUBCheck's JVM is started with an 8 MB first heap (the default, a 64th of the machine's
    memory, made it 240 MB beside Chromium at 300 pages), and no maximum: a long book's check is
    never cut short. Read from the command line `run_epubcheck` gives a stand-in java."""
    java = tmp_path / "java"
    java.write_text(
        '#!/bin/sh\necho "$@" > "$0.args"\n'
        'printf \'{"checker": {"filename": "book.epub"}, "messages": []}\'\n',
        encoding="utf-8",
    )
    java.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("DOSSIER_EPUBCHECK", raising=False)
    (tmp_path / "book.epub").write_bytes(b"PK")
    assert run_epubcheck(tmp_path / "book.epub") == []
    arguments = (tmp_path / "java.args").read_text(encoding="utf-8").split()
    assert "-Xms8m" in arguments[: arguments.index("-jar")]
    assert not any(a.startswith(("-Xmx", "-XX:MaxHeapSize", "-XX:MaxRAM")) for a in arguments)


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))}


def test_check_builds_and_validates_the_epub_writing_nothing(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    before = _tree(root)
    result = run_cli("check", str(root), env=WITH_ACE)  # the suite's builds skip Ace; `check` runs it
    assert result.returncode == 0, result.stderr
    assert "error[" not in result.stderr
    if ace_command() is not None:
        assert result.stderr == ""
    assert _tree(root) == before


@needs_ace
def test_check_reports_an_ace_violation_at_its_chapter(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    with (root / "chapters" / "01-texte.md").open("a", encoding="utf-8") as chapter:
        chapter.write("\n#### Un niveau sauté\n\nTexte.\n")
    result = run_cli("check", str(root), cwd=root, env=WITH_ACE)
    assert result.returncode == 1
    assert result.stderr.startswith("chapters/01-texte.md: error[epub-ace]: EPUB: ch1.xhtml: Ace: heading-order")


# -- documents ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("which", "lang"), [("mini_build", "fr-FR"), ("bundled_build", "fr-FR"), ("en_build", "en-GB")])
def test_every_document_has_its_language_and_headings_without_gaps(
    which: str, lang: str, request: pytest.FixtureRequest
) -> None:
    built = request.getfixturevalue(which)
    for name, root in epub_documents(built.epub).items():
        assert root.get("lang") == lang == root.get("{http://www.w3.org/XML/1998/namespace}lang"), name
        levels = [int(h.tag[-1]) for h in root.iter() if re.fullmatch(r"\{.*\}h[1-6]", str(h.tag))]
        for previous, level in zip([0, *levels], levels, strict=False):
            assert level <= previous + 1, (name, levels)


def test_images_have_text_alternatives(long_build: Built) -> None:
    images = [i for root in epub_documents(long_build.epub).values() for i in root.iter(f"{{{NS['x']}}}img")]
    assert len(images) == 2  # the cover and the figure
    assert all(i.get("alt", "").strip() for i in images)


def test_one_document_per_chapter_in_the_spine_after_cover_title_and_contents(mini_build: Built) -> None:
    assert _spine(mini_build.epub) == ["cover.xhtml", "titlepage.xhtml", "contents.xhtml", "ch1.xhtml", "ch2.xhtml", "ch3.xhtml"]


@pytest.mark.parametrize(("which", "chapters", "entries"), [("mini_build", 3, 9), ("bundled_build", 8, None)])
def test_nav_toc_and_ncx_list_the_chapters_and_their_sections(
    which: str, chapters: int, entries: int | None, request: pytest.FixtureRequest
) -> None:
    built = request.getfixturevalue(which)
    documents = epub_documents(built.epub)
    names = [n for n in _spine(built.epub) if n.startswith("ch")]
    assert names == [f"ch{i}.xhtml" for i in range(1, chapters + 1)]
    expected = []
    for name in names:
        root = documents[f"EPUB/{name}"]
        # sections and their subsections (## and ###), not the notes' or the bibliography's own headings
        outside = "not(ancestor::x:section[@class='notes'] or ancestor::*[@role='doc-bibliography'])"
        for heading in root.xpath(f"//x:h1 | //x:h2[{outside}] | //x:h3[{outside}]", namespaces=NS):
            expected.append((heading.tag[-1], f"{name}#{heading.get('id')}", "".join(heading.itertext())))
    toc = _nav(built.epub).xpath("//x:nav[@epub:type='toc']", namespaces=NS)[0]
    links = toc.xpath(".//x:a", namespaces=NS)
    found = [(str(len(a.xpath("ancestor::x:ol", namespaces=NS))), a.get("href"), "".join(a.itertext())) for a in links]
    assert found == expected
    assert [level for level, _, _ in found].count("1") == chapters
    assert entries is None or len(found) == entries
    ncx = etree.fromstring(epub_file(built.epub, "EPUB/toc.ncx"))
    points = ncx.xpath("//ncx:navPoint", namespaces=NS)
    assert [(p.find("ncx:content", NS).get("src"), p.findtext("ncx:navLabel/ncx:text", namespaces=NS)) for p in points] == [
        (href, text) for _, href, text in expected
    ]


@pytest.mark.parametrize(("which", "body", "sources"), [("mini_build", "ch2", "ch3"), ("bundled_build", "ch2", "ch7")])
def test_landmarks(which: str, body: str, sources: str, request: pytest.FixtureRequest) -> None:
    """Cover, contents, where the text starts, the sources: each leads to what it names."""
    epub = request.getfixturevalue(which).epub
    landmarks = {
        a.get("{http://www.idpf.org/2007/ops}type"): a.get("href")
        for a in _nav(epub).xpath("//x:nav[@epub:type='landmarks']//x:a", namespaces=NS)
    }
    expected = {"cover": "cover.xhtml", "toc": "contents.xhtml", "bodymatter": f"{body}.xhtml", "bibliography": f"{sources}.xhtml"}
    assert expected.items() <= landmarks.items()
    assert "titlepage" in landmarks  # and the others of tests/test_readers.py, where the book has them
    documents = epub_documents(epub)

    def find(name: str, query: str) -> list[etree._Element]:
        return documents[f"EPUB/{name}"].xpath(query, namespaces=NS)

    (cover,) = _opf(epub).xpath("//opf:item[@properties='cover-image']/@href", namespaces=NS)
    assert find("cover.xhtml", "//x:body[@epub:type='cover']//x:img/@src") == [cover]
    chapters = [n for n in _spine(epub) if n.startswith("ch")]
    assert len(find("contents.xhtml", "//x:nav[@class='toc']//x:a")) >= len(chapters)
    assert find(expected["bodymatter"], "//x:body/@epub:type") == ["bodymatter"]
    assert find(expected["bodymatter"], "//x:section[@epub:type='chapter']")
    assert find(expected["bibliography"], "//*[@role='doc-bibliography'][@epub:type='bibliography']")


@pytest.mark.parametrize("which", ["long_build", "bundled_build"])
def test_every_note_call_pops_a_note_that_links_back(which: str, request: pytest.FixtureRequest) -> None:
    documents = epub_documents(request.getfixturevalue(which).epub)
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


@pytest.mark.parametrize("which", ["mini_build", "long_build", "bundled_build"])
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


@pytest.mark.parametrize("which", ["long_build", "bundled_build"])
def test_markers_sit_where_the_pdf_pages_start(which: str, request: pytest.FixtureRequest) -> None:
    """Each marker is followed by the text at the top of its PDF page, and preceded by text of
    the page before. (A marker may precede a hyphenated word's first half: skip one word.)"""
    from tests.helpers import pdf_page_texts

    built = request.getfixturevalue(which)
    markers = _markers(built.epub)
    pages = [_letters(text) for text in pdf_page_texts(built.pdf)]
    assert len(pages) == len(markers)
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
    assert source == "Dossier d’essai, édition PDF 2 du 25\xa0novembre 2026 (essai-2.pdf)"
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


@pytest.mark.skipif(shutil.which("faketime") is None, reason="libfaketime not installed (apt-get install faketime)")
def test_the_epub_does_not_depend_on_the_clock(mini_build: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Built again years later (libfaketime moves the clock of the whole process), the same
    edition has the same entries, stamped with the edition's date; with SOURCE_DATE_EPOCH set,
    only the zip's timestamps follow it: `dcterms:modified` and every document stay as they were."""
    later = ("faketime", "2031-05-05 12:00:00")
    clock = subprocess.run([*later, sys.executable, "-c", "import datetime; print(datetime.date.today())"],
                           capture_output=True, text=True, check=True)
    assert clock.stdout.strip() == "2031-05-05", "the faked clock is the one the build sees"
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    stamps = {"unset": (2026, 11, 25, 0, 0, 0), "1000000000": (2001, 9, 9, 1, 46, 40)}
    with zipfile.ZipFile(mini_build.epub) as reference:
        for epoch, stamp in stamps.items():
            out = tmp_path / epoch
            env = {} if epoch == "unset" else {"SOURCE_DATE_EPOCH": epoch}
            result = run_cli("build", str(mini_build.root), "--out", str(out), "--format", "epub", env=env, wrapper=later)
            assert result.returncode == 0, result.stderr
            with zipfile.ZipFile(out / mini_build.epub.name) as rebuilt:
                assert rebuilt.namelist() == reference.namelist()
                assert [n for n in reference.namelist() if rebuilt.read(n) != reference.read(n)] == []
                assert {i.date_time for i in rebuilt.infolist()} == {stamp}
    assert _meta(_opf(mini_build.epub), "dcterms:modified") == ["2026-11-25T00:00:00Z"]


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
    assert {"tableOfContents", "structuralNavigation", "pageNavigation", "pageBreakMarkers", "alternativeText"} <= features
    assert "printPageNumbers" not in features  # deprecated (EPUB Accessibility 1.1): pageBreakMarkers says it
    assert _meta(opf, "schema:accessibilityHazard") == ["none"]
    (summary,) = _meta(opf, "schema:accessibilitySummary")
    assert summary.startswith("Cette publication EPUB") and "édition PDF" in summary
    assert _meta(opf, "dcterms:conformsTo") == []  # built without Ace (the suite's builds): no claim


@dataclass
class Epub:
    """What a reader finds in an EPUB, to hold each accessibility claim against."""

    opf: etree._Element
    documents: dict[str, etree._Element]  # the XHTML documents and the SVG images
    spine: list[str]
    css: str

    @classmethod
    def read(cls, epub: Path) -> Epub:
        css = re.sub(r"/\*.*?\*/", "", epub_file(epub, "EPUB/css/epub.css").decode(), flags=re.S)
        with zipfile.ZipFile(epub) as archive:
            svgs = {n: etree.fromstring(archive.read(n)) for n in archive.namelist() if n.endswith(".svg")}
        return cls(_opf(epub), epub_documents(epub) | svgs, _spine(epub), css)

    def xpath(self, query: str, documents: str = ".xhtml") -> list[etree._Element]:
        namespaces = {**NS, "svg": SVG}
        return [e for name, root in self.documents.items() if documents in name for e in root.xpath(query, namespaces=namespaces)]

    @property
    def images(self) -> list[etree._Element]:
        """Images a reader sees in the text (the cover page's image is the cover)."""
        documents = [r for n, r in self.documents.items() if n.endswith(".xhtml") and n != "EPUB/cover.xhtml"]
        return [i for r in documents for i in r.iter(f"{{{NS['x']}}}img", f"{{{SVG}}}svg")]

    def described(self, image: etree._Element) -> bool:
        text = image.get("alt") or image.get("aria-label") or image.findtext(f"{{{SVG}}}title") or ""
        return bool(text.strip())

    def page_list(self) -> list[etree._Element]:
        return self.xpath("//x:nav[@epub:type='page-list']//x:a", "nav.xhtml")


SVG = "http://www.w3.org/2000/svg"


def _headings_nested(book: Epub) -> bool:
    for name in book.spine:
        root = book.documents[f"EPUB/{name}"]
        levels = [int(h.tag[-1]) for h in root.iter() if re.fullmatch(r"\{.*\}h[1-6]", str(h.tag))]
        if name.startswith("ch") and (levels[:1] != [1] or levels.count(1) != 1):
            return False
        if any(b > a + 1 for a, b in zip([0, *levels], levels, strict=False)):
            return False
    return True


def _reflowable(book: Epub) -> bool:
    fixed = book.opf.xpath("//opf:meta[@property='rendition:layout']/text()", namespaces=NS) == ["pre-paginated"]
    return not fixed and not re.search(r"@page|position:\s*fixed|!important|\d(pt|mm|cm|in|pc)\b|font-size:\s*[\d.]+px", book.css)


def _no_hazard(book: Epub) -> bool:
    media = book.xpath("//x:audio | //x:video | //x:object | //x:embed | //svg:animate | //svg:animateTransform", "")
    items = book.opf.xpath("//opf:item/@media-type", namespaces=NS)
    return not media and "image/gif" not in items and not re.search(r"@keyframes|animation|blink", book.css)


CLAIMS = {
    "tableOfContents": lambda b: len(b.xpath("//x:nav[@epub:type='toc']//x:a", "nav.xhtml")) >= len(b.spine) - 3
    and "contents.xhtml" in b.spine,
    "structuralNavigation": _headings_nested,
    "readingOrder": lambda b: not b.opf.xpath("//opf:itemref[@linear='no']", namespaces=NS)
    and set(b.spine) == {n.removeprefix("EPUB/") for n in b.documents if n.endswith(".xhtml")} - {"nav.xhtml"},
    "displayTransformability": _reflowable,
    "pageBreakMarkers": lambda b: len(b.xpath("//*[@epub:type='pagebreak'][@role='doc-pagebreak']")) == len(b.page_list()) > 0,
    "pageNavigation": lambda b: len(b.page_list()) > 0
    and b.opf.findtext(".//dc:source", namespaces=NS).endswith(".pdf)")
    and _meta(b.opf, "pageBreakSource") == [b.opf.findtext(".//dc:source", namespaces=NS)],
    "alternativeText": lambda b: bool(b.images) and all(b.described(i) for i in b.images),
}


@pytest.mark.parametrize(
    ("which", "lang", "source"),
    [("mini_build", "fr-FR", "édition PDF"), ("bundled_build", "fr-FR", "édition PDF"), ("en_build", "en-GB", "PDF edition")],
)
def test_each_accessibility_claim_is_true_of_the_book(
    which: str, lang: str, source: str, request: pytest.FixtureRequest
) -> None:
    """Every feature claimed has a check here and passes it; access modes and hazards follow
    from the documents. (Ace, above, checks the WCAG side of `dcterms:conformsTo`.)"""
    book = Epub.read(request.getfixturevalue(which).epub)
    features = _meta(book.opf, "schema:accessibilityFeature")
    assert {f: CLAIMS[f](book) if f in CLAIMS else "no check" for f in features} == dict.fromkeys(features, True)
    assert set(CLAIMS) - {"alternativeText"} <= set(features), "what the book has is claimed"
    described = all(book.described(i) for i in book.images)
    assert _meta(book.opf, "schema:accessMode") == (["textual", "visual"] if book.images else ["textual"])
    sufficient = _meta(book.opf, "schema:accessModeSufficient")
    assert ("textual" in sufficient) == described and ("textual,visual" in sufficient) == bool(book.images)
    assert _meta(book.opf, "schema:accessibilityHazard") == ["none"] and _no_hazard(book)
    claims = _meta(book.opf, "dcterms:conformsTo")  # only where Ace ran too: tests/test_readers.py
    assert claims in ([], ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]) and (described or not claims)
    (summary,) = _meta(book.opf, "schema:accessibilitySummary")
    assert book.opf.get("{http://www.w3.org/XML/1998/namespace}lang") == lang == book.opf.findtext(".//dc:language", namespaces=NS)
    assert source in summary, "the summary is in the book's language"


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
