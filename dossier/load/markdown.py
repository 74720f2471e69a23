"""Parse chapters: Pandoc's Markdown, as far as markdown-it-py and mdit-py-plugins read it.

CommonMark with pipe tables and strikethrough; mdit-py-plugins' front matter, footnotes (inline
notes too), definition lists, fenced divs (the container plugin), math (dollarmath), sub- and
superscript. What no plugin reads as Pandoc does is in `dossier.load.pandoc`; the implicit
figure (an image alone in its paragraph) is a rule of ours below. Inline tokens get
`meta["pos"]`, their offset in the block's text, so later stages can report a line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.subscript import sub_plugin
from mdit_py_plugins.superscript import superscript_plugin

from dossier.errors import DossierError, Location
from dossier.load.pandoc import fancy_lists, use_pandoc
from dossier.load.tree import Converter, Document, directive_name  # noqa: F401 (directive_name: re-exported)

# markdown-it stops reading a file, silently, where blocks nest this deep (a list level counts
# two: list and item); the load stage reports it (see `nesting_cut`).
MAX_NESTING = 120


def _with_position(rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    """Wrap a plugin's inline rule so the token it pushes records where it started."""

    def wrapped(state: StateInline, silent: bool) -> bool:
        start, count = state.pos, len(state.tokens)
        found = rule(state, silent)
        if found and not silent and len(state.tokens) > count:
            # pushing flushes the pending text first: the rule's own token comes after it
            pending = state.tokens[count].type == "text" and len(state.tokens) > count + 1
            token = state.tokens[count + 1 if pending else count]
            token.meta = {**(token.meta or {}), "pos": start}
        return found

    return wrapped


def _figure_rule(state: StateCore) -> None:
    """An image with a text, alone in a paragraph (its attributes aside), is a figure: Pandoc's
    implicit figures (Pandoc 3 leaves `![](x.png)` an image in its paragraph)."""
    tokens = state.tokens
    for i in range(len(tokens) - 2):
        opening, inline, closing = tokens[i : i + 3]
        if not (opening.type == "paragraph_open" and closing.type == "paragraph_close"):
            continue
        children = [c for c in inline.children or [] if not (c.type == "text" and not c.content.strip())]
        alone = len(children) == 1 and children[0].type == "image" and bool(children[0].content.strip())
        if alone and not opening.hidden:
            opening.type, opening.tag = "figure_open", "figure"
            closing.type, closing.tag = "figure_close", "figure"


def _any_div(params: str, markup: str) -> bool:
    """`::: {.class}` or `::: name`: a fenced div (Pandoc's), whatever it is called."""
    return bool(params.strip())


@cache
def markdown_parser() -> MarkdownIt:
    options = {"html": True, "xhtmlOut": True, "linkify": False, "maxNesting": MAX_NESTING}
    md = MarkdownIt("commonmark", options)
    md.enable(["table", "strikethrough"])
    md.use(front_matter_plugin)
    md.use(footnote_plugin, move_to_end=False, always_match_refs=True)
    md.use(deflist_plugin)
    md.use(container_plugin, name="div", validate=_any_div)
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False, allow_labels=False, double_inline=True)
    md.use(sub_plugin)
    md.use(superscript_plugin)
    use_pandoc(md)
    ref_rule = md.inline.ruler.__rules__[md.inline.ruler.__find__("footnote_ref")]
    ref_rule.fn = _with_position(ref_rule.fn)
    image_rule = md.inline.ruler.__rules__[md.inline.ruler.__find__("image")]
    image_rule.fn = _with_position(image_rule.fn)
    for name in ("link", "autolink", "html_inline", "footnote_inline", "math_inline", "sub", "superscript"):
        rule = md.inline.ruler.__rules__[md.inline.ruler.__find__(name)]
        rule.fn = _with_position(rule.fn)
    # markdown-it silently turns a `javascript:` or `file:` link into plain text; keep every
    # link and image so that the resolve stage refuses what is not allowed, with its position.
    md.validateLink = lambda url: True
    md.inline.ruler.__compile__()
    md.core.ruler.push("figures", _figure_rule)
    return md


def parse_markdown(text: str, env: dict[str, Any] | None = None) -> tuple[list[Token], dict[str, Any]]:
    env = {} if env is None else env
    return markdown_parser().parse(text, env), env


def parse_document(path: Path, text: str, language: str = "en") -> Document:
    """A chapter's text as typed nodes (`dossier.nodes`), each located in `path`."""
    text, styles, labels = fancy_lists(text)
    tokens, env = parse_markdown(text, {"example_labels": labels})
    return Converter(path, text, env, language, styles).document(tokens)


def parse_inline(text: str, env: dict[str, Any] | None = None) -> list[Token]:
    """Inline Markdown (a table cell, a glossary definition) as an `inline` token list."""
    return markdown_parser().parseInline(text, {} if env is None else env)


def nesting_cut(tokens: list[Token]) -> Token | None:
    """The deepest block token if the parser may have stopped there (nesting too deep)."""
    deepest = max(tokens, key=lambda token: token.level, default=None)
    return deepest if deepest is not None and deepest.level >= MAX_NESTING - 2 else None


def locate_inline(
    path: Path, lines: list[str], block_map: list[int] | None, content: str, pos: int, snippet: str
) -> Location:
    """The file position of offset `pos` in an inline token's `content`.

    The inline text has lost its block prefixes (list markers, indentation, `>`), so the
    column is found by looking for `snippet` on the source line the offset falls on.
    """
    if not block_map:
        return Location(path)
    line = block_map[0] + content.count("\n", 0, pos)
    col = 1
    if 0 <= line < len(lines):
        line_start = content.rfind("\n", 0, pos) + 1
        guess = pos - line_start
        found = [m.start() for m in re.finditer(re.escape(snippet), lines[line])] if snippet else []
        col = min(found, key=lambda c: abs(c - guess)) + 1 if found else guess + 1
    return Location(path, line + 1, col)


def chapter_error(path: Path, token: Token, message: str, code: str = "markdown") -> DossierError:
    line = token.map[0] + 1 if token.map else None
    return DossierError.single(code, Location(path, line, 1 if line else None), message)
