"""Resolve stage: notes numbered, citations turned into notes, Ibid., references checked."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from dossier.errors import DossierError, Report
from dossier.load import load_dossier
from dossier.nodes import Link, NoteCall, XRef, walk
from dossier.resolve import resolve
from tests.helpers import FIXTURES, copy_fixture


@pytest.fixture(scope="module")
def book():
    report = Report()
    return resolve(load_dossier(FIXTURES / "mini", report), report)


def test_notes_are_numbered_per_chapter(book) -> None:
    assert [n.number for n in book.chapters[0].notes] == [1, 2]
    assert [n.number for n in book.chapters[1].notes] == [1, 2, 3, 4, 5]


def test_citation_in_running_text_becomes_a_note(book) -> None:
    notes = book.chapters[1].notes
    assert [c.source.id for c in notes[0].cites] == ["agence"]
    assert (notes[1].cites[0].label, notes[1].cites[0].locator) == ("page", "3")
    assert [c.source.id for c in notes[2].cites] == ["rapport", "agence"]


def test_ibid_and_short_forms(book) -> None:
    positions = [[c.position for c in n.cites] for n in book.chapters[1].notes]
    # agence, agence p. 3 (Ibid.), rapport + agence (two sources: no Ibid.), agence (short), agence p. 2 (Ibid.)
    assert positions == [["first"], ["ibid"], ["first", "subsequent"], ["subsequent"], ["ibid"]]


def test_a_footnote_citing_a_source_counts_for_the_next_position(book) -> None:
    first, second = book.chapters[0].notes
    assert first.blocks is not None and not first.cites
    # The footnote cites the speech at p. 2; the next note cites it without a page, so not
    # "Ibid." (which would mean p. 2 again) but the short form.
    assert second.cites[0].position == "subsequent"


def test_headings_get_anchors_and_links_between_chapters_resolve(book) -> None:
    chapter = book.chapters[1]
    assert [h.anchor for h in chapter.headings] == ["ch2-un-tableau", "ch2-une-figure", "ch2-la-chronologie"]
    links = [n for n in walk(chapter.body) if isinstance(n, Link)]
    assert links[0].xref == XRef(file="ch1.xhtml", anchor="ch1")


def test_resolve_builds_a_new_book_and_leaves_the_dossier_as_it_was() -> None:
    report = Report()
    dossier = load_dossier(FIXTURES / "mini", report)
    before = copy.deepcopy(dossier)
    first, second = resolve(dossier, report), resolve(dossier, Report())
    assert dossier == before
    assert first == second and first is not second
    # what changed is in the book: note calls, the heading ids, the image's path from the root
    assert not any(isinstance(n, NoteCall) for n in walk(dossier.chapters[1].body))
    assert any(isinstance(n, NoteCall) for n in walk(first.chapters[1].body))


def test_only_cited_sources_and_images_are_kept(book) -> None:
    assert book.cited == ["discours", "agence", "rapport"]
    assert [p.name for p in book.images] == ["schema.png"]


def _errors(root: Path) -> list[str]:
    report = Report()
    with pytest.raises(DossierError) as exc:
        resolve(load_dossier(root, report), report)
    return [d.format(root) for d in exc.value.report.errors]


def _edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / "chapters" / name
    path.write_text(path.read_text().replace(old, new, 1))


def test_unknown_source_is_located(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    _edit(root, "02-contexte.md", "[@agence, p. 3]", "[@agense, p. 3]")
    # located at the key (the `@`), with the closest keys of the sources
    assert _errors(root) == [
        "chapters/02-contexte.md:3:97: error[source-unknown]: unknown source '@agense' (not in sources); did you mean 'agence'?"
    ]


def test_undefined_and_duplicate_notes(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    _edit(root, "01-texte.md", "[^adresse]. Il", "[^adrese]. Il")
    _edit(root, "01-texte.md", "\n[^adresse]:", "\n[^x]: Une autre.\n[^x]: Encore.\n\n[^adresse]:")
    assert _errors(root) == [
        "chapters/01-texte.md:13:1: error[note-duplicate]: note '[^x]' is defined twice (first at line 12)",
        "chapters/01-texte.md:7:57: error[note-undefined]: note '[^adrese]' is called but never defined",
    ]


def test_image_without_alt_or_missing(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    _edit(root, "02-contexte.md", "![Un schéma de test : un cadre barré d'une diagonale](images/schema.png", "![](images/absent.png")
    assert _errors(root) == [
        "chapters/02-contexte.md:15:1: error[image-alt]: image 'images/absent.png' has no alternative text: write it in ![…]",
        "chapters/02-contexte.md:15:1: error[image-missing]: image 'images/absent.png' not found",
    ]


def test_uncalled_note_and_uncited_source_warn(tmp_path: Path) -> None:
    root = copy_fixture("mini", tmp_path)
    _edit(root, "01-texte.md", "\n[^adresse]:", "\n[^seule]: Jamais appelée.\n\n[^adresse]:")
    sources = root / "sources.yaml"
    sources.write_text(sources.read_text() + "- id: orphelin\n  type: book\n  title: Orphelin\n")
    report = Report()
    resolve(load_dossier(root, report), report)
    assert [d.format(root) for d in report.warnings] == [
        "chapters/01-texte.md:12:1: warning[note-uncalled]: note '[^seule]' is defined but never called",
        "sources.yaml:26:3: warning[source-uncited]: source 'orphelin' is never cited",
    ]
