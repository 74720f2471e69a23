"""CommonMark conformance of dossier's own path (load → typed nodes → render), differentially.

No PyPI package ships the CommonMark spec's examples (commonmark, marko, mistletoe, pycmark,
cmarkgfm, markdown-it-pyrs: none has them in its wheel), and the spec must not be copied into
the repository. So this check compares, on CommonMark documents Hypothesis writes, the HTML
dossier renders from its nodes with the HTML markdown-it-py's own renderer writes from the same
parse: whatever markdown-it-py reads, dossier's model and renderer must keep, element for
element and character for character (whitespace between blocks aside). Raw HTML is left out:
dossier sanitises it by design (tests/test_render.py, test_hostile.py); so are Pandoc's
constructs markdown-it's renderer does not know (line blocks, spans, citations): tests/test_pandoc.py.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree, html

from dossier.load.markdown import markdown_parser, parse_document
from dossier.render.markup import FragmentRenderer
from dossier.render.templates import environment

WORDS = ["alpha", "beta", "gamma", "delta", "x", "42", "l'été", "a&b", "1 < 2 > 0", "\"q\"", "tab\tbed"]
INLINE = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(WORDS).map(lambda w: f"*{w}*"),
    st.sampled_from(WORDS).map(lambda w: f"**{w}**"),
    st.sampled_from(WORDS).map(lambda w: f"`{w}`"),
    st.sampled_from(WORDS).map(lambda w: f"~~{w}~~"),
    st.sampled_from(WORDS).map(lambda w: f"[{w}](https://example.org/{len(w)} \"t\")"),
    st.just("<https://example.org/auto>"),
    st.just("![an image](img.png) after"),
    st.sampled_from(["&amp;", "&copy;", "&#35;", "\\*", "\\_", "\\\\"]),
    st.just("line  \nbreak"),
)
LINE = st.lists(INLINE, min_size=1, max_size=6).map(" ".join)
PARAGRAPH = st.lists(LINE, min_size=1, max_size=3).map("\n".join)


@st.composite
def blocks(draw: st.DrawFn, depth: int = 0) -> str:
    kinds = ["para", "heading", "code", "fence", "rule", "table"] + (["list", "olist", "quote"] if depth < 2 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "para":
        return draw(PARAGRAPH)
    if kind == "heading":
        return "#" * draw(st.integers(2, 6)) + " " + draw(LINE)
    if kind == "code":
        return "    " + draw(LINE)
    if kind == "fence":
        return f"```{draw(st.sampled_from(['', 'python', 'js extra']))}\n{draw(LINE)}\n```"
    if kind == "rule":
        return draw(st.sampled_from(["***", "---", "___"]))
    if kind == "table":
        cell = st.lists(INLINE.filter(lambda t: "\n" not in t), min_size=1, max_size=3).map(" ".join)
        return f"| {draw(cell)} | b |\n|:--|--:|\n| 1 | {draw(cell)} |"
    inner = draw(st.lists(blocks(depth + 1), min_size=1, max_size=2))
    loose = draw(st.booleans())
    if kind == "quote":
        return "\n>\n".join("> " + b.replace("\n", "\n> ") for b in inner)
    marker = "-" if kind == "list" else draw(st.sampled_from(["1.", "3."]))
    pad = " " * (len(marker) + 1)
    items = [marker + " " + b.replace("\n", "\n" + pad) for b in inner]
    return ("\n\n" if loose else "\n").join(items)


DOCUMENTS = st.lists(blocks(), min_size=1, max_size=4).map("\n\n".join)


def _normalised(fragment: str) -> bytes:
    """The fragment as a canonical tree: whitespace-only text between elements dropped."""
    root = html.fragment_fromstring(fragment, create_parent="div")
    for element in root.iter():
        if element.text is not None and not element.text.strip() and len(element):
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    return etree.tostring(root, method="c14n")


def _dossier_html(text: str) -> str:
    document = parse_document(Path("spec.md"), text)
    renderer = FragmentRenderer(environment("default", "en_GB"), "epub", {})
    return str(renderer.render_blocks(document.blocks))


def _markdown_it_html(text: str) -> str:
    md = markdown_parser()
    tokens = md.parse(text, {})
    for token in tokens:  # dossier's figure rule aside (a figure is ours): the plain paragraph
        if token.type in ("figure_open", "figure_close"):
            token.type, token.tag = token.type.replace("figure", "paragraph"), "p"
    return md.renderer.render(tokens, md.options, {})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_dossier_renders_what_markdown_it_reads(text: str) -> None:
    ours = _dossier_html(text)
    theirs = _markdown_it_html(text)
    if "<figure" in ours:  # an image alone in its paragraph: our figure, not markdown-it's <p><img>
        return
    assert _normalised(ours) == _normalised(theirs), text


def test_examples_of_each_construct() -> None:
    """A few fixed documents (the generator's corners), so that a failure is readable."""
    for text in [
        "# Title\n\nA *b* **c** `d` [e](https://x.org \"t\") <https://a.b> &amp; \\* ~~s~~",
        "- a\n- b\n\n  c\n\n1. x\n2. y\n\n3. z",
        "> q\n>\n> - l\n\n    code\n\n```py\nf()\n```\n\n***",
        "| a | b |\n|:-|-:|\n| 1 | 2 |",
        "line  \nbreak and soft\nbreak",
    ]:
        assert _normalised(_dossier_html(text)) == _normalised(_markdown_it_html(text)), text
