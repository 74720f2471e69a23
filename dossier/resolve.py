"""Resolve stage: number notes, turn citations into notes, place Ibid., check every reference.

Works over the whole dossier at once (notes and citations span chapters) and builds a `Book`
of new nodes ready to render, leaving the `Dossier` as it was: every note call is a `NoteCall`
holding its `Note`, every citation inside a note a `Cites` holding its `Cite`s, links between
chapters know their target (`XRef`), headings their id. Resolving the same dossier twice gives
equal books.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from dossier.errors import Location, Report
from dossier.load.config import slugify
from dossier.model import (
    Book,
    Chapter,
    ChapterSource,
    Cite,
    Dossier,
    GlossaryEntry,
    Heading,
    Note,
    Position,
    Source,
)
from dossier.nodes import (
    Block,
    BlockQuote,
    BulletList,
    Citation,
    Cites,
    Code,
    CodeBlock,
    Figure,
    Generated,
    Header,
    HorizontalRule,
    Image,
    Inline,
    Link,
    NoteCall,
    NoteDefinition,
    NoteRef,
    OrderedList,
    Para,
    RawBlock,
    RawInline,
    Table,
    Text,
    XRef,
    plain_text,
    rebuild,
    walk,
)

LINK_SCHEMES = ("http", "https", "mailto")
# WeasyPrint's footnote layout slows down sharply when many notes are called close together
# (150 calls in one paragraph: ~17 s of layout, 500: ~110 s), far less when they are spread out
# (the bench's 300-page dossier has ~1 500); bench/hostile_limits.py measures these limits.
NOTE_LIMIT = 3000
PARAGRAPH_NOTE_LIMIT = 100
IMAGE_TYPES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".svg": "SVG", ".webp": "WEBP"}


@cache
def collator() -> Any:
    """The Unicode Collation Algorithm (DUCET): accents sort as French readers expect."""
    import pyuca

    return pyuca.Collator()


def sort_key(text: str) -> tuple[int, ...]:
    return collator().sort_key(text.casefold())


@dataclass
class _ChapterState:
    source: ChapterSource
    anchor: str
    definitions: dict[str, NoteDefinition] = field(default_factory=dict)
    called: set[str] = field(default_factory=set)
    notes: list[Note] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    anchors: dict[Location, str] = field(default_factory=dict)  # a heading's location → its id
    blocks: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)  # sources cited so far in the chapter
    previous: Cite | None = None  # the previous note's citation, if it had exactly one (Ibid.)


@dataclass
class _Inlines:
    """What resolving one block's inline content keeps track of (its note calls, its text so far)."""

    in_note: bool
    fixed: Location | None = None  # Markdown from a data file: every call is located at its value
    calls: int = 0
    started: bool = False  # a node came before (a citation in a note is then set in parentheses)
    groups: list[tuple[Cite, ...]] | None = None  # inside a note: its citation groups


class Resolver:
    """Builds the `Book`: new nodes throughout, the `Dossier` read and never changed."""

    def __init__(self, dossier: Dossier, report: Report) -> None:
        self.dossier = dossier
        self.report = report
        self.root = dossier.config.root
        self.sources = dossier.sources
        self.cited: dict[str, None] = {}
        self.images: dict[Path, None] = {}
        self.note_count = 0
        self.notes_total = 0
        self.glossary: tuple[GlossaryEntry, ...] | None = None
        self.states = [
            _ChapterState(source=c, anchor=f"ch{c.index + 1}") for c in dossier.chapters
        ]
        self.by_path = {c.path: s for c, s in zip(dossier.chapters, self.states, strict=True)}

    # -- the whole book ---------------------------------------------------------------------

    def resolve(self) -> Book:
        for state in self.states:
            self._collect_definitions(state)
            self._collect_headings(state)
        chapters = [self._resolve_chapter(state, number) for number, state in enumerate(self.states, 1)]
        self._warn_uncited()
        glossary = sorted(self.dossier.glossary, key=lambda g: sort_key(g.term))
        return Book(
            config=self.dossier.config,
            chapters=chapters,
            sources=self.sources,
            cited=list(self.cited),
            glossary=list(self.glossary) if self.glossary is not None else glossary,
            images=list(self.images),
        )

    def _warn_uncited(self) -> None:
        for ident, source in self.sources.items():
            if ident not in self.cited:
                self.report.warning("source-uncited", source.location, f"source '{ident}' is never cited")

    # -- per chapter ------------------------------------------------------------------------

    def _collect_definitions(self, state: _ChapterState) -> None:
        """The chapter's `[^label]: …` definitions, keyed by label."""
        for definition in state.source.notes:
            label = definition.label
            if label in state.definitions:
                first = state.definitions[label].location
                self.report.error(
                    "note-duplicate", definition.location,
                    f"note '[^{label}]' is defined twice (first at line {first.line})",
                )
            else:
                state.definitions[label] = definition

    def _collect_headings(self, state: _ChapterState) -> None:
        used: set[str] = set()
        for node in walk(state.source.body):
            if not isinstance(node, Header):
                continue
            if node.level == 1:
                state.anchors[node.location] = state.anchor
                continue
            text = "".join(c.text for c in node.content if isinstance(c, Text | Code))
            if not text.strip():  # it would be an empty entry of the contents and the navigation
                self.report.error("heading-empty", node.location, "heading without text")
            slug = base = slugify(text)
            n = 2
            while slug in used:
                slug, n = f"{base}-{n}", n + 1
            used.add(slug)
            anchor = f"{state.anchor}-{slug}"
            state.anchors[node.location] = anchor
            state.headings.append(Heading(level=node.level, text=text.strip(), anchor=anchor))

    def _resolve_chapter(self, state: _ChapterState, number: int) -> Chapter:
        if self.dossier.config.layout.notes == "chapter":
            self.note_count = 0
        body = self._blocks(state, state.source.body)
        for label, definition in state.definitions.items():
            if label not in state.called:
                self.report.warning(
                    "note-uncalled", definition.location, f"note '[^{label}]' is defined but never called"
                )
        return Chapter(
            source=state.source,
            number=number,
            anchor=state.anchor,
            file_name=f"{state.anchor}.xhtml",
            headings=state.headings,
            body=body,
            notes=state.notes,
            blocks=state.blocks,
        )

    def _blocks(self, state: _ChapterState, blocks: tuple[Block, ...]) -> tuple[Block, ...]:
        return tuple(self._block(state, block) for block in blocks)

    def _block(self, state: _ChapterState, block: Block) -> Block:
        if isinstance(block, RawBlock):
            self._check_raw_html(block.html, block.location)
            return block
        if isinstance(block, Generated):
            return self._resolve_generated(state, block)
        if isinstance(block, Header):
            content = self._inlines(state, block.content, _Inlines(in_note=False))
            anchor = state.anchors.get(block.location, block.attr.id)
            return replace(block, content=content, attr=replace(block.attr, id=anchor))
        if isinstance(block, Figure):
            image = self._inline(state, block.image, _Inlines(in_note=False), [])
            caption = self._inlines(state, block.caption, _Inlines(in_note=False))
            return replace(block, image=image, caption=caption)
        return rebuild(
            block,
            lambda inner: self._blocks(state, inner),
            lambda inlines: self._inlines(state, inlines, _Inlines(in_note=False)),
        )

    def _resolve_generated(self, state: _ChapterState, node: Generated) -> Generated:
        state.blocks.add(node.name)
        block = node.block
        if block is None:
            return node
        if node.name == "chronology":
            events = tuple(
                replace(e, event=self._inlines(state, e.event, _Inlines(in_note=False, fixed=e.location)))
                for e in block.events
            )
            return replace(node, block=replace(block, events=events))
        if node.name == "glossary":
            entries = tuple(
                replace(g, definition=self._inlines(state, g.definition, _Inlines(in_note=False, fixed=g.location)))
                for g in sorted(self.dossier.glossary, key=lambda g: sort_key(g.term))
            )
            if self.glossary is None:
                self.glossary = entries
            return replace(node, glossary=entries)
        return node

    # -- inlines ----------------------------------------------------------------------------

    def _inlines(self, state: _ChapterState, inlines: tuple[Inline, ...], ctx: _Inlines) -> tuple[Inline, ...]:
        out: list[Inline] = []
        for node in inlines:
            out.append(self._inline(state, node, ctx, out))
        return tuple(out)

    def _inline(self, state: _ChapterState, node: Inline, ctx: _Inlines, before: list[Inline]) -> Inline:
        """One inline, resolved; `before` holds what precedes it in its sequence, already resolved."""
        started, ctx.started = ctx.started, True
        location = ctx.fixed or getattr(node, "location", None)
        if isinstance(node, Citation | NoteRef) and not ctx.in_note:
            ctx.calls += 1
            if ctx.calls == PARAGRAPH_NOTE_LIMIT + 1:
                self.report.error(
                    "limit-paragraph-notes", location,
                    f"more than {PARAGRAPH_NOTE_LIMIT} notes called in one paragraph: the page layout of so "
                    "many footnotes takes too long; spread them over several paragraphs",
                )
            if before and isinstance(before[-1], Text):  # a call follows its word: `tenges [@x]` → `tenges¹`
                before[-1] = replace(before[-1], text=before[-1].text.rstrip(" \t"))
        if isinstance(node, Citation):
            if ctx.in_note:
                cites = self._cite_group(state, node, location, ctx.groups)
                return Cites(cites, location, enclosed=started)
            return self._citation_note(state, node, location, before)
        if isinstance(node, NoteRef):
            if ctx.in_note:
                self.report.error("note-nested", location, f"a note cannot call another note ('[^{node.label}]')")
                return node
            return self._call_note(state, node, location, before)
        if isinstance(node, Image):
            return self._check_image(state, node)
        if isinstance(node, Link):
            link = self._resolve_link(state, node)
            return replace(link, content=self._inlines(state, node.content, ctx))
        if isinstance(node, RawInline):
            self._check_raw_html(node.html, location)
            return node
        return rebuild(node, lambda blocks: blocks, lambda inner: self._inlines(state, inner, ctx))

    def _after_call(self, before: list[Inline]) -> bool:
        return bool(before) and isinstance(before[-1], NoteCall)

    def _citation_note(
        self, state: _ChapterState, node: Citation, location: Location, before: list[Inline]
    ) -> NoteCall:
        number, key = self._new_note(state, location)
        groups: list[tuple[Cite, ...]] = []
        cites = self._cite_group(state, node, location, groups)
        self._end_note(state, groups)
        note = Note(number=number, key=key, chapter=state.source.index, location=location, cites=cites)
        state.notes.append(note)
        return NoteCall(note, location, after_call=self._after_call(before))

    def _call_note(self, state: _ChapterState, node: NoteRef, location: Location, before: list[Inline]) -> Inline:
        label = node.label
        if label not in state.definitions:
            self.report.error("note-undefined", location, f"note '[^{label}]' is called but never defined")
            return node
        if label in state.called:
            self.report.error("note-called-twice", location, f"note '[^{label}]' is called twice; call a note once")
            return node
        state.called.add(label)
        definition = state.definitions[label]
        number, key = self._new_note(state, location)
        groups: list[tuple[Cite, ...]] = []
        blocks: list[Block] = []
        for block in definition.content:
            if isinstance(block, Para):
                ctx = _Inlines(in_note=True, groups=groups)
                blocks.append(replace(block, content=self._inlines(state, block.content, ctx)))
                continue
            self.report.error(
                "note-block", Location(block.location.path, block.location.line or location.line, 1),
                f"note '[^{label}]' holds a {_block_name(block)}; a note holds paragraphs only",
            )
            break
        self._end_note(state, groups)
        note = Note(
            number=number, key=key, chapter=state.source.index, location=location, blocks=tuple(blocks)
        )
        state.notes.append(note)
        return NoteCall(note, location, after_call=self._after_call(before))

    def _new_note(self, state: _ChapterState, location: Location) -> tuple[int, str]:
        """The number and key of the chapter's next note (it is added once its content is resolved)."""
        self.note_count += 1
        self.notes_total += 1
        if self.notes_total == NOTE_LIMIT + 1:
            self.report.error(
                "limit-notes", location,
                f"more than {NOTE_LIMIT:,} notes and citations: the page layout of so many footnotes takes "
                "too long; split the dossier",
            )
        return self.note_count, f"{state.anchor}-n{len(state.notes) + 1}"

    # -- citations and their positions (Ibid., short forms) -----------------------------------

    def _cite_group(
        self, state: _ChapterState, node: Citation, location: Location, groups: list[tuple[Cite, ...]] | None
    ) -> tuple[Cite, ...]:
        """One citation's sources, each placed as French usage has it: the full reference first in
        each chapter, Ibid. right after, a short form later.

        Ibid. only follows a note whose one citation names the same source (a note without
        citations in between breaks the chain), as CSL's positions do; a citation without a
        locator after one with a locator takes the short form, since Ibid. would mean the same page.
        """
        found = []
        for item in node.items:
            source = self.sources.get(item.id)
            if source is None:
                self.report.error("source-unknown", location, f"unknown source '@{item.id}' (not in sources)")
                continue
            self.cited.setdefault(item.id)
            found.append((item, source))
        cites = []
        for item, source in found:
            position: Position = "first"
            if _is_ibid(state.previous, source, item.locator, len(found)):
                position = "ibid"
            elif source.id in state.seen:
                position = "subsequent"
            state.seen.add(source.id)
            prefix = plain_text(item.prefix) or None
            cites.append(Cite(source, item.locator, position, location, prefix=prefix))
        group = tuple(cites)
        if groups is not None and group:
            groups.append(group)
        return group

    def _end_note(self, state: _ChapterState, groups: list[tuple[Cite, ...]]) -> None:
        count = sum(len(g) for g in groups)
        state.previous = groups[0][0] if count == 1 else None

    # -- images and links -------------------------------------------------------------------

    def _check_image(self, state: _ChapterState, image: Image) -> Image:
        src, location = image.src, image.location
        if not plain_text(image.alt).strip():
            self.report.error("image-alt", location, f"image '{src}' has no alternative text: write it in ![…]")
        parts = urlsplit(src)
        if parts.scheme or parts.netloc:
            self.report.error("image-remote", location, f"image '{src}' is not a file of the dossier")
            return image
        chapter_dir = state.source.path.parent
        candidates = [(chapter_dir / parts.path).resolve(), (self.root / parts.path).resolve()]
        target = next((c for c in candidates if c.is_file()), None)
        if target is None:
            self.report.error("image-missing", location, f"image '{src}' not found")
            return image
        if not target.is_relative_to(self.root):
            self.report.error("image-outside", location, f"image '{src}' is outside the dossier")
            return image
        kind = IMAGE_TYPES.get(target.suffix.lower())
        if kind is None or not _is_image(target, kind):
            self.report.error("image-format", location, f"'{src}' is not a {kind or 'supported'} image")
            return image
        self.images.setdefault(target)
        return replace(image, src=target.relative_to(self.root).as_posix())

    def _check_raw_html(self, html: str, location: Location) -> None:
        """`layout.raw_html = "refuse"`: raw HTML (comments aside) is an error where it stands."""
        if self.dossier.config.layout.raw_html != "refuse" or html.lstrip().startswith("<!--"):
            return
        first = html.strip().split("\n", 1)[0][:60]
        self.report.error(
            "raw-html", location,
            f"raw HTML '{first}' is refused (layout.raw_html = \"refuse\"): write it in Markdown",
        )

    def _resolve_link(self, state: _ChapterState, link: Link) -> Link:
        """Links go to web or mail addresses, or to a chapter (`02-texte.md#section`)."""
        href, location = link.target, link.location
        parts = urlsplit(href)
        if parts.scheme in LINK_SCHEMES and (parts.netloc or parts.scheme == "mailto"):
            return link
        if parts.scheme or parts.netloc:
            self.report.error(
                "link-scheme", location,
                f"link to '{href[:80]}' refused: a link goes to an http, https or mailto address or to a chapter",
            )
            return link
        if not parts.path:
            other: _ChapterState | None = state  # `#section` in the same chapter
        else:
            other = self.by_path.get((state.source.path.parent / unquote(parts.path)).resolve())
        if other is None:
            message = f"link to '{parts.path}', which is not a chapter of the dossier"
            self.report.error("link-chapter", location, message)
            return link
        anchor = other.anchor
        if parts.fragment:
            slugs = {h.anchor.removeprefix(f"{other.anchor}-") for h in other.headings}
            if parts.fragment not in slugs:
                where = parts.path or state.source.path.name
                self.report.error("link-anchor", location, f"no section '#{parts.fragment}' in '{where}'")
                return link
            anchor = f"{other.anchor}-{parts.fragment}"
        return replace(link, xref=XRef(f"{other.anchor}.xhtml", anchor))

def _is_ibid(previous: Cite | None, source: Source, locator: str | None, group_size: int) -> bool:
    if previous is None or group_size != 1 or previous.source is not source:
        return False
    return not (previous.locator and not locator)


def _block_name(block: Block) -> str:
    """A block's name as the note-block message gives it (markdown-it's token names, as before)."""
    if isinstance(block, CodeBlock):
        return "fence" if block.fenced else "code"
    return {
        BulletList: "bullet", OrderedList: "ordered", BlockQuote: "blockquote", Header: "heading", Table: "table",
        HorizontalRule: "hr", RawBlock: "html", Generated: "fence", Figure: "figure",
    }.get(type(block), type(block).__name__.lower())


def _is_image(path: Path, kind: str) -> bool:
    """Whether the file really is the image its extension claims (not a renamed text file)."""
    if kind == "SVG":
        from lxml import etree

        try:
            root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
        except etree.XMLSyntaxError:
            return False
        return etree.QName(root).localname == "svg"
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
            return image.format == kind
    except (UnidentifiedImageError, OSError, SyntaxError):
        return False


def resolve(dossier: Dossier, report: Report) -> Book:
    book = Resolver(dossier, report).resolve()
    report.raise_if_errors()
    return book
