"""The formats registry: each output declares the shared results it needs; the build makes each
one once, in order, only when a requested format needs it."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

import dossier.formats
from dossier.build import BuildOptions, build
from dossier.errors import Report
from dossier.formats import defaults, formats, names, output_name
from dossier.formats.builder import Format
from dossier.formats.graph import needed
from dossier.formats.results import RESULTS
from tests.conftest import Built
from tests.helpers import FIXTURES


def test_the_registry_lists_the_outputs_and_what_each_needs() -> None:
    assert names() == ("pdf", "epub", "cover")
    assert defaults() == ("pdf", "epub")  # the cover's own PDF is for a print shop (--print-ready)
    assert needed([formats()["pdf"]]) == ["print-layout"]
    # the EPUB's cover image is drawn from the cover's layout (the book's first page, or the
    # cover's own pages for a print shop)
    assert needed([formats()["epub"]]) == ["print-layout", "page-map", "cover-layout", "cover"]
    assert needed([formats()["cover"]]) == ["print-layout", "cover-layout"]
    assert needed(formats().values()) == ["print-layout", "page-map", "cover-layout", "cover"]
    assert output_name("essai", 2, "epub") == "essai-2.epub"


def test_a_format_made_beside_cannot_need_the_layout_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """The layout is a graph of Python objects: it never crosses to a second process."""
    bad = Format(name="bad", label="", write=lambda *_: None, needs=("print-layout",), beside=True)
    monkeypatch.setattr(dossier.formats, "REGISTRY", ())
    formats.cache_clear()
    try:
        with pytest.raises(ValueError, match="cannot cross"):
            dossier.formats._check({"bad": bad})
    finally:
        formats.cache_clear()


@pytest.fixture
def with_page_list(monkeypatch: pytest.MonkeyPatch):
    """The registry with one more output (tests/pagelist_format.py), and a count of the shared
    results made in this process."""
    monkeypatch.setattr(dossier.formats, "REGISTRY", (*dossier.formats.REGISTRY, "tests.pagelist_format"))
    formats.cache_clear()
    made: Counter[str] = Counter()
    for name, result in list(RESULTS.items()):

        def counted(job, results, make=result.make, name=name):
            made[name] += 1
            return make(job, results)

        monkeypatch.setitem(RESULTS, name, replace(result, make=counted))
    yield made
    formats.cache_clear()


def test_a_new_output_is_one_module_and_one_registry_line(
    with_page_list: Counter[str], mini_build: Built, tmp_path: Path
) -> None:
    from pypdf import PdfReader

    out = tmp_path / "out"
    result = build(FIXTURES / "mini", out, BuildOptions(formats=("pdf", "txt")), Report())
    assert [p.name for p in result.written] == ["essai-2.pdf", "essai-2.txt"]
    # the layout once, the page map for the page list, no cover: no format asked for it
    assert with_page_list == {"print-layout": 1, "page-map": 1}
    # the PDF is the one `dossier build` makes, byte for byte
    assert (out / "essai-2.pdf").read_bytes() == mini_build.pdf.read_bytes()
    lines = (out / "essai-2.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(PdfReader(str(out / "essai-2.pdf")).pages)
    assert lines[0] == "1 cover.xhtml" and lines[-1].startswith(f"{len(lines)} ")
    # the manifest knows the new output: nothing to do the second time
    again = build(FIXTURES / "mini", out, BuildOptions(formats=("pdf", "txt")), Report())
    assert again.written == [] and [p.name for p in again.unchanged] == ["essai-2.pdf", "essai-2.txt"]
