"""The document's nodes: blocks and inlines as `load` reads them and `resolve` completes them.

Modelled on Pandoc's AST (Para, Header, Emph, Link, Cite, Note…), so that a construct of
Pandoc's Markdown has one obvious node. Every node is a frozen dataclass carrying its source
`Location`; children are tuples. Nothing downstream of `load` sees a parser's tokens:
`resolve` builds new nodes (with `replace`) rather than changing these, and `render` walks them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Literal, Union

from dossier.errors import Location

if TYPE_CHECKING:
    from dossier.load.blocks import Block as GeneratedData
    from dossier.model import Cite, GlossaryEntry, Note, Source

Alignment = Literal["", "left", "center", "right"]
CiteMode = Literal["normal", "suppress-author", "author-in-text"]


@dataclass(frozen=True)
class Attr:
    """Pandoc's attributes: `{#id .class key=value}`."""

    id: str = ""
    classes: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()

    def get(self, key: str, default: str | None = None) -> str | None:
        return next((v for k, v in self.pairs if k == key), default)

    def __bool__(self) -> bool:
        return bool(self.id or self.classes or self.pairs)


NO_ATTR = Attr()


# --- inlines -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str
    location: Location


@dataclass(frozen=True)
class Code:
    text: str
    location: Location


@dataclass(frozen=True)
class SoftBreak:
    location: Location


@dataclass(frozen=True)
class LineBreak:
    location: Location


@dataclass(frozen=True)
class Emph:
    content: tuple[Inline, ...]
    location: Location


@dataclass(frozen=True)
class Strong:
    content: tuple[Inline, ...]
    location: Location


@dataclass(frozen=True)
class Strikeout:
    content: tuple[Inline, ...]
    location: Location


@dataclass(frozen=True)
class Subscript:
    content: tuple[Inline, ...]
    location: Location


@dataclass(frozen=True)
class Superscript:
    content: tuple[Inline, ...]
    location: Location


@dataclass(frozen=True)
class Span:
    """`[text]{.smallcaps lang=en}`."""

    content: tuple[Inline, ...]
    attr: Attr
    location: Location


@dataclass(frozen=True)
class XRef:
    """A link between chapters, resolved: the target chapter's file and the anchor in it."""

    file: str
    anchor: str


@dataclass(frozen=True)
class Link:
    content: tuple[Inline, ...]
    target: str
    title: str
    location: Location  # where the link's target starts (`](`), or `<` for an autolink
    autolink: bool = False
    xref: XRef | None = None  # set by resolve for a link to a chapter


@dataclass(frozen=True)
class Image:
    alt: tuple[Inline, ...]
    src: str  # resolve makes it relative to the dossier's root
    title: str
    location: Location
    attr: Attr = NO_ATTR


@dataclass(frozen=True)
class RawInline:
    """Raw HTML in the text (a tag, a comment): sanitised where it is rendered."""

    html: str
    location: Location


@dataclass(frozen=True)
class Math:
    tex: str
    display: bool
    location: Location


@dataclass(frozen=True)
class CiteItem:
    """One source of a citation, as written: `see @a, p. 12` or `@a [p. 30]`."""

    id: str
    location: Location
    prefix: tuple[Inline, ...] = ()
    label: str | None = None  # the locator's CSL type: page, chapter, article-locator…
    locator: str | None = None  # its value: `12`, `33-35`
    suffix: tuple[Inline, ...] = ()
    mode: CiteMode = "normal"


@dataclass(frozen=True)
class Citation:
    """`[@a, p. 12; @b]` or `@a` in the text, before resolve."""

    items: tuple[CiteItem, ...]
    source: str  # the citation as written, for messages
    location: Location


@dataclass(frozen=True)
class NoteRef:
    """`[^label]`, before resolve."""

    label: str
    location: Location


@dataclass(frozen=True)
class InlineNote:
    """`^[text]`, before resolve."""

    content: tuple[Block, ...]
    location: Location


@dataclass(frozen=True, eq=False)
class NoteCall:
    """A note's call in the text (resolved from a `NoteRef`, an `InlineNote` or a `Citation`).
    `after_call`: right after another call, from which it is set apart."""

    note: Note
    location: Location
    after_call: bool = False

    def __eq__(self, other: object) -> bool:  # the note by value: two resolves compare equal
        return isinstance(other, NoteCall) and (self.note, self.location, self.after_call) == (
            other.note, other.location, other.after_call
        )

    def __hash__(self) -> int:
        return hash((self.note.key, self.location))


@dataclass(frozen=True)
class CiteAuthor:
    """`@a` in the text, resolved: the author's name, set in the sentence (its note follows)."""

    source: Source
    location: Location


@dataclass(frozen=True)
class Cites:
    """Citations inside a note, resolved; `enclosed`: inside the note's sentence, in parentheses."""

    cites: tuple[Cite, ...]
    location: Location
    enclosed: bool = False


Inline = Union[  # noqa: UP007 (a runtime alias the dataclasses above refer to by name)
    Text, Code, SoftBreak, LineBreak, Emph, Strong, Strikeout, Subscript, Superscript, Span, Link, Image,
    RawInline, Math, Citation, NoteRef, InlineNote, NoteCall, CiteAuthor, Cites,
]


# --- blocks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Para:
    content: tuple[Inline, ...]
    location: Location


@dataclass(frozen=True)
class Plain:
    """A paragraph without its `<p>`: the text of a tight list's item."""

    content: tuple[Inline, ...]
    location: Location


@dataclass(frozen=True)
class Header:
    level: int
    content: tuple[Inline, ...]
    location: Location
    attr: Attr = NO_ATTR
    source: str = ""  # the heading's Markdown as written (a chapter's title, as printed today)


@dataclass(frozen=True)
class BlockQuote:
    content: tuple[Block, ...]
    location: Location


@dataclass(frozen=True)
class ListItem:
    content: tuple[Block, ...]
    location: Location


@dataclass(frozen=True)
class BulletList:
    items: tuple[ListItem, ...]
    location: Location


@dataclass(frozen=True)
class OrderedList:
    items: tuple[ListItem, ...]
    location: Location
    start: int = 1
    style: Literal["decimal", "lower-roman", "upper-roman", "lower-alpha", "upper-alpha", "example"] = "decimal"


@dataclass(frozen=True)
class Definition:
    term: tuple[Inline, ...]
    definitions: tuple[tuple[Block, ...], ...]
    location: Location


@dataclass(frozen=True)
class DefinitionList:
    items: tuple[Definition, ...]
    location: Location


@dataclass(frozen=True)
class CodeBlock:
    text: str
    location: Location
    info: str = ""  # the fence's info string; `fenced` false for an indented block
    fenced: bool = True


@dataclass(frozen=True)
class RawBlock:
    html: str
    location: Location


@dataclass(frozen=True)
class HorizontalRule:
    location: Location


@dataclass(frozen=True)
class PageBreak:
    """`\\newpage`."""

    location: Location


@dataclass(frozen=True)
class Cell:
    content: tuple[Inline, ...] | tuple[Block, ...]
    location: Location
    align: Alignment = ""
    header: bool = False


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    location: Location


@dataclass(frozen=True)
class Table:
    head: tuple[Row, ...]
    body: tuple[Row, ...]
    location: Location
    caption: tuple[Inline, ...] = ()
    widths: tuple[float, ...] = ()  # relative column widths (multiline and grid tables)


@dataclass(frozen=True)
class Figure:
    """An image alone in its paragraph: Pandoc's implicit figure."""

    image: Image
    caption: tuple[Inline, ...]
    location: Location
    attr: Attr = NO_ATTR


@dataclass(frozen=True)
class Div:
    content: tuple[Block, ...]
    attr: Attr
    location: Location


@dataclass(frozen=True)
class LineBlock:
    lines: tuple[tuple[Inline, ...], ...]
    location: Location


@dataclass(frozen=True)
class Generated:
    """A generated block, ```` ```{chronology} ````: its options as written and, once loaded,
    their data (`block`); `resolve` resolves the Markdown in that data (`glossary` too)."""

    name: str
    options: str
    location: Location
    block: GeneratedData | None = None
    glossary: tuple[GlossaryEntry, ...] | None = None


@dataclass(frozen=True)
class NoteDefinition:
    """`[^label]: text`, taken out of the text by `load`."""

    label: str
    content: tuple[Block, ...]
    location: Location


Block = Union[  # noqa: UP007
    Para, Plain, Header, BlockQuote, BulletList, OrderedList, DefinitionList, CodeBlock, RawBlock,
    HorizontalRule, PageBreak, Table, Figure, Div, LineBlock, Generated,
]
Node = Union[Block, Inline, ListItem, Definition, Row, Cell]  # noqa: UP007


# --- walking -----------------------------------------------------------------------------

_CHILD_FIELDS = ("content", "items", "alt", "prefix", "suffix", "term", "definitions", "head", "body", "cells",
                 "lines", "caption", "image")


def children(node: Any) -> Iterator[Any]:
    """The nodes directly under `node`, in reading order (image alt and citation items included)."""
    for f in fields(node):
        if f.name not in _CHILD_FIELDS:
            continue
        value = getattr(node, f.name)
        if isinstance(value, tuple):
            for item in value:
                if isinstance(item, tuple):  # definitions, lines
                    yield from item
                else:
                    yield item
        elif value is not None and not isinstance(value, str):
            yield value


BLOCK_TYPES = (
    Para, Plain, Header, BlockQuote, BulletList, OrderedList, DefinitionList, CodeBlock, RawBlock,
    HorizontalRule, PageBreak, Table, Figure, Div, LineBlock, Generated,
)


def rebuild(
    node: Any,
    blocks: Callable[[tuple[Any, ...]], tuple[Any, ...]],
    inlines: Callable[[tuple[Any, ...]], tuple[Any, ...]],
    parts: Callable[[Any], Any] | None = None,
) -> Any:
    """`node` with each sequence of child blocks passed through `blocks`, each sequence of
    inlines through `inlines`, and other children (list items, rows, cells…) through `parts`
    (by default rebuilt the same way). A new node; `node` itself is left as it is."""
    changes: dict[str, Any] = {}
    for f in fields(node):
        if f.name not in _CHILD_FIELDS or f.name == "image":
            continue
        value = getattr(node, f.name)
        if not isinstance(value, tuple) or not value:
            continue
        if isinstance(value[0], tuple):
            new = tuple(_sequence(v, blocks, inlines, parts) for v in value)
        else:
            new = _sequence(value, blocks, inlines, parts)
        if new != value:
            changes[f.name] = new
    return replace(node, **changes) if changes else node


def _sequence(value: tuple[Any, ...], blocks: Any, inlines: Any, parts: Any) -> tuple[Any, ...]:
    if not value:
        return value
    if isinstance(value[0], BLOCK_TYPES):
        return blocks(value)
    if isinstance(value[0], ListItem | Definition | Row | Cell | CiteItem):
        rebuild_part = parts or (lambda part: rebuild(part, blocks, inlines, parts))
        return tuple(rebuild_part(v) for v in value)
    return inlines(value)


def walk(nodes: Any) -> Iterator[Any]:
    """Every node under `nodes` (a node or a sequence of them), depth first, in reading order."""
    stack = list(reversed(nodes)) if isinstance(nodes, tuple | list) else [nodes]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(children(node))))


def plain_text(inlines: tuple[Inline, ...]) -> str:
    """The text of inlines without markup (an image's alt attribute, as markdown-it gives it)."""
    out: list[str] = []
    for node in inlines:
        if isinstance(node, Text | Code | RawInline):
            out.append(node.text if not isinstance(node, RawInline) else node.html)
        elif isinstance(node, SoftBreak | LineBreak):
            out.append("\n")
        elif isinstance(node, Math):
            out.append(node.tex)
        elif isinstance(node, Image):
            out.append(plain_text(node.alt))
        elif hasattr(node, "content") and isinstance(node.content, tuple):
            out.append(plain_text(node.content))
    return "".join(out)


