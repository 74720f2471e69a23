"""Resolve stage: number notes, turn citations into notes, place Ibid., check every reference.

Works over the whole dossier at once (notes and citations span chapters) and builds a `Book`
of new nodes ready to render, leaving the `Dossier` as it was: every note call is a `NoteCall`
holding its `Note`, every citation inside a note a `Cites` holding its `Cite`s, links between
chapters know their target (`XRef`), headings their id. Resolving the same dossier twice gives
equal books.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from dossier.errors import Location, Report
from dossier.load.config import slugify
from dossier.load.images import FORMATS, ImageProblem, identify
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
    Citation,
    CiteAuthor,
    Cites,
    Code,
    Figure,
    Generated,
    Header,
    HorizontalRule,
    Image,
    Inline,
    InlineNote,
    Link,
    NoteCall,
    NoteDefinition,
    NoteRef,
    PageBreak,
    RawBlock,
    RawInline,
    SoftBreak,
    Table,
    Text,
    XRef,
    plain_text,
    rebuild,
    walk,
)

_NOT_IN_NOTES = (Header, Table, Figure, RawBlock, Generated, PageBreak)

LINK_SCHEMES = ("http", "https", "mailto")
# WeasyPrint's footnote layout slows down sharply when many notes are called close together
# (150 calls in one paragraph: ~17 s of layout, 500: ~110 s), far less when they are spread out
# (the bench's 300-page dossier has ~1 500); bench/hostile_limits.py measures these limits.
NOTE_LIMIT = 3000
PARAGRAPH_NOTE_LIMIT = 100
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
    definitions: dict[str, NoteDefinition] = field(default_factory=dict)  # the file's, shared by its chapters
    called: set[str] = field(default_factory=set)  # likewise
    notes: list[Note] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    anchors: dict[Location, str] = field(default_factory=dict)  # a heading's location → its id
    aliases: dict[str, str] = field(default_factory=dict)  # a chapter title's own id → the chapter's anchor
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
        self.by_path: dict[Path, list[_ChapterState]] = {}
        for state in self.states:
            self.by_path.setdefault(state.source.path, []).append(state)
        for states in self.by_path.values():  # a file's notes may be called from any of its chapters
            for state in states[1:]:
                state.definitions, state.called = states[0].definitions, states[0].called

    # -- the whole book ---------------------------------------------------------------------

    def resolve(self) -> Book:
        for state in self.states:
            if state.source.part == 0:
                self._collect_definitions(state)
            self._collect_headings(state)
        chapters = [self._resolve_chapter(state, number) for number, state in enumerate(self.states, 1)]
        for states in self.by_path.values():
            first = states[0]
            for label, definition in first.definitions.items():
                if label not in first.called:
                    self.report.warning(
                        "note-uncalled", definition.location, f"note '[^{label}]' is defined but never called"
                    )
        self._nocite()
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

    def _nocite(self) -> None:
        """Sources listed without a citation (Pandoc's `nocite`: dossier.toml, or a chapter's
        front matter as Pandoc writes it, `nocite: "@a, @b"` or `"@*"`): in the bibliography, no note."""
        from dossier.load.text import read_text
        from dossier.load.tomlpos import key_positions

        config = self.dossier.config
        wanted: list[tuple[str, Location]] = []
        if config.nocite:
            line, col = key_positions(read_text(config.path)).get(("nocite",), (None, None))
            wanted += [(ident, Location(config.path, line, col)) for ident in config.nocite]
        for chapter in self.dossier.chapters:
            value = chapter.meta.get("nocite") if chapter.part == 0 else None
            if value:
                items = value if isinstance(value, list) else [value]
                marks = getattr(chapter.meta, "value_marks", {}).get("nocite", (0, 1))
                where = Location(chapter.path, marks[0] + 1, marks[1])
                wanted += [(part, where) for item in items for part in re.split(r"[,;\s]+", str(item)) if part]
        for ident, where in wanted:
            ident = ident.removeprefix("@")
            if ident == "*":
                for key in self.sources:
                    self.cited.setdefault(key)
            elif ident in self.sources:
                self.cited.setdefault(ident)
            else:
                self.report.error("source-unknown", where, self._unknown_source(ident))

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
                if node.attr.id:  # `# Title {#id}`: a link to `#id` goes to the chapter
                    state.aliases[node.attr.id] = state.anchor
                continue
            text = "".join(c.text for c in node.content if isinstance(c, Text | Code))
            if not text.strip():  # it would be an empty entry of the contents and the navigation
                self.report.error("heading-empty", node.location, "heading without text")
            slug = base = node.attr.id or slugify(text)
            n = 2
            while slug in used:
                slug, n = f"{base}-{n}", n + 1
            used.add(slug)
            anchor = f"{state.anchor}-{slug}"
            state.anchors[node.location] = anchor
            listed = "unlisted" not in node.attr.classes
            state.headings.append(Heading(level=node.level, text=text.strip(), anchor=anchor, listed=listed))

    def _resolve_chapter(self, state: _ChapterState, number: int) -> Chapter:
        if self.dossier.config.layout.notes == "chapter":
            self.note_count = 0
        body = self._blocks(state, state.source.body)
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
            resolved = self._inline(state, node, ctx, out)
            if isinstance(resolved, tuple):
                out.extend(resolved)
            else:
                out.append(resolved)
        return tuple(out)

    def _inline(
        self, state: _ChapterState, node: Inline, ctx: _Inlines, before: list[Inline]
    ) -> Inline | tuple[Inline, ...]:
        """One inline, resolved; `before` holds what precedes it in its sequence, already resolved."""
        started, ctx.started = ctx.started, True
        location = ctx.fixed or getattr(node, "location", None)
        if isinstance(node, Citation | NoteRef | InlineNote) and not ctx.in_note:
            ctx.calls += 1
            if ctx.calls == PARAGRAPH_NOTE_LIMIT + 1:
                self.report.error(
                    "limit-paragraph-notes", location,
                    f"more than {PARAGRAPH_NOTE_LIMIT} notes called in one paragraph: the page layout of so "
                    "many footnotes takes too long; spread them over several paragraphs",
                )
            in_text = isinstance(node, Citation) and node.items[0].mode == "author-in-text"
            while before and isinstance(before[-1], SoftBreak) and not in_text:
                before.pop()  # `text\n[@b]`: the call follows its word all the same
            if before and isinstance(before[-1], Text) and not in_text:
                # a call follows its word: `tenges [@x]` → `tenges¹`; `text[^a] [@b]`: two calls side by side
                trimmed = before[-1].text.rstrip(" \t\n")
                if trimmed:
                    before[-1] = replace(before[-1], text=trimmed)
                else:
                    before.pop()
        if isinstance(node, Citation):
            return self._citation(state, node, location, ctx, before, started)
        if isinstance(node, NoteRef | InlineNote):
            if ctx.in_note:
                what = f"'[^{node.label}]'" if isinstance(node, NoteRef) else "'^[…]'"
                self.report.error("note-nested", location, f"a note cannot call another note ({what})")
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

    def _citation(
        self, state: _ChapterState, node: Citation, location: Location, ctx: _Inlines, before: list[Inline],
        started: bool,
    ) -> Inline | tuple[Inline, ...]:
        """A citation in the text becomes a note; in a note, it is set there. `@a` in the text
        names the author in the sentence, the reference going to the note (as Pandoc does with
        a note style); inside a note, the reference follows the name in parentheses."""
        in_text = node.items[0].mode == "author-in-text"
        if ctx.in_note:
            cites = self._cite_group(state, node, location, ctx.groups, suppress=in_text)
            resolved = Cites(cites, location, enclosed=started or in_text)
            if in_text and cites:
                return CiteAuthor(cites[0].source, location), Text(" ", location), resolved
            return resolved
        number, key = self._new_note(state, location)
        groups: list[tuple[Cite, ...]] = []
        cites = self._cite_group(state, node, location, groups)
        if cites and cites[0].prefix and isinstance(cites[0].prefix[0], Text):  # it opens the note: `See …`
            first = cites[0].prefix[0]
            prefix = (replace(first, text=first.text[:1].upper() + first.text[1:]), *cites[0].prefix[1:])
            cites = (replace(cites[0], prefix=prefix), *cites[1:])
        self._end_note(state, groups)
        note = Note(number=number, key=key, chapter=state.source.index, location=location, cites=cites)
        state.notes.append(note)
        call = NoteCall(note, location, after_call=self._after_call(before))
        return (CiteAuthor(cites[0].source, location), call) if in_text and cites else call

    def _call_note(
        self, state: _ChapterState, node: NoteRef | InlineNote, location: Location, before: list[Inline]
    ) -> Inline:
        if isinstance(node, InlineNote):
            label, content = "^[…]", node.content
        else:
            label = node.label
            if label not in state.definitions:
                self.report.error("note-undefined", location, f"note '[^{label}]' is called but never defined")
                return node
            if label in state.called:
                self.report.error(
                    "note-called-twice", location, f"note '[^{label}]' is called twice; call a note once"
                )
                return node
            state.called.add(label)
            content = state.definitions[label].content
            label = f"[^{label}]"
        number, key = self._new_note(state, location)
        groups: list[tuple[Cite, ...]] = []
        blocks = self._note_blocks(state, content, label, groups)
        self._end_note(state, groups)
        note = Note(
            number=number, key=key, chapter=state.source.index, location=location, blocks=tuple(blocks)
        )
        state.notes.append(note)
        return NoteCall(note, location, after_call=self._after_call(before))

    def _note_blocks(
        self, state: _ChapterState, blocks: tuple[Block, ...], label: str, groups: list[tuple[Cite, ...]]
    ) -> tuple[Block, ...]:
        """A note's blocks, resolved: paragraphs, lists, quotations, code, definitions, line blocks,
        divs. Headings, tables, figures, raw HTML and generated blocks have no place at the foot of
        a page: each is an error at its line."""
        out: list[Block] = []
        for block in blocks:
            if isinstance(block, _NOT_IN_NOTES):
                self.report.error(
                    "note-block", Location(block.location.path, block.location.line, 1),
                    f"note '{label}' holds a {_block_name(block)}; a note holds paragraphs, lists, quotations, "
                    "code and definitions: move it into the text",
                )
                continue
            out.append(
                rebuild(
                    block,
                    lambda inner: self._note_blocks(state, inner, label, groups),
                    lambda inlines: self._inlines(state, inlines, _Inlines(in_note=True, groups=groups)),
                )
            )
        return tuple(out)

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
        self, state: _ChapterState, node: Citation, location: Location, groups: list[tuple[Cite, ...]] | None,
        suppress: bool = False,
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
                self.report.error("source-unknown", item.location, self._unknown_source(item.id))
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
            cites.append(
                Cite(
                    source, item.locator, position, location,
                    prefix=self._inlines(state, item.prefix, _Inlines(in_note=True)),
                    label=item.label,
                    suffix=self._inlines(state, item.suffix, _Inlines(in_note=True)),
                    suppress_author=suppress or item.mode == "suppress-author",
                )
            )
        group = tuple(cites)
        if groups is not None and group:
            groups.append(group)
        return group

    def _unknown_source(self, ident: str) -> str:
        """The message for an unknown key, with the closest keys of the sources (a typo, an export's suffix)."""
        close = difflib.get_close_matches(ident, list(self.sources), n=3, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown source '@{ident}' (not in sources){hint}"

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
        path = unquote(parts.path)  # markdown-it gives `images/%C3%A9t%C3%A9.png` for `images/été.png`
        candidates = [(chapter_dir / path).resolve(), (self.root / path).resolve()]
        target = next((c for c in candidates if c.is_file()), None)
        if target is None:
            self.report.error("image-missing", location, f"image '{src}' not found")
            return image
        if not target.is_relative_to(self.root):
            self.report.error("image-outside", location, f"image '{src}' is outside the dossier")
            return image
        try:
            found = identify(target)
        except ImageProblem as problem:
            self.report.error("image-format", location, f"'{src}' {problem}")
            return image
        if found.misnamed:
            self.report.warning(
                "image-misnamed", location,
                f"'{src}' holds a {found.kind} image (its name says otherwise): read as {found.kind}; "
                f"rename it '{target.stem}{FORMATS[found.format][1][0]}'",
            )
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
            candidates = self.by_path[state.source.path]  # `#section` in the same file
        else:
            candidates = self.by_path.get((state.source.path.parent / unquote(parts.path)).resolve(), [])
        other = _chapter_with(candidates, parts.fragment, state)
        if other is None:
            message = f"link to '{parts.path}', which is not a chapter of the dossier"
            self.report.error("link-chapter", location, message)
            return link
        anchor = other.anchor
        if parts.fragment in other.aliases:
            return replace(link, xref=XRef(f"{other.anchor}.xhtml", other.aliases[parts.fragment]))
        if parts.fragment:
            slugs = {h.anchor.removeprefix(f"{other.anchor}-") for h in other.headings}
            if parts.fragment not in slugs:
                where = parts.path or state.source.path.name
                self.report.error("link-anchor", location, f"no section '#{parts.fragment}' in '{where}'")
                return link
            anchor = f"{other.anchor}-{parts.fragment}"
        return replace(link, xref=XRef(f"{other.anchor}.xhtml", anchor))

def _chapter_with(candidates: list[_ChapterState], fragment: str, current: _ChapterState) -> _ChapterState | None:
    """Of a file's chapters, the one holding the section `fragment` (the current one first), else its first."""
    if not candidates:
        return None
    ordered = sorted(candidates, key=lambda c: c is not current)
    for candidate in ordered:
        ids = {h.anchor for h in candidate.headings}
        if fragment in candidate.aliases or f"{candidate.anchor}-{fragment}" in ids:
            return candidate
    return current if current in candidates and not fragment else candidates[0]


def _is_ibid(previous: Cite | None, source: Source, locator: str | None, group_size: int) -> bool:
    if previous is None or group_size != 1 or previous.source is not source:
        return False
    return not (previous.locator and not locator)


def _block_name(block: Block) -> str:
    """A block's name, as a message gives it."""
    return {
        Header: "heading", Table: "table",
        HorizontalRule: "hr", RawBlock: "raw HTML block", Generated: "generated block", Figure: "figure",
        PageBreak: "page break",
    }.get(type(block), type(block).__name__.lower())


def resolve(dossier: Dossier, report: Report) -> Book:
    book = Resolver(dossier, report).resolve()
    report.raise_if_errors()
    return book
