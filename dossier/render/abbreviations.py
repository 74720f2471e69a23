"""Initialisms in the EPUB's text marked up as such: `<abbr title="expansion">OTSC</abbr>`.

The glossary knows them (a term written in capitals, with its expansion): every occurrence
of one as a word in a chapter's text gets its `abbr`, so that a screen reader can spell it or
give the expansion and a reading system can show it (WCAG 3.1.4). Not inside links, code,
definitions (the glossary's own terms) or another `abbr`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lxml import etree

from dossier.model import GlossaryEntry

XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SKIPPED = frozenset(f"{XHTML}{tag}" for tag in ("a", "abbr", "code", "pre", "dfn", "kbd", "samp", "title", "head"))
_INITIALISM = re.compile(r"^(?=(?:[^A-Z]*[A-Z]){2})[A-Z0-9][A-Z0-9&./-]*[A-Z0-9]$")


def initialisms(glossary: Iterable[GlossaryEntry]) -> dict[str, GlossaryEntry]:
    """The glossary's initialisms (`OTSC`, `RFE/RL`: capitals, with an expansion), by term."""
    return {e.term: e for e in glossary if e.expansion and _INITIALISM.match(e.term)}


def mark_abbreviations(root: Any, entries: dict[str, GlossaryEntry]) -> None:
    """Wrap every whole-word occurrence of an initialism in the text under `root`."""
    if not entries:
        return
    words = sorted(entries, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w/&.-])(" + "|".join(re.escape(w) for w in words) + r")(?![\w/&-]|\.\w)")
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or _skipped(element):
            continue
        _mark_text(element, pattern, entries)
        for child in list(element):
            if child.tail:
                _mark_tail(child, pattern, entries)


def _skipped(element: Any) -> bool:
    while element is not None:
        if element.tag in SKIPPED:
            return True
        element = element.getparent()
    return False


def _abbr(entry: GlossaryEntry, text: str, tail: str) -> Any:
    abbr = etree.Element(f"{XHTML}abbr", {"title": entry.expansion or ""})
    if entry.lang:
        abbr.set("lang", entry.lang)
        abbr.set(XML_LANG, entry.lang)
    abbr.text = text
    abbr.tail = tail
    return abbr


def _split(text: str, pattern: re.Pattern[str], entries: dict[str, GlossaryEntry]) -> tuple[str, list[Any]]:
    """The text before the first initialism, and the `abbr` elements (each with the text after it)."""
    pieces = pattern.split(text)
    head, made = pieces[0], []
    for index in range(1, len(pieces), 2):
        made.append(_abbr(entries[pieces[index]], pieces[index], pieces[index + 1]))
    return head, made


def _mark_text(element: Any, pattern: re.Pattern[str], entries: dict[str, GlossaryEntry]) -> None:
    if not element.text or not pattern.search(element.text):
        return
    head, made = _split(element.text, pattern, entries)
    element.text = head
    for position, abbr in enumerate(made):
        element.insert(position, abbr)


def _mark_tail(child: Any, pattern: re.Pattern[str], entries: dict[str, GlossaryEntry]) -> None:
    if not pattern.search(child.tail):
        return
    head, made = _split(child.tail, pattern, entries)
    child.tail = head
    anchor = child
    for abbr in made:
        anchor.addnext(abbr)
        anchor = abbr
