"""Sources as Pandoc, Zotero and BibLaTeX users have them, read back from the built EPUB and PDF.

One build of tests/fixtures/formats (a `.bib`, a Zotero CSL-JSON export and Pandoc's CSL-YAML,
listed together in dossier.toml) is shared by the tests; the readers' own cases are checked in
process, without a build.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from dossier.errors import Report
from dossier.l10n.languages import language_tag, title_language
from dossier.l10n.notecalls import place_note_calls
from dossier.load.csldates import DateError, parse_date
from dossier.load.richtext import from_csl_html, from_pandoc_markdown
from dossier.load.sources import load_sources
from dossier.model import CslDate, Rich, Styled
from dossier.render.cite import page_range
from tests.conftest import Built, once
from tests.helpers import FIXTURES, NS, copy_fixture, epub_documents, epubcheck_messages, pdf_text, run_cli

N, S = "\u202f", "\u00a0"
BIB_NOTES = [
    f"1. Élise Moreau et Jörg Müller, «{N}Les OTSC et l’Asie centrale{S}: sécurité & défense{N}», Revue des steppes d’essai, "
    f"vol.{S}8, nº{S}2, juin 2021, p.{S}45-67.",
    # \emph, ---, braces that protect case; the title's case as written (no sentence case)
    f"2. Luc Petit, «{N}The Withdrawal of the Contingent — a NATO-Style Mission?», Carnet d’essai, 13{S}janvier 2022, "
    f"https://example.org/carnet/retrait [consulté le 24{S}novembre 2026].",
    # crossref: the collection's editor, title, place, publisher and date
    f"3. Wei Zhang, «{N}Alliances et frontières{N}», in Jean-Pierre Durand (dir.), L’Eurasie en mouvement, Lyon, "
    f"Presses d’essai, 2020, p.{S}12-30.",
    "4. Jean-Pierre Durand (dir.), L’Eurasie en mouvement, Lyon, Presses d’essai, 2020.",
    # a braced institution is one literal name; a book with a URL needs no access date
    f"5. Institut d’études d’essai, Atlas des routes, Genève, Éditions du col, 2019, p.{S}4-5, https://example.org/atlas.",
]
ZOTERO_NOTES = [
    f"1. Anne Lefèvre, «{N}La Pravda des steppes et eBay{N}», Le Quotidien d’essai, 5{S}janvier 2022, "
    f"https://example.org/quotidien/pravda [consulté le 24{S}novembre 2026].",
    "2. Agnès Kristof, L’Analphabète d’essai, H2O et le 1er chapitre, Lausanne, Éditions de la plaine, in press.",
    f"3. «{N}Protests in Kazakhstan (2022){N}», Blog d’essai, janvier 2022, https://example.org/blog/sr "
    f"[consulté le 24{S}novembre 2026].",
    f"4. «{N}Ἐπιγραφή{N}», Corpus d’essai, 7 August 2012, 9:22, https://example.org/corpus/1 [consulté le 24{S}novembre 2026].",
    f"5. «{N}Հայերեն վերնագիր{N}», Revue d’essai, automne 2019, p.{S}5-9.",
    "6. Rapport en langue inconnue, Observatoire d’essai, vers 1850.",
]
PANDOC_NOTES = [
    f"1. Pavel Ivanov, Steppes et URSS{S}: une histoire, Paris, Éditions d’essai, 1971, https://example.org/steppes.",
    f"2. Maria Sokolova, «{N}Война и мир dans la presse{N}», Revue d’essai, janvier 2014, p.{S}33-34.",
    f"3. «{N}Carte des routes{N}», vers 1850.",
    f"4. «{N}Stèle de la route{N}», 51{S}av. J.-C.",
    f"5. «{N}Le printemps des steppes{N}», Magazine d’essai, printemps 2014.",
    "6. Rapport de deux ans, Observatoire d’essai, 2020–2021.",
    "7. Livre à paraître, Éditions d’essai, sous presse.",
]
WARNINGS = [
    "zotero.json:59:15: warning[source-language]: source 'inconnu': unknown language 'Elvish', left out "
    "(write a language tag such as 'en' or 'fr-FR', or its name)",
]


@pytest.fixture(scope="module")
def formats_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return once(tmp_path_factory, "test_source_formats.formats_build", lambda: _formats_build(tmp_path_factory))


def _formats_build(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = copy_fixture("formats", tmp_path_factory.mktemp("formats"))
    out = root / "out"
    result = run_cli("build", str(root), "--out", str(out), cwd=root)
    assert result.returncode == 0, result.stderr
    return Built(root, next(out.glob("*.pdf")), next(out.glob("*.epub")), result.stdout, result.stderr)


def _text(element: etree._Element) -> str:
    return re.sub(r"[ \t\r\n]+", " ", "".join(element.itertext())).strip()


def _chapter(built: Built, name: str) -> etree._Element:
    return next(root for path, root in epub_documents(built.epub).items() if path.endswith(name))


def _notes(built: Built, name: str) -> list[str]:
    return [_text(n) for n in _chapter(built, name).iterfind(".//x:div[@class='note']", NS)]


def _flat(text: str) -> str:
    """Text without spaces and hyphens: PDF lines break inside URLs and words (hyphenated)."""
    return re.sub(r"[\s\u00ad\u2010-]", "", text)


@pytest.fixture(scope="module")
def pdf(formats_build: Built) -> str:
    return _flat(pdf_text(formats_build.pdf))


def test_bib_entries_become_notes_and_bibliography(formats_build: Built, pdf: str) -> None:
    assert _notes(formats_build, "ch1.xhtml") == BIB_NOTES
    for note in BIB_NOTES:
        assert _flat(note.split(" ", 1)[1]) in pdf
    bibliography = {_text(li) for li in _chapter(formats_build, "ch4.xhtml").iterfind(".//x:li", NS)}
    assert "Institut d’études d’essai, Atlas des routes, Genève, Éditions du col, 2019, https://example.org/atlas. " \
           "Consulté dans sa version imprimée." in bibliography  # BibLaTeX's annotation; its note (OCLC) is not printed
    assert f"Moreau, Élise et Jörg Müller, «{N}Les OTSC et l’Asie centrale{S}: sécurité & défense{N}», Revue des steppes " \
           f"d’essai, vol.{S}8, nº{S}2, juin 2021, p.{S}45-67." in bibliography


def test_zotero_export_notes_languages_and_ids(formats_build: Built, pdf: str) -> None:
    assert _notes(formats_build, "ch2.xhtml") == ZOTERO_NOTES
    for note in ZOTERO_NOTES:
        assert _flat(note.split(" ", 1)[1]) in pdf
    chapter = _chapter(formats_build, "ch2.xhtml")
    titles = {_text(e): e.get("lang") for e in chapter.iterfind(".//x:span[@class='title']", NS)}
    assert titles["Ἐπιγραφή"] == "el"  # "Greek, Modern"
    assert titles["Հայերեն վերնագիր"] == "hy"  # "հայերեն [Armenian]"
    assert titles["Protests in Kazakhstan (2022)"] == "en"  # an English title on a Serbian page is not tagged sr
    assert titles["La Pravda des steppes et eBay"] is None  # "français": the dossier's language
    note = chapter.find(".//x:div[@id='note-ch2-n2']", NS)
    assert [e.tag.split("}")[1] for e in note.iter() if e.tag.split("}")[1] in ("i", "sub", "sup")] == ["i", "sub", "sup"]
    assert [_text(e) for e in note.iterfind(".//x:span[@class='smallcaps']", NS)] == ["chapitre"]
    # the URL-shaped id of a Zotero export gives a valid XML id to its bibliography entry
    ids = [li.get("id") for li in _chapter(formats_build, "ch4.xhtml").iterfind(".//x:li", NS)]
    assert "source-tp-zotero.org-users-12345-items-ABCD2345-069f0cbf" in ids
    assert all(re.fullmatch(r"[A-Za-z_][\w.-]*", i) for i in ids)


def test_pandoc_yaml_dates_markdown_and_lower_case_keys(formats_build: Built, pdf: str) -> None:
    assert _notes(formats_build, "ch3.xhtml") == PANDOC_NOTES
    for note in PANDOC_NOTES:
        assert _flat(note.split(" ", 1)[1]) in pdf
    chapter = _chapter(formats_build, "ch3.xhtml")
    assert [_text(e) for e in chapter.iterfind(".//x:div[@class='note']//x:cite//x:i", NS)] == ["Steppes"]
    assert [_text(e) for e in chapter.iterfind(".//x:div[@class='note']//x:span[@lang='ru']", NS)] == ["Война и мир"]


def test_nothing_printed_raw_and_one_warning(formats_build: Built) -> None:
    epub_text = " ".join(_text(root) for root in epub_documents(formats_build.epub).values())
    for text in (epub_text, pdf_text(formats_build.pdf)):
        for raw in ("<i>", "<sc>", "<span", "nocase", "{.", "\\", "{", "}", "OCLC", "@", "*Steppes", "emph", "Elvish"):
            assert raw not in text, raw
    assert [line.replace(str(formats_build.root) + "/", "") for line in formats_build.stderr.splitlines()] == WARNINGS


def test_formats_epub_passes_epubcheck(formats_build: Built) -> None:
    assert epubcheck_messages(formats_build.epub) == []


# -- errors in a .bib, located at the entry ---------------------------------------------------


def _check(root: Path) -> list[str]:
    result = run_cli("check", str(root), cwd=root)
    assert result.returncode == 1
    return result.stderr.splitlines()


def test_bib_syntax_error_is_located_at_its_entry(tmp_path: Path) -> None:
    root = copy_fixture("formats", tmp_path)
    bib = root / "refs.bib"
    bib.write_text(bib.read_text().replace("  date         = {2020},\n}", "  date         = {2020},\n", 1))
    assert _check(root) == [
        "refs.bib:25:1: error[bib-syntax]: invalid BibLaTeX in entry 'durand2020': unexpected '@' (line 33, column 1)"
    ]


def test_bib_entry_left_open_at_the_end_is_an_error(tmp_path: Path) -> None:
    root = copy_fixture("formats", tmp_path)
    bib = root / "refs.bib"
    bib.write_text(bib.read_text() + "\n@book{ouvert,\n  title = {Jamais fermé},\n")
    assert _check(root)[0] == "refs.bib:51:1: error[bib-syntax]: invalid BibLaTeX in entry 'ouvert': unexpected end of input (line 54, column 1)"
    # an entry Pandoc does not return is an error at its line, never a silent loss
    from dossier.load.bibtex import _located

    report = Report()
    _located(tmp_path / "a.bib", [{"id": "un"}], [("book", "un", 1, 1), ("book", "deux", 3, 1)], report)
    assert [d.format(tmp_path) for d in report.diagnostics] == [
        "a.bib:3:1: error[bib-entry]: entry 'deux' could not be read: is a brace or a quote left open, or its key missing?"
    ]


def test_source_errors_across_files(tmp_path: Path) -> None:
    root = copy_fixture("formats", tmp_path)
    yaml = root / "pandoc.yaml"
    yaml.write_text(yaml.read_text().replace("- id: stele", "- id: moreau2021").replace("issued: 2020/2021", "issued: 2021/2020"))
    bib = root / "refs.bib"
    bib.write_text(bib.read_text().replace("date         = {2022-01-13}", "date         = {20xx}"))
    assert _check(root) == [
        "refs.bib:20:3: error[source-date]: source 'petit2022': invalid date in 'date': '20xx'",  # Pandoc drops it: not us
        *WARNINGS,
        "pandoc.yaml:30:3: error[source-duplicate]: duplicate source id 'moreau2021' (first defined at refs.bib:4)",
        "pandoc.yaml:43:11: error[source-date]: source 'intervalle': invalid date in 'issued': '2021/2020'",
    ]


# -- the readers, in process -------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("2022-01-07", CslDate(2022, 1, 7)),
    ([{"year": 1971}], CslDate(1971)),
    ({"year": 2014, "month": 1}, CslDate(2014, 1)),
    ([{"year": 2020}, {"year": 2021}], CslDate(2020, end=CslDate(2021))),
    ({"date-parts": [["2022", 1]]}, CslDate(2022, 1)),
    ({"date-parts": [[2019, 14]]}, CslDate(2019, season=2)),
    ({"date-parts": [[2019]], "season": "Winter"}, CslDate(2019, season=4)),
    ({"date-parts": [[1850]], "circa": "true"}, CslDate(1850, circa=True)),
    ({"literal": "7 August 2012, 9:22"}, CslDate(None, literal="7 August 2012, 9:22")),
    ({"raw": "2012-08-07"}, CslDate(2012, 8, 7)),
    ("in press", CslDate(None, literal="in press")),
    ("1850\\~", CslDate(1850, circa=True)),
    ("2014-23", CslDate(2014, season=3)),
    ("-0050", CslDate(-51)),  # EDTF counts a year 0; CSL's -51 is 51 BC
    ({"date-parts": [[-50]]}, CslDate(-50)),
    ("2020-01/2020-03", CslDate(2020, 1, end=CslDate(2020, 3))),
    (2020, CslDate(2020)),
])
def test_csl_dates_in_every_form(value: object, expected: CslDate) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["2022-14", "2022-02-30", {"date-parts": []}, "2021/2020", [], {"season": 2}, True, "0000-13"])
def test_not_dates(value: object) -> None:
    with pytest.raises(DateError):
        parse_date(value)


@pytest.mark.parametrize(("value", "tag"), [
    ("English", "en"), ("fre", "fr"), ("ger", "de"), ("français", "fr"), ("Greek, Modern", "el"),
    ("Greek, Modern (1453-)", "el"), ("հայերեն [Armenian]", "hy"), ("en-US", "en-US"), ("fr_FR", "fr-FR"),
    ("sr-Latn", "sr-Latn"), ("русский", "ru"), ("Deutsch", "de"), ("ngerman", "de-DE"), ("allemand", "de"),
    ("Elvish", None), ("xx", None), ("", None),
])
def test_language_values_as_bcp47_tags(value: str, tag: str | None) -> None:
    assert language_tag(value, "fr_FR") == tag


@pytest.mark.parametrize(("title", "claimed", "expected"), [
    ("Protests in Kazakhstan (2022)", "sr", "en"),  # the English title of a Serbian page
    ("Protests in Kazakhstan (2022)", "fi", "en"),
    ("Protests in Kazakhstan (2022)", "ar", "en"),  # not in Arabic script
    ("Протести у Казахстану", "sr", "sr"),
    ("Mielenosoitukset Kazakstanissa", "fi", "fi"),
    ("Qazaq TV", "en", "en"),  # a name: nothing says otherwise
    ("Les libertés publiques au Kazakhstan", "en", None),  # French, in a French dossier
    ("Timeline of the events", "fr", "en"),  # English, whatever the source's language field says (issue 18)
    ("Informburo", "ru", None),  # Latin letters: not Russian
])
def test_a_title_is_tagged_with_its_own_language(title: str, claimed: str, expected: str | None) -> None:
    assert title_language(title, claimed, "fr_FR") == expected


def test_rich_text_from_csl_json_and_pandoc_markdown() -> None:
    assert from_csl_html('The <i>Origin</i> of <span class="nocase">DNA</span> &amp; <b>x</b><script>y</script>') == Rich((
        "The ", Styled("i", ("Origin",)), " of ", Styled("nocase", ("DNA",)), " & ", Styled("b", ("x",)), "y",
    ))
    assert from_csl_html('<span style="font-variant: small-caps;">Sc</span>') == Rich((Styled("sc", ("Sc",)),))
    assert from_pandoc_markdown("*Steppes* et [URSS]{.nocase}, H~2~O, 1^er^, [мир]{lang=ru} \\*") == Rich((
        Styled("i", ("Steppes",)), " et ", Styled("nocase", ("URSS",)), ", H", Styled("sub", ("2",)), "O, 1",
        Styled("sup", ("er",)), ", ", Styled("span", ("мир",), "ru"), " *",
    ))
    assert from_pandoc_markdown("Plain title") == "Plain title"
    assert str(from_pandoc_markdown("*A* b")) == "A b"


def test_page_ranges_take_the_style_dash() -> None:
    assert page_range("33-34", "–").text == "33–34" and page_range("33-34", "–").count == 2
    assert page_range("33--34", None).text == "33--34"  # French usage: as written
    assert page_range("12", "–").count == 1 and page_range("4, 9", "–").count == 2


def test_note_calls_follow_punctuation_in_english_only() -> None:
    root = etree.fromstring(
        '<body><p lang="en">word<sup class="noteref"><a class="noteref">1</a></sup>. Then<a class="noteref">2</a>'
        '<span class="footnote">n.</span>, end</p><p lang="fr">mot<sup class="noteref">3</sup>.</p></body>'
    )
    place_note_calls(root, "fr_FR")
    place_note_calls(root, "fr_FR")  # twice: the same
    assert [_text(p) for p in root] == ["word.1 Then,2n. end", "mot3."]


def test_web_access_date_warning_only_for_web_types(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "- {id: a, type: article-journal, title: A, URL: 'https://example.org/a'}\n"
        "- {id: b, type: book, title: B, URL: 'https://example.org/b'}\n"
        "- {id: c, type: post-weblog, title: C, URL: 'https://example.org/c'}\n"
    )
    report = Report()
    load_sources(path, report)
    assert [d.format(tmp_path) for d in report.diagnostics] == [
        "sources.yaml:3:3: warning[source-accessed]: web source 'c' has no access date ('accessed')"
    ]


def test_several_source_files_in_dossier_toml() -> None:
    report = Report()
    root = FIXTURES / "formats"
    sources = load_sources([root / "refs.bib", root / "zotero.json", root / "pandoc.yaml"], report, "fr_FR")
    assert list(sources)[:2] == ["moreau2021", "petit2022"] and len(sources) == 18
    assert sources["petit2022"].location.line == 15 and sources["revue2014"].get("DOI") == "10.1234/essai.2014"
    assert sources["gumilev1971"].get("URL") == "https://example.org/steppes"  # Pandoc writes `url:`


@pytest.mark.parametrize(("value", "expected"), [
    ("3", "dossier.toml:11:1: error[config-type]: 'sources': expected a file name or a list of file names"),
    ('["refs.bib", "../x.bib"]', "dossier.toml:11:24: error[config-outside]: 'sources': '../x.bib' is outside the dossier"),
    ("[]", "dossier.toml:11:1: error[config-type]: 'sources': must not be empty"),
])
def test_sources_key_errors_are_located(tmp_path: Path, value: str, expected: str) -> None:
    from dossier.errors import DossierError
    from dossier.load.config import load_config

    root = copy_fixture("formats", tmp_path)
    toml = root / "dossier.toml"
    toml.write_text(re.sub(r"(?m)^sources = .*$", f"sources = {value}", toml.read_text()))
    with pytest.raises(DossierError) as exc:
        load_config(root)
    assert [d.format(root) for d in exc.value.report.errors] == [expected]
