"""Where lines may and may not break, beyond what the line breaker finds: in long runs of
text (a pasted URL, a 5 000-letter word), in addresses written in the text, and before the
last word of a heading.

The print stylesheet lets a block's own text break anywhere when a word is wider than the
measure, but not the text of inline elements (links, emphasis, code): WeasyPrint would break
their first word too eagerly (see print.css). So runs longer than any real word get break
opportunities at the places a URL may break (the same rule as the bibliography's addresses),
and at least every few characters, in both the print document and the EPUB. They are zero-width
spaces in the text itself: WeasyPrint does not break a line at a `<wbr/>` element between two
runs of a link's text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

from dossier.render.templates import WORD_JOINER, ZERO_WIDTH_SPACE, url_pieces

LONG_RUN = 30  # no word of the dossier's languages is this long; shorter runs are left alone
_LONG = re.compile(rf"[^\s\u200b]{{{LONG_RUN},}}")
_SKIP = {"pre", "script", "style", "title", "svg", "math"}


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _broken(text: str) -> str:
    """`text` with break opportunities in its long runs."""
    return _LONG.sub(lambda match: ZERO_WIDTH_SPACE.join(url_pieces(match.group())), text)


def break_long_runs(root: etree._Element) -> None:
    """Break opportunities in every long run of text under `root` (in place)."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or any(_local(a.tag) in _SKIP for a in element.iterancestors()):
            continue
        if _local(element.tag) not in _SKIP and element.text and _LONG.search(element.text):
            element.text = _broken(element.text)
        if element is not root and element.tail and _LONG.search(element.tail):
            element.tail = _broken(element.tail)


# ---- addresses in running text --------------------------------------------------------------

# A URL, an e-mail address or a bare domain name (`ptrk.qr-pib.kz`, `24.kg`) written in the
# text rather than as a link: set apart (`span.url`, never hyphenated: print.css) and given the
# URL's break opportunities, so that it never breaks after one of its own hyphens.
_ADDRESS = re.compile(
    r"(?:https?|ftp)://[^\s<>«»\"“”]+|www\.[^\s<>«»\"“”]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|(?<![\w@./-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,6}(?![\w-])(?:/[^\s<>«»\"“”]*)?"
)
_TRAILING = ".,;:!?)]»’'\""
_NOT_PROSE = {"a", "code", "pre", "kbd", "samp", "script", "style", "title", "svg", "math", "head"}


def mark_addresses(root: etree._Element) -> None:
    """Wrap every address of the text under `root` in `<span class="url">` with its break
    opportunities (in place). Links, code and `span.url` are left as they are."""
    namespace = etree.QName(root).namespace
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or (_local(element.tag) == "span" and element.get("class") == "url"):
            continue
        if _inside_verbatim(element):
            continue
        if element.text and _local(element.tag) not in _NOT_PROSE:
            _wrap_addresses(element, "text", namespace)
        if element is not root and element.tail and not _inside_verbatim(element.getparent()):
            _wrap_addresses(element, "tail", namespace)


def _inside_verbatim(element: etree._Element | None) -> bool:
    while element is not None:
        if _local(element.tag) in _NOT_PROSE or (_local(element.tag) == "span" and element.get("class") == "url"):
            return True
        element = element.getparent()
    return False


def _addresses(text: str) -> list[tuple[int, int]]:
    found = []
    for match in _ADDRESS.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _TRAILING:
            end -= 1
        if end - start >= 4 and not text[start:end].replace(".", "").isdigit():
            found.append((start, end))
    return found


def _wrap_addresses(element: etree._Element, attr: str, namespace: str | None) -> None:
    text = getattr(element, attr)
    spans = _addresses(text)
    if not spans:
        return
    tag = lambda name: f"{{{namespace}}}{name}" if namespace else name  # noqa: E731
    parent, position = (element, 0) if attr == "text" else (element.getparent(), element.getparent().index(element) + 1)
    setattr(element, attr, text[: spans[0][0]])
    for number, (start, end) in enumerate(spans):
        span = etree.Element(tag("span"), {"class": "url"})
        span.text = ZERO_WIDTH_SPACE.join(url_pieces(text[start:end]))
        following = spans[number + 1][0] if number + 1 < len(spans) else len(text)
        span.tail = text[end:following]
        parent.insert(position, span)
        position += 1


# ---- headings ---------------------------------------------------------------------------------

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
HEADING_CLASSES = {"title", "cover-title"}
BIND_LIMIT = 30  # characters: two last words longer than this may break (about 100 mm of a 17 pt heading: A5's measure)


BOUND = "bound"  # print.css: `span.bound { white-space: nowrap }`


def bind_last_words(root: etree._Element) -> None:
    """A heading (and the title page's title) never ends on a lone word: its last two words are
    held on one line, when the heading has three words or more and the last two are short
    enough to share a line in any measure. (The title page's and cover's titles are the block
    elements with those classes; a cited work's `span.title` is text of a note.)"""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        classes = set((element.get("class") or "").split())
        if _local(element.tag) in HEADINGS or (HEADING_CLASSES & classes and _local(element.tag) in {"h1", "p", "div"}):
            _bind(element)


def _bind(heading: etree._Element) -> None:
    """The last two words wrapped in `span.bound` (no-wrap), so that the text, the PDF's text
    layer and its outline keep a plain space a reader can search; when the two words are not in
    one text node (an emphasis across them), the space becomes a no-break space instead."""
    segments = list(_segments(heading))
    text = "".join(getattr(e, a) for e, a in segments)
    words = text.split()
    if len(words) < 3 or len(words[-2]) + len(words[-1]) + 1 > BIND_LIMIT:
        return
    last_space = text.rstrip().rfind(" ")
    if last_space < 0 or text[last_space + 1 :].strip() != words[-1]:
        return
    start = text.rfind(words[-2], 0, last_space)
    end = last_space + 1 + len(words[-1])
    offset = 0
    for element, attr in segments:
        value = getattr(element, attr)
        if offset <= last_space < offset + len(value):
            index = last_space - offset
            if offset <= start and end <= offset + len(value) and text[start:last_space] == words[-2]:
                _wrap(element, attr, start - offset, end - offset)
            else:
                setattr(element, attr, value[:index] + "\u00a0" + value[index + 1 :])
            return
        offset += len(value)


def _wrap(element: etree._Element, attr: str, start: int, end: int) -> None:
    """`span.bound` around `[start:end]` of the element's text or tail (in place)."""
    value = getattr(element, attr)
    namespace = etree.QName(element).namespace
    span = etree.Element(f"{{{namespace}}}span" if namespace else "span", {"class": BOUND})
    span.text = value[start:end]
    span.tail = value[end:]
    setattr(element, attr, value[:start])
    if attr == "text":
        element.insert(0, span)
    else:
        parent = element.getparent()
        parent.insert(parent.index(element) + 1, span)


def _segments(element: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    """The text nodes of a heading in reading order, notes and their calls left out."""
    if element.text:
        yield element, "text"
    for child in element:
        classes = set((child.get("class") or "").split()) if isinstance(child.tag, str) else set()
        if isinstance(child.tag, str) and not classes & {"footnote", "noteref", "call-sep"}:
            yield from _segments(child)
        if child.tail:
            yield child, "tail"


def wbr_addresses(body: Any) -> None:
    """The EPUB's addresses break at `<wbr/>` rather than at the zero-width spaces print needs
    (templates.url_breaks): a reading system breaks a link's text there, and a zero-width space
    is a character that search, copy and text-to-speech would meet."""
    for link in list(body.iter()):
        if not isinstance(link.tag, str) or "url" not in (link.get("class") or "").split():
            continue
        for element in [link, *link.iterdescendants()]:
            _wbr_text(element, tail=element is not link)  # the link's own tail is outside the address


def _wbr_text(element: Any, tail: bool) -> None:
    if element.text and ZERO_WIDTH_SPACE in element.text:
        first, *rest = element.text.split(ZERO_WIDTH_SPACE)
        element.text = first
        for index, piece in enumerate(rest):
            wbr = element.makeelement(_wbr_tag(element), {})
            wbr.tail = piece
            element.insert(index, wbr)
    if tail and element.tail and ZERO_WIDTH_SPACE in element.tail and element.getparent() is not None:
        parent = element.getparent()
        first, *rest = element.tail.split(ZERO_WIDTH_SPACE)
        element.tail = first
        position = list(parent).index(element)
        for offset, piece in enumerate(rest, start=1):
            wbr = parent.makeelement(_wbr_tag(parent), {})
            wbr.tail = piece
            parent.insert(position + offset, wbr)


def _wbr_tag(element: Any) -> str:
    """`wbr` in the element's namespace (the EPUB's documents are XHTML)."""
    tag = element.tag
    return f"{tag[: tag.index('}') + 1]}wbr" if tag.startswith("{") else "wbr"


def drop_word_joiners(body: Any) -> None:
    """The EPUB keeps no word joiner (url_pieces holds print's line breaker off a slash with
    them): a reader who copies an address, searches or listens gets its plain text; a reading
    system may break after a slash, which is where a reader expects an address to break."""
    for element in body.iter():
        if not isinstance(element.tag, str):
            continue
        if element.text and WORD_JOINER in element.text:
            element.text = element.text.replace(WORD_JOINER, "")
        if element.tail and WORD_JOINER in element.tail:
            element.tail = element.tail.replace(WORD_JOINER, "")
