"""The data model every stage reads: plain typed objects flowing load → resolve → render → write.

`load` produces a `Dossier` (what the files say), `resolve` turns it into a `Book` (notes
numbered, citations placed, cross-references checked), `render` turns the book into documents.
"""

from __future__ import annotations

import datetime as dt
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
    sources: str = "sources.yaml"
    glossary: str | None = None
    history: tuple[Edition, ...] = ()
    layout: LayoutOptions = LayoutOptions()

    @property
    def language(self) -> str:
        """BCP 47 language tag (`fr-FR`) for `lang` attributes and metadata."""
        return self.locale.replace("_", "-")


@dataclass(frozen=True)
class CslDate:
    """A CSL date: year, optionally month and day (sources are often dated to the month)."""

    year: int
    month: int | None = None
    day: int | None = None

    def iso(self) -> str:
        parts = [f"{self.year:04d}"]
        if self.month:
            parts.append(f"{self.month:02d}")
            if self.day:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)


@dataclass
class Source:
    """One CSL item. `fields` holds the CSL variables, dates parsed into `CslDate`."""

    id: str
    type: str
    fields: dict[str, Any]
    location: Location

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)


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
    locator: str | None
    position: Position
    location: Location
    prefix: str | None = None


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
