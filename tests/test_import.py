"""`dossier import` on a Pandoc project written here (several Markdown files, metadata.yaml, a
CSL-JSON bibliography, images made with Pillow), built, and the PDF and EPUB read back: the
project's text and notes, its images as each output needs them (16-bit and palette PNG drawn
right, photographs at 300 dpi in the PDF and reader-sized in the EPUB, names that are URLs),
EPUBCheck 0/0. Refusals are one located line each."""

from __future__ import annotations

import hashlib
import io
import shutil
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from lxml import etree
from PIL import Image

from tests.helpers import FIXTURES, NS, epub_documents, epub_file, epubcheck_messages, pdf_text, run_cli
from tests.test_images import grey16, photograph

PHOTO_SIZE = (4000, 3000)


def make_images(project: Path) -> None:
    """The project's images, as a user's folder has them: a palette PNG, a scanner's 16-bit
    greyscale PNG, a phone's photograph, a file name with a space, a JPEG saved as `.png`."""
    figures = project / "figures"
    figures.mkdir()
    Image.linear_gradient("L").convert("RGB").quantize(16).save(figures / "page.png")
    grey16().save(figures / "scan16.png")
    photograph(*PHOTO_SIZE).save(figures / "photo.jpg", quality=92)
    Image.new("RGB", (800, 500), (40, 120, 60)).save(figures / "site map.png")
    photograph(900, 600).save(figures / "sketch.png", "JPEG")


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@dataclass
class Imported:
    project: Path
    before: dict[str, str]  # the project's files before the import
    target: Path
    imported: object  # the CompletedProcess of `dossier import`
    built: object  # of `dossier build`
    pdf: Path
    epub: Path


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    base = tmp_path_factory.mktemp("pandoc")
    project = base / "notebook"
    shutil.copytree(FIXTURES / "pandoc-project", project)
    make_images(project)
    before = tree_hashes(project)
    result = run_cli("import", str(project), cwd=base)
    assert result.returncode == 0, result.stderr
    target = base / "notebook-dossier"
    built = run_cli("build", str(target), cwd=target)
    assert built.returncode == 0, built.stderr
    pdf, epub = (Path(line) for line in built.stdout.split())
    return Imported(project, before, target, result, built, pdf, epub)


def test_import_makes_dossier_toml_from_pandoc_metadata(imported: Imported) -> None:
    config = tomllib.loads((imported.target / "dossier.toml").read_text(encoding="utf-8"))
    assert config["title"] == "Keeping a Field Notebook"  # Markdown emphasis left out
    assert config["subtitle"] == "A short methods paper"
    assert config["authors"] == ["Ada Example", "Ben Sample"]  # a name's inline note (affiliation) left out
    assert config["locale"] == "en_GB" and str(config["date"]) == "2026-03-14"
    assert config["subjects"] == ["fieldwork", "notebooks", "methods"]
    assert config["description"] == "How a field notebook is kept, checked and shared: a test paper written for Pandoc."
    # natural order (10 after 02), README.md not a chapter; the bibliography as it is
    assert config["chapters"] == ["chapters/01-introduction.md", "chapters/02-method.md", "chapters/03-discussion.md"]
    assert config["sources"] == "references.json"
    assert (imported.target / "references.json").read_bytes() == (imported.project / "references.json").read_bytes()
    assert config["publisher"] == "Ada Example"  # not in the metadata: said in the file
    assert "# check: no publisher in the metadata" in (imported.target / "dossier.toml").read_text(encoding="utf-8")
    assert config["identifier"].startswith("urn:uuid:") and config["edition"]["number"] == 1


def test_import_says_what_it_did_not_carry_over_and_never_touches_the_project(imported: Imported) -> None:
    notes = imported.imported.stderr.splitlines()
    assert "dossier: csl 'chicago-fullnote-bibliography.csl' not used: the notes follow the dossier's layout (docs/format.md)" in notes
    assert any(n.startswith("dossier: Pandoc metadata not carried over: geometry, header-includes, link-citations") for n in notes)
    assert notes[-1] == "dossier: next: dossier build notebook-dossier"
    assert imported.imported.stdout.strip() == str(imported.target)
    assert tree_hashes(imported.project) == imported.before
    # the chapters are the Markdown as written
    assert (imported.target / "chapters/02-method.md").read_text(encoding="utf-8") == (
        imported.project / "02-method.md"
    ).read_text(encoding="utf-8")
    assert sorted(p.name for p in (imported.target / "figures").iterdir()) == sorted(
        p.name for p in (imported.project / "figures").iterdir()
    )


def test_the_imported_dossier_builds_with_its_text_and_notes(imported: Imported) -> None:
    text = pdf_text(imported.pdf)
    for words in ("Keeping a Field Notebook", "Introduction", "Method", "Discussion", "A Guide to Field Notebooks"):
        assert words in text
    assert "Sometimes years later, by someone who was not there." in text
    documents = epub_documents(imported.epub)
    chapters = [d for name, d in sorted(documents.items()) if name.startswith("EPUB/ch")]
    assert ["".join(c.xpath("//x:h1", namespaces=NS)[0].itertext()) for c in chapters] == [
        "Introduction", "Method", "Discussion",
    ]  # fmt: skip
    assert epubcheck_messages(imported.epub) == []
    # the one warning: the JPEG saved as .png, at its line
    assert imported.built.stderr.splitlines() == [
        "chapters/03-discussion.md:11:1: warning[image-misnamed]: 'figures/sketch.png' holds a JPEG image "
        "(its name says otherwise): read as JPEG; rename it 'sketch.jpg'"
    ]


def _pdf_images(pdf: Path) -> list[dict]:
    """Every image drawn in the PDF: its stream's pixels and bits, and the size it is printed at."""
    found = []
    with pdfplumber.open(pdf) as document, pikepdf.open(pdf) as raw:
        for page, drawn in zip(raw.pages, document.pages, strict=True):
            for image in drawn.images:
                stream = page.Resources.XObject[f"/{image['name']}"] if not image["name"].startswith("/") else None
                stream = stream or page.Resources.XObject[image["name"]]
                found.append(
                    {
                        "size": (int(stream.Width), int(stream.Height)),
                        "bits": int(stream.BitsPerComponent),
                        "colour": str(stream.ColorSpace),
                        "pil": pikepdf.PdfImage(stream).as_pil_image(),
                        "printed_in": (image["width"] / 72, image["height"] / 72),
                    }
                )
    return found


def test_16_bit_and_palette_png_are_drawn_right_in_the_pdf(imported: Imported) -> None:
    images = {i["size"]: i for i in _pdf_images(imported.pdf)}
    scan = images[(512, 64)]
    assert (scan["bits"], scan["colour"]) == (8, "/DeviceGray")
    row = [scan["pil"].getpixel((x, 32)) for x in (0, 128, 256, 384, 511)]
    assert row == [round(x * 255 / 511) for x in (0, 128, 256, 384, 511)]  # the ramp as scanned (before: black)
    page = images[(256, 256)]
    source = Image.open(imported.project / "figures/page.png").convert("RGB")
    assert page["bits"] == 8
    assert page["pil"].convert("RGB").tobytes() == source.tobytes()


def test_photographs_are_printed_at_300_dpi_and_the_pdf_stays_small(imported: Imported) -> None:
    printed = [i for i in _pdf_images(imported.pdf) if i["size"][0] > 1000]
    assert len(printed) == 1
    photo = printed[0]
    dpi = photo["size"][0] / photo["printed_in"][0]
    assert 295 <= dpi <= 301 and photo["size"][0] < PHOTO_SIZE[0] / 2
    assert (photo["bits"], photo["colour"]) == (8, "/DeviceRGB")
    source = (imported.project / "figures/photo.jpg").stat().st_size
    assert imported.pdf.stat().st_size < source / 3, (imported.pdf.stat().st_size, source)


def test_the_epub_holds_reader_sized_images_under_names_that_are_urls(imported: Imported) -> None:
    opf = etree.fromstring(epub_file(imported.epub, "EPUB/content.opf"))
    items = {i.get("href"): i.get("media-type") for i in opf.xpath("//opf:item", namespaces=NS)}
    photo = Image.open(io.BytesIO(epub_file(imported.epub, "EPUB/figures/photo.jpg")))
    assert (photo.format, max(photo.size)) == ("JPEG", 2000)
    scan = Image.open(io.BytesIO(epub_file(imported.epub, "EPUB/figures/scan16.png")))
    assert scan.mode == "L" and scan.getpixel((511, 0)) == 255
    page = epub_file(imported.epub, "EPUB/figures/page.png")
    assert page == (imported.project / "figures/page.png").read_bytes()  # small and fine: as written
    renamed = {href: kind for href, kind in items.items() if href.startswith(("figures/site", "figures/sketch"))}
    assert len(renamed) == 2 and all(" " not in href for href in renamed)
    sketch = next(href for href in renamed if href.startswith("figures/sketch"))
    assert sketch.endswith(".jpg") and renamed[sketch] == "image/jpeg"
    sources = {img.get("src") for d in epub_documents(imported.epub).values() for img in d.iter(f"{{{NS['x']}}}img")}
    assert set(renamed) <= sources and "figures/site map.png" not in sources
    with zipfile.ZipFile(imported.epub) as archive:
        assert sum(i.file_size for i in archive.infolist() if i.filename.startswith("EPUB/figures/")) < 2_000_000


def test_rebuilds_are_byte_identical_and_a_no_op_writes_nothing(imported: Imported) -> None:
    before = {p: p.read_bytes() for p in (imported.pdf, imported.epub)}
    again = run_cli("build", str(imported.target), "--force", cwd=imported.target)
    assert again.returncode == 0, again.stderr
    assert {p: p.read_bytes() for p in (imported.pdf, imported.epub)} == before
    nothing = run_cli("build", str(imported.target), cwd=imported.target)
    assert nothing.returncode == 0 and "nothing changed since the last build" in nothing.stderr


# --- other forms of a Pandoc project, and refusals (import only: no build) -----------------


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "notebook"
    shutil.copytree(FIXTURES / "pandoc-project", project)
    make_images(project)
    return project


def test_a_defaults_file_gives_the_order_and_the_metadata(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "metadata.yaml").rename(project / "meta.yaml")
    (project / "more.bib").write_text(
        "@book{manual,\n  title = {A Manual of Field Methods},\n  author = {Sample, Ben},\n"
        "  publisher = {Test Press},\n  date = {2018},\n}\n",
        encoding="utf-8",
    )
    (project / "book.yaml").write_text(
        "from: markdown\nto: pdf\ninput-files:\n  - 10-discussion.md\n  - 01-introduction.md\n"
        "metadata-file: meta.yaml\nmetadata:\n  lang: fr-FR\nbibliography:\n  - references.json\n  - ${.}/more.bib\n",
        encoding="utf-8",
    )
    result = run_cli("import", str(project / "book.yaml"), str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    config = tomllib.loads((tmp_path / "out/dossier.toml").read_text(encoding="utf-8"))
    assert config["chapters"] == ["chapters/01-discussion.md", "chapters/02-introduction.md"]
    assert config["locale"] == "fr_FR"  # the defaults' metadata wins, as in Pandoc
    assert config["title"] == "Keeping a Field Notebook"
    assert config["sources"] == ["references.json", "more.bib"]  # a .bib as it is: the dossier reads it
    # the new dossier was loaded at once: the .bib's one source is read (and said uncited)
    assert "out/more.bib:1:1: warning[source-uncited]: source 'manual' is never cited" in result.stderr, result.stderr


def test_one_markdown_file_with_front_matter_and_inline_references(tmp_path: Path) -> None:
    paper = tmp_path / "paper.md"
    paper.write_text(
        "---\ntitle: Un court article\nauthor: Claire Exemple\nlang: fr\ndate: 12 mars 2026\n"
        "references:\n  - id: essai\n    type: book\n    title: Un livre d'essai\n    issued: 2020\n---\n\n"
        "# Premier point\n\nUn texte [@essai, p. 3].\n\n# Second point\n\nUn autre texte.\n",
        encoding="utf-8",
    )
    result = run_cli("import", str(paper), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    target = tmp_path / "paper-dossier"
    config = tomllib.loads((target / "dossier.toml").read_text(encoding="utf-8"))
    assert (config["title"], config["authors"], config["locale"]) == ("Un court article", ["Claire Exemple"], "fr_FR")
    assert "date" not in config and config["edition"]["summary"] == "Première édition."
    assert "dossier: date '12 mars 2026' is not a day (YYYY-MM-DD): left out of dossier.toml" in result.stderr
    assert config["sources"] == "references.yaml"
    assert (target / "chapters/01-paper.md").read_text(encoding="utf-8").startswith("# Premier point\n")


def test_import_refuses_a_folder_that_is_not_empty_and_writes_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path)
    target = tmp_path / "notebook-dossier"
    target.mkdir()
    (target / "mine.txt").write_text("à moi\n", encoding="utf-8")
    result = run_cli("import", str(project), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "notebook-dossier: error[import-exists]: already exists and is not empty: nothing written"
    ]
    assert [p.name for p in target.iterdir()] == ["mine.txt"]


def test_import_refusals_are_one_located_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.yaml").write_text("title: Rien\n", encoding="utf-8")
    result = run_cli("import", str(empty), cwd=tmp_path)
    assert (result.returncode, result.stderr.splitlines()) == (
        1, ["empty: error[import-empty]: no Markdown file here (.md, .markdown): nothing to import"],
    )  # fmt: skip
    broken = _project(tmp_path / "b")
    (broken / "metadata.yaml").write_text("title: [unclosed\nauthor: A\n", encoding="utf-8")
    result = run_cli("import", str(broken), cwd=broken)
    assert (result.returncode, result.stderr.splitlines()) == (
        1, ["metadata.yaml:2:7: error[import-yaml]: invalid YAML: expected ',' or ']', but got ':'"],
    )  # fmt: skip
    assert not (tmp_path / "b/notebook-dossier").exists()


@pytest.mark.parametrize("where", ["current folder", "named folder"])
def test_build_in_a_markdown_folder_without_dossier_toml_points_to_import(tmp_path: Path, where: str) -> None:
    project = tmp_path / "notebook"
    shutil.copytree(FIXTURES / "pandoc-project", project)
    args = ("build",) if where == "current folder" else ("build", "notebook")
    result = run_cli(*args, cwd=project if where == "current folder" else tmp_path)
    shown = "." if where == "current folder" else "notebook"
    prefix = "" if where == "current folder" else "notebook/"
    assert (result.returncode, result.stderr.splitlines()) == (1, [
        f"{prefix}dossier.toml: error[config-missing]: no dossier.toml here, but Markdown (01-introduction.md, "
        f"02-method.md, 10-discussion.md, …): `dossier import {shown}` makes a dossier of it, "
        "`dossier new DIR` starts a new one"
    ])  # fmt: skip
    assert not (project / "build").exists() and not (tmp_path / "build").exists()
