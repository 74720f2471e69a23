"""Sources and notes: the French note style read back from the EPUB and the PDF, the same notes
from CSL-YAML and from a Zotero CSL-JSON export, the bibliography, and every source check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import NS, copy_fixture, epub_documents, epubcheck_messages, pdf_text, run_cli

N = "\u202f"  # narrow no-break space: inside « », before ; (the typography guide)
S = "\u00a0"  # no-break space: after nº (o superior, not the degree sign), p., art.
LOI = (
    f"République française, Loi nº{S}2020-290 du 23{S}mars 2020 d’urgence pour faire face à l’épidémie de covid-19, "
    "Journal officiel de la République française"
)
LOI_URL = f"https://www.legifrance.gouv.fr/jorf/id/JORFTEXT000041746313 [consulté le 24{S}novembre 2026]"
DISCOURS = (
    f"Jean-Pierre Durand, «{N}Discours devant l’Assemblée{N}», discours prononcé à Paris, Ministère de l’Intérieur, "
    f"7{S}janvier 2022, https://example.org/discours [consulté le 24{S}novembre 2026]"
)
RAPPORT = (
    f"Observatoire d’Asie centrale, Les libertés publiques au Kazakhstan, rapport annuel, nº{S}12, Genève, "
    "Éditions de l’Observatoire, 2021"
)
NOTES = {
    "ch1.xhtml": [
        f"1. {LOI}, art.{S}4, {LOI_URL}.",
        f"2. Ibid., art.{S}5.",  # Ibid. with the new locator
        f"3. Loi nº{S}2020-290 du 23{S}mars 2020, op. cit.",  # no locator after one: the short form, not Ibid.
        f"4. {DISCOURS}.",
        "5. Ibid.",
        f"6. Anne Lefèvre, «{N}Les manifestations s’étendent{N}», Le Quotidien, 1er{S}janvier 2022, "
        f"https://example.org/quotidien/manifestations [consulté le 1er{S}novembre 2026].",
        "7. Une remarque de la rédaction, sans source.",
        f"8. A. Lefèvre, «{N}Les manifestations s’étendent{N}», art.{S}cit.",  # a note in between: no Ibid.
        f"9. Observatoire des libertés, «{N}Timeline of the events{N}», observatoire.example.org, janvier 2022, "
        f"https://observatoire.example.org/timeline [consulté le 24{S}novembre 2026]{N}; {RAPPORT}, p.{S}15, "
        f"https://example.org/rapport.pdf [consulté le 24{S}novembre 2026].",
        f"10. Observatoire d’Asie centrale, Les libertés publiques au Kazakhstan, op. cit., p.{S}16.",
        f"11. Sophie Bernard et Luc Petit, L’Asie centrale contemporaine, Paris, Éditions d’essai, 2019, p.{S}12.",
        f"12. Ibid., p.{S}30.",
        f"13. Voir aussi l’analyse de la revue (Wei Zhang, «{N}Alliances militaires en Eurasie{N}», "
        f"Revue d’études stratégiques, vol.{S}8, nº{S}2, juin 2021, p.{S}50).",
        f"14. Ibid., p.{S}50.",
        f"15. Élise Moreau, «{N}Le retrait du contingent{N}», Carnet de recherche, nº{S}42, Institut d’essai, "
        f"3{S}février 2022, https://example.org/carnet/42 [consulté le 24{S}novembre 2026].",
        f"16. «{N}Échos d’une loi contestée{N}», L’Hebdo d’essai, mai 2020, https://example.org/hebdo/loi "
        f"[consulté le 24{S}novembre 2026].",
        f"17. S. Bernard et L. Petit, L’Asie centrale, op. cit., p.{S}31.",
        f"18. «{N}Échos d’une loi{N}», L’Hebdo d’essai, art.{S}cit.",
    ],
    # A new chapter starts again with full references.
    "ch2.xhtml": [f"1. {DISCOURS}.", f"2. {LOI}, art.{S}4, {LOI_URL}."],
}
BIBLIOGRAPHY = [
    ("Documents officiels", [
        f"Durand, Jean-Pierre, «{N}Discours devant l’Assemblée{N}», discours prononcé à Paris, Ministère de l’Intérieur, "
        f"7{S}janvier 2022, https://example.org/discours [consulté le 24{S}novembre 2026].",
        f"{LOI}, {LOI_URL}.",
    ]),
    ("Presse", [
        # French collation: É sorts with E, before L (code points would put it after Z).
        f"«{N}Échos d’une loi contestée{N}», L’Hebdo d’essai, mai 2020, https://example.org/hebdo/loi [consulté le 24{S}novembre 2026].",
        f"Lefèvre, Anne, «{N}Les manifestations s’étendent{N}», Le Quotidien, 1er{S}janvier 2022, "
        f"https://example.org/quotidien/manifestations [consulté le 1er{S}novembre 2026].",
        f"Observatoire des libertés, «{N}Timeline of the events{N}», observatoire.example.org, janvier 2022, "
        f"https://observatoire.example.org/timeline [consulté le 24{S}novembre 2026].",
    ]),
    ("Rapports et analyses", [
        f"Moreau, Élise, «{N}Le retrait du contingent{N}», Carnet de recherche, nº{S}42, Institut d’essai, 3{S}février 2022, "
        f"https://example.org/carnet/42 [consulté le 24{S}novembre 2026].",
        f"{RAPPORT}, https://example.org/rapport.pdf [consulté le 24{S}novembre 2026]. Rapport consulté dans sa version en ligne.",
        f"Zhang, Wei, «{N}Alliances militaires en Eurasie{N}», Revue d’études stratégiques, vol.{S}8, nº{S}2, juin 2021, p.{S}45-67.",
    ]),
    ("Ouvrages", ["Bernard, Sophie et Luc Petit, L’Asie centrale contemporaine, Paris, Éditions d’essai, 2019."]),
]


def _build(root: Path, out: Path, formats: str) -> Path:
    result = run_cli("build", str(root), "--out", str(out), "--format", formats)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warning either
    return out


@pytest.fixture(scope="module")
def from_yaml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture with its CSL-YAML sources, built as PDF and EPUB."""
    root = copy_fixture("sources", tmp_path_factory.mktemp("yaml"))
    (root / "sources.json").unlink()
    return _build(root, root / "out", "pdf,epub")


@pytest.fixture(scope="module")
def from_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same dossier reading the Zotero CSL-JSON export instead (the YAML file removed)."""
    root = copy_fixture("sources", tmp_path_factory.mktemp("json"))
    (root / "sources.yaml").unlink()
    toml = root / "dossier.toml"
    toml.write_text(toml.read_text().replace('chapters = [', 'sources = "sources.json"\nchapters = [', 1))
    return _build(root, root / "out", "epub")


def _text(element) -> str:
    return "".join(element.itertext()).strip()


def _notes(out: Path) -> dict[str, list[str]]:
    documents = epub_documents(next(out.glob("*.epub")))
    return {
        name.rsplit("/", 1)[-1]: [_text(n) for n in root.iterfind(".//x:div[@class='note']", NS)]
        for name, root in sorted(documents.items())
        if root.find(".//x:div[@class='note']", NS) is not None
    }


def _bibliography(out: Path) -> list[tuple[str, list[str]]]:
    documents = epub_documents(next(out.glob("*.epub")))
    root = next(r for r in documents.values() if r.find(".//x:div[@class='bibliography']", NS) is not None)
    return [
        (_text(section.find("x:h2", NS)), [_text(li) for li in section.iterfind("x:ul/x:li", NS)])
        for section in root.iterfind(".//x:div[@class='bibliography']/x:section", NS)
    ]


def test_notes_follow_the_french_style(from_yaml: Path) -> None:
    assert _notes(from_yaml) == NOTES


def test_zotero_json_gives_the_same_notes_and_bibliography(from_yaml: Path, from_json: Path) -> None:
    assert _notes(from_json) == _notes(from_yaml) == NOTES
    assert _bibliography(from_json) == _bibliography(from_yaml)


def test_bibliography_grouped_sorted_and_linked_in_the_epub(from_yaml: Path) -> None:
    assert _bibliography(from_yaml) == BIBLIOGRAPHY
    documents = epub_documents(next(from_yaml.glob("*.epub")))
    root = next(r for r in documents.values() if r.find(".//x:div[@class='bibliography']", NS) is not None)
    links = [a.get("href") for a in root.iterfind(".//x:div[@class='bibliography']//x:a", NS)]
    assert "https://example.org/hebdo/loi" in links and len(links) == 7  # every source with a URL


def test_markup_of_titles_dates_and_languages(from_yaml: Path) -> None:
    documents = epub_documents(next(from_yaml.glob("*.epub")))
    chapter = next(r for n, r in documents.items() if n.endswith("ch1.xhtml"))
    cites = [_text(c) for c in chapter.iterfind(".//x:div[@class='note']//x:cite", NS)]
    assert "L’Asie centrale contemporaine" in cites and "Le Quotidien" in cites  # works and periodicals in italics
    assert "Les manifestations s’étendent" not in cites  # an article's title is quoted, not italic
    english = [_text(s) for s in chapter.iterfind(".//x:div[@class='note']//x:span[@lang='en']", NS)]
    assert english[0] == "Timeline of the events"
    raised = chapter.findall(".//x:div[@id='note-ch1-n6']//x:sup", NS)
    assert [s.text for s in raised] == ["er", "er"]  # 1er janvier, consulté le 1er novembre
    latin = [_text(i) for i in chapter.iterfind(".//x:div[@class='note']//x:i", NS)]
    assert {"Ibid.", "op. cit.", f"art.{S}cit."} <= set(latin)


def test_epub_passes_epubcheck_and_json_gives_the_same_bytes(from_yaml: Path, from_json: Path) -> None:
    epub = next(from_yaml.glob("*.epub"))
    assert next(from_json.glob("*.epub")).read_bytes() == epub.read_bytes()  # so one EPUBCheck run covers both
    assert epubcheck_messages(epub) == []


def _flat(text: str) -> str:
    """PDF text, its lines joined: notes and entries wrap across lines."""
    text = text.replace(S, " ").replace(N, " ").replace("\u00ad", "")
    return re.sub(r"-\n(?=\S)", "-", re.sub(r"\s*\n\s*", " ", text))


def test_notes_and_bibliography_in_the_pdf(from_yaml: Path) -> None:
    from pypdf import PdfReader

    text = _flat(pdf_text(next(from_yaml.glob("*.pdf"))))
    for note in ("Ibid., art. 5.", "Loi nº 2020-290 du 23 mars 2020, op. cit.", "A. Lefèvre, « Les manifestations s’étendent », art. cit.",
                 "S. Bernard et L. Petit, L’Asie centrale, op. cit., p. 31.", "Le Quotidien, 1er janvier 2022"):
        assert note in text
    bibliography = text[text.rindex("DOCUMENTS OFFICIELS") :]  # the print layout sets group titles in capitals
    order = ["DOCUMENTS OFFICIELS", "Durand, Jean-Pierre", "République française", "PRESSE", "« Échos d’une loi contestée »",
             "Lefèvre, Anne", "Observatoire des libertés", "RAPPORTS ET ANALYSES", "Moreau, Élise", "Observatoire d’Asie centrale",
             "Zhang, Wei", "OUVRAGES", "Bernard, Sophie et Luc Petit"]
    positions = [bibliography.find(item) for item in order]
    assert -1 not in positions and positions == sorted(positions), list(zip(order, positions, strict=True))
    uris = {
        annotation.get_object().get("/A", {}).get("/URI")
        for page in PdfReader(str(next(from_yaml.glob("*.pdf")))).pages
        for annotation in page.get("/Annots") or []
    }
    assert {"https://example.org/hebdo/loi", "https://example.org/rapport.pdf", "https://example.org/carnet/42"} <= uris


# -- checks: `dossier check` and `dossier build` report the same, located -------------------------


def _edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


ERRORS = [
    pytest.param(
        "chapters/01-notes.md", "[@discours]. Il revient", "[@discour]. Il revient",
        "chapters/01-notes.md:5:36: error[source-unknown]: unknown source '@discour' (not in sources); did you mean 'discours'?", id="unknown-source",
    ),
    pytest.param(
        "sources.yaml", "- id: page\n", "- id: discours\n",
        "sources.yaml:43:3: error[source-duplicate]: duplicate source id 'discours' (first defined at line 16)", id="duplicate-id",
    ),
    pytest.param(
        "chapters/01-notes.md", "\n[^revue]:", "\n[^remarque]: Encore une.\n\n[^revue]:",
        "chapters/01-notes.md:17:1: error[note-duplicate]: note '[^remarque]' is defined twice (first at line 15)", id="note-twice",
    ),
    pytest.param(
        "chapters/01-notes.md", "[^revue]. Elle", "[^revues]. Elle",
        "chapters/01-notes.md:11:126: error[note-undefined]: note '[^revues]' is called but never defined\n"
        "chapters/01-notes.md:17:1: warning[note-uncalled]: note '[^revue]' is defined but never called", id="note-undefined",
    ),
    pytest.param(
        "sources.yaml", "URL: https://example.org/carnet/42", "URL: example.org/carnet/42",
        "sources.yaml:106:8: error[source-url]: source 'blog': invalid URL 'example.org/carnet/42'", id="invalid-url",
    ),
    pytest.param(
        "sources.yaml", "issued: 2022-01\n", "issued: 2022-14\n",
        "sources.yaml:49:11: error[source-date]: source 'page': invalid date in 'issued': '2022-14'", id="invalid-date",
    ),
]


@pytest.mark.parametrize("command", ["check", "build"])
@pytest.mark.parametrize(("name", "old", "new", "expected"), ERRORS)
def test_source_errors_are_located(tmp_path: Path, command: str, name: str, old: str, new: str, expected: str) -> None:
    root = copy_fixture("sources", tmp_path)
    _edit(root, name, old, new)
    result = run_cli(command, str(root), cwd=root)
    assert (result.returncode, result.stderr.splitlines()) == (1, expected.splitlines())
    assert not (root / "build").exists()


WARNINGS = [
    "sources.yaml:43:3: warning[source-web-url]: web source 'page' has no URL",
    "sources.yaml:95:3: warning[source-accessed]: web source 'blog' has no access date ('accessed')",
    "chapters/01-notes.md:17:1: warning[note-uncalled]: note '[^orpheline]' is defined but never called",
    "sources.yaml:118:3: warning[source-uncited]: source 'inutile' is never cited",
]


@pytest.fixture(scope="module")
def with_warnings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_fixture("sources", tmp_path_factory.mktemp("warnings"))
    _edit(root, "sources.yaml", "  URL: https://observatoire.example.org/timeline\n", "")
    _edit(root, "sources.yaml", "  accessed: 2026-11-24\n  language: fr\n\n- id: magazine", "  language: fr\n\n- id: magazine")
    (root / "sources.yaml").write_text((root / "sources.yaml").read_text() + "\n- id: inutile\n  type: book\n  title: Inutile\n")
    _edit(root, "chapters/01-notes.md", "\n[^revue]:", "\n[^orpheline]: Jamais appelée.\n\n[^revue]:")
    return root


@pytest.mark.parametrize("command", ["check", "build"])
def test_source_warnings_are_located(with_warnings: Path, tmp_path: Path, command: str) -> None:
    extra = ["--out", str(tmp_path), "--format", "epub"] if command == "build" else []
    result = run_cli(command, str(with_warnings), *extra, cwd=with_warnings)
    lines = [line for line in result.stderr.splitlines() if "DAISY Ace not found" not in line and "DAISY Ace is off" not in line]
    assert (result.returncode, lines) == (0, WARNINGS)


def test_bundled_dossier_builds_without_warning_and_cites_the_law_in_its_official_form(bundled_build) -> None:
    assert bundled_build.stderr == ""
    notes = {note.split(" ", 1)[1] for chapter in _notes(bundled_build.out).values() for note in chapter}
    assert (
        f"République du Kazakhstan, Loi nº{S}333-VI du 25{S}mai 2020 relative à la procédure d’organisation et de tenue "
        "de rassemblements pacifiques en République du Kazakhstan [On the procedure for organizing and holding "
        f"peaceful assemblies in the Republic of Kazakhstan], Adilet, art.{S}1er, https://adilet.zan.kz/eng/docs/Z2000000333 "
        f"[consulté le 24{S}novembre 2026]."
    ) in notes
    assert f"Ibid., art.{S}1er." in notes


def test_errors_in_a_zotero_json_export_are_located(tmp_path: Path) -> None:
    root = copy_fixture("sources", tmp_path)
    (root / "sources.yaml").unlink()
    _edit(root, "dossier.toml", "chapters = [", 'sources = "sources.json"\nchapters = [')
    _edit(root, "sources.json", '"URL": "https://observatoire.example.org/timeline"', '"URL": "observatoire/timeline"')
    _edit(root, "sources.json", '"id": "revue"', '"id": "livre"')
    result = run_cli("check", str(root), cwd=root)
    assert (result.returncode, result.stderr.splitlines()) == (1, [
        "sources.json:106:10: error[source-url]: source 'page': invalid URL 'observatoire/timeline'",
        "sources.json:189:2: error[source-duplicate]: duplicate source id 'livre' (first defined at line 163)",  # the item's {
    ])


@pytest.mark.parametrize(("name", "short"), [
    ({"family": "Tokayev", "given": "Kassym-Jomart"}, "K.-J. Tokayev"),
    ({"family": "Gaulle", "given": "Charles", "non-dropping-particle": "de"}, "C. de Gaulle"),
    ({"family": "Bernard", "given": "Sophie Anne"}, "S. A. Bernard"),
    ({"literal": "Associated Press"}, "Associated Press"),
])
def test_short_names_give_initials(name: dict[str, str], short: str) -> None:
    from dossier.render.cite import short_name

    assert short_name(name) == short


def test_genre_after_a_comma_in_lower_case_but_acronyms_kept() -> None:
    from dossier.render.cite import lower_first

    assert [lower_first(g) for g in ("Allocution télévisée", "OTSC : communiqué", "É")] == [
        "allocution télévisée", "OTSC : communiqué", "É"]


def test_citations_in_the_glossary_and_the_chronology_become_notes(bundled_build) -> None:
    """Issue 15: a citation in data (glossary.yaml, a chronology's YAML) is a note like one in the
    text: its call in the entry or the row, its note in the chapter's notes, no key left anywhere."""
    documents = epub_documents(bundled_build.epub)
    for name, document in documents.items():
        text = "".join(document.itertext())
        assert not re.search(r"\[-?@|(?<![\w.])@[a-z][\w-]*\d", text), name
    glossary = next(d for d in documents.values() if d.xpath("//x:dl[not(@class)]", namespaces=NS))
    calls = glossary.xpath("//x:dl[not(@class)]/x:dd//x:a[@epub:type='noteref']", namespaces=NS)
    rows = [d for d in documents.values() if d.xpath("//x:table[@class='chronology']", namespaces=NS)]
    row_calls = rows[0].xpath("//x:table[@class='chronology']//x:a[@epub:type='noteref']", namespaces=NS)
    assert len(calls) >= 5 and len(row_calls) >= 10
    for call in [*calls, *row_calls]:
        target = call.get("href").lstrip("#")
        (note,) = call.getroottree().xpath(f"//*[@id='{target}']")
        assert "".join(note.itertext()).strip()[:1].isdigit()  # the note, numbered, with its text
