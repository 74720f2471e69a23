"""The PDF's tag tree, read back with pikepdf (issue 16): what a PDF/UA-1 claim needs, on the
bundled dossier and on a fixture whose paragraph, list and table each cross a page
(tests/fixtures/crossing); the `pdfua` checker; the text pdftotext extracts; the build that
refuses a PDF whose tags fail a check.
"""

from __future__ import annotations

import collections
import functools
import itertools
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from lxml import html as lxml_html

from tests.conftest import once
from tests.helpers import FIXTURES, run_cli

LETTERS = re.compile(r"[^\W\d_]+")
ALPHANUMERIC = re.compile(r"[^\W_]+")  # a URL's `83033-over-200-million`


# ---- the PDFs and their print HTML ----------------------------------------------------------------


@dataclass(eq=False)
class Tagged:
    path: Path
    root: Path  # the dossier

    @functools.cached_property
    def pdf(self) -> pikepdf.Pdf:  # kept open: its objects are read after the call
        return pikepdf.open(self.path)


@functools.cache
def _print_html(root: Path) -> str:
    from dossier.errors import Report
    from dossier.load import load_dossier
    from dossier.render import render
    from dossier.resolve import resolve

    report = Report()
    return render(resolve(load_dossier(root, report), report), epub=False).print_html


@pytest.fixture(scope="session")
def bundled(bundled_build: Any) -> Tagged:
    return Tagged(bundled_build.pdf, bundled_build.root)


@pytest.fixture(scope="session")
def crossing(tmp_path_factory: pytest.TempPathFactory) -> Tagged:
    return once(tmp_path_factory, "test_pdfua.crossing", lambda: _crossing(tmp_path_factory))


def _crossing(tmp_path_factory: pytest.TempPathFactory) -> Tagged:
    out = tmp_path_factory.mktemp("crossing")
    result = run_cli("build", str(FIXTURES / "crossing"), "--out", str(out), "--format", "pdf")
    assert result.returncode == 0, result.stderr
    return Tagged(next(out.glob("*.pdf")), FIXTURES / "crossing")


@pytest.fixture(scope="session", params=["bundled", "crossing"])
def tagged(request: pytest.FixtureRequest) -> Tagged:
    return request.getfixturevalue(request.param)


# ---- reading the tree ---------------------------------------------------------------------------


def kids(element: Any) -> list[Any]:
    k = element.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def elements(pdf: pikepdf.Pdf) -> Iterator[tuple[Any, Any]]:
    """Every structure element reachable from the root, with its parent."""
    root = pdf.Root.StructTreeRoot
    stack = [(k, root) for k in kids(root)]
    while stack:
        element, parent = stack.pop(0)
        if not isinstance(element, pikepdf.Dictionary) or element.get("/Type") in ("/MCR", "/OBJR"):
            continue
        yield element, parent
        stack[0:0] = [(k, element) for k in kids(element)]


def kind(element: Any) -> str:
    return str(element.get("/S", ""))[1:]


def content_pages(element: Any, pages: dict[tuple[int, int], int]) -> set[int]:
    """The pages an element's content (its own and its descendants') is on."""
    found: set[int] = set()
    page = element.get("/Pg")
    for kid in kids(element):
        if isinstance(kid, int) and page is not None:
            found.add(pages[page.objgen])
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
            found.add(pages[kid.Pg.objgen])
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/StructElem":
            found |= content_pages(kid, pages)
    return found


def page_numbers(pdf: pikepdf.Pdf) -> dict[tuple[int, int], int]:
    return {p.obj.objgen: i for i, p in enumerate(pdf.pages)}


def attribute(element: Any, name: str) -> Any:
    attributes = element.get("/A")
    for item in attributes if isinstance(attributes, pikepdf.Array) else [attributes]:
        if isinstance(item, pikepdf.Dictionary) and name in item:
            return item[name]
    return None


# ---- each point of the issue, on both PDFs ---------------------------------------------------------


def test_every_element_reachable_and_knows_its_parent(tagged: Tagged) -> None:
    pdf = tagged.pdf
    reached = set()
    for element, parent in elements(pdf):
        reached.add(element.objgen)
        assert element.P.objgen == parent.objgen, kind(element)
    in_file = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/StructElem"]
    assert in_file and all(o.objgen in reached for o in in_file)


def test_parent_tree_and_marked_content_agree(tagged: Tagged) -> None:
    """Every MCID drawn on a page is in the tree, under the element the parent tree names."""
    pdf = tagged.pdf
    pages = page_numbers(pdf)
    owner: dict[tuple[int, int], tuple[int, int]] = {}
    for element, _ in elements(pdf):
        page = element.get("/Pg")
        for kid in kids(element):
            if isinstance(kid, int):
                owner[(pages[page.objgen], kid)] = element.objgen
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                owner[(pages[kid.Pg.objgen], int(kid.MCID))] = element.objgen
    nums = list(pdf.Root.StructTreeRoot.ParentTree.Nums)
    tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    drawn = 0
    for index, page in enumerate(pdf.pages):
        data = b"\n".join(p.read_bytes() for p in page.obj.Contents) if isinstance(page.obj.Contents, pikepdf.Array) else page.obj.Contents.read_bytes()
        for mcid in map(int, re.findall(rb"/MCID\s+(\d+)", data)):
            drawn += 1
            assert (index, mcid) in owner, (index + 1, mcid)
            assert tree[int(page.obj.StructParents)][mcid].objgen == owner[(index, mcid)]
    assert drawn > 100


def test_notes_are_note_elements_after_their_call(tagged: Tagged) -> None:
    pdf = tagged.pdf
    expected = set(re.findall(r'class="footnote" id="(note-[^"]+)"', _print_html(tagged.root)))
    notes = {}
    for element, parent in elements(pdf):
        if kind(element) == "Note":
            notes[str(element.ID)] = (element, parent)
    assert expected and set(notes) == expected
    for ident, (_, parent) in notes.items():
        siblings = kids(parent)
        # its call: a Link to it, earlier in the same parent (the paragraph before, or the cell)
        calls = [
            k for k in siblings[: [s.objgen if isinstance(s, pikepdf.Object) else None for s in siblings].index(notes[ident][0].objgen)]
            if isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/StructElem"
        ]
        text = " ".join(str(o.Obj.get("/Contents")) for c in calls for o in _objrs(c))
        assert f"Note {ident.rsplit('-n', 1)[1]}" in text, (ident, kind(parent))


def _objrs(element: Any) -> Iterator[Any]:
    for kid in kids(element):
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
            yield kid
        elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/StructElem":
            yield from _objrs(kid)


def test_one_section_per_chapter(bundled: Tagged) -> None:
    pdf = bundled.pdf
    document = kids(pdf.Root.StructTreeRoot)[0]
    assert kind(document) == "Document"
    chapters = [k for k in kids(document) if kind(k) == "Sect" and any(kind(h) == "H1" for h in kids(k))]
    html = _print_html(bundled.root)
    assert len(chapters) == html.count('<section class="chapter') == 8
    pages = page_numbers(pdf)
    assert max(len(content_pages(c, pages)) for c in chapters) >= 3  # a chapter over pages, one Sect


def test_crossing_paragraph_list_and_table_are_single_elements(crossing: Tagged) -> None:
    pdf = crossing.pdf
    pages = page_numbers(pdf)
    found = {"P": [], "L": [], "Table": []}
    for element, _ in elements(pdf):
        if kind(element) in found:
            found[kind(element)].append(content_pages(element, pages))
    assert any(len(p) == 2 for p in found["P"]), found["P"]
    assert len([p for p in found["L"] if len(p) >= 2]) == 1  # the 36 interviews: one list
    items = [k for e, _ in elements(pdf) if kind(e) == "L" and len(content_pages(e, pages)) >= 2 for k in kids(e)]
    assert len([i for i in items if kind(i) == "LI"]) == 36
    assert len(found["Table"]) == 1 and len(found["Table"][0]) >= 2
    rows = [e for e, _ in elements(pdf) if kind(e) == "TR"]
    assert len(rows) == 45  # a header row and 44 rows: the header repeated on the next page is an artifact


def test_links_one_annotation_each_readable(tagged: Tagged) -> None:
    pdf = tagged.pdf
    owners = {}
    for element, _ in elements(pdf):
        for objr in _objrs(element) if kind(element) == "Link" else ():
            owners.setdefault(objr.Obj.objgen, element.objgen)
    annotations = [a for p in pdf.pages for a in p.obj.get("/Annots", ()) if a.get("/Subtype") == "/Link"]
    assert annotations
    for annotation in annotations:
        x1, y1, x2, y2 = (float(v) for v in annotation.Rect)
        assert abs(x2 - x1) > 0.5 and abs(y2 - y1) > 0.5  # no zero-width link
        assert annotation.objgen in owners
        contents = str(annotation.Contents)
        assert not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", contents), contents  # not an id
        assert re.fullmatch(r"Note \d+|.+, page \d+|(https?|mailto):.+", contents), contents


def test_sommaire_links_say_where_they_lead(bundled: Tagged) -> None:
    """"Avant-propos, page 7": the page is the one the link's destination is on."""
    pdf = bundled.pdf
    pages = page_numbers(pdf)
    names = pikepdf.NameTree(pdf.Root.Names.Dests)
    checked = 0
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", ()):
            match = re.fullmatch(r"(.+), page (\d+)", str(annotation.get("/Contents", "")))
            if match and "/Dest" in annotation:
                destination = names[str(annotation.Dest)]
                assert pages[destination[0].objgen] + 1 == int(match.group(2))
                checked += 1
    assert checked >= 30


def test_sommaire_is_toc_and_tocis(bundled: Tagged) -> None:
    pdf = bundled.pdf
    tocs = [e for e, _ in elements(pdf) if kind(e) == "TOC"]
    assert tocs
    items = [k for k in kids(tocs[0]) if isinstance(k, pikepdf.Dictionary)]
    assert items and all(kind(i) == "TOCI" for i in items)


def test_figures_have_alt_and_a_box_on_their_page(tagged: Tagged) -> None:
    pdf = tagged.pdf
    pages = page_numbers(pdf)
    figures = [e for e, _ in elements(pdf) if kind(e) == "Figure"]
    if tagged.root.name == "crossing":
        assert not figures
        return
    assert len(figures) == 2
    for figure in figures:
        assert len(str(figure.Alt)) > 20
        x1, y1, x2, y2 = (float(v) for v in attribute(figure, "/BBox"))
        page = pdf.pages[pages[figure.Pg.objgen]]
        left, bottom, right, top = (float(v) for v in page.mediabox)
        assert left <= x1 < x2 <= right and bottom <= y1 < y2 <= top
        assert x2 - x1 > 100 and y2 - y1 > 100


def test_every_table_header_has_a_scope(tagged: Tagged) -> None:
    headers = [e for e, _ in elements(tagged.pdf) if kind(e) == "TH"]
    assert headers
    assert all(str(attribute(h, "/Scope")) in ("/Column", "/Row", "/Both") for h in headers)


def test_passages_in_another_language_carry_it(tagged: Tagged) -> None:
    """Each element of the print HTML whose `lang` differs from the document's is an element
    with that `/Lang` (the English titles of sources)."""
    tree = lxml_html.document_fromstring(_print_html(tagged.root))
    document = tree.get("lang")
    wanted = sorted(e.get("lang") for e in tree.iter() if isinstance(e.tag, str) and e.get("lang") and e.get("lang") != document and e.getparent() is not None and (e.getparent().get("lang") or _inherited(e.getparent())) != e.get("lang"))
    langs = sorted(str(e.Lang) for e, _ in elements(tagged.pdf) if "/Lang" in e)
    assert "en" in wanted
    assert langs == wanted
    assert str(tagged.pdf.Root.Lang) == document


def _inherited(element: Any) -> str | None:
    while element is not None:
        if element.get("lang"):
            return element.get("lang")
        element = element.getparent()
    return None


def test_elements_with_ids_are_in_the_id_tree(tagged: Tagged) -> None:
    pdf = tagged.pdf
    with_ids = {str(e.ID): e.objgen for e, _ in elements(pdf) if "/ID" in e}
    assert with_ids
    names = pikepdf.NameTree(pdf.Root.StructTreeRoot.IDTree)
    assert {k: names[k].objgen for k in with_ids} == with_ids


def test_margin_content_is_an_artifact(bundled: Tagged) -> None:
    """Running heads and folios: pagination artifacts, outside the tree."""
    pdf = bundled.pdf
    heads = []
    for page in pdf.pages:
        data = b"".join(c.read_bytes() for c in page.obj.Contents) if isinstance(page.obj.Contents, pikepdf.Array) \
            else page.obj.Contents.read_bytes()
        heads.append((data.count(b"/Artifact <</Type /Pagination /Subtype /Header>>"),
                      data.count(b"/Artifact <</Type /Pagination /Subtype /Footer>>")))
    assert all(head <= 1 and foot <= 1 for head, foot in heads)
    assert sum(1 for head, foot in heads if head == foot == 1) >= len(pdf.pages) // 2  # text pages: both


# ---- the checker of the machine-checkable subset of PDF/UA-1 -----------------------------------------


def test_pdfua_checker_finds_nothing(tagged: Tagged) -> None:
    from pdfua import validate

    report = validate(str(tagged.path))
    assert [(f.rule_id, f.severity.name, f.message) for f in report.findings] == []


# ---- extracted text -------------------------------------------------------------------------------


def _words(text: str) -> set[str]:
    return {w.lower() for w in LETTERS.findall(unicodedata.normalize("NFC", text))}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_extracted_text_keeps_words_whole(bundled: Tagged) -> None:
    """pdftotext, page by page: every word is a word of the dossier (none glued across a line
    end, as poppler does after a line-end hyphen it takes for a hyphenation); a line ending in
    a hyphenation's soft hyphen continues a word of the dossier; no hyphenation hyphen is copied.
    A URL broken between two letters (no hyphen added, as typography wants) reads as two lines
    whose pieces make a word of the dossier."""
    tree = lxml_html.document_fromstring(_print_html(bundled.root))
    source = tree.text_content()
    vocabulary = _words(source.replace("\u00ad", ""))  # words inline markup cuts (1<sup>er</sup>) whole,
    vocabulary |= _words(" ".join(tree.itertext()).replace("\u00ad", ""))  # and those of adjacent cells apart
    vocabulary |= _words(re.sub("[\u00ad\u200b\u2060]", "", source))  # addresses whole: their break marks are not drawn
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(bundled.path)], capture_output=True, text=True).stdout).group(1))
    hyphenated_pages = 0
    overleaf = ""
    for page in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(bundled.path), "-"], capture_output=True, text=True).stdout
        lines = [line.rstrip() for line in text.splitlines()]
        unknown = _words(text.replace("\u00ad", "")) - vocabulary
        joined = set()
        if overleaf:  # the end of the word the page before broke: among this page's first words
            ends = [w for w in LETTERS.findall(text)[:40] if (overleaf + w).lower() in vocabulary]
            assert ends, (page, overleaf)
            joined.add(ends[0].lower())
            overleaf = ""
        for line, following in itertools.pairwise(lines):
            if line.endswith("\u00ad") and following:
                start = LETTERS.findall(line)[-1] + LETTERS.findall(following)[0]
                assert start.lower() in vocabulary, (page, line[-30:], following[:30])
                joined |= {LETTERS.findall(line)[-1].lower(), LETTERS.findall(following)[0].lower()}
            elif line.endswith("\u00ad"):  # the page's last line of text: the word goes on overleaf
                part = LETTERS.findall(line)[-1].lower()
                assert any(word.startswith(part) for word in vocabulary), (page, line[-30:])
                joined.add(part)
                overleaf = part
            if line[-1:].isalpha() and following[:1].isalpha():  # a URL broken between two letters
                last, first = LETTERS.findall(line)[-1], LETTERS.findall(following)[0]
                if (last + first).lower() in vocabulary:
                    joined |= {last.lower(), first.lower()}
            if line.endswith(("\u2010", "-")) and following:
                hyphens = len(line) - len(line.rstrip("\u2010-"))  # a URL's `---` may end a line
                word = ALPHANUMERIC.findall(line)[-1] + "-" * hyphens + ALPHANUMERIC.findall(following)[0]
                assert word.lower() in source.lower().replace("\u2011", "-"), (page, word)  # a hyphen of the text
        assert unknown <= joined, (page, sorted(unknown - joined)[:10])
        if any(line.endswith("\u00ad") for line in lines):
            hyphenated_pages += 1
    assert hyphenated_pages >= 3


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_note_calls_stand_apart_in_extracted_text(bundled: Tagged) -> None:
    # the opening chapters' pages, whatever the edition's pagination: calls after words, in brackets
    text = subprocess.run(["pdftotext", "-f", "7", "-l", "20", str(bundled.path), "-"], capture_output=True, text=True).stdout
    assert re.search(r"[a-zé]\[\d+\]", text)
    assert not re.search(r"[a-zé]\d+[.,;](?!\w)", text)  # "rferl01.htm" is an address, not a call



def _dots(path: Path) -> tuple[list[tuple[dict, dict]], list[list[dict]], int]:
    """The PDF's full stops after a digit on the same line (a note call's, a note number's), each
    with that digit; its leaders, runs of three or more dots (spaces apart); and how many dots are
    artifacts. The glyphs are pdfplumber's, in drawing order, each with the marked content it is
    in (`tag`)."""
    import pdfplumber

    after_digits: list[tuple[dict, dict]] = []
    leaders: list[list[dict]] = []
    artifacts = 0
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            chars = [c for c in page.chars if c["text"].strip()]
            artifacts += sum(1 for c in chars if c["text"] == "." and c.get("tag") == "Artifact")
            run: list[dict] = []
            for before, char in itertools.pairwise(chars):
                same_line = abs(before["top"] - char["top"]) < 3 and -1 < char["x0"] - before["x1"] < 3
                if char["text"] == "." and before["text"].isdigit() and same_line:
                    after_digits.append((before, char))
                if char["text"] == "." and (before["text"] == "." or not run):
                    run.append(char)
                else:
                    leaders += [run] if len(run) >= 3 else []
                    run = [char] if char["text"] == "." else []
            leaders += [run] if len(run) >= 3 else []
    return after_digits, leaders, artifacts


def _after_call(call: Any) -> str:
    """The text after a note call: its tail, or the tail of its note (which follows it in the HTML)."""
    note = call.getnext()
    if not call.tail and note is not None and "footnote" in (note.get("class") or "").split():
        return note.tail or ""
    return call.tail or ""


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_full_stops_after_note_calls_are_text(bundled: Tagged) -> None:
    """A sentence's full stop after a note call ("minutes⁶⁴." at a paragraph's or a line's end, a
    box of its own) is the HTML's text: drawn inside the paragraph's content, not an artifact,
    and in the extracted text after the call; the Sommaire's leaders stay artifacts."""
    tree = lxml_html.document_fromstring(_print_html(bundled.root))
    calls = collections.Counter(
        f"[{a.text_content().strip()}]."
        for a in tree.iter("a")
        if "noteref" in (a.get("class") or "").split() and _after_call(a).startswith(".")
    )
    assert sum(calls.values()) >= 5
    after_digits, leaders, artifact_dots = _dots(bundled.path)
    calls_drawn = [(d, c) for d, c in after_digits if d.get("tag") != "Artifact"]  # a call, a note's number
    assert len(calls_drawn) >= sum(calls.values())
    assert [(d["text"], round(c["x0"]), round(c["top"])) for d, c in calls_drawn if c.get("tag") == "Artifact"] == []
    assert len(leaders) >= 8  # each chapter's line of the Sommaire
    assert all(char.get("tag") == "Artifact" for run in leaders for char in run)
    assert artifact_dots == sum(map(len, leaders))  # no other dot is an artifact ("op. cit.).")
    text = subprocess.run(["pdftotext", str(bundled.path), "-"], capture_output=True, text=True).stdout
    missing = {call: (n, text.count(call)) for call, n in calls.items() if text.count(call) < n}
    assert missing == {}  # each call's number in brackets, then its full stop
    # the space a line break took reads after the call and its stop, not between a word and its
    # call (after a number, "2022 [16]", poppler sets a space of its own: the gap it measures)
    assert re.findall(r"[^\W\d_]+ \[\d+\]", text) == []


# ---- the claim follows the checks ------------------------------------------------------------------


def test_the_checks_see_what_a_claim_needs() -> None:
    """A figure without alternative text or box, a note without an id: each is a finding."""
    from dossier.validate.tags import check_tags

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.Root.MarkInfo = pikepdf.Dictionary(Marked=True)
    pdf.Root.Lang = pikepdf.String("fr")
    root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
    page = pdf.pages[0].obj
    figure = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Figure, P=root, Pg=page))
    note = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Note, P=root, Pg=page))
    root.K = pikepdf.Array([figure, note])
    root.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array()))
    pdf.Root.StructTreeRoot = root
    messages = [f.describe() for f in check_tags(pdf)]
    assert "page 1: a figure has no alternative text (/Alt)" in messages
    assert "page 1: a figure has no /BBox" in messages
    assert "page 1: a note (Note) has no /ID" in messages


def test_a_pdf_failing_a_check_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Links described by their target's id, as WeasyPrint leaves them: the build fails with the
    finding, located at the chapter, and writes no PDF."""
    from dossier import build
    from dossier.errors import DossierError, Report
    from dossier.write import tagging

    monkeypatch.setattr(tagging.Tagger, "_describe", lambda self, anchor, annotation: "note-ch1-n1")
    out = tmp_path / "out"
    with pytest.raises(DossierError) as caught:
        build.build(FIXTURES / "crossing", out, build.BuildOptions(formats=("pdf",)), Report())
    lines = [d.format() for d in caught.value.report.diagnostics]
    assert any(
        "chapters/01-enquete.md: error[pdf-link]: not written as PDF/UA: page" in line and "'note-ch1-n1'" in line
        for line in lines
    ), lines
    assert not list(out.glob("*.pdf"))
