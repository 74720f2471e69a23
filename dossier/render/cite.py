"""What the citation templates need from sources: names, kinds, sort order, date choices.

The style itself (order of elements, punctuation, italics) is in the layout's
`partials/cite.html.j2`; this module only prepares values, in the dossier's locale.
"""

from __future__ import annotations

from dataclasses import dataclass

from dossier.model import Source
from dossier.resolve import sort_key

# Bibliography groups, in the order they are printed, and the CSL types each holds.
GROUPS: tuple[tuple[str, frozenset[str]], ...] = (
    ("official", frozenset({"legislation", "bill", "regulation", "treaty", "legal_case", "hearing", "speech", "standard"})),
    ("press", frozenset({"article-newspaper", "article-magazine", "broadcast", "interview", "post", "post-weblog", "webpage", "article"})),
    ("reports", frozenset({"report", "article-journal", "paper-conference", "thesis", "dataset", "document", "manuscript", "pamphlet"})),
    ("books", frozenset({"book", "chapter", "collection", "entry", "entry-dictionary", "entry-encyclopedia", "classic"})),
)


def group_of(source: Source) -> str:
    """The bibliography group: a `dossier-group` field wins, else the CSL type decides."""
    explicit = source.get("dossier-group")
    if explicit in {name for name, _ in GROUPS}:
        return explicit
    for name, types in GROUPS:
        if source.type in types:
            return name
    return "reports"


def format_name(name: dict[str, str]) -> str:
    """`Given Family` for persons (French notes put the given name first), literal as is."""
    if "literal" in name:
        return name["literal"]
    parts = [name.get("given", ""), name.get("dropping-particle", ""), name.get("non-dropping-particle", ""), name.get("family", "")]
    return " ".join(p for p in parts if p)


def sort_name(name: dict[str, str]) -> str:
    if "literal" in name:
        return name["literal"]
    return f"{name.get('family', '')} {name.get('given', '')}"


def creators(source: Source) -> list[str]:
    return [format_name(n) for n in source.get("author") or source.get("editor") or []]


def entry_sort_key(source: Source) -> tuple:
    """Bibliographies sort by first author (or title), in the locale's collation."""
    names = source.get("author") or source.get("editor") or []
    first = sort_name(names[0]) if names else str(source.get("title", ""))
    issued = source.get("issued")
    return (sort_key(first), sort_key(str(source.get("title", ""))), issued.iso() if issued else "")


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
