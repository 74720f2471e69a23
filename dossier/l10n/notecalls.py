"""Where a note call stands against punctuation, per language, on a rendered tree.

French (and Russian) set the call before the punctuation it belongs with (`tenges¹.`), English
and German after it (`tenges.¹`: New Hart's Rules 2nd ed., 14.2.2; The Chicago Manual of Style,
17th ed., 14.26; Duden, "Fußnoten"). Writers put their calls where their own language
wants them, or before the full stop as Pandoc's Markdown examples do; this pass moves the
punctuation that directly follows a call (with a closing quotation mark after it) before the
call in the languages that want it there. Applying it twice changes nothing.
"""

from __future__ import annotations

import re

from lxml import etree

# Languages whose note calls follow the punctuation.
AFTER_PUNCTUATION = frozenset({"en", "de"})
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PUNCTUATION = re.compile(r"^[.,;:!?…]+[”’»\"']?")
_CALL_PARTS = {("sup", "noteref"), ("a", "noteref"), ("span", "footnote"), ("span", "call-sep")}


def _local(element: etree._Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def _is_call_part(element: etree._Element) -> bool:
    classes = (element.get("class") or "").split()
    return any((_local(element), c) in _CALL_PARTS for c in classes)


def _language(element: etree._Element, default: str) -> str:
    for node in element.iterancestors():
        tag = node.get(XML_LANG) or node.get("lang")
        if tag:
            return re.split(r"[-_]", tag.lower(), maxsplit=1)[0]
    return re.split(r"[-_]", default.lower(), maxsplit=1)[0]


def _groups(root: etree._Element) -> list[list[etree._Element]]:
    """Runs of call elements side by side (a call, its print footnote, a second call…)."""
    groups: list[list[etree._Element]] = []
    for element in root.iter():
        if not _is_call_part(element) or any(_is_call_part(a) for a in element.iterancestors()):
            continue
        previous = element.getprevious()
        if groups and previous is groups[-1][-1] and not (previous.tail or ""):
            groups[-1].append(element)
        else:
            groups.append([element])
    return groups


def place_note_calls(root: etree._Element, locale: str) -> None:
    """Move the punctuation after a note call before it, where the language wants the call after."""
    for group in _groups(root):
        first, last = group[0], group[-1]
        if _language(first, locale) not in AFTER_PUNCTUATION:
            continue
        match = _PUNCTUATION.match(last.tail or "")
        if not match:
            continue
        last.tail = (last.tail or "")[match.end():]
        previous = first.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "").rstrip() + match.group()
        else:
            parent = first.getparent()
            parent.text = (parent.text or "").rstrip() + match.group()
