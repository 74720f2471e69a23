"""House layouts: a layout kept outside the package styles the book; it is data, not code."""

from __future__ import annotations

import io
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from dossier.resources import assets_dir, bundled_dossier
from tests.conftest import Built, once
from tests.helpers import FIXTURES, copy_fixture, epubcheck_messages, run_cli

INK = (0.078431, 0.129412, 0.239216)  # maison.css: --ink: #14213d
ACCENT = (0.043137, 0.431373, 0.309804)  # --accent: #0b6e4f
HOUSE_FONTS = {"MaisonSans-Regular.otf": "Inter-Regular.otf", "MaisonSans-Bold.otf": "Inter-Bold.otf"}


def make_house(folder: Path) -> Path:
    """tests/fixtures/maison, with two shipped fonts (SIL OFL, no reserved name) under the house's names."""
    house = folder / "maison"
    shutil.copytree(FIXTURES / "maison", house)
    (house / "fonts").mkdir()
    for name, shipped in HOUSE_FONTS.items():
        shutil.copy(assets_dir() / "fonts" / shipped, house / "fonts" / name)
    shutil.copy(assets_dir() / "fonts" / "Inter-OFL.txt", house / "fonts" / "OFL.txt")
    return house


def use_layout(root: Path, path: str) -> None:
    config = root / "dossier.toml"
    text = config.read_text(encoding="utf-8")
    if 'name = "default"' in text:
        text = text.replace('name = "default"', f'path = "{path}"', 1)
    else:
        text += f'\n[layout]\npath = "{path}"\n'
    config.write_text(text, encoding="utf-8")


@dataclass
class HouseBuild:
    root: Path
    house: Path
    built: Built


@pytest.fixture(scope="module")
def house_build(tmp_path_factory: pytest.TempPathFactory) -> HouseBuild:
    """The bundled dossier built with the house layout, kept beside it (outside the package)."""
    return once(tmp_path_factory, "test_layouts.house_build", lambda: _house_build(tmp_path_factory))


def _house_build(tmp_path_factory: pytest.TempPathFactory) -> HouseBuild:
    folder = tmp_path_factory.mktemp("house")
    house = make_house(folder)
    root = folder / "content"
    shutil.copytree(bundled_dossier(), root, ignore=shutil.ignore_patterns("build"))
    use_layout(root, "../maison")
    result = run_cli("build", str(root), "--out", str(folder / "out"))
    assert result.returncode == 0, result.stderr
    out = folder / "out"
    built = Built(root, next(out.glob("*.pdf")), next(out.glob("*.epub")), result.stdout, result.stderr)
    return HouseBuild(root, house, built)


def test_the_house_layout_sets_the_pdf_fonts_and_colours(house_build: HouseBuild) -> None:
    import pdfplumber
    from pypdf import PdfReader

    assert house_build.built.stderr == ""
    fonts = set()
    for page in PdfReader(str(house_build.built.pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    # the house's family, embedded (subset: WeasyPrint's six-letter tag); no Vollkorn left
    assert {"Maison-Sans", "Maison-Sans-Bold"} <= fonts
    assert not [f for f in fonts if "Vollkorn" in f], fonts
    with pdfplumber.open(house_build.built.pdf) as pdf:
        page = next(p for p in pdf.pages if "Kazakhstan" in (p.extract_text() or "") and p.page_number > 6)
        words = page.extract_words(extra_attrs=["fontname", "non_stroking_color"])
        body = [w for w in words if w["fontname"].endswith("+Maison-Sans")]
        assert len(body) > len(words) / 2
        assert {tuple(round(c, 4) for c in w["non_stroking_color"]) for w in body} == {tuple(round(c, 4) for c in INK)}
        assert any(tuple(round(c, 4) for c in r["non_stroking_color"] or ()) == tuple(round(c, 4) for c in ACCENT)
                   for p in pdf.pages[6:12] for r in p.rects)


def test_the_house_layout_sets_the_epub_stylesheet_and_carries_its_font(house_build: HouseBuild) -> None:
    from fontTools.ttLib import TTFont

    with zipfile.ZipFile(house_build.built.epub) as epub:
        css = epub.read("EPUB/css/epub.css").decode("utf-8")
        font = epub.read("EPUB/fonts/MaisonSans-Regular.otf")
        opf = epub.read("EPUB/content.opf").decode("utf-8")
    # the house's sheet comes after the default's, so its rules win
    house_css = (house_build.house / "maison-epub.css").read_text(encoding="utf-8")
    assert css.endswith("\n" + house_css) and css.index("Vollkorn") < css.index("Maison Sans")
    assert 'href="fonts/MaisonSans-Regular.otf"' in opf
    # subset to the book's text, as the shipped fonts are, its licence notices kept
    source = (house_build.house / "fonts" / "MaisonSans-Regular.otf").stat().st_size
    assert len(font) < source / 3
    names = TTFont(io.BytesIO(font))["name"]
    assert "Open Font License" in str(names.getDebugName(13))
    assert epubcheck_messages(house_build.built.epub) == []


BROKEN = """/* mistakes a house style makes */
h1 { colour: #0b6e4f; }
p { margin-top: banana; }
@font-face { font-family: "Absente"; src: url(fonts/Absente.otf); }
.cover { background: url(images/absente.png); }
"""


def test_a_layout_css_mistake_is_a_located_warning_and_strict_fails_on_it(tmp_path: Path) -> None:
    house = make_house(tmp_path)
    (house / "broken.css").write_text(BROKEN, encoding="utf-8")
    manifest = house / "layout.toml"
    manifest.write_text(manifest.read_text().replace('pdf = ["maison.css"]', 'pdf = ["maison.css", "broken.css"]'))
    root = copy_fixture("mini", tmp_path)
    use_layout(root, "../maison")
    expected = [
        "maison/broken.css:2:6: {}[css-property]: ignored `colour: #0b6e4f`: unknown property",
        "maison/broken.css:3:5: {}[css-value]: ignored `margin-top: banana`: invalid value",
        "maison/broken.css:4:1: {}[css-font]: font-face 'Absente' cannot be loaded",
        "maison/broken.css:4:43: {}[css-missing]: 'fonts/Absente.otf' not found in the layout's folder",
        "maison/broken.css:5:22: {}[css-missing]: 'images/absente.png' not found in the layout's folder",
    ]
    warned = run_cli("build", "mini", "--out", "out", "--format", "pdf", cwd=tmp_path)
    assert warned.returncode == 0, warned.stderr
    assert warned.stderr.splitlines() == [line.format("warning") for line in expected]
    pdf = (tmp_path / "out" / "essai-2.pdf").read_bytes()
    strict = run_cli("build", "mini", "--out", "out", "--format", "pdf", "--strict", cwd=tmp_path)
    assert strict.returncode == 1
    assert strict.stderr.splitlines() == [line.format("error") for line in expected]
    assert (tmp_path / "out" / "essai-2.pdf").read_bytes() == pdf  # the warnings were found while laying out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".dossier-cache", ".dossier-manifest.json", "essai-2.pdf"]


def test_a_layout_that_reaches_out_or_a_template_that_reaches_python_is_refused(tmp_path: Path) -> None:
    house = make_house(tmp_path)
    root = copy_fixture("mini", tmp_path)
    use_layout(root, "../maison")
    (tmp_path / "secret.css").write_text("body { color: red; }\n")
    (house / "partials").mkdir()
    (house / "partials" / "cover.html.j2").write_text(
        '<section class="cover">{{ cycler.__init__.__globals__.os.popen("id").read() }}</section>\n'
    )
    sandboxed = run_cli("build", "mini", "--out", "out", cwd=tmp_path)
    assert sandboxed.returncode == 1 and "Traceback" not in sandboxed.stderr
    assert sandboxed.stderr.splitlines() == [
        "maison/partials/cover.html.j2:1: error[layout-sandbox]: refused by the template sandbox:"
        " access to attribute '__init__' of 'type' object is unsafe"
    ]

    (house / "partials" / "cover.html.j2").unlink()
    (house / "outside.css").write_text(
        '@import url("../secret.css");\nbody { background: url(file:///etc/passwd); }\n'
        '.cover { background-image: url("https://example.org/logo.png"); }\n'
    )
    (house / "fonts" / "lien.otf").symlink_to("/etc/hostname")
    (house / "maison-epub.css").write_text('.cover { background: url("../images/../../maison/x.png"); }\n')
    refused = run_cli("build", "mini", "--out", "out", cwd=tmp_path)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.splitlines() == [
        "maison/maison-epub.css:1:22: error[layout-outside]: '../images/../../maison/x.png': an EPUB stylesheet"
        " names only the layouts' fonts, as '../fonts/NAME'",
        "maison/outside.css:1:9: error[layout-outside]: '../secret.css' is outside the layout's folder",
        "maison/outside.css:2:20: error[layout-outside]: 'file:///etc/passwd' is outside the layout's folder",
        "maison/outside.css:3:28: error[layout-outside]: 'https://example.org/logo.png' is outside the layout's folder",
        "maison/fonts/lien.otf: error[layout-outside]: a symbolic link leading out of the layout's folder",
    ]
    assert not (tmp_path / "out").exists()


def test_a_new_layout_is_the_default_one_to_change(mini_build: Built, tmp_path: Path) -> None:
    """`dossier new --layout` copies the default layout with its fonts: the same book, byte for byte."""
    made = run_cli("new", "--layout", str(tmp_path / "maison"))
    assert made.returncode == 0, made.stderr
    house = tmp_path / "maison"
    assert (house / "fonts" / "Vollkorn-Regular.ttf").read_bytes() == (assets_dir() / "fonts" / "Vollkorn-Regular.ttf").read_bytes()
    assert (house / "fonts" / "Vollkorn-OFL.txt").is_file() and (house / "fonts" / "Inter-OFL.txt").is_file()
    assert "../../assets" not in (house / "fonts.css").read_text()
    root = copy_fixture("mini", tmp_path)
    use_layout(root, "../maison")
    built = run_cli("build", str(root), "--out", str(tmp_path / "out"))
    assert (built.returncode, built.stderr) == (0, "")
    assert (tmp_path / "out" / "essai-2.pdf").read_bytes() == mini_build.pdf.read_bytes()
    assert (tmp_path / "out" / "essai-2.epub").read_bytes() == mini_build.epub.read_bytes()
    again = run_cli("new", "--layout", str(house))
    assert again.returncode == 1 and "error[new-exists]" in again.stderr
