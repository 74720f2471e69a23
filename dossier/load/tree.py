"""markdown-it's flat token stream → the document's typed nodes (`dossier.nodes`), located.

markdown-it gives blocks a line range and our wrapped inline rules an offset (`meta["pos"]`)
in their block's text; here each node gets its file position. markdown-it-py's
`SyntaxTreeNode` nests the tokens too, but still as tokens with untyped `meta`: the nodes are
what the other stages share, so the conversion is written out, one token type at a time.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from markdown_it.token import Token

from dossier.errors import Location
from dossier.load.locators import split_locator
from dossier.load.pandoc import parse_attr
from dossier.nodes import (
    NO_ATTR,
    Attr,
    Block,
    BlockQuote,
    BulletList,
    Cell,
    Citation,
    CiteItem,
    Code,
    CodeBlock,
    Definition,
    DefinitionList,
    Div,
    Emph,
    Figure,
    Generated,
    Header,
    HorizontalRule,
    Image,
    Inline,
    InlineNote,
    LineBlock,
    LineBreak,
    Link,
    ListItem,
    Math,
    NoteDefinition,
    NoteRef,
    OrderedList,
    PageBreak,
    Para,
    Plain,
    RawBlock,
    RawInline,
    Row,
    SoftBreak,
    Span,
    Strikeout,
    Strong,
    Subscript,
    Superscript,
    Table,
    Text,
)

# `\newpage` alone in its paragraph (and LaTeX's other page-break commands): a page break.
PAGE_BREAKS = frozenset({"\\newpage", "\\pagebreak", "\\clearpage"})
_RAW_TEX = re.compile(r"\\[A-Za-z]+(?:\{[^{}]*\})*")


@dataclass(frozen=True)
class Finding:
    """Something the conversion noticed that the author should hear of (raw LaTeX…)."""

    code: str
    location: Location
    message: str

_DIRECTIVE = re.compile(r"^\{([a-z][a-z0-9-]*)\}\s*$")
_ALIGN = re.compile(r"text-align:(left|center|right)")


@dataclass
class Document:
    """A Markdown file as nodes: its blocks, its note definitions, its front matter's text."""

    blocks: tuple[Block, ...]
    notes: tuple[NoteDefinition, ...]
    front_matter: str | None = None
    findings: tuple[Finding, ...] = ()


class _Positions:
    """File positions of offsets in an inline token's text (which has lost its block's
    prefixes: list markers, indentation, `>`): each of its lines is found at the end of its
    source line, where markdown-it took it from."""

    def __init__(self, path: Path, lines: list[str], first_line: int, content: str) -> None:
        self.path = path
        self.first_line = first_line  # 0-based
        self.starts = [0] + [m.end() for m in re.finditer("\n", content)]
        self.bases: list[int] = []
        for i, start in enumerate(self.starts):
            end = self.starts[i + 1] - 1 if i + 1 < len(self.starts) else len(content)
            piece = content[start:end].rstrip()
            number = first_line + i
            source = lines[number].rstrip() if 0 <= number < len(lines) else ""
            if piece and source.endswith(piece):
                self.bases.append(len(source) - len(piece))
            else:
                found = source.find(piece.strip()) if piece.strip() else -1
                self.bases.append(max(found, 0))

    def at(self, pos: int) -> Location:
        i = bisect.bisect_right(self.starts, pos) - 1
        return Location(self.path, self.first_line + i + 1, self.bases[i] + pos - self.starts[i] + 1)

    def line_of(self, pos: int) -> int:
        return bisect.bisect_right(self.starts, pos) - 1


class _Fixed:
    """Every inline at one place: Markdown from a data file, located at its value."""

    def __init__(self, location: Location) -> None:
        self.location = location

    def at(self, pos: int) -> Location:
        return self.location


@dataclass
class _Inlines:
    """Converts one inline token's children; `cursor` follows the text to place text nodes."""

    content: str
    where: Any
    lines: list[str] | None = None
    env: dict[str, Any] = field(default_factory=dict)
    language: str = "en"
    findings: list[Finding] = field(default_factory=list)
    cursor: int = 0

    def locate(self, token: Token, snippet: str | None = None) -> Location:
        pos = (token.meta or {}).get("pos")
        if pos is None:
            found = self.content.find(snippet, self.cursor) if snippet else -1
            pos = found if found >= 0 else self.cursor
        self.cursor = max(self.cursor, pos)
        return self.where.at(pos)

    def convert(self, tokens: list[Token]) -> tuple[Inline, ...]:
        out, _ = self._run(tokens, 0, None)
        return tuple(out)

    def _run(self, tokens: list[Token], i: int, closing: str | None) -> tuple[list[Inline], int]:
        out: list[Inline] = []
        while i < len(tokens):
            token = tokens[i]
            if closing is not None and token.type == closing:
                return out, i + 1
            node, i = self._one(tokens, i)
            if node is not None:
                out.append(node)
        return out, i

    def _one(self, tokens: list[Token], i: int) -> tuple[Inline | None, int]:
        token = tokens[i]
        kind = token.type
        if kind == "text":
            location = self.locate(token, token.content)
            self.cursor += len(token.content) if self.content.startswith(token.content, self.cursor) else 0
            self._raw_tex(token.content, location)
            return Text(token.content, location), i + 1
        if kind == "span_open":
            location = self.locate(token)
            content, j = self._run(tokens, i + 1, "span_close")
            return Span(tuple(content), token.meta.get("attr", NO_ATTR), location), j
        if kind in ("math_inline", "math_inline_double"):
            location = self.locate(token, "$")
            return Math(token.content.strip(), kind == "math_inline_double", location), i + 1
        if kind == "softbreak":
            return SoftBreak(self.locate(token, "\n")), i + 1
        if kind == "hardbreak":
            return LineBreak(self.locate(token)), i + 1
        if kind == "code_inline":
            return Code(token.content, self.locate(token, token.markup)), i + 1
        if kind == "html_inline":
            return RawInline(token.content, self.locate(token, token.content)), i + 1
        if kind in _CONTAINERS:
            location = self.locate(token, token.markup)
            content, j = self._run(tokens, i + 1, kind.replace("_open", "_close"))
            return _CONTAINERS[kind](tuple(content), location), j
        if kind == "link_open":
            return self._link(tokens, i)
        if kind == "image":
            return self._image(token), i + 1
        if kind == "citation":
            return self._citation(token), i + 1
        if kind == "footnote_ref":
            return self._note_ref(token), i + 1
        # any other token (a plugin's) is text as written: never dropped
        return Text(token.content, self.locate(token, token.content)), i + 1

    def _raw_tex(self, text: str, location: Location) -> None:
        for match in _RAW_TEX.finditer(text):
            self.findings.append(
                Finding(
                    "raw-latex", location,
                    f"raw LaTeX '{match.group()[:40]}' is printed as written: dossier does not run LaTeX; "
                    "write it in Markdown ($…$ for mathematics; \\newpage alone in its paragraph for a page break)",
                )
            )

    def _link(self, tokens: list[Token], i: int) -> tuple[Inline, int]:
        token = tokens[i]
        autolink = token.markup == "autolink"
        start = self.locate(token, "<" if autolink else "[")
        content, j = self._run(tokens, i + 1, "link_close")
        location = start if autolink else self._target_location(start)
        link = Link(
            tuple(content), str(token.attrGet("href") or ""), str(token.attrGet("title") or ""), location, autolink
        )
        return link, j

    def _target_location(self, start: Location) -> Location:
        """Where `](` follows the link's text on its line (where a wrong target is reported)."""
        if self.lines is None or start.line is None or start.col is None:
            return start
        line = self.lines[start.line - 1] if start.line - 1 < len(self.lines) else ""
        found = line.find("](", start.col - 1)
        return Location(start.path, start.line, found + 1) if found >= 0 else start

    def _image(self, token: Token) -> Image:
        location = self.locate(token, "![")
        alt = _Inlines(token.content, _Fixed(location)).convert(token.children or [])
        attr = token.meta.get("attr", NO_ATTR) if token.meta else NO_ATTR
        return Image(alt, str(token.attrGet("src") or ""), str(token.attrGet("title") or ""), location, attr)

    def _citation(self, token: Token) -> Inline:
        location = self.locate(token, token.content)
        meta = token.meta
        mode = meta["mode"]
        number = self.env.get("example_labels", {}).get(meta["items"][0].id)
        if mode == "author-in-text" and number is not None and not meta["items"][0].suffix:
            return Text(str(number), location)  # `(@good)`: the number of the example labelled good
        items = []
        for raw in meta["items"]:
            label, locator, suffix = split_locator(raw.suffix, self.language)
            where = self.where.at(meta["inner"] + raw.offset)
            items.append(
                CiteItem(
                    id=raw.id,
                    location=where,
                    prefix=self._markdown(raw.prefix, where),
                    label=label,
                    locator=locator,
                    suffix=self._markdown(suffix, where),
                    mode="suppress-author" if raw.suppress else mode,
                )
            )
        return Citation(tuple(items), token.content, location)

    def _markdown(self, text: str, location: Location) -> tuple[Inline, ...]:
        """A citation's prefix or suffix: inline Markdown, located at its citation."""
        if not text:
            return ()
        from dossier.load.markdown import parse_inline

        return inline_nodes(parse_inline(text), location)

    def _note_ref(self, token: Token) -> Inline:
        if "label" in token.meta:
            return NoteRef(token.meta["label"], self.locate(token, f"[^{token.meta['label']}]"))
        location = self.locate(token, "^[")
        note = self.env.get("footnotes", {}).get("list", {}).get(token.meta["id"], {})
        pos = (token.meta or {}).get("pos", 0)
        inner = _Inlines(
            note.get("content", ""), _Shifted(self.where, pos + 2), self.lines, self.env, self.language, self.findings
        )
        content = inner.convert(note.get("tokens", []))
        return InlineNote((Para(content, location),), location)


class _Shifted:
    """Positions in a text that starts `shift` characters into another one (an inline note)."""

    def __init__(self, where: Any, shift: int) -> None:
        self.where, self.shift = where, shift

    def at(self, pos: int) -> Location:
        return self.where.at(pos + self.shift)


_CONTAINERS: dict[str, Callable[[tuple[Inline, ...], Location], Inline]] = {
    "em_open": Emph,
    "strong_open": Strong,
    "s_open": Strikeout,
    "sub_open": Subscript,
    "sup_open": Superscript,
}


class Converter:
    """One file's tokens → blocks; `lines` are the file's, to place inline nodes."""

    def __init__(
        self, path: Path, text: str, env: dict[str, Any], language: str = "en",
        list_styles: dict[int, tuple[str, int]] | None = None,
    ) -> None:
        self.list_styles = list_styles or {}  # Pandoc's fancy lists (dossier.load.pandoc.fancy_lists)
        self.path = path
        self.lines = text.split("\n")
        self.env = env
        self.language = language
        self.notes: list[NoteDefinition] = []
        self.findings: list[Finding] = []

    def document(self, tokens: list[Token]) -> Document:
        front = None
        if tokens and tokens[0].type == "front_matter":
            front, tokens = tokens[0].content, tokens[1:]
        blocks, _ = self._blocks(tokens, 0, None)
        return Document(tuple(blocks), tuple(self.notes), front, tuple(self.findings))

    def where(self, token: Token, col: int = 1) -> Location:
        if not token.map:
            return Location(self.path)
        return Location(self.path, token.map[0] + 1, col)

    def inlines(self, token: Token) -> tuple[Inline, ...]:
        first = token.map[0] if token.map else 0
        positions = _Positions(self.path, self.lines, first, token.content)
        converter = _Inlines(token.content, positions, self.lines, self.env, self.language, self.findings)
        return converter.convert(token.children or [])

    def _blocks(self, tokens: list[Token], i: int, closing: str | None) -> tuple[list[Block], int]:
        out: list[Block] = []
        while i < len(tokens):
            token = tokens[i]
            if closing is not None and token.type == closing:
                return _captions(out), i + 1
            block, i = self._block(tokens, i)
            if block is not None:
                out.append(block)
        return _captions(out), i

    def _block(self, tokens: list[Token], i: int) -> tuple[Block | None, int]:
        token = tokens[i]
        kind = token.type
        if kind == "paragraph_open":
            inline = tokens[i + 1]
            if inline.content.strip() in PAGE_BREAKS:
                return PageBreak(self.where(token)), i + 3
            content = self.inlines(inline)
            node = (Plain if token.hidden else Para)(content, self.where(token))
            return node, i + 3
        if kind == "figure_open":
            para = self.inlines(tokens[i + 1])
            image = next(n for n in para if isinstance(n, Image))
            return Figure(image, image.alt, self.where(token), image.attr), i + 3
        if kind == "heading_open":
            inline = tokens[i + 1]
            attr = token.meta.get("attr", NO_ATTR) if token.meta else NO_ATTR
            header = Header(int(token.tag[1]), self.inlines(inline), self.where(token), attr, source=inline.content)
            return header, i + 3
        if kind == "dl_open":
            return self._definitions(tokens, i)
        if kind == "container_div_open":
            content, j = self._blocks(tokens, i + 1, "container_div_close")
            return Div(tuple(content), _div_attr(token.info), self.where(token)), j
        if kind == "line_block":
            return self._line_block(token), i + 1
        if kind == "math_block":
            location = self.where(token)
            return Para((Math(token.content.strip(), True, location),), location), i + 1
        if kind == "blockquote_open":
            content, j = self._blocks(tokens, i + 1, "blockquote_close")
            return BlockQuote(tuple(content), self.where(token)), j
        if kind in ("bullet_list_open", "ordered_list_open"):
            return self._list(tokens, i)
        if kind == "table_open":
            return self._table(tokens, i)
        if kind == "fence":
            name = directive_name(token)
            if name:
                return Generated(name, token.content, self.where(token)), i + 1
            return CodeBlock(token.content, self.where(token), token.info, True), i + 1
        if kind == "code_block":
            return CodeBlock(token.content, self.where(token), "", False), i + 1
        if kind == "html_block":
            line = self.lines[token.map[0]] if token.map else ""
            return RawBlock(token.content, self.where(token, len(line) - len(line.lstrip()) + 1)), i + 1
        if kind == "hr":
            return HorizontalRule(self.where(token)), i + 1
        if kind == "footnote_reference_open":
            content, j = self._blocks(tokens, i + 1, "footnote_reference_close")
            self.notes.append(NoteDefinition(token.meta["label"], tuple(content), self.where(token)))
            return None, j
        if kind == "inline":  # a bare inline token (none in CommonMark's block rules): as a paragraph
            return Para(self.inlines(token), self.where(token)), i + 1
        closing = kind.replace("_open", "_close")
        if token.nesting == 1:  # a plugin's block we do not know: its content, kept
            content, j = self._blocks(tokens, i + 1, closing)
            return BlockQuote(tuple(content), self.where(token)) if content else None, j
        return None, i + 1

    def _definitions(self, tokens: list[Token], i: int) -> tuple[Block, int]:
        location = self.where(tokens[i])
        items: list[Definition] = []
        j = i + 1
        while tokens[j].type != "dl_close":
            term_token = tokens[j]  # dt_open, inline, dt_close
            term = self.inlines(tokens[j + 1])
            j += 3
            definitions: list[tuple[Block, ...]] = []
            while tokens[j].type == "dd_open":
                content, j = self._blocks(tokens, j + 1, "dd_close")
                definitions.append(tuple(content))
            items.append(Definition(term, tuple(definitions), self.where(term_token)))
        return DefinitionList(tuple(items), location), j + 1

    def _line_block(self, token: Token) -> Block:
        from dossier.load.markdown import parse_inline

        first = token.map[0] if token.map else 0
        lines = []
        for n, text in enumerate(token.meta["lines"]):
            indent = len(text) - len(text.lstrip(" "))
            where = Location(self.path, first + n + 1, 3)
            content = inline_nodes(parse_inline(text.lstrip(" ")), where)
            lines.append(((Text("\u00a0" * indent, where),) if indent else ()) + content)
        return LineBlock(tuple(lines), self.where(token))

    def _list(self, tokens: list[Token], i: int) -> tuple[Block, int]:
        token = tokens[i]
        closing = token.type.replace("_open", "_close")
        items: list[ListItem] = []
        j = i + 1
        while tokens[j].type != closing:
            item = tokens[j]
            content, j = self._blocks(tokens, j + 1, "list_item_close")
            items.append(ListItem(tuple(content), self.where(item)))
        if token.type == "bullet_list_open":
            return BulletList(tuple(items), self.where(token)), j + 1
        start = int(token.attrGet("start") if token.attrGet("start") is not None else 1)  # `0.` starts at 0
        style, start = self.list_styles.get(token.map[0] if token.map else -1, ("decimal", start))
        return OrderedList(tuple(items), self.where(token), start, style), j + 1

    def _table(self, tokens: list[Token], i: int) -> tuple[Block, int]:
        location = self.where(tokens[i])
        head: list[Row] = []
        body: list[Row] = []
        rows = head
        j = i + 1
        row_token: Token | None = None
        cells: list[Cell] = []
        while tokens[j].type != "table_close":
            token = tokens[j]
            if token.type == "tbody_open":
                rows = body
            elif token.type == "tr_open":
                row_token, cells = token, []
            elif token.type == "tr_close":
                rows.append(Row(tuple(cells), self.where(row_token) if row_token else location))
            elif token.type in ("th_open", "td_open"):
                match = _ALIGN.search(str(token.attrGet("style") or ""))
                cell_location = self.where(row_token) if row_token else location
                closing = token.type.replace("_open", "_close")
                if tokens[j + 1].type == "inline":
                    content: tuple = self.inlines(tokens[j + 1])
                    j += 1
                else:  # a grid table's cell: blocks
                    blocks, j = self._blocks(tokens, j + 1, closing)
                    if len(blocks) == 1 and isinstance(blocks[0], Para):  # one paragraph: as Pandoc, no <p>
                        blocks = [Plain(blocks[0].content, blocks[0].location)]
                    content, j = tuple(blocks), j - 1
                cells.append(Cell(content, cell_location, match.group(1) if match else "", token.type == "th_open"))
            j += 1
        widths = tuple((tokens[i].meta or {}).get("widths") or ())
        return Table(tuple(head), tuple(body), location, widths=widths), j + 1


_CAPTION = re.compile(r"^(?:Table)?:\s+")


def _caption_of(block: Block) -> tuple[Inline, ...] | None:
    """A paragraph `Table: …` (or `: …`): a table's caption, as Pandoc reads it."""
    if not isinstance(block, Para) or not block.content or not isinstance(block.content[0], Text):
        return None
    match = _CAPTION.match(block.content[0].text)
    if match is None:
        return None
    first = Text(block.content[0].text[match.end() :], block.content[0].location)
    return (first, *block.content[1:]) if first.text else block.content[1:]


def _captions(blocks: list[Block]) -> list[Block]:
    """Tables with their `Table:` captions (after the table, or before it), the caption paragraphs taken out."""
    out: list[Block] = []
    for block in blocks:
        if out and isinstance(out[-1], Table) and not out[-1].caption and (caption := _caption_of(block)):
            out[-1] = replace(out[-1], caption=caption)
            continue
        if isinstance(block, Table) and out and not block.caption and (caption := _caption_of(out[-1])):
            out[-1] = replace(block, caption=caption)
            continue
        out.append(block)
    return out


def _div_attr(info: str) -> Attr:
    """A fenced div's attributes: `{.class lang=en}`, or a bare word naming its class."""
    info = info.strip()
    parsed = parse_attr(info) if info.startswith("{") else None
    if parsed is not None:
        return parsed[1]
    return Attr(classes=(info.split()[0],)) if info else NO_ATTR


def directive_name(token: Token) -> str | None:
    """`chronology` for a fence opened with ```` ```{chronology} ````, else None."""
    if token.type != "fence":
        return None
    match = _DIRECTIVE.match(token.info.strip())
    return match.group(1) if match else None


def inline_nodes(tokens: list[Token], location: Location) -> tuple[Inline, ...]:
    """Inline Markdown from a data file (`parse_inline`'s tokens), every node at `location`."""
    out: list[Inline] = []
    for token in tokens:
        if token.type == "inline":
            out.extend(_Inlines(token.content, _Fixed(location)).convert(token.children or []))
    return tuple(out)
