"""Pandoc's Markdown as people write it (issue 14) and Pandoc's citations (issue 15): three
dossiers written the way Pandoc users write (an English working paper, a French mémoire, a
one-file book), each built once, read back from the PDF and the EPUB; and the refusals, each
one located line."""

from __future__ import annotations

import re
from pathlib import Path

import pdfplumber
import pytest
from lxml import etree

from tests.conftest import Built
from tests.helpers import NS, copy_fixture, epub_documents, epub_file, epubcheck_messages, pdf_page_texts, run_cli

MATHML = "{http://www.w3.org/1998/Math/MathML}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _text(element: etree._Element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def _notes(document: etree._Element) -> list[str]:
    return [_text(n) for n in document.iterfind('.//x:div[@class="note"]', NS)]


def _outline(pdf: Path) -> list[tuple[int, str]]:
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    out: list[tuple[int, str]] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title))

    walk(reader.outline, 1)
    return out


# --- the English working paper --------------------------------------------------------------


@pytest.fixture(scope="module")
def paper(paper_build: Built) -> dict:
    documents = epub_documents(paper_build.epub)
    return {
        "pages": pdf_page_texts(paper_build.pdf),
        "chapter": documents["EPUB/ch1.xhtml"],
        "nav": documents["EPUB/nav.xhtml"],
        "opf": epub_file(paper_build.epub, "EPUB/content.opf").decode(),
    }


def test_paper_builds_valid_with_located_warnings_for_what_it_ignores(paper_build: Built) -> None:
    assert epubcheck_messages(paper_build.epub) == []
    warnings = [line for line in paper_build.stderr.splitlines() if "warning" in line]
    for key, line in (("author", 3), ("date", 4), ("abstract", 5), ("link-citations", 6)):
        assert any(re.search(rf"paper\.md:{line}:1: warning\[front-matter-ignored\]: front matter '{key}' is not used", w) for w in warnings), key
    # raw LaTeX other than \newpage: printed as written, with a located warning
    assert any(re.search(r"paper\.md:38:20: warning\[raw-latex\]: raw LaTeX '\\cite\{kendall1953\}'", w) for w in warnings)


def test_paper_without_a_heading_is_titled_by_its_front_matter(paper: dict) -> None:
    chapter = paper["chapter"]
    h1 = chapter.find(".//x:h1", NS)
    assert _text(h1) == "Counting queues at municipal counters" and h1.get("id") == "ch1"
    assert chapter.find(".//x:title", NS).text == "Counting queues at municipal counters"
    assert any(p.startswith("Counting queues at municipal counters\nIntroduction") for p in paper["pages"])


def test_every_citation_form_becomes_a_note(paper: dict) -> None:
    text = "\n".join(paper["pages"])
    assert not re.search(r"@\w|\[-?@", text.replace("@example", ""))  # no key left in the text
    notes = _notes(paper["chapter"])
    # `@kendall1953 [p. 340]`: the author in the sentence, the reference in the note
    assert "Kendall" in _text(paper["chapter"].find(".//x:span[@class='cite-author']", NS))
    assert notes[0] == "1. David G. Kendall, “Stochastic processes occurring in the theory of queues”, Annals of Mathematical Statistics, vol. 24, No. 3, 1953, p. 340."
    assert notes[1].startswith("2. John D. C. Little, “A proof for the queuing formula L = λW”")
    # prefixes and suffixes in Markdown, a locator without its comma's help, the note opened by a capital;
    # English notes: a later note is the short form without op. cit., a page range takes the en dash
    assert notes[2] == (
        "3. See especially City Statistics Office, Service counters, annual figures, City Statistics Office, 2024, "
        "chap. 2; also J. D. C. Little, “A proof for the queuing formula L = λW”, pp. 383–387 and passim."
    )
    chapter = paper["chapter"]
    note3 = chapter.find('.//x:div[@id="note-ch1-n3"]', NS)
    assert [_text(e) for e in note3.iterfind(".//x:em", NS)] == ["especially", "passim"]
    # a URL-shaped key in braces
    assert notes[3].startswith("4. Test Institute, Counter visits, anonymised, 2025")
    # `[-@key]` inside an inline note: the author left out, in parentheses in the note's sentence
    assert notes[5] == "6. The change is described in the office’s own report (Service counters, annual figures, p. 4)."
    # the figure's caption cites too
    assert notes[6] == "7. City Statistics Office, Service counters, annual figures."
    assert "1. David G. Kendall" in text and "4. Test Institute, Counter visits" in text


def test_calls_follow_their_word_even_across_a_line_break(paper: dict) -> None:
    text = "\n".join(paper["pages"])
    # `data set\n[@…].`: no space before the call, which English sets after the full stop
    assert "an anonymised data set.4" in text
    assert "were never published5 and the office" in text.replace("\n", " ")


def test_notes_of_several_blocks(paper: dict) -> None:
    note = paper["chapter"].find('.//x:div[@id="note-ch1-n5"]', NS)
    assert [_text(p) for p in note.iterfind("x:p", NS)] == [
        "5. The counts of 2016–2018 were kept on paper.", "They were transcribed for this paper:"
    ]
    assert [_text(li) for li in note.iterfind("x:ul/x:li", NS)] == ["by hand, for the first two years;", "from photographs, for 2018."]
    assert _text(note.find("x:blockquote", NS)) == "Some sheets are missing."
    # print: the list and the quotation stay in the footnote, after its paragraphs, not in the text
    page = next(p for p in paper["pages"] if "5. The counts of 2016–2018" in p)
    foot = page[page.index("5. The counts of 2016–2018") :]
    assert foot.index("They were transcribed") < foot.index("by hand, for the first two years;") < foot.index("Some sheets are missing.")
    body = page[: page.index("1. David G. Kendall")]
    assert "by hand" not in body and "Some sheets" not in body
    # the inline note's hard-wrapped source reads as one line with spaces
    assert "own report (Service counters" in page.replace("\n", " ") and "report\n(" not in page


def test_math_is_mathml_in_the_epub_and_drawn_in_the_pdf(paper: dict, paper_build: Built) -> None:
    maths = list(paper["chapter"].iter(f"{MATHML}math"))
    assert [m.get("alttext") for m in maths[:5]] == ["\\lambda", "\\mu", "\\rho = \\lambda / \\mu < 1", "L = \\frac{\\rho}{1 - \\rho}", "W = L / \\lambda"]
    assert maths[3].get("display") == "block" and maths[0].get("display") == "inline"
    assert re.search(r'<item href="ch1.xhtml" id="ch1" media-type="application/xhtml\+xml" properties="mathml"/>', paper["opf"])
    page_index = next(i for i, p in enumerate(paper["pages"]) if "The model" in p)
    page = paper["pages"][page_index]
    assert "\\frac" not in page and "$" not in page
    with pdfplumber.open(paper_build.pdf) as pdf:
        drawn = pdf.pages[page_index].curves + pdf.pages[page_index].objects.get("curve", [])
    assert len(drawn) >= 10  # the formulas' glyphs, as outlines


def test_inline_markup_spans_and_heading_attributes(paper: dict) -> None:
    chapter = paper["chapter"]
    assert [_text(e) for e in chapter.iterfind(".//x:sub", NS)] == ["2"]
    assert "2" in [_text(e) for e in chapter.iterfind(".//x:sup", NS)]
    assert [_text(e) for e in chapter.iterfind(".//x:s", NS)] == ["the third"]
    assert _text(chapter.find(".//x:span[@class='smallcaps']", NS)) == "Note"
    french = chapter.find(".//x:span[@lang='fr']", NS)
    assert _text(french) == "file d’attente" and french.get(XML_LANG) == "fr"
    # `{#intro}` and `{#sec:model .unlisted}`: ids usable in links; unlisted: not in the contents
    links = {_text(a): a.get("href") for a in chapter.iterfind(".//x:a", NS) if a.get("href", "").startswith("ch1")}
    assert links == {"the introduction": "ch1.xhtml#ch1-intro", "model": "ch1.xhtml#ch1-sec:model"}
    assert chapter.find(".//x:h2[@id='ch1-sec:model']", NS).get("class") == "unlisted"
    toc = [_text(a) for a in paper["nav"].iterfind(".//x:nav[@id='toc']//x:a", NS)]
    assert toc == ["Counting queues at municipal counters", "Introduction", "Results", "References"]


def test_smart_punctuation_and_page_break(paper: dict, paper_build: Built) -> None:
    text = "\n".join(paper["pages"])
    assert "The 1990s—and the ’90s in particular—saw no counts…" in text
    assert "The -- in code stays." in text
    assert any(p.startswith("Results") for p in paper["pages"])  # \newpage: a new page
    assert (2, "Introduction") in _outline(paper_build.pdf) and all("The model" not in t for _, t in _outline(paper_build.pdf))


def test_implicit_figure_with_caption_attributes_and_alt(paper: dict) -> None:
    figure = paper["chapter"].find(".//x:figure", NS)
    assert figure.get("id") == "fig:curve"
    image = figure.find("x:img", NS)
    assert image.get("alt") == "A curve rising steeply as utilisation approaches one"
    assert image.get("style") == "width: 60%" and image.get("src") == "images/curve.png"
    assert _text(figure.find("x:figcaption", NS)) == "Waiting time against utilisation, both counters7"
    assert any("Waiting time against utilisation, both counters7" in p for p in paper["pages"])


def test_pandoc_tables_with_captions(paper: dict) -> None:
    tables = list(paper["chapter"].iterfind(".//x:table", NS))
    assert len(tables) == 4  # pipe, simple, grid, multiline
    simple, grid, multiline = tables[1:]
    # a simple table: alignment from the header's place over the dashes; `Table:` caption with a citation
    assert _text(simple.find("x:caption", NS)).startswith("Opening hours in 2025") and simple.find("x:caption//x:a", NS) is not None
    assert [(c.get("style"), _text(c)) for c in simple.iterfind("x:thead/x:tr/x:th", NS)] == [
        ("text-align:right", "Counter"), ("text-align:right", "Opening hours"), (None, "Staff")
    ]
    assert [_text(c) for c in simple.iterfind("x:tbody/x:tr[1]/x:td", NS)] == ["North", "8–16", "3"]
    # a grid table: cells of blocks (a list, with a note call), relative widths
    assert _text(grid.find("x:caption", NS)) == "Changes to the counters."
    assert [c.get("style") for c in grid.iterfind("x:colgroup/x:col", NS)] == ["width: 29%", "width: 71%"]
    items = [_text(li) for li in grid.iterfind("x:tbody/x:tr[1]/x:td[2]/x:ul/x:li", NS)]
    assert items == ["a ticket machine at each counter", "counts by the hour9"]
    assert _text(grid.find("x:tbody/x:tr[1]/x:td[1]", NS)) == "2019" and grid.find("x:tbody/x:tr[1]/x:td[1]/x:p", NS) is None
    # a multiline table: a cell's lines joined, math in a cell
    cells = [_text(c) for c in multiline.iterfind("x:tbody/x:tr[1]/x:td", NS)]
    assert cells[1] == "Mean number of visitors in the system, waiting or being served."
    assert multiline.find(f".//x:td//{MATHML}math", NS) is not None
    notes = _notes(paper["chapter"])
    assert notes[7] == "8. Ibid., p. 9." and notes[8] == "9. Before 2019, counts were daily."
    assert notes[9].startswith("10. J. D. C. Little")  # a citation in a grid table's cell
    text = "\n".join(paper["pages"])
    assert "Mean number of visitors in the system, waiting or being served." in text.replace("\n", " ")
    assert "a ticket machine at each counter" in text


def test_nocite_puts_a_source_in_the_bibliography_without_a_note(paper: dict) -> None:
    bibliography = _text(paper["chapter"].find(".//x:div[@class='bibliography']", NS))
    assert "Duarte, Ana, Background survey of waiting rooms" in bibliography
    assert all("Background survey" not in n for n in _notes(paper["chapter"]))


# --- the French mémoire ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def memoire(memoire_build: Built) -> dict:
    documents = epub_documents(memoire_build.epub)
    return {"pages": pdf_page_texts(memoire_build.pdf), "ch1": documents["EPUB/ch1.xhtml"], "ch2": documents["EPUB/ch2.xhtml"]}


def test_memoire_builds_valid(memoire_build: Built) -> None:
    assert epubcheck_messages(memoire_build.epub) == []
    assert "warning" not in memoire_build.stderr


def test_title_block_and_escaped_spaces(memoire: dict) -> None:
    assert _text(memoire["ch1"].find(".//x:h1", NS)) == "Introduction"  # `% Introduction`
    paragraph = "".join(memoire["ch1"].find(".//x:section/x:p", NS).itertext())
    assert "80\u202f000 habitants" in paragraph or "80\u00a0000 habitants" in paragraph
    assert "H.\u00a0Duval" in paragraph and "\\" not in paragraph
    assert "H. Duval2" in "\n".join(memoire["pages"]).replace("\u00a0", " ")


def test_fenced_divs_definition_lists_and_line_blocks(memoire: dict) -> None:
    box = memoire["ch1"].find(".//x:div[@class='encadre']", NS)
    assert box.get("lang") == "en" and box.get(XML_LANG) == "en" and _text(box) == "Summary. This thesis studies three shared gardens."
    terms = [_text(dt) for dt in memoire["ch1"].iterfind(".//x:dl/x:dt", NS)]
    assert terms == ["Jardin partagé", "Parcelle"]
    last = list(memoire["ch1"].iterfind(".//x:dl/x:dd", NS))[-1]
    assert [_text(p) for p in last.iterfind("x:p", NS)] == ["Part du terrain attribuée à une famille4.", "Elle mesure en général quelques mètres carrés."]
    verse = memoire["ch2"].find(".//x:div[@class='line-block']", NS)
    assert len(verse.findall("x:br", NS)) == 3 and "".join(verse.itertext()).split("\n")[1].startswith("\u00a0" * 4 + "nous irons au bois")
    assert _text(memoire["ch2"].find(".//x:div[@class='attention']", NS)) == "Les noms des jardiniers ont été changés."
    text = "\n".join(memoire["pages"])
    assert "Un, deux, trois,\n" in text and "quatre, cinq, six," in text


def test_fancy_lists(memoire: dict) -> None:
    lists = list(memoire["ch2"].iterfind(".//x:ol", NS))
    assert lists[0].get("type") == "i" and len(lists[0]) == 3
    assert [(ol.get("class"), ol.get("start")) for ol in lists[1:]] == [("example", None), ("example", "3")]
    text = "\n".join(memoire["pages"])
    assert "l’observation, de mars à juin" in text and "le questionnaire, rempli par cent familles." in text
    # the markers, as pypdf reads them (after the page's text): roman numerals, the examples numbered on
    assert re.findall(r"^(\w+)\. $", text, re.MULTILINE)[-6:] == ["i", "ii", "iii", "1", "2", "3"]
    # `(@voisins)` in the text is the number of the example labelled voisins, as Pandoc writes it
    assert any(_text(p) == "La réponse (2) revient souvent. Une troisième, plus rare :"
               for p in memoire["ch2"].iterfind(".//x:p", NS))
    assert "La réponse (2) revient souvent." in re.sub(r"\s+", " ", text)


def test_locators_in_french_and_links_between_files(memoire: dict) -> None:
    notes = _notes(memoire["ch1"])
    assert notes[1] == "2. Hélène Duval, La ville jardinée, Lyon, Presses d’essai, 2015, chap. 2."  # `chapitre 2`
    assert notes[3].startswith("4. Les règlements varient d’un jardin à l’autre (voir Observatoire municipal")
    link = memoire["ch2"].find(".//x:a[@href='ch1.xhtml#ch1-definitions']", NS)
    assert _text(link) == "définition de la parcelle"


# --- the one-file book ---------------------------------------------------------------------------


def test_one_file_book_is_split_into_chapters(book_build: Built) -> None:
    assert epubcheck_messages(book_build.epub) == []
    documents = epub_documents(book_build.epub)
    titles = [_text(documents[f"EPUB/ch{n}.xhtml"].find(".//x:h1", NS)) for n in (1, 2, 3)]
    assert titles == ["Arrivals", "Departures", "Afterword"]
    assert "EPUB/ch4.xhtml" not in documents
    # the file's notes, defined at its end, go with the chapter that calls them
    assert _notes(documents["EPUB/ch1.xhtml"])[1].startswith("2. Kept by the harbour master")
    assert _notes(documents["EPUB/ch2.xhtml"])[1] == "2. Names in full, with a home port."
    link = documents["EPUB/ch2.xhtml"].find(".//x:a[@href='ch1.xhtml#ch1']", NS)  # `#arrivals`, the chapter's own id
    assert _text(link) == "the first chapter"
    # ### in the contents and the outline, as the Sommaire shows them
    nav = [_text(a) for a in documents["EPUB/nav.xhtml"].iterfind(".//x:nav[@id='toc']//x:a", NS)]
    assert nav == ["Arrivals", "The first ship", "Departures", "Crews", "Afterword"]
    outline = [t for _, t in _outline(book_build.pdf)]
    assert outline == nav
    contents = next(p for p in pdf_page_texts(book_build.pdf) if p.startswith("Contents"))
    assert all(title in contents for title in nav)


# --- refusals and warnings: one located line each --------------------------------------------------


def _build_errors(tmp_path: Path, chapter: str, config: tuple[str, str] | None = None) -> list[str]:
    root = copy_fixture("mini", tmp_path)
    path = root / "chapters" / "02-contexte.md"
    path.write_text(path.read_text() + chapter)
    if config:
        toml = root / "dossier.toml"
        toml.write_text(toml.read_text().replace(*config, 1))
    result = run_cli("build", ".", "--out", str(tmp_path / "out"), cwd=root)
    assert result.returncode == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("*.pdf"))
    return [line for line in result.stderr.splitlines() if "error" in line]


def test_refused_in_a_note_and_nested_notes(tmp_path: Path) -> None:
    chapter = (
        "\nUne note[^titre] et une autre^[qui en appelle une autre[^titre2]].\n\n"
        "[^titre]: Un texte.\n\n    ## Un titre\n\n[^titre2]: Rien.\n"
    )
    assert _build_errors(tmp_path, chapter) == [
        "chapters/02-contexte.md:30:1: error[note-block]: note '[^titre]' holds a heading; a note holds paragraphs, lists, "
        "quotations, code and definitions: move it into the text",
        "chapters/02-contexte.md:26:56: error[note-nested]: a note cannot call another note ('[^titre2]')",
    ]


def test_unknown_tex_and_unknown_nocite_are_located(tmp_path: Path) -> None:
    assert _build_errors(tmp_path / "a", "\nLa formule $\\foo{x}$ est fausse.\n") == [
        "chapters/02-contexte.md:26:12: error[math]: unknown TeX command '\\foo' in '\\foo{x}': write it with LaTeX's math commands"
    ]
    errors = _build_errors(tmp_path / "b", "", ("title = ", 'nocite = ["@agense"]\ntitle = '))
    assert errors == ["dossier.toml:1:1: error[source-unknown]: unknown source '@agense' (not in sources); did you mean 'agence'?"]
