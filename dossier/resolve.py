"""Resolve stage: number notes, turn citations into notes, place Ibid., check every reference.

Works over the whole dossier at once (notes and citations span chapters) and leaves tokens
ready to render: every note call is a `note_ref` token whose meta holds its `Note`, every
citation inside a note carries its `Cite` objects, links between chapters know their target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markdown_it.token import Token

from dossier.errors import Location, Report
from dossier.load.blocks import Block
from dossier.load.config import slugify
from dossier.load.markdown import directive_name, locate_inline
from dossier.model import Book, Chapter, ChapterSource, Cite, Dossier, Heading, Note

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
    definitions: dict[str, tuple[list[Token], Location]] = field(default_factory=dict)
    called: set[str] = field(default_factory=set)
    notes: list[Note] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    blocks: set[str] = field(default_factory=set)


class Resolver:
    def __init__(self, dossier: Dossier, report: Report) -> None:
        self.dossier = dossier
        self.report = report
        self.root = dossier.config.root
        self.sources = dossier.sources
        self.cited: dict[str, None] = {}
        self.images: dict[Path, None] = {}
        self.note_count = 0
        self.states = [
            _ChapterState(source=c, anchor=f"ch{c.index + 1}") for c in dossier.chapters
        ]
        self.by_path = {c.path: s for c, s in zip(dossier.chapters, self.states, strict=True)}

    # -- the whole book ---------------------------------------------------------------------

    def resolve(self) -> Book:
        for state in self.states:
            state.source.tokens = self._collect_definitions(state)
            self._collect_headings(state)
        chapters = [self._resolve_chapter(state, number) for number, state in enumerate(self.states, 1)]
        self._place_cites(chapters)
        self._warn_uncited()
        return Book(
            config=self.dossier.config,
            chapters=chapters,
            sources=self.sources,
            cited=list(self.cited),
            glossary=sorted(self.dossier.glossary, key=lambda g: sort_key(g.term)),
            images=list(self.images),
        )

    def _warn_uncited(self) -> None:
        for ident, source in self.sources.items():
            if ident not in self.cited:
                self.report.warning("source-uncited", source.location, f"source '{ident}' is never cited")

    # -- per chapter ------------------------------------------------------------------------

    def _collect_definitions(self, state: _ChapterState) -> list[Token]:
        """Take `[^label]: …` definitions out of the token stream, keyed by label."""
        kept: list[Token] = []
        tokens = state.source.tokens
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.type != "footnote_reference_open":
                kept.append(token)
                i += 1
                continue
            depth, j = 1, i + 1
            while depth:
                depth += {"footnote_reference_open": 1, "footnote_reference_close": -1}.get(tokens[j].type, 0)
                j += 1
            label = token.meta["label"]
            location = Location(state.source.path, (token.map[0] + 1) if token.map else None, 1)
            if label in state.definitions:
                first = state.definitions[label][1]
                self.report.error(
                    "note-duplicate", location, f"note '[^{label}]' is defined twice (first at line {first.line})"
                )
            else:
                state.definitions[label] = (tokens[i + 1 : j - 1], location)
            i = j
        return kept

    def _collect_headings(self, state: _ChapterState) -> None:
        used: set[str] = set()
        tokens = state.source.tokens
        for i, token in enumerate(tokens):
            if token.type != "heading_open":
                continue
            if token.tag == "h1":
                token.attrSet("id", state.anchor)
                continue
            text = "".join(c.content for c in tokens[i + 1].children or [] if c.type in ("text", "code_inline"))
            slug = base = slugify(text)
            n = 2
            while slug in used:
                slug, n = f"{base}-{n}", n + 1
            used.add(slug)
            anchor = f"{state.anchor}-{slug}"
            token.attrSet("id", anchor)
            token.meta["slug"] = slug
            state.headings.append(Heading(level=int(token.tag[1]), text=text.strip(), anchor=anchor))

    def _resolve_chapter(self, state: _ChapterState, number: int) -> Chapter:
        if self.dossier.config.layout.notes == "chapter":
            self.note_count = 0
        source = state.source
        lines = source.text.split("\n")
        for token in source.tokens:
            if token.type == "inline":
                self._resolve_inline(state, lines, token, in_note=False)
            elif name := directive_name(token):
                self._resolve_block(state, token.meta.get("block"), name)
        for label, (_, location) in state.definitions.items():
            if label not in state.called:
                self.report.warning("note-uncalled", location, f"note '[^{label}]' is defined but never called")
        return Chapter(
            source=source,
            number=number,
            anchor=state.anchor,
            file_name=f"{state.anchor}.xhtml",
            headings=state.headings,
            tokens=source.tokens,
            notes=state.notes,
            blocks=state.blocks,
        )

    def _resolve_block(self, state: _ChapterState, block: Block | None, name: str) -> None:
        state.blocks.add(name)
        if block is None:
            return
        if name == "chronology":
            for event in block.events:
                self._resolve_data_inline(state, event.event, event.location)
        if name == "glossary":
            for entry in sorted(self.dossier.glossary, key=lambda g: sort_key(g.term)):
                self._resolve_data_inline(state, entry.definition, entry.location)

    def _resolve_data_inline(self, state: _ChapterState, tokens: list[Token], location: Location) -> None:
        """Inline Markdown from a data file: locations point at the value in that file."""
        for token in tokens:
            if token.type == "inline":
                self._resolve_inline(state, None, token, in_note=False, fixed=location)

    def _resolve_inline(
        self,
        state: _ChapterState,
        lines: list[str] | None,
        inline: Token,
        *,
        in_note: bool,
        fixed: Location | None = None,
    ) -> None:
        def where(child: Token, snippet: str) -> Location:
            if fixed is not None or lines is None:
                return fixed or Location(state.source.path)
            pos = (child.meta or {}).get("pos", 0)
            return locate_inline(state.source.path, lines, inline.map, inline.content, pos, snippet)

        children = inline.children or []
        for index, child in enumerate(children):
            if child.type in ("citation", "footnote_ref") and not in_note and index:
                _trim_before_call(children[index - 1])
            if child.type == "citation":
                cites = self._cites(child, where(child, child.content))
                if in_note:
                    child.meta["cites"] = cites
                else:
                    note = self._new_note(state, where(child, child.content))
                    note.cites = cites
                    child.type, child.meta = "note_ref", {"note": note}
            elif child.type == "footnote_ref":
                label = child.meta["label"]
                location = where(child, f"[^{label}]")
                if in_note:
                    self.report.error("note-nested", location, f"a note cannot call another note ('[^{label}]')")
                    continue
                self._call_note(state, child, label, location, lines)
            elif child.type == "image":
                self._check_image(state, child, where(child, "!["))
            elif child.type == "link_open":
                self._resolve_link(state, child, where(child, "]("))

    def _call_note(
        self, state: _ChapterState, child: Token, label: str, location: Location, lines: list[str] | None
    ) -> None:
        if label not in state.definitions:
            self.report.error("note-undefined", location, f"note '[^{label}]' is called but never defined")
            return
        if label in state.called:
            self.report.error("note-called-twice", location, f"note '[^{label}]' is called twice; call a note once")
            return
        state.called.add(label)
        tokens, _ = state.definitions[label]
        note = self._new_note(state, location)
        note.tokens = tokens
        child.type, child.meta = "note_ref", {"note": note, "label": label}
        for token in tokens:
            if token.type == "inline":
                self._resolve_inline(state, lines, token, in_note=True)
            elif token.type not in ("paragraph_open", "paragraph_close"):
                line = token.map[0] + 1 if token.map else location.line
                self.report.error(
                    "note-block", Location(state.source.path, line, 1),
                    f"note '[^{label}]' holds a {token.type.split('_')[0]}; a note holds paragraphs only",
                )
                break

    def _new_note(self, state: _ChapterState, location: Location) -> Note:
        self.note_count += 1
        note = Note(
            number=self.note_count,
            key=f"{state.anchor}-n{len(state.notes) + 1}",
            chapter=state.source.index,
            location=location,
        )
        state.notes.append(note)
        return note

    def _cites(self, token: Token, location: Location) -> list[Cite]:
        cites = []
        for item in token.meta["items"]:
            ident = item["id"]
            source = self.sources.get(ident)
            if source is None:
                self.report.error("source-unknown", location, f"unknown source '@{ident}' (not in sources)")
                continue
            self.cited.setdefault(ident)
            cites.append(
                Cite(source, item["locator"], "first", location, prefix=item.get("prefix"))
            )
        return cites

    # -- images and links -------------------------------------------------------------------

    def _check_image(self, state: _ChapterState, token: Token, location: Location) -> None:
        src = str(token.attrGet("src") or "")
        if not token.children or not "".join(c.content for c in token.children).strip():
            self.report.error("image-alt", location, f"image '{src}' has no alternative text: write it in ![…]")
        parts = urlsplit(src)
        if parts.scheme or parts.netloc:
            self.report.error("image-remote", location, f"image '{src}' is not a file of the dossier")
            return
        chapter_dir = state.source.path.parent
        candidates = [(chapter_dir / parts.path).resolve(), (self.root / parts.path).resolve()]
        target = next((c for c in candidates if c.is_file()), None)
        if target is None:
            self.report.error("image-missing", location, f"image '{src}' not found")
            return
        if not target.is_relative_to(self.root):
            self.report.error("image-outside", location, f"image '{src}' is outside the dossier")
            return
        kind = IMAGE_TYPES.get(target.suffix.lower())
        if kind is None or not _is_image(target, kind):
            self.report.error("image-format", location, f"'{src}' is not a {kind or 'supported'} image")
            return
        relative = target.relative_to(self.root).as_posix()
        token.attrSet("src", relative)
        self.images.setdefault(target)

    def _resolve_link(self, state: _ChapterState, token: Token, location: Location) -> None:
        href = str(token.attrGet("href") or "")
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.endswith(".md"):
            return
        target = (state.source.path.parent / parts.path).resolve()
        other = self.by_path.get(target)
        if other is None:
            message = f"link to '{parts.path}', which is not a chapter of the dossier"
            self.report.error("link-chapter", location, message)
            return
        anchor = other.anchor
        if parts.fragment:
            slugs = {h.anchor.removeprefix(f"{other.anchor}-") for h in other.headings}
            if parts.fragment not in slugs:
                self.report.error("link-anchor", location, f"no section '#{parts.fragment}' in '{parts.path}'")
                return
            anchor = f"{other.anchor}-{parts.fragment}"
        token.meta["xref"] = {"file": f"{other.anchor}.xhtml", "anchor": anchor}

    # -- Ibid. and short forms --------------------------------------------------------------

    def _place_cites(self, chapters: list[Chapter]) -> None:
        """French usage: full reference first in each chapter, Ibid. right after, short later.

        Ibid. only follows a note whose one citation names the same source (a note without
        citations in between breaks the chain), as CSL's positions do; a citation without a
        locator after one with a locator takes the short form, since Ibid. would mean the same page.
        """
        for chapter in chapters:
            seen: set[str] = set()
            previous: Cite | None = None
            for note in chapter.notes:
                groups = _note_cites(note)
                for cites in groups:
                    for cite in cites:
                        if _is_ibid(previous, cite, len(cites)):
                            cite.position = "ibid"
                        elif cite.source.id in seen:
                            cite.position = "subsequent"
                        seen.add(cite.source.id)
                count = sum(len(cites) for cites in groups)
                previous = groups[0][0] if count == 1 else None


def _is_ibid(previous: Cite | None, cite: Cite, group_size: int) -> bool:
    if previous is None or group_size != 1 or previous.source is not cite.source:
        return False
    return not (previous.locator and not cite.locator)


def _trim_before_call(previous: Token) -> None:
    """A note call follows its word directly: `tenges [@x]` is set `tenges¹`."""
    if previous.type == "text":
        previous.content = previous.content.rstrip(" \t")


def _note_cites(note: Note) -> list[list[Cite]]:
    """The citation groups of a note, in reading order."""
    if note.cites:
        return [note.cites]
    groups = []
    for token in note.tokens or []:
        for child in token.children or []:
            if child.type == "citation" and child.meta.get("cites"):
                groups.append(child.meta["cites"])
    return groups


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
