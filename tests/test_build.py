"""The whole pipeline on the fixture dossier: outputs read back as a reader would see them."""

from __future__ import annotations

import zipfile

from pypdf import PdfReader

from tests.helpers import NS, epub_documents, epub_file, epubcheck_messages, pdf_text


def test_outputs_are_named_after_slug_and_edition(mini_build) -> None:
    assert mini_build.pdf.name == "essai-2.pdf"
    assert mini_build.epub.name == "essai-2.epub"
    assert mini_build.stdout.split() == [str(mini_build.pdf), str(mini_build.epub)]


def test_pdf_is_a4_with_title_and_language(mini_build) -> None:
    reader = PdfReader(str(mini_build.pdf))
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert reader.metadata.title == "Dossier d’essai"
    assert reader.trailer["/Root"]["/Lang"] == "fr-FR"


def test_pdf_text_has_the_footnote_and_the_cited_source(mini_build) -> None:
    text = pdf_text(mini_build.pdf)
    assert "Le texte est un résumé en français de l’allocution" in text
    assert "« Allocution à la nation »" in text.replace("\u202f", " ")
    assert "consulté le 24 novembre 2026" in text.replace("\u00a0", " ")


def test_epub_passes_epubcheck(mini_build) -> None:
    assert epubcheck_messages(mini_build.epub) == []


def test_epub_notes_are_linked(mini_build) -> None:
    documents = epub_documents(mini_build.epub)
    chapter = documents["EPUB/ch2.xhtml"]
    ref = chapter.xpath("//x:a[@epub:type='noteref']", namespaces=NS)[0]
    target = chapter.xpath(f"//*[@id='{ref.get('href')[1:]}']", namespaces=NS)[0]
    assert "Claire Martin" in "".join(target.itertext())


def test_epub_package_metadata(mini_build) -> None:
    from lxml import etree

    opf = etree.fromstring(epub_file(mini_build.epub, "EPUB/content.opf"))
    assert opf.findtext(".//dc:identifier", namespaces=NS) == "urn:uuid:6d1c3f0e-7b59-4c1e-9a57-3f1d2a4b5c6d"
    assert opf.findtext(".//dc:language", namespaces=NS) == "fr-FR"
    modified = opf.xpath("//opf:meta[@property='dcterms:modified']", namespaces=NS)[0].text
    assert modified == "2026-11-25T00:00:00Z"
    with zipfile.ZipFile(mini_build.epub) as archive:
        infos = archive.infolist()
    assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
    assert {i.date_time for i in infos} == {(2026, 11, 25, 0, 0, 0)}


def test_epub_has_the_image_and_the_chronology(mini_build) -> None:
    documents = epub_documents(mini_build.epub)
    chapter = documents["EPUB/ch2.xhtml"]
    image = chapter.xpath("//x:figure/x:img", namespaces=NS)[0]
    # Pandoc's implicit figure: the bracketed text is the caption, the title the alt text.
    assert image.get("alt") == "Un schéma d'essai"
    caption = "".join(chapter.xpath("//x:figure/x:figcaption", namespaces=NS)[0].itertext())
    assert caption == "Un schéma de test\u00a0: un cadre barré d’une diagonale"
    assert epub_file(mini_build.epub, "EPUB/images/schema.png")[:8] == b"\x89PNG\r\n\x1a\n"
    rows = chapter.xpath("//x:table[@class='chronology']/x:tbody/x:tr", namespaces=NS)
    assert "".join(rows[0].xpath("x:td[1]", namespaces=NS)[0].itertext()) == "1er\xa0janvier 2022"
