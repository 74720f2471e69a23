"""What the citation templates need from sources: names, kinds, sort order, groups.

The style itself (order of elements, punctuation, italics) is in the layout's
`partials/cite.html.j2`: each language's usage (French notes modelled on ISO 690), in docs/format.md.
Our own formatter rather than citeproc-py: citeproc-py ships no French note style (we would
write the CSL anyway), counts Ibid. over citations rather than over our notes, and returns
strings where our notes need links and `lang` attributes set by the layout's templates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

from dossier.l10n.languages import title_language
from dossier.model import Source
from dossier.resolve import sort_key

# Bibliography groups, in the order they are printed, and the CSL types each holds.
GROUPS: tuple[tuple[str, frozenset[str]], ...] = (
    ("official", frozenset({
        "legislation", "bill", "regulation", "treaty", "legal_case", "hearing", "speech", "standard",
    })),
    ("press", frozenset({
        "article-newspaper", "article-magazine", "broadcast", "interview", "post", "webpage", "article",
    })),
    ("reports", frozenset({
        "report", "article-journal", "post-weblog", "paper-conference", "thesis", "dataset", "document",
        "manuscript", "pamphlet",
    })),
    ("books", frozenset({
        "book", "chapter", "collection", "entry", "entry-dictionary", "entry-encyclopedia", "classic",
    })),
)
# Titles of works published on their own are set in italics; parts of a whole in quotes.
WORK_TYPES = frozenset({
    "book", "report", "thesis", "collection", "motion_picture", "dataset", "software", "classic", "pamphlet",
})
# A later note on an article says "art. cit." (article cité); on anything else "op. cit.".
ARTICLE_TYPES = frozenset({
    "article", "article-journal", "article-magazine", "article-newspaper", "post", "post-weblog", "chapter",
})


def group_of(source: Source) -> str:
    """The bibliography group: a `dossier-group` field wins, else the CSL type decides."""
    explicit = source.text("dossier-group")
    if explicit in {name for name, _ in GROUPS}:
        return explicit
    for name, types in GROUPS:
        if source.type in types:
            return name
    return "reports"


NameOrder = Literal["given", "family"]
NBSP = "\u00a0"


def format_name(name: dict[str, str], inverted: bool = False) -> str:
    """`Given Family` for persons (notes put the given name first), `Family, Given` inverted
    (the first name of a bibliography entry), an institution's literal name as is."""
    if "literal" in name:
        return name["literal"]
    family = " ".join(p for p in (name.get("non-dropping-particle"), name.get("family")) if p)
    given = " ".join(p for p in (name.get("given"), name.get("dropping-particle")) if p)
    if inverted and given:
        return f"{family}, {given}"
    return " ".join(p for p in (given, family) if p)


def _initials(given: str) -> list[str]:
    return ["-".join(f"{part[0]}." for part in word.split("-") if part) for word in given.split()]


def short_name(name: dict[str, str]) -> str:
    """`K.-J. Tokayev`: a later note gives the initials of a person's given names."""
    if "literal" in name:
        return name["literal"]
    family = " ".join(p for p in (name.get("non-dropping-particle"), name.get("family")) if p)
    return " ".join(p for p in (" ".join(_initials(name.get("given", ""))), family) if p)


def family_first(name: dict[str, str]) -> str:
    """`Токаев К.-Ж.` (ГОСТ Р 7.0.5–2008: family name, then initials, joined by no-break spaces)."""
    if "literal" in name:
        return name["literal"]
    family = " ".join(p for p in (name.get("non-dropping-particle"), name.get("family")) if p)
    return NBSP.join(p for p in (family, *_initials(name.get("given", ""))) if p)


def _names(source: Source) -> tuple[list[dict[str, str]], bool]:
    """The source's creators: its authors, else its editors (then flagged `True`)."""
    if source.get("author"):
        return source.get("author"), False
    return source.get("editor") or [], bool(source.get("editor"))


def creators(source: Source, form: str = "long", order: NameOrder = "given") -> dict[str, object]:
    """Names for the template: `long` (notes), `short` (later notes), `bib` (first inverted);
    in `family` order (Russian usage) every form is `Family I. I.`."""
    names, editors = _names(source)
    if order == "family":
        shown = [family_first(n) for n in names]
    elif form == "short":
        shown = [short_name(n) for n in names]
    else:
        shown = [format_name(n, inverted=form == "bib" and i == 0) for i, n in enumerate(names)]
    return {
        "names": shown[:1] if len(shown) > 3 else shown, "et_al": len(shown) > 3, "editors": editors,
        "count": len(shown),
    }


def editors(source: Source, order: NameOrder = "given") -> list[str]:
    """The editors of the book a chapter belongs to (`in X (dir.), Livre`)."""
    if not source.get("author"):
        return []
    return [family_first(n) if order == "family" else format_name(n) for n in source.get("editor") or []]


def lower_first(text: str) -> str:
    """`Allocution télévisée` → `allocution télévisée` after a comma; acronyms (`OTSC`) kept."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def is_work(source: Source) -> bool:
    return source.type in WORK_TYPES


def is_article(source: Source) -> bool:
    return source.type in ARTICLE_TYPES


def law_title(source: Source) -> tuple[str, str] | None:
    """A law's title split where its number and date go: `Loi` | ` relative à …` (genre `Loi`,
    title `Loi relative à …`), `Loi` | ` relative à …` too when the title leaves the genre out.
    None when there is no genre or the title already gives the number (`Loi n° 2020-290 du …`)."""
    genre, title = source.text("genre"), source.text("title")
    number = source.text("number")
    if not genre or (number and number in title):
        return None
    if title.casefold().startswith(genre.casefold()):
        return title[: len(genre)], title[len(genre) :]
    return genre, f" {title}"


def entry_sort_key(source: Source) -> tuple:
    """Bibliographies sort by first author's family name (or title), in the locale's collation."""
    names, _ = _names(source)
    first = format_name(names[0], inverted=True) if names else source.text("title")
    issued = source.get("issued")
    return (sort_key(first), sort_key(source.text("title")), issued.iso() if issued else "")


@dataclass
class Group:
    name: str
    sources: list[Source]


def bibliography(sources: list[Source]) -> list[Group]:
    groups = []
    for name, _ in GROUPS:
        members = sorted((s for s in sources if group_of(s) == name), key=entry_sort_key)
        if members:
            groups.append(Group(name, members))
    return groups


# -- what the style's templates put together -------------------------------------------------

_RANGE = re.compile(r"(?<=\w)\s*(?:-{1,3}|\u2010|\u2011|\u2012|\u2013|\u2014)\s*(?=\w)")


@dataclass(frozen=True)
class Pages:
    text: str
    count: int  # 1 for a page, 2 for a range or a list (`pp.` in English)


def page_range(value: object, dash: str | None) -> Pages:
    """A `page` field: `45-67` → `45–67` with the style's dash (None: as written, French usage)."""
    text = str(value).strip()
    several = bool(_RANGE.search(text)) or any(c in text for c in ",;&+")
    return Pages(_RANGE.sub(dash, text) if dash else text, 2 if several else 1)


def elements(parts: list[tuple[str, object]]) -> Markup:
    """The elements of a reference, each after its separator (none before the first, and no
    second full stop where an element ends with one: `Иванов И. И. Название`)."""
    out = Markup("")
    for separator, part in parts:
        piece = part if isinstance(part, Markup) else escape(str(part))
        if not piece.striptags().strip():
            continue
        if out:
            if separator.startswith(".") and out.striptags().rstrip()[-1:] in ".?!":
                separator = separator[1:]
            out += escape(separator)
        out += piece
    return out


def title_lang(source: Source, field: str, locale: str) -> str | None:
    """The `lang` of one of a source's titles, when it is not the dossier's: a title with an
    `original-title` is the dossier's own (a translation); the others are in the source's
    `language` where they can be (dossier.l10n.languages.title_language)."""
    if field in ("title", "title-short") and source.get("original-title"):
        return None
    return title_language(source.text(field), source.get("language"), locale)
