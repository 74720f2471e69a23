"""Render stage: the same content as print HTML (notes in place) and EPUB XHTML (notes linked)."""

from __future__ import annotations

import pytest
from lxml import etree, html

from dossier.errors import Report
from dossier.load import load_dossier
from dossier.render import render
from dossier.render.markup import sanitize
from dossier.resolve import resolve
from tests.helpers import FIXTURES, NS


@pytest.fixture(scope="module")
def rendered():
    report = Report()
    return render(resolve(load_dossier(FIXTURES / "mini", report), report))


def test_print_document_has_notes_in_place(rendered) -> None:
    tree = html.fromstring(rendered.print_html)
    assert tree.get("lang") == "fr-FR"
    notes = tree.xpath('//span[@class="footnote"]')
    assert len(notes) == 2 + 5 + 1
    first = notes[0]
    assert first.get("data-n") == "1"
    assert "résumé en français" in first.text_content()
    # the note call, a link to the note, is glued to its word: no space before it
    call = first.getprevious()
    assert call.tag == "a" and call.get("href") == f"#{first.get('id')}" and call.text == "1"
    assert call.getprevious() is None and (first.getparent().text or "").endswith("2022")


def test_print_document_metadata(rendered) -> None:
    tree = html.fromstring(rendered.print_html)
    assert tree.findtext(".//title") == "Dossier d’essai"
    metas = {m.get("name"): m.get("content") for m in tree.iter("meta") if m.get("name")}
    assert metas["author"] == "Rédaction d’essai" or metas["author"] == "Rédaction d'essai"
    assert metas["dcterms.modified"] == "2026-11-25"
    assert metas["dcterms.created"] == "2026-10-01"


def test_epub_chapters_link_notes_both_ways(rendered) -> None:
    chapters = [d for d in rendered.epub_documents if d.kind == "chapter"]
    assert [d.name for d in chapters] == ["ch1.xhtml", "ch2.xhtml", "ch3.xhtml"]
    root = etree.fromstring(chapters[1].content)
    refs = root.xpath("//x:a[@epub:type='noteref']", namespaces=NS)
    assert [r.text for r in refs] == ["1", "2", "3", "4", "5"]
    for ref in refs:
        note = root.xpath(f"//*[@id='{ref.get('href')[1:]}']", namespaces=NS)[0]
        assert note.get("{http://www.idpf.org/2007/ops}type") == "footnote"
        assert note.get("role") == "doc-footnote"
        back = note.xpath(".//x:a[@role='doc-backlink']", namespaces=NS)[0]
        assert back.get("href") == f"#{ref.get('id')}"


def test_typography_reaches_the_documents(rendered) -> None:
    root = etree.fromstring(next(d for d in rendered.epub_documents if d.name == "ch1.xhtml").content)
    text = "".join(root.itertext())
    assert "déclaré\u00a0: «\u202fla loi et l’ordre" in text
    assert "'" not in text and '"' not in text


def test_raw_html_is_sanitised() -> None:
    dirty = '<p onclick="x()">a<script>alert(1)</script><a href="javascript:x()">b</a><iframe src="x"></iframe><br></p>'
    clean = sanitize(dirty)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean and "iframe" not in clean
    assert "<br/>" in clean  # well-formed for XHTML
