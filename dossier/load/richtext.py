"""Styled text in source fields: CSL-JSON's rich text and Pandoc's Markdown, as `Rich` values.

CSL-JSON (Zotero, Pandoc's `csljson`) marks titles with a few HTML tags: `<i>`, `<b>`, `<sup>`,
`<sub>`, `<sc>`, `<span style="font-variant:small-caps;">`, `<span class="nocase">` (CSL 1.0.2,
"Rich text"); the stdlib's HTMLParser reads them (entities included), and any other tag is
dropped with its text kept, never printed. CSL-YAML as Pandoc reads it holds Markdown:
`*…*`, `**…**`, `^…^`, `~…~`, `[…]{.smallcaps}`, `[…]{.nocase}`, `[…]{lang=ru}`, backslash
escapes, and the same HTML tags; markdown-it-py with mdit-py-plugins (attrs spans, super- and
subscript) reads them. A field with no styling stays a plain `str`.
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from typing import Any

from dossier.model import Rich, Styled

# The CSL variables that may carry rich text (titles, and the annotation printed in the bibliography).
RICH_FIELDS = frozenset({
    "title", "title-short", "container-title", "container-title-short", "collection-title", "original-title",
    "volume-title", "part-title", "reviewed-title", "event-title", "event", "annote",
})
_TAGS = {"i": "i", "em": "i", "b": "b", "strong": "b", "sup": "sup", "sub": "sub", "sc": "sc"}
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


class _Node:
    def __init__(self, style: str | None, lang: str | None = None) -> None:
        self.style, self.lang = style, lang
        self.children: list[str | _Node] = []

    def add_text(self, text: str) -> None:
        if self.children and isinstance(self.children[-1], str):
            self.children[-1] += text
        elif text:
            self.children.append(text)

    def freeze(self) -> tuple[str | Styled, ...]:
        out: list[str | Styled] = []
        for child in self.children:
            if isinstance(child, str):
                out.append(child)
                continue
            inner = child.freeze()
            if child.style is None and child.lang is None:
                out.extend(inner)  # a tag we do not keep: its text only
            elif inner:
                out.append(Styled(child.style or "span", inner, child.lang))  # type: ignore[arg-type]
        return tuple(out)


def _style_of(tag: str, attrs: dict[str, str]) -> tuple[str | None, str | None]:
    """The style and language a tag (or a Markdown span's attributes) gives its text."""
    if tag in _TAGS:
        return _TAGS[tag], None
    classes = set((attrs.get("class") or "").split())
    style = (attrs.get("style") or "").replace(" ", "").lower()
    lang = attrs.get("lang") or None
    if lang is not None and not _LANG_TAG.match(lang):
        lang = None
    if "nocase" in classes:
        return "nocase", lang
    if "smallcaps" in classes or "font-variant:small-caps" in style:
        return "sc", lang
    return (None, lang) if lang is None else ("span", lang)


class _CslHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack = [_Node(None)]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(*_style_of(tag, {k: v or "" for k, v in attrs}))
        self.stack[-1].children.append(node)
        self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if len(self.stack) > 1:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].add_text(data)


def _result(children: tuple[str | Styled, ...]) -> str | Rich:
    if all(isinstance(c, str) for c in children):
        return "".join(children)  # type: ignore[arg-type]
    return Rich(children)


def from_csl_html(text: str) -> str | Rich:
    """CSL-JSON rich text: `The <i>Origin</i> of <span class="nocase">DNA</span>`."""
    if "<" not in text and "&" not in text:
        return text
    parser = _CslHtml()
    parser.feed(text)
    parser.close()
    return _result(parser.stack[0].freeze())


@cache
def _markdown() -> Any:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.attrs import attrs_plugin
    from mdit_py_plugins.subscript import sub_plugin
    from mdit_py_plugins.superscript import superscript_plugin

    md = MarkdownIt("zero", {"html": True}).enable(["emphasis", "escape", "html_inline", "entity", "backticks"])
    return md.use(attrs_plugin, spans=True).use(superscript_plugin).use(sub_plugin)


_MARKDOWN_SIGNS = re.compile(r"[*_^~\[\]\\<&`]")
_OPENING = {"em_open": "i", "strong_open": "b", "sup_open": "sup", "sub_open": "sub"}


def from_pandoc_markdown(text: str) -> str | Rich:
    """Pandoc's Markdown in a CSL-YAML field: `The *Origin* of [DNA]{.nocase}`."""
    if not _MARKDOWN_SIGNS.search(text):
        return text
    stack = [_Node(None)]
    for token in _markdown().parseInline(text)[0].children or []:
        kind = token.type
        if kind in ("text", "code_inline"):
            stack[-1].add_text(token.content)
        elif kind in ("softbreak", "hardbreak"):
            stack[-1].add_text(" ")
        elif kind in _OPENING or kind == "span_open":
            style = _OPENING.get(kind)
            node = _Node(style) if style else _Node(*_style_of("span", {k: str(v) for k, v in token.attrs.items()}))
            stack[-1].children.append(node)
            stack.append(node)
        elif kind.endswith("_close"):
            if len(stack) > 1:
                stack.pop()
        elif kind == "html_inline":
            _html_tag(token.content, stack)
    return _result(stack[0].freeze())


_HTML_TAG = re.compile(r"^<(/?)([a-zA-Z]+)((?:\s+[^>]*)?)/?>$")
_ATTRIBUTE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")


def _html_tag(content: str, stack: list[_Node]) -> None:
    """A CSL tag written into Pandoc Markdown (`<i>`, `<span class="nocase">`): styled; others dropped."""
    match = _HTML_TAG.match(content.strip())
    if not match:
        return
    closing, tag, rest = match.group(1), match.group(2).lower(), match.group(3)
    if closing:
        if len(stack) > 1:
            stack.pop()
        return
    attrs = {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in _ATTRIBUTE.finditer(rest)}
    node = _Node(*_style_of(tag, attrs))
    stack[-1].children.append(node)
    stack.append(node)


def plain(value: Any) -> str:
    """A Markdown field's text without its escapes (`1850\\~` → `1850~`), for fields that are not rich."""
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!~^<>&|])", r"\1", value)
