"""The data model every stage reads: plain typed objects flowing load → resolve → render → write.

`load` produces a `Dossier` (what the files say), `resolve` turns it into a `Book` (notes
numbered, citations placed, cross-references checked), `render` turns the book into documents.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from dossier.errors import Location
from dossier.formats.pdf import Paper
from dossier.nodes import Block, Inline, NoteDefinition

Role = Literal["front", "body", "back"]
NoteNumbering = Literal["chapter", "continuous"]
RawHtmlPolicy = Literal["sanitize", "refuse"]


# --- load ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edition:
    number: int
    date: dt.date
    summary: str


@dataclass(frozen=True)
class LayoutOptions:
    name: str = "default"
    paper: Paper = "A4"
    notes: NoteNumbering = "chapter"
    raw_html: RawHtmlPolicy = "sanitize"
    path: Path | None = None  # a house layout's folder ([layout] path), resolved


@dataclass(frozen=True)
class Layout:
    """The layout a build uses, read from its folders' layout.toml (dossier.load.layout)."""

    dirs: tuple[Path, ...]  # where templates and stylesheets are looked up: a house folder first
    fonts: tuple[Path, ...] = ()  # the fonts its folders declare, with their licences
    stylesheets: tuple[tuple[str, Path], ...] = ()  # (format, sheet) a house layout adds after the others
    formats: tuple[str, ...] = ()  # the outputs it styles (a layout that extends none styles only these)
    extends: bool = True
    house: Path | None = None  # a house layout's folder: data, not trusted code
    # where the house stylesheets name each file (a missing one is reported there)
    references: tuple[tuple[Path, Location], ...] = ()


@dataclass(frozen=True)
class Config:
    """dossier.toml, validated."""

    root: Path
    path: Path
    title: str
    authors: tuple[str, ...]
    publisher: str
    locale: str
    identifier: str
    slug: str
    chapters: tuple[str, ...]
    edition: Edition
    subtitle: str | None = None
    description: str | None = None
    rights: str | None = None  # the EPUB's dc:rights; by default the authors' copyright of the edition's year
    subjects: tuple[str, ...] = ()
    date: dt.date | None = None
    sources: tuple[str, ...] = ("sources.yaml",)  # CSL-YAML, CSL-JSON or BibLaTeX files, read in order
    glossary: str | None = None
    nocite: tuple[str, ...] = ()  # source ids (`@id` or `id`), or `@*` for every source
    history: tuple[Edition, ...] = ()
    layout: LayoutOptions = LayoutOptions()
    check_spelling: bool = True  # `[check] spelling = false` switches `dossier check`'s spell check off
    ignore: frozenset[str] = frozenset()  # warning codes silenced ([diagnostics] ignore)
    layout_files: Layout | None = None  # the layout's folders, fonts and stylesheets (None: the shipped `layout.name`)

    @property
    def language(self) -> str:
        """BCP 47 language tag (`fr-FR`) for `lang` attributes and metadata."""
        return self.locale.replace("_", "-")


@dataclass(frozen=True)
class CslDate:
    """A CSL date as precise as the source gives it: a year (negative before the common era:
    -50 is 50 BC, as CSL counts), a month or a season (1 spring … 4 winter), a day; `circa`
    for an approximate date, `end` for a range (`2020–2021`), or only a `literal` text that
    is printed as written (`in press`, `7 August 2012, 9:22`)."""

    year: int | None
    month: int | None = None
    day: int | None = None
    season: int | None = None
    circa: bool = False
    literal: str | None = None
    end: CslDate | None = None

    def iso(self) -> str:
        """ISO 8601 for sorting (years before the common era are signed), empty for a literal."""
        if self.year is None:
            return ""
        parts = [f"{self.year:04d}" if self.year >= 0 else f"-{-self.year:04d}"]
        if self.month:
            parts.append(f"{self.month:02d}")
            if self.day:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)


@dataclass(frozen=True)
class Styled:
    """Part of a title with a style of its own: `i`, `b`, `sup`, `sub`, `sc` (small capitals),
    `nocase` (to be left as written), or `span` (only a language: `[…]{lang=ru}`)."""

    style: Literal["i", "b", "sup", "sub", "sc", "nocase", "span"]
    children: tuple[str | Styled, ...]
    lang: str | None = None

    def __str__(self) -> str:
        return "".join(str(c) for c in self.children)


@dataclass(frozen=True)
class Rich:
    """A title (or another text field) with CSL rich text (`<i>…</i>`, `<span class="nocase">`)
    or Pandoc Markdown (`*…*`, `[…]{.smallcaps}`) read into plain text and styled parts."""

    children: tuple[str | Styled, ...]

    def __str__(self) -> str:
        return "".join(str(c) for c in self.children)

    def __bool__(self) -> bool:
        return bool(str(self))


@dataclass
class Source:
    """One CSL item. `fields` holds the CSL variables, dates parsed into `CslDate`."""

    id: str
    type: str
    fields: dict[str, Any]
    location: Location

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    def text(self, name: str) -> str:
        """A field as plain text (a title's styles left out), empty when missing."""
        value = self.fields.get(name)
        return "" if value is None else str(value)

    @property
    def anchor(self) -> str:
        """An `id` for the source's bibliography entry: the id itself when it is a plain name,
        else a readable form with a digest (Zotero's ids are URLs, which an XML id cannot be)."""
        return source_anchor(self.id)


_PLAIN_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")  # after `source-`: a valid XML id


def source_anchor(ident: str) -> str:
    if _PLAIN_ID.match(ident):
        return ident
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "-", ident).strip("-.")[-40:]
    digest = hashlib.sha1(ident.encode()).hexdigest()[:8]
    return f"{readable}-{digest}" if readable else f"s-{digest}"


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    expansion: str | None
    definition: tuple[Inline, ...]
    lang: str | None
    location: Location


@dataclass
class ChapterSource:
    """A chapter as read: its blocks and note definitions, as typed nodes (`dossier.nodes`)."""

    path: Path
    index: int
    text: str
    body: tuple[Block, ...]
    notes: tuple[NoteDefinition, ...]
    meta: dict[str, Any]
    title: str
    role: Role = "body"
    lang: str | None = None
    front_matter: str | None = None  # as written
    part: int = 0  # a file holding several `# ` chapters: this one's place in it


@dataclass
class Dossier:
    """Everything the dossier folder says, before notes and citations are resolved."""

    config: Config
    chapters: list[ChapterSource]
    sources: dict[str, Source]
    glossary: list[GlossaryEntry] = field(default_factory=list)


# --- resolve ------------------------------------------------------------------------------

Position = Literal["first", "ibid", "subsequent"]


@dataclass(frozen=True)
class Cite:
    """One citation of a source, with its place in the sequence of notes (for Ibid.)."""

    source: Source
    locator: str | None  # the locator's value (`12`, `33-35`), printed after its label
    position: Position
    location: Location
    prefix: tuple[Inline, ...] = ()  # Markdown, as written before the key (`see`)
    label: str | None = None  # the locator's CSL type (`page`, `chapter`, `article-locator`…)
    suffix: tuple[Inline, ...] = ()  # Markdown, as written after the locator (`and passim`)
    suppress_author: bool = False  # `[-@a]`: the author is named in the text already


@dataclass(frozen=True)
class Note:
    """A note: written by an editor (`blocks`) or made from a citation in the text (`cites`)."""

    number: int
    key: str
    chapter: int
    location: Location
    blocks: tuple[Block, ...] | None = None
    cites: tuple[Cite, ...] = ()


@dataclass
class Heading:
    level: int
    text: str
    anchor: str
    listed: bool = True  # `{.unlisted}`: not in the contents nor the navigation


@dataclass
class Chapter:
    """A resolved chapter: its body's `NoteCall` nodes point at its notes."""

    source: ChapterSource
    number: int
    anchor: str
    file_name: str
    headings: list[Heading]
    body: tuple[Block, ...]
    notes: list[Note]
    blocks: set[str] = field(default_factory=set)

    @property
    def title(self) -> str:
        return self.source.title

    @property
    def sections(self) -> list[tuple[Heading, list[Heading]]]:
        """The contents of the chapter: its listed `## ` sections, each with its `### ` ones
        (a `### ` before any `## ` stands on its own)."""
        out: list[tuple[Heading, list[Heading]]] = []
        for heading in self.headings:
            if not heading.listed or heading.level > 3:
                continue
            if heading.level == 3 and out and out[-1][0].level == 2:
                out[-1][1].append(heading)
            else:
                out.append((heading, []))
        return out

    @property
    def role(self) -> Role:
        return self.source.role


@dataclass(frozen=True)
class EditionChanges:
    """The chapters whose text changed since the previous edition, as its build recorded them."""

    since: int
    changed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass
class Book:
    """The resolved dossier, ready to render."""

    config: Config
    chapters: list[Chapter]
    sources: dict[str, Source]
    cited: list[str]
    glossary: list[GlossaryEntry]
    images: list[Path]
    changes: EditionChanges | None = None  # set by the build from the output folder's manifest
