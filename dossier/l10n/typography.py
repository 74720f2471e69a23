"""Typography on an XHTML tree, text nodes only: the rules of the house guide, per locale.

No maintained library applies French print rules to an HTML tree (smartypants and typogrify
are English-only and work on strings), so this pass is ours. It walks text nodes in reading
order, block by block, so that a quotation mark opened in one inline element and closed in
another pairs correctly; it never enters code, URLs or attributes, and only inserts or
replaces spaces, quotation marks, apostrophes and dots: applying it twice changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

NBSP = "\u00a0"
NNBSP = "\u202f"
SPACES = {" ", NBSP, NNBSP, "\u2009"}

# `svg`: a figure's text is laid out with measured widths (dossier.render.figures) and can hold
# no HTML (an ordinal's <sup> would break it out of the drawing).
SKIP = {"code", "pre", "kbd", "samp", "script", "style", "math", "var", "tt", "svg"}
BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "head", "html",
    "li", "main", "nav", "ol", "p", "section", "table", "tbody", "td", "tfoot", "th", "thead",
    "title", "tr", "ul", "text", "tspan", "desc", "svg", "g",
}
BLOCK_CLASSES = {"footnote", "note-p"}

_URL = re.compile(r"(?:https?://|www\.)[^\s<>«»\"]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[\w-]+(?:\.[\w-]+)+/\S*")
_ABBREVIATIONS = {"M.", "MM.", "Mme", "Mmes", "Mlle", "Mlles", "Dr", "Me", "art.", "p.", "pp.", "n°", "nos", "vol.", "chap.", "t.", "fig.", "no"}
_UNITS = ("%", "‰", "€", "$", "£", "km", "m", "cm", "mm", "kg", "g", "t", "h", "min", "s", "ha", "°C", "Mo", "Go", "l", "litres", "tenges")
_ORDINAL = re.compile(r"(?<![\w])(\d+|(?:X{0,3})(?:IX|IV|V?I{0,3}))(er|re|ers|res|e|es|nd|nde)(?![\w])")
_ROMAN_FOLLOWERS = re.compile(r"^\s+(siècle|siècles|millénaire|République|législature|arrondissement|congrès)\b")


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _skipped(element: etree._Element) -> bool:
    name = _local(element)
    if name in SKIP or not name:
        return True
    if element.get("translate") == "no":
        return True
    if name == "a":
        text = "".join(element.itertext()).strip()
        return bool(text) and bool(_URL.fullmatch(text))
    return False


def _is_block(element: etree._Element) -> bool:
    return _local(element) in BLOCKS or bool(BLOCK_CLASSES & set((element.get("class") or "").split()))


@dataclass
class _Segment:
    element: etree._Element
    attr: str  # "text" or "tail"
    source: str
    out: list[str] = field(default_factory=list)
    protected: set[int] = field(default_factory=set)


_OPAQUE = object()
_BREAK = object()


def _events(element: etree._Element) -> Iterator[object]:
    """Segments in reading order, with breaks at block edges and opaque marks for code."""
    block = _is_block(element)
    if block:
        yield _BREAK
    if element.text:
        yield _Segment(element, "text", element.text)
    for child in element:
        if _skipped(child):
            yield _OPAQUE
        else:
            yield from _events(child)
        if child.tail:
            yield _Segment(child, "tail", child.tail)
    if block:
        yield _BREAK


def _runs(root: etree._Element) -> Iterator[list[_Segment | object]]:
    run: list[_Segment | object] = []
    for event in _events(root):
        if event is _BREAK:
            if any(isinstance(e, _Segment) for e in run):
                yield run
            run = []
        else:
            run.append(event)
    if any(isinstance(e, _Segment) for e in run):
        yield run


class _Run:
    """One block's text, typeset as a stream across its segments."""

    def __init__(self, items: list[_Segment | object], french: bool) -> None:
        self.items = items
        self.french = french
        self.written: list[_Segment | object] = []
        self.depth = 0

    # -- output buffer across segments -------------------------------------------------------

    def _last(self) -> tuple[_Segment | None, int]:
        for item in reversed(self.written):
            if item is _OPAQUE:
                return None, -1
            if isinstance(item, _Segment) and item.out:
                return item, len(item.out) - 1
        return None, -1

    def prev(self) -> str | None:
        for item in reversed(self.written):
            if item is _OPAQUE:
                return "x"
            if isinstance(item, _Segment) and item.out:
                return item.out[-1][-1]
        return None

    def set_prev(self, char: str) -> None:
        segment, index = self._last()
        if segment is not None:
            segment.out[index] = segment.out[index][:-1] + char

    # -- the pass ----------------------------------------------------------------------------

    def apply(self) -> None:
        for item in self.items:
            if isinstance(item, _Segment):
                item.protected = {i for m in _URL.finditer(item.source) for i in range(m.start(), m.end())}
        for item in self.items:
            self.written.append(item)
            if not isinstance(item, _Segment):
                continue
            source = item.source
            i = 0
            while i < len(source):
                if i in item.protected:
                    item.out.append(source[i])
                    i += 1
                    continue
                i = self._char(item, source, i)
        for item in self.items:
            if isinstance(item, _Segment):
                setattr(item.element, item.attr, "".join(item.out))

    def _next(self, segment: _Segment, source: str, i: int) -> str | None:
        if i + 1 < len(source):
            return source[i + 1]
        after = False
        for item in self.items:
            if item is segment:
                after = True
                continue
            if after:
                if item is _OPAQUE:
                    return "x"
                if isinstance(item, _Segment) and item.source:
                    return item.source[0]
        return None

    def _char(self, seg: _Segment, source: str, i: int) -> int:
        c = source[i]
        if source.startswith("...", i) and not source.startswith("....", i):
            seg.out.append("…")
            return i + 3
        if c == "'":
            seg.out.append(self._apostrophe())
            return i + 1
        if c == '"':
            return self._double_quote(seg, source, i)
        if not self.french:
            seg.out.append(c)
            return i + 1
        if c == "«":
            return self._open_guillemet(seg, source, i)
        if c == "»":
            self.depth = max(0, self.depth - 1)
            self._space_before(NNBSP, allow_start=False)
            seg.out.append("»")
            return i + 1
        if c in ";!?":
            self._punctuation(c, NNBSP)
            seg.out.append(c)
            return i + 1
        if c == ":":
            prev, nxt = self.prev(), self._next(seg, source, i)
            if not (prev and prev.isdigit() and nxt and nxt.isdigit()):
                self._punctuation(c, NBSP)
            seg.out.append(c)
            return i + 1
        if c == " " and self._binds_next(seg, source, i):
            seg.out.append(NBSP)
            return i + 1
        seg.out.append(c)
        return i + 1

    def _eat_space_in_next(self, seg: _Segment, i: int) -> int:
        """A space that follows `«` in the next segment: drop it (the NNBSP replaced it)."""
        after = False
        for item in self.items:
            if item is seg:
                after = True
                continue
            if after and isinstance(item, _Segment) and item.source:
                if item.source[0] in SPACES:
                    item.source = item.source[1:]
                    item.protected = {p - 1 for p in item.protected if p > 0}
                break
        return i

    def _apostrophe(self) -> str:
        prev = self.prev()
        if not self.french and (prev is None or prev in SPACES or prev in "([“‘—–-"):
            return "‘"
        return "’"

    def _double_quote(self, seg: _Segment, source: str, i: int) -> int:
        """`"` opens or closes by what precedes it; French nests « “ … ” »."""
        prev = self.prev()
        opening = prev is None or prev in SPACES or prev in "([{“‘«—–-/"
        if not self.french:
            seg.out.append("“" if opening else "”")
            return i + 1
        if opening and self.depth >= 1:
            self.depth += 1
            seg.out.append("“")
            return i + 1
        if opening:
            return self._open_guillemet(seg, source, i)
        self.depth = max(0, self.depth - 1)
        if self.depth >= 1:
            seg.out.append("”")
            return i + 1
        self._space_before(NNBSP, allow_start=False)
        seg.out.append("»")
        return i + 1

    def _open_guillemet(self, seg: _Segment, source: str, i: int) -> int:
        """Write `«` and the narrow no-break space after it, eating a space already there."""
        self.depth += 1
        seg.out.append("«")
        nxt = self._next(seg, source, i)
        if nxt is None:
            return i + 1
        seg.out.append(NNBSP)
        if nxt in SPACES:
            return i + 2 if i + 1 < len(source) else self._eat_space_in_next(seg, i + 1)
        return i + 1

    def _space_before(self, space: str, *, allow_start: bool) -> None:
        prev = self.prev()
        if prev is None:
            return
        if prev in SPACES:
            self.set_prev(space)
        elif allow_start or prev not in "([{«“":
            segment, _ = self._last()
            if segment is not None:
                segment.out.append(space)

    def _punctuation(self, char: str, space: str) -> None:
        prev = self.prev()
        if prev is None or prev in ";:!?…([{/" or prev in "\n":
            return
        if prev in SPACES:
            self.set_prev(space)
            return
        if prev.isalnum() or prev in "»”’)]%°*\u00b9\u00b2\u00b3" or prev == "x":
            segment, _ = self._last()
            if segment is not None:
                segment.out.append(space)

    def _binds_next(self, seg: _Segment, source: str, i: int) -> bool:
        """A space that must not break: after `M.`, `art.`, `p.`, `n°`, and before a unit."""
        written = "".join(seg.out)
        word = written.rsplit(None, 1)[-1] if written.strip() else ""
        if word in _ABBREVIATIONS or word.split(NBSP)[-1] in _ABBREVIATIONS:
            return True
        if written and written[-1].isdigit():
            rest = source[i + 1 :]
            if re.match(r"\d{3}(?!\d)", rest) and re.search(r"(?:^|[^\d])\d{1,3}$", written):
                return True
            for unit in _UNITS:
                if rest.startswith(unit) and (len(rest) == len(unit) or not rest[len(unit)].isalpha()):
                    return True
        return False


def _group_digits(text: str) -> str:
    """Thousands separated by U+202F (`20 000`), as Babel prints French numbers."""
    return re.sub(r"(?<=\d)[ \u00a0](?=\d{3}(?!\d))", NNBSP, text) if text else text


def _raise_ordinals(element: etree._Element, french: bool) -> None:
    """`1er`, `2e`, `XXIe siècle`: the letters go in `<sup>` (text unchanged)."""
    if not french:
        return
    for node in list(element.iter()):
        if not isinstance(node.tag, str) or _local(node) in SKIP | {"sup"} or _skipped(node):
            continue
        if any(_local(a) in SKIP for a in node.iterancestors()):
            continue
        for attr in ("text", "tail"):
            owner_skipped = attr == "tail" and node.getparent() is not None and _local(node.getparent()) in SKIP
            text = getattr(node, attr)
            if not text or owner_skipped:
                continue
            _split_ordinals(node, attr, text)


def _split_ordinals(node: etree._Element, attr: str, text: str) -> None:
    matches = [m for m in _ORDINAL.finditer(text) if _is_ordinal(m, text)]
    if not matches:
        return
    ns = node.tag.split("}")[0] + "}" if node.tag.startswith("{") else ""
    first = matches[0]
    setattr(node, attr, text[: first.start(2)])
    parent, index = (node, 0) if attr == "text" else (node.getparent(), node.getparent().index(node) + 1)
    for n, match in enumerate(matches):
        sup = etree.Element(f"{ns}sup")
        sup.text = match.group(2)
        end = matches[n + 1].start(2) if n + 1 < len(matches) else len(text)
        sup.tail = text[match.end(2) : end]
        parent.insert(index, sup)
        index += 1


def _is_ordinal(match: re.Match[str], text: str) -> bool:
    number, suffix = match.group(1), match.group(2)
    if not number:
        return False
    if number.isdigit():
        if suffix in ("er", "ers"):
            return number == "1"
        if suffix in ("re", "res"):
            return number == "1"
        if suffix in ("nd", "nde"):
            return number == "2"
        return number != "1" or suffix in ("er", "re")
    return bool(_ROMAN_FOLLOWERS.match(text[match.end() :]))


def typeset(root: etree._Element, locale: str) -> None:
    """Apply the locale's typography to every text node under `root`, in place."""
    french = locale.split("_")[0].split("-")[0] == "fr"
    for run in _runs(root):
        _Run(run, french).apply()
    if french:
        for node in root.iter():
            if not isinstance(node.tag, str) or any(_local(a) in SKIP for a in node.iterancestors()):
                continue
            parent = node.getparent()
            if node.tail and (parent is None or not _skipped(parent)):
                node.tail = _group_digits(node.tail)
            if node.text and not _skipped(node):
                node.text = _group_digits(node.text)
    _raise_ordinals(root, french)
