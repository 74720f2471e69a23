"""The PDF's structure tree built again from the print HTML, on the written PDF (pikepdf).

What WeasyPrint (70) leaves, and why it cannot do better alone: `weasyprint/pdf/tags.py` builds
the tree page by page from the boxes, and a page's boxes do not know the element they continue,
so a chapter, a paragraph, a list or a table that crosses a page becomes one element per page;
notes are `Span`s at the foot of their page, not `Note`s after their call; margin content
(running heads, folios) is tagged but hung nowhere, since PDF 1.7 has no artifact element; each
`<wbr>` inside a link makes a zero-width link annotation of its own; a link is described by its
target's id; a figure's `/BBox` is in CSS pixels, y down; `TH` has no `/Scope`; no element has
`/Lang` or `/ID`; and the text of a line break is lost for text extraction (the space dropped at
a line's end, the hyphen added by hyphenation copied as a character).

So each marked-content sequence's text is taken and aligned with the text of the print HTML the
PDF was made from, letters only (so that spaces, hyphens, digits and generated content do not
shift it). The text is WeasyPrint's own, from the box it drew in the sequence, recorded during
`write_pdf` (`drawn_marks`); read back from the content streams (each `MCID`, through the fonts'
ToUnicode maps) only where that is missing: a figure's sequence (an SVG's text), a page whose
sequences nest, a PDF not written inside `drawn_marks`. Every marked-content sequence
then belongs to an element of the HTML, and the tree is made again from the HTML's elements:
one element per HTML element, whatever page its parts are on, with the language, the ids, the
notes after the paragraph that calls them, and the link annotations it holds. A sequence without
letters is the HTML's text when that text is between its aligned neighbours (a full stop drawn
after a note call, a date in a table): it stays there, in its element. What aligns with no text
of the HTML is generated content (list numbers, note numbers and their dots, page numbers:
placed in the element WeasyPrint put it in), a leader (its dots), a table header repeated on a
continued page, or page-margin content: the last three become artifacts (WeasyPrint's own tree,
which tells them apart, is read in its pydyf objects kept by `drawn_marks`, else in the PDF).
The few content-stream edits (artifacts, `/ActualText` for the line ends and note calls) are
made on the bytes, which WeasyPrint writes one operator a line. It works from what the PDF
holds (its tags, its annotations, its marked content) and the HTML, whoever assembled the pages.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pikepdf
from lxml import html as lxml_html

from dossier.l10n.i18n import translations

MAIN, NOTES = 0, 1
DOCUMENT_ATTRIBUTE = "data-doc"  # the print HTML's element that is an EPUB document (a chapter)
NOTE_CLASS = "footnote"  # the print layout's note (floated to the foot of the page)
NOTEREF_CLASS = "noteref"
TOC_CLASS = "toc"
SKIPPED_TAGS = frozenset({"head", "script", "style", "template", "title"})
LETTERS = re.compile(r"[^\W\d_]+")
WHITESPACE = re.compile(r"\s+")
NUMBER = re.compile(r"\s*\d+[.)]?\s*")
LEADER = re.compile(r"[\s.·…]*[.·…][\s.·…]*")
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff\u200c\u200d"))  # not drawn
HYPHENS = "-\u2010\u2011\u00ad"
RESYNC_LETTERS, RESYNC_WINDOW = 12, 4000  # a mark this long may be found this far on
SHY, HYPHEN = "\u00ad", "\u2010"

BLOCKS = {
    "p": "P", "h1": "H1", "h2": "H2", "h3": "H3", "h4": "H4", "h5": "H5", "h6": "H6",
    "blockquote": "BlockQuote", "ul": "L", "ol": "L", "dl": "L", "table": "Table",
    "thead": "THead", "tbody": "TBody", "tfoot": "TFoot", "tr": "TR", "caption": "Caption",
    "figcaption": "Caption", "section": "Sect", "article": "Art", "main": "Part", "nav": "Sect",
    "aside": "Div", "div": "Div", "figure": "Div", "header": "Div", "footer": "Div", "pre": "P",
    "address": "P",
}  # fmt: skip
INLINES = {"a": "Link", "code": "Code", "q": "Quote"}
PARAGRAPHS = frozenset({"P", "H1", "H2", "H3", "H4", "H5", "H6", "Caption", "BlockQuote"})
CONTAINERS = frozenset({"LBody", "TD", "TH", "TOCI", "Note"})
KEEP_EMPTY = frozenset({"TD", "TH"})


@dataclass(slots=True, eq=False)
class Mark:
    """One marked-content sequence of a page (an MCID), as read from the content stream."""

    page: int
    mcid: int
    tag: str
    bdc: tuple[int, int]  # its `/Tag <<…>> BDC` in the page's bytes
    text: str = ""
    last_tj: tuple[int, int] | None = None  # the last text-showing operator
    last_font: bytes = b""
    y: tuple[float, float] | None = None  # first and last text line
    stream: int = -1
    start: int = -1  # letters, in its stream
    end: int = -1
    segment: int = -1
    font: Any = None  # of its last glyph
    edit: str | None = None  # what its last glyph reads as, in text extraction
    space: bool = False  # a space follows it (the line break took it)
    actual: str | None = None  # what all of it reads as
    spaced: bool = False  # letter-spaced: text extraction would cut its words into letters
    artifact: str | None = None  # "Header", "Footer" or "" (pagination artifact)
    gap: bool = False  # placed between two aligned marks, by its text (digits, punctuation)
    unplaced: bool = False
    body: tuple[int, int] = (-1, -1)  # what the sequence holds, in the page's bytes
    scanned: bool = True  # its operators read (`last_tj`, `font`, `spaced`); else on demand


@dataclass(frozen=True, slots=True)
class Drawn:
    """What WeasyPrint drew in one marked-content sequence, taken from its box when it wrote it:
    the text of the line (as text extraction reads it: zero-width characters are not drawn),
    its baseline (the `Tm` WeasyPrint writes, CSS px) and whether the box is letter-spaced."""

    text: str
    y: float | None
    letter_spaced: bool


class DrawnPages(list[dict[int, "Drawn | None"]]):
    """Per page, MCID → what was drawn (None: a figure); and the objects of the PDF WeasyPrint
    wrote (pydyf's dictionaries by number, its catalog, its pages' references), whose structure
    tree the pass reads (`WrittenTree`) in place of the PDF's."""

    written: tuple[list[Any], Any, tuple[bytes, ...]] | None = None


class WrittenTree:
    """WeasyPrint's structure tree in its own objects (pydyf's, numbered as in the PDF it
    writes), read as the pass reads the old tree of the PDF (`Tagger.old_kinds`, `reachable`,
    `_aligned_relative`), without a look-up through pikepdf for each element: an element is its
    object number."""

    def __init__(self, objects: list[Any], catalog: Any, page_references: tuple[bytes, ...]) -> None:
        self.objects = objects
        self.root = _number(catalog["StructTreeRoot"])
        nums = objects[_number(objects[self.root]["ParentTree"])]["Nums"]
        self.nums = dict(zip(nums[::2], nums[1::2], strict=True))
        self.page_index = {reference: i for i, reference in enumerate(page_references)}
        self.kinds_memo: dict[int, list[str]] = {}
        self.reach_memo: dict[int, bool] = {}
        self.kids_memo: dict[int, set[int]] = {}

    def parent(self, page: int, mcid: int) -> int | None:
        array = self.nums.get(page)
        if array is None or mcid >= len(array):
            return None
        return _number(array[mcid])

    def annotation_mcids(self, key: int) -> list[int]:
        parent = self.nums.get(key)
        if parent is None or isinstance(parent, list):
            return []
        return [k for k in self.objects[_number(parent)].get("K", ()) if isinstance(k, int)]

    def kinds(self, number: int) -> list[str]:
        kinds = self.kinds_memo.get(number)
        if kinds is None:
            element = self.objects[number]
            kinds = []
            if element.get("Type") != "/StructTreeRoot":
                parent = element.get("P")
                kinds = [element.get("S", ""), *(self.kinds(_number(parent)) if parent is not None else ())]
            self.kinds_memo[number] = kinds
        return kinds

    def reachable(self, number: int) -> bool:
        found = self.reach_memo.get(number)
        if found is None:
            found = self.reach_memo[number] = self._reachable(number)
        return found

    def _reachable(self, number: int) -> bool:
        reference = self.objects[number].get("P")
        if reference is None:
            return False
        parent = _number(reference)
        element = self.objects[parent]
        above = element.get("P")
        if (
            element.get("Type") == "/StructTreeRoot"
            or above is None
            or self.objects[_number(above)].get("Type") == "/StructTreeRoot"
        ):
            kids = self.kids_memo.get(parent)
            if kids is None:
                kids = self.kids_memo[parent] = {_number(k) for k in element.get("K", ()) if isinstance(k, bytes)}
            return number in kids
        return self.reachable(parent)

    def above(self, number: int) -> int | None:
        """The parent of an element, None at the top (the root, WeasyPrint's `Document`)."""
        reference = self.objects[number].get("P")
        if reference is None:
            return None
        parent = _number(reference)
        element = self.objects[parent]
        if element.get("Type") == "/StructTreeRoot" or element.get("S") == "/Document":
            return None
        return parent

    def kind(self, number: int) -> str:
        return self.objects[number].get("S", "")

    def first(self, number: int, depth: int, mark: Callable[[int, int], Mark | None]) -> Mark | None:
        """The first mark under an element that `mark` (page, MCID → an aligned mark) finds."""
        if depth > 6:
            return None
        element = self.objects[number]
        page = self.page_index.get(element.get("Pg"))
        for item in element.get("K", ()):
            if isinstance(item, int):
                found = mark(page, item) if page is not None else None
            elif (self.objects[_number(item)] or {}).get("Type") == "/StructElem":
                found = self.first(_number(item), depth + 1, mark)
            else:
                continue
            if found is not None:
                return found
        return None


def _number(reference: bytes) -> int:
    """A pydyf reference's object number (`b"12 0 R"`)."""
    return int(reference[: reference.index(b" ")])


@contextmanager
def drawn_marks() -> Iterator[DrawnPages]:
    """Around a `write_pdf`: each page's MCIDs and what WeasyPrint drew in them (`Drawn`), so
    that the pass need not read the text back from the content streams. WeasyPrint (70) numbers
    the sequences of a page in `Stream.marked` and hands each page's `{box: {"tag", "mcid"}}` to
    `weasyprint.pdf.add_tags`; that call — the one place — is wrapped while the block runs, and
    the map read before WeasyPrint empties it. A write without tags never calls it, nor a
    WeasyPrint without that function (an empty list: the pass then reads the text back)."""
    import weasyprint.pdf as weasyprint_pdf

    pages = DrawnPages()
    original = getattr(weasyprint_pdf, "add_tags", None)
    if original is None:
        yield pages
        return

    def add_tags(*args: Any) -> Any:
        page_streams = args[-1]  # (pdf, document, pdf_version, page_streams)
        with uncollected():
            for stream in page_streams:
                pages.append({v["mcid"]: _drawn(box, v["tag"]) for box, v in getattr(stream, "_tags", {}).items()})
        pdf = args[0]
        with pages_referenced_once(pdf):
            result = original(*args)
        try:
            # its dictionaries only (the structure tree's, by their numbers): not its streams,
            # which would stay in memory as long as the record (the pages' content, the fonts)
            objects = [o if isinstance(o, dict) else None for o in pdf.objects]
            pages.written = (objects, pdf.catalog, pdf.page_references)
        except (AttributeError, TypeError):
            pages.written = None  # not pydyf's: the pass reads the PDF's tree
        return result

    weasyprint_pdf.add_tags = add_tags
    try:
        yield pages
    finally:
        weasyprint_pdf.add_tags = original


@contextmanager
def pages_referenced_once(pdf: Any) -> Iterator[None]:
    """pydyf's `PDF.page_references` (0.13) makes the tuple of every page's reference anew at each
    call, and WeasyPrint's `add_tags` calls it for each marked-content sequence it hangs in the
    tree: pages × sequences, about 2 s of a 300-page book's 10 s `write_pdf` (bench/README.md),
    and quadratic. No page is added while the tree is built, so for that call the tuple is made
    once; the bytes written are the same."""
    cls = type(pdf)
    descriptor = getattr(cls, "page_references", None)
    if not isinstance(descriptor, property) or descriptor.fget is None:
        yield  # not the pydyf this was measured on: leave it as it is
        return
    references = descriptor.fget(pdf)
    own = "page_references" in vars(cls)

    def fixed(self: Any) -> Any:
        return references if self is pdf else descriptor.fget(self)

    cls.page_references = property(fixed)
    try:
        yield
    finally:
        if own:
            cls.page_references = descriptor
        else:
            del cls.page_references


@contextmanager
def uncollected() -> Iterator[None]:
    """Python's cyclic garbage collector paused: the pass makes tens of thousands of small objects
    with no cycles among them (reference counting frees them), and each full collection they
    would set off walks the whole heap, WeasyPrint's laid-out pages with it (millions of objects
    at 300 pages; a few tenths of a second each)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _drawn(box: Any, tag: str) -> Drawn | None:
    """What `weasyprint/draw/text.py` draws of a text box: nothing if it is hidden, blank or of
    no size; else its layout's text (the box's `text` lacks a trailing space the line still
    draws) at its baseline. Not a figure's (an SVG's text is read from the page)."""
    layout = getattr(box, "pango_layout", None) if tag == "Span" else None
    if layout is None:
        return None
    text = layout.text
    style = box.style
    if not text or style["visibility"] != "visible" or not text.strip() or style["font_size"] < 1e-6:
        return Drawn("", None, False)
    spacing = style["letter_spacing"]
    # letter-spaced as text extraction sees it: only a spacing near a word break (thousandths of
    # an em) may read as one, with kerning; the page guard's tracking (±0.01 em) cannot
    wide = spacing != "normal" and spacing * 1000 > LETTER_SPACED * style["font_size"]
    return Drawn(text.translate(INVISIBLE), box.position_y + box.baseline, wide)


@dataclass(slots=True)
class Segment:
    element: Any  # the element the text belongs to (a tail's parent)
    raw: str
    stream: int


@dataclass
class Stream:
    pieces: list[str] = field(default_factory=list)  # each lettered segment's letters
    text: str = ""
    starts: list[int] = field(default_factory=list)  # each lettered segment's start in `text`
    lettered: list[int] = field(default_factory=list)  # those segments
    segments: list[int] = field(default_factory=list)  # the stream's segments, in order
    length: int = 0


@dataclass(slots=True, eq=False)
class Node:
    kind: str
    element: Any = None
    kids: list[Any] = field(default_factory=list)  # Node | Mark | annotation (pikepdf object)
    attributes: dict[str, Any] = field(default_factory=dict)
    lang: str | None = None
    ident: str | None = None
    alt: str | None = None

    def has_content(self) -> bool:
        """Elements without content are left out, but for table cells: the grid stays whole."""
        return self.kind in KEEP_EMPTY or any(not isinstance(k, Node) or k.has_content() for k in self.kids)


@dataclass(frozen=True)
class Summary:
    """What the pass did (the tests and the benchmark read it), and where each page's text
    comes from (the `data-doc` of its first text: a finding on a page is located there)."""

    marks: int
    aligned: int
    artifacts: int
    unplaced: int
    removed_links: int
    page_documents: tuple[str | None, ...] = ()


# ---- the HTML side -------------------------------------------------------------------------------


class Skeleton:
    """The print HTML's text, as two streams of letters (the main text; the notes, which print
    at the foot of the page), each letter run traced to its text node."""

    def __init__(self, print_html: str) -> None:
        self.root = lxml_html.document_fromstring(print_html)
        self.segments: list[Segment] = []
        self.text_segment: dict[Any, int] = {}  # element → its text's segment
        self.tail_segment: dict[Any, int] = {}  # element → its tail's segment
        self.streams = (Stream(), Stream())
        self.figures: list[Any] = []
        self.anchors: dict[str, list[Any]] = {}  # href → <a> elements, in order
        self.runs: dict[int, tuple[list[int], list[tuple[int, int]]]] = {}  # segment → its letter runs
        body = self.root.find("body")
        self._walk(body if body is not None else self.root, MAIN)
        for stream in self.streams:
            stream.text = "".join(stream.pieces)

    def _walk(self, element: Any, stream: int) -> None:
        tag = element.tag
        if not isinstance(tag, str) or tag in SKIPPED_TAGS:
            return
        if tag in ("img", "svg") or tag.endswith("}svg"):
            self.figures.append(element)
            return
        if is_note(element):
            stream = NOTES
        if tag == "a" and element.get("href"):
            self.anchors.setdefault(element.get("href"), []).append(element)
        self.text_segment[element] = self._add(element, element.text, stream)
        for child in element:
            self._walk(child, stream)
            self.tail_segment[child] = self._add(element, child.tail, stream)

    def _add(self, element: Any, raw: str | None, stream: int) -> int:
        index = len(self.segments)
        self.segments.append(Segment(element, raw or "", stream))
        target = self.streams[stream]
        target.segments.append(index)
        if raw and not raw.isspace():  # most tails are the indentation between two tags
            words = LETTERS.findall(raw)
            if words:
                # each word lowered on its own (a space between them bounds a final sigma's context)
                letters = " ".join(words).lower().replace(" ", "")
                target.pieces.append(letters)
                target.starts.append(target.length)
                target.lettered.append(index)
                target.length += len(letters)
        return index

    def segment_of(self, stream: int, position: int) -> int:
        """The segment of a letter of a stream (`locate` without the raw offset, which needs
        the segment's letter runs)."""
        target = self.streams[stream]
        return target.lettered[bisect.bisect_right(target.starts, position) - 1]

    def locate(self, stream: int, position: int) -> tuple[int, int]:
        """The segment and raw offset of a letter of a stream."""
        target = self.streams[stream]
        i = bisect.bisect_right(target.starts, position) - 1
        segment = target.lettered[i]
        starts, runs = self._runs(segment, len(target.pieces[i]))
        offset = position - target.starts[i]
        run = bisect.bisect_right(starts, offset) - 1
        raw_start, raw_end = runs[run]
        return segment, min(raw_start + offset - starts[run], raw_end)

    def _runs(self, segment: int, length: int) -> tuple[list[int], list[tuple[int, int]]]:
        """A segment's letter runs (their starts among its `length` letters, their raw spans),
        made when a letter of it is first located."""
        found = self.runs.get(segment)
        if found is None:
            raw = self.segments[segment].raw
            runs = [match.span() for match in LETTERS.finditer(raw)]
            starts = [0, *itertools.accumulate(end - start for start, end in runs)]
            if starts.pop() != length:  # a letter whose lower case is longer (İ): word by word
                starts, position = [], 0
                for match in LETTERS.finditer(raw):
                    starts.append(position)
                    position += len(match.group().lower())
            found = self.runs[segment] = (starts, runs)
        return found

    def between(self, stream: int, start: tuple[int, int], end: tuple[int, int]) -> str:
        """The raw text of a stream from one (segment, offset) to another."""
        (first, offset), (last, stop) = start, end
        if first == last:
            return self.segments[first].raw[offset:stop]
        order = self.streams[stream].segments
        i, j = bisect.bisect_left(order, first), bisect.bisect_left(order, last)
        middle = "".join(self.segments[s].raw for s in order[i + 1 : j])
        return self.segments[first].raw[offset:] + middle + self.segments[last].raw[:stop]


def is_note(element: Any) -> bool:
    return NOTE_CLASS in (element.get("class") or "").split() or element.get("role") == "doc-footnote"


def is_noteref(element: Any) -> bool:
    return NOTEREF_CLASS in (element.get("class") or "").split() or element.get("role") == "doc-noteref"


def is_toc(element: Any) -> bool:
    return element.tag == "nav" and (
        TOC_CLASS in (element.get("class") or "").split() or element.get("role") == "doc-toc"
    )


# ---- the PDF side: marked content ------------------------------------------------------------------

# WeasyPrint writes one operator a line: the tokens that matter start a line.
BCP47 = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")  # the shape of a language tag

TOKENS = re.compile(
    rb"(?m)^(?:/(?P<tag>[^\s/<>\[\]()]+)\s*<<(?P<props>(?:[^<>]|<[^<>]*>)*)>>\s*BDC"
    rb"|/[^\s/<>\[\]()]+\s*(?:/[^\s/<>\[\]()]+\s*BDC|BMC)"
    rb"|(?P<emc>EMC)"
    rb"|/(?P<font>[^\s/<>\[\]()]+)\s+[-+\d.]+\s+Tf"
    rb"|(?P<tj>\[[^\]]*\]\s*TJ|<[0-9A-Fa-f\s]*>\s*Tj)"
    rb"|(?:[-+\d.]+\s+){5}(?P<y>[-+\d.]+)\s+Tm)"
)
MCID = re.compile(rb"/MCID\s+(\d+)")
OPEN = re.compile(rb"(?m)^(?P<open>/(?P<tag>[^\s/<>\[\]()]+)\s*<<(?P<props>(?:[^<>]|<[^<>]*>)*)>>\s*BDC)$")
TEXT = re.compile(
    rb"(?m)^(?:/([^\s/<>\[\]()]+)\s+[-+\d.]+\s+Tf|(\[[^\]]*\]\s*TJ|<[0-9A-Fa-f\s]*>\s*Tj)|(?:[-+\d.]+\s+){5}([-+\d.]+)\s+Tm)"
)
GAPS = re.compile(rb">[^<]*<")  # between two hex strings of a TJ: adjustments
# A gap between two glyphs (adjustments, to the right) that may be wider than a word break:
# several adjustments, or one of at least 100. A lone one under 100 (kerning, most gaps) is
# not even matched, nor one after an empty string (`<>-101.9<0002>`, a justified line's word
# space: no glyph before it): `_spaced` runs on every TJ.
WIDE_RUN = re.compile(rb"(?<!<)>\s*(-[\d.]+(?:\s*<>\s*-?[\d.]+)+|-\d*\d\d\d[\d.]*)\s*<(?!>)")
NUMBERS = re.compile(rb"-?[\d.]+")
WORD_BREAK = 100  # a gap wider than this (thousandths of an em) reads as a space (poppler: 0.1 em)
LINE = 6.0  # CSS px: a raised call separator is still on its line (a line is ~14 px)
LETTER_SPACED = WORD_BREAK / 2  # a CSS letter-spacing under this cannot make a gap that wide
HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")
BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>")
BFRANGE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])")
CM = re.compile(rb"\s*(?:q\s+)?([-+\d.]+)\s+([-+\d.]+)\s+([-+\d.]+)\s+([-+\d.]+)\s+([-+\d.]+)\s+([-+\d.]+)\s+cm")


class Glyphs(dict):
    """A font's text per hex string, filled as strings are met: WeasyPrint writes each glyph as
    a string of its own (`[<00cf>0<01a5>…] TJ`), so a page's text is a few thousand look-ups of
    the same few hundred keys, not a decoding of every string."""

    __slots__ = ("font",)

    def __init__(self, font: Font) -> None:
        super().__init__()
        self.font = font

    def __missing__(self, hexadecimal: bytes) -> str:
        text = self.font.text(bytes.fromhex(hexadecimal.decode()))
        self[hexadecimal] = text
        return text


@dataclass
class Font:
    table: dict[int, str]
    width: int  # bytes per code
    glyphs: Glyphs = field(init=False, repr=False, compare=False)
    # a run of adjustments → its width (the same few runs recur)
    widths: dict[bytes, float] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.glyphs = Glyphs(self)

    def text(self, codes: bytes) -> str:
        """The text of a string of codes (`str.translate` on the codes read as characters)."""
        if self.width == 2:
            return codes.decode("utf-16-be", "surrogatepass").translate(self.table)
        return codes.decode("latin-1").translate(self.table)

    def shown(self, operator: bytes) -> str:
        """The text a text-showing operator shows, string by string (each read once per font)."""
        strings = HEX.findall(operator)
        if len(strings) == 1:
            return self.glyphs[strings[0]]
        return "".join(map(self.glyphs.__getitem__, strings))


def read_font(font: Any) -> Font:
    """A font's codes and their text (its ToUnicode map)."""
    width = 2 if font.get("/Subtype") == "/Type0" else 1
    table: dict[int, str] = {}
    to_unicode = font.get("/ToUnicode")
    if to_unicode is not None:
        data = to_unicode.read_bytes()
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            for code, text in BFCHAR.findall(block):
                table[int(code, 16)] = _utf16(text)
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
            for low, high, text in BFRANGE.findall(block):
                if text.startswith(b"["):
                    for code, item in zip(range(int(low, 16), int(high, 16) + 1), HEX.findall(text), strict=False):
                        table[code] = _utf16(item)
                else:
                    base = _utf16(text[1:-1])
                    for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                        table[code] = base[:-1] + chr(ord(base[-1]) + offset) if base else ""
    return Font(table, width)


def _utf16(hexadecimal: bytes) -> str:
    return bytes.fromhex(hexadecimal.decode()).decode("utf-16-be", "replace")


def page_content(page: Any) -> bytes:
    contents = page.obj.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return contents.read_bytes()


def read_marks(
    pdf: pikepdf.Pdf, page_index: int, data: bytes, fonts: dict[Any, Font], drawn: dict[int, Drawn | None] | None = None
) -> list[Mark]:
    """The page's marked-content sequences with an MCID, in drawing order, with their text.
    WeasyPrint nests nothing in a text's sequence: each is read whole (its BDC line to the next EMC
    line, `_sequences`); a page where a sequence holds another one is read token by token.
    `drawn`: what WeasyPrint drew in each (`drawn_marks`): its text and line are taken from there,
    and its operators are read only when needed (`scan`); else its text is read back through the
    fonts' ToUnicode maps."""
    names: dict[bytes, Font] | None = None
    marks: list[Mark] = []
    tags: dict[bytes, str] = {}
    for block, start, end in _sequences(data):
        if data.find(b"BDC", start, end) >= 0 or data.find(b"BMC", start, end) >= 0:
            return _read_tokens(page_index, data, _page_fonts(pdf.pages[page_index], fonts))
        found = MCID.search(block.group("props"))
        if found is None:
            continue
        tag = block.group("tag")
        name = tags.get(tag) or tags.setdefault(tag, tag.decode())
        mark = Mark(page_index, int(found.group(1)), name, block.span("open"), body=(start, end))
        known = drawn.get(mark.mcid) if drawn is not None else None
        if known is not None:
            mark.text = known.text
            mark.y = (known.y, known.y) if known.y is not None else None
            mark.scanned = False
        if known is None or known.letter_spaced:
            names = names if names is not None else _page_fonts(pdf.pages[page_index], fonts)
            scan(mark, data, names, text=known is None)
        marks.append(mark)
    return marks


def scan(mark: Mark, data: bytes, names: dict[bytes, Font], text: bool = False, spacing: bool = True) -> None:
    """A sequence's operators (not a copy of them): its last text-showing operator and font, and
    with `spacing` whether it is letter-spaced; with `text`, its text and lines, read through the
    fonts (each sequence of WeasyPrint's sets its font before its first string)."""
    font = Font({}, 2)
    texts = []
    last = None
    for match in TEXT.finditer(data, *mark.body):
        kind = match.lastindex
        if kind == 1:
            font = names.get(match.group(1), font)
        elif kind == 3:
            if text:
                y = float(match.group(3))
                mark.y = (mark.y[0], y) if mark.y else (y, y)
        else:
            operator = match.group(2)
            if text:
                texts.append(font.shown(operator))
            last = match
            mark.font = font
            if spacing:
                mark.spaced = mark.spaced or _spaced(operator, font)
    if last is not None:
        mark.last_tj = last.span(2)
        if text:
            mark.text = "".join(texts)
    mark.scanned = True


def scan_last(mark: Mark, data: bytes, names: dict[bytes, Font]) -> None:
    """What a line end's edit needs of a sequence (its last text-showing operator and that
    operator's font, as `scan` finds them), looked for from the sequence's end back: one line
    or two read, not the whole sequence (WeasyPrint writes one operator a line)."""
    start, end = mark.body
    position = end
    while (found := max(data.rfind(b"TJ", start, position), data.rfind(b"Tj", start, position))) >= 0:
        position = found
        line = data.rfind(b"\n", start, found) + 1
        match = TEXT.match(data, line, end) if line > start else None
        if match is None or match.lastindex != 2 or match.end(2) != found + 2:
            continue
        mark.last_tj = match.span(2)
        mark.font = Font({}, 2)
        position = line
        while (found := data.rfind(b"Tf", start, position)) >= 0:
            position = found
            line = data.rfind(b"\n", start, found) + 1
            match = TEXT.match(data, line, end) if line > start else None
            if match is not None and match.lastindex == 1 and match.end() == found + 2:
                font = names.get(match.group(1))
                if font is not None:
                    mark.font = font
                    break
        break
    mark.scanned = True


def _sequences(data: bytes) -> Iterator[tuple[re.Match[bytes], int, int]]:
    """Each `/Tag <<…>> BDC` line and the span of what it holds, to the first `EMC` line after
    it (the next sequence is looked for after that line)."""
    position, size = 0, len(data)
    while (block := OPEN.search(data, position)) is not None:
        start = block.end()
        close = data.find(b"\nEMC", start)
        while close >= 0 and close + 4 < size and data[close + 4] != 10:  # "EMC" and the line's end
            close = data.find(b"\nEMC", close + 1)
        if close < 0:
            position = block.start() + 1
            continue
        yield block, start, close + 1
        position = close + 4


def _read_tokens(page_index: int, data: bytes, names: dict[bytes, Font]) -> list[Mark]:
    marks: list[Mark] = []
    stack: list[Mark | None] = []
    current: Mark | None = None  # the innermost open mark
    font = Font({}, 2)
    y = 0.0
    for match in TOKENS.finditer(data):
        group = match.lastgroup
        if group == "tj":
            if current is not None:
                current.text += font.shown(match.group("tj"))
                current.spaced = current.spaced or _spaced(match.group("tj"), font)
                current.last_tj, current.font = match.span(), font
                current.y = (current.y[0] if current.y else y, y)
        elif group == "y":
            y = float(match.group("y"))
        elif group == "font":
            font = names.get(match.group("font"), font)
        elif group == "emc":
            if stack:
                stack.pop()
                current = next((m for m in reversed(stack) if m is not None), None)
        elif group is None:  # BMC, or a property list named in the resources
            stack.append(None)
        else:
            found = MCID.search(match.group("props"))
            if found:
                current = Mark(page_index, int(found.group(1)), match.group("tag").decode(), match.span())
                marks.append(current)
            stack.append(current if found else None)
            if not found:
                current = None
    return marks


def _page_fonts(page: Any, fonts: dict[Any, Font]) -> dict[bytes, Font]:
    names: dict[bytes, Font] = {}
    resources = page.obj.get("/Resources")
    for name, font in (resources.get("/Font", {}) if resources is not None else {}).items():
        key = font.objgen
        if key not in fonts:
            fonts[key] = read_font(font)
        names[name[1:].encode()] = fonts[key]
    return names


def _spaced(operator: bytes, font: Font) -> bool:
    """Whether a TJ moves two letters of a word apart by more than a word break (CSS
    `letter-spacing`: WeasyPrint adds it as adjustments after each glyph), so that pdftotext
    reads `D O S S I E R`. Only a wide gap's two glyphs are decoded (this runs on every TJ)."""
    if not operator.startswith(b"[") or b"-" not in operator:
        return False
    size = 2 * font.width
    for run in WIDE_RUN.finditer(operator):
        gaps = run.group(1)
        width = font.widths.get(gaps)
        if width is None:
            width = font.widths[gaps] = -sum(float(n) for n in NUMBERS.findall(gaps))
        if width <= WORD_BREAK:
            continue
        before = operator[operator.rfind(b"<", 0, run.start()) + 1 : run.start()].translate(None, SPACES)[-size:]
        after = operator[run.end() : operator.find(b">", run.end())].translate(None, SPACES)[:size]
        if len(before) == len(after) == size:
            pair = font.glyphs[before] + font.glyphs[after]
            if pair[:1].isalpha() and pair[-1:].isalpha():
                return True
    return False


SPACES = b" \t\n\r\f\v"  # what `\s` is in a bytes pattern


# ---- alignment ---------------------------------------------------------------------------------------


def align(marks: list[Mark], skeleton: Skeleton, pointers: list[int], may_skip: Callable[[Mark], bool]) -> None:
    """Each mark with letters is given its place in a stream: where the stream's next letters are
    its letters (the stream it was in first; the other one if not: a page's notes come after its
    text). A mark long enough that is a little further on skips what the PDF does not show (text
    the print stylesheet hides); a mark that matches nothing is left for later (`stream` -1)."""
    current = MAIN
    texts = (skeleton.streams[MAIN].text, skeleton.streams[NOTES].text)
    for mark in marks:
        if mark.tag == "Figure":
            continue
        letters = "".join(LETTERS.findall(mark.text)).lower()
        if not letters:
            continue
        found = None
        for stream in (current, 1 - current):
            if texts[stream].startswith(letters, pointers[stream]):
                found = stream, pointers[stream]
                break
        if found is None and len(letters) >= RESYNC_LETTERS and may_skip(mark):
            for stream in (current, 1 - current):
                position = texts[stream].find(letters, pointers[stream], pointers[stream] + RESYNC_WINDOW)
                if position >= 0:
                    found = stream, position
                    break
        if found is not None:
            stream, position = found
            mark.stream, mark.start, mark.end = stream, position, position + len(letters)
            mark.segment = skeleton.segment_of(stream, position)
            pointers[stream] = mark.end
            current = stream


# ---- the pass ---------------------------------------------------------------------------------------


class Tagger:
    """One pass over one PDF (see the module's docstring)."""

    def __init__(self, pdf: pikepdf.Pdf, skeleton: Skeleton, locale: str) -> None:
        self.pdf = pdf
        self.skeleton = skeleton
        self.gettext = translations(locale).gettext
        self.root = pdf.Root.get("/StructTreeRoot")
        self.pages = list(pdf.pages)
        self.page_refs = [p.obj for p in self.pages]
        self.page_index = {p.objgen: i for i, p in enumerate(self.page_refs)}
        self.contents: list[bytes] = []
        self.marks: list[list[Mark]] = []
        self.by_key: dict[tuple[int, int], Mark] = {}
        self.mark_index: dict[int, int] = {}  # id(mark) → its place among its page's marks
        self.old_parents: dict[int, Any] = self._parent_tree()
        self.old_kids: dict[tuple[int, int], set[tuple[int, int]]] = {}
        self.written: WrittenTree | None = None  # WeasyPrint's tree, read in place of the PDF's
        self.element_marks: dict[Any, list[Mark]] = {}  # placed in an element, after its text
        self.labels: dict[Any, list[Mark]] = {}  # an element's label (list number, note number)
        self.label_ends: dict[Mark, list[Mark]] = {}  # a label's last mark → the label
        self.segment_marks: dict[int, list[Mark]] = {}
        self.links: dict[Any, list[Any]] = {}  # <a> → its link annotations
        self.figure_marks: dict[Any, Mark] = {}
        self.figure_boxes: dict[Any, list[float]] = {}
        self.removed_links = 0
        self.annotation_page: dict[tuple[int, int], int] = {}
        self.kinds_memo: dict[tuple[int, int], list[str]] = {}
        self.reach_memo: dict[tuple[int, int], bool] = {}
        self.fonts: dict[Any, Font] = {}
        self.page_fonts: dict[int, dict[bytes, Font]] = {}  # a page's font names → their fonts

    def page_document(self, marks: list[Mark]) -> str | None:
        mark = next((m for m in marks if m.segment >= 0), None)
        element = (
            _ancestor(self.skeleton.segments[mark.segment].element, lambda e: e.get(DOCUMENT_ATTRIBUTE) is not None)
            if mark
            else None
        )
        return element.get(DOCUMENT_ATTRIBUTE) if element is not None else None

    # -- reading

    def read(self, drawn: DrawnPages | None = None) -> None:
        """Each page's marks (their text from `drawn` when it covers every page), aligned with
        the HTML."""
        pointers = [0, 0]
        known = drawn if drawn is not None and len(drawn) == len(self.pages) else None
        written = getattr(known, "written", None)
        if written is not None:
            try:
                self.written = WrittenTree(*written)
            except (AttributeError, KeyError, IndexError, TypeError, ValueError):
                self.written = None  # not the objects `WrittenTree` reads: the PDF's tree is read
        for index in range(len(self.pages)):
            data = page_content(self.pages[index])
            self.contents.append(data)
            marks = read_marks(self.pdf, index, data, self.fonts, known[index] if known else None)
            self.marks.append(marks)
            self.mark_index.update((id(mark), i) for i, mark in enumerate(marks))
            for mark in marks:
                self.by_key[(index, mark.mcid)] = mark
            align(marks, self.skeleton, pointers, self._may_skip)

    def _may_skip(self, mark: Mark) -> bool:
        """May the alignment skip text to place this mark? Not for margin content or a repeated
        table header, which are somewhere else in the HTML."""
        old = self.old_parent(mark)
        return old is not None and self.reachable(old) and "/THead" not in self.old_kinds(old)

    def _parent_tree(self) -> dict[int, Any]:
        found: dict[int, Any] = {}
        if self.root is None or "/ParentTree" not in self.root:
            return found

        def visit(node: Any) -> None:
            nums = node.get("/Nums")
            if nums is not None:
                items = list(nums)
                for i in range(0, len(items) - 1, 2):
                    found[int(items[i])] = items[i + 1]
            for kid in node.get("/Kids", ()):
                visit(kid)

        visit(self.root.ParentTree)
        return found

    def old_parent(self, mark: Mark) -> Any:
        """A mark's element in the old tree (WeasyPrint's object number if it is known, else the
        PDF's element)."""
        if self.written is not None:
            return self.written.parent(mark.page, mark.mcid)
        return self._pdf_parent(mark)

    def _pdf_parent(self, mark: Mark) -> Any:
        key = self.page_refs[mark.page].get("/StructParents")
        array = self.old_parents.get(int(key)) if key is not None else None
        if array is None or mark.mcid >= len(array):
            return None
        return array[mark.mcid]

    def old_kinds(self, element: Any) -> list[str]:
        """The structure types of an old element and its ancestors (each ancestor's read once:
        the marks left over share them)."""
        if self.written is not None:
            return self.written.kinds(element)
        key = element.objgen
        kinds = self.kinds_memo.get(key)
        if kinds is None:
            kinds = []
            if isinstance(element, pikepdf.Dictionary) and element.get("/Type") != "/StructTreeRoot":
                parent = element.get("/P")
                kinds = [str(element.get("/S", "")), *(self.old_kinds(parent) if parent is not None else ())]
            self.kinds_memo[key] = kinds
        return kinds

    def reachable(self, element: Any) -> bool:
        """Is an old element reachable from the root (WeasyPrint's margin content is not)?"""
        if self.written is not None:
            return self.written.reachable(element)
        key = element.objgen
        found = self.reach_memo.get(key)
        if found is None:
            found = self.reach_memo[key] = self._reachable(element)
        return found

    def _reachable(self, element: Any) -> bool:
        """Climbs to the element below the tree's top (WeasyPrint's `Document`) and looks for it
        there: that is where WeasyPrint leaves margin content out."""
        parent = element.get("/P") if isinstance(element, pikepdf.Dictionary) else None
        if parent is None:
            return False
        above = parent.get("/P")
        if parent.get("/Type") == "/StructTreeRoot" or above is None or above.get("/Type") == "/StructTreeRoot":
            key = parent.objgen
            if key not in self.old_kids:
                kids = parent.get("/K")
                items = kids if isinstance(kids, pikepdf.Array) else [kids]
                self.old_kids[key] = {k.objgen for k in items if isinstance(k, pikepdf.Dictionary)}
            return element.objgen in self.old_kids[key]
        return self.reachable(parent)  # as its ancestors are

    # -- placing what did not align

    def place(self) -> None:
        """Links, figures, then every mark left: generated content, artifacts."""
        self._links()
        figures = iter(self.skeleton.figures)
        for marks in self.marks:
            for mark in marks:
                if mark.tag == "Figure":
                    element = next(figures, None)
                    if element is not None:
                        self.figure_marks[element] = mark
                        self._figure_box(element, mark)
                        mark.stream = -2
        for marks in self.marks:
            for i, mark in enumerate(marks):
                if mark.stream == -1 and mark.artifact is None:
                    self._leftover(mark, marks, i)
        for marks in self.marks:
            for mark in marks:
                if mark.segment >= 0:
                    self.segment_marks.setdefault(mark.segment, []).append(mark)
        for placed in self.segment_marks.values():
            placed.sort(key=lambda m: (m.start, m.page, m.mcid))
        self._line_ends()

    def _links(self) -> None:
        """Each link annotation to its <a>, by the text it covers or by its target; the
        zero-width ones (`<wbr>` inside a link) are removed."""
        used: dict[str, int] = {}
        for index, page in enumerate(self.page_refs):
            annotations = page.get("/Annots")
            if annotations is None:
                continue
            kept = []
            for annotation in annotations:
                if annotation.get("/Subtype") != "/Link":
                    kept.append(annotation)
                    continue
                rect = [float(v) for v in annotation.Rect]
                if abs(rect[2] - rect[0]) < 0.01 or abs(rect[3] - rect[1]) < 0.01:
                    self.removed_links += 1
                    continue
                kept.append(annotation)
                marks = self._annotation_marks(annotation, index)
                element = self._anchor_of(marks, annotation, used)
                if element is None:
                    continue
                self.links.setdefault(element, []).append(annotation)
                self.annotation_page[annotation.objgen] = index
                for mark in marks:
                    if mark.stream == -1 and LEADER.fullmatch(mark.text):
                        mark.artifact = "Layout"  # a leader to the page number
                    elif mark.stream == -1:  # its own text has no letters: a note call, a page number
                        mark.stream = -2
                        self.element_marks.setdefault(element, []).append(mark)
                        if is_noteref(element):
                            mark.actual = f"[{mark.text.strip()}]"
            page.Annots = pikepdf.Array(kept)

    def _annotation_marks(self, annotation: Any, page: int) -> list[Mark]:
        key = annotation.get("/StructParent")
        if self.written is not None:
            found = self.written.annotation_mcids(int(key)) if key is not None else []
            return [self.by_key[(page, i)] for i in found if (page, i) in self.by_key]
        parent = self.old_parents.get(int(key)) if key is not None else None
        if parent is None:
            return []
        kids = parent.get("/K")
        items = kids if isinstance(kids, pikepdf.Array) else [kids]
        marks = []
        for item in items:
            if isinstance(item, int) and (page, item) in self.by_key:
                marks.append(self.by_key[(page, item)])
        return marks

    def _anchor_of(self, marks: list[Mark], annotation: Any, used: dict[str, int]) -> Any:
        for mark in marks:
            if mark.segment >= 0:
                element = self.skeleton.segments[mark.segment].element
                while element is not None and element.tag != "a":
                    element = element.getparent()
                if element is not None:
                    return element
        href = _href(annotation)
        candidates = self.skeleton.anchors.get(href, [])
        if not candidates:
            return None
        index = used.get(href, 0)
        used[href] = index + 1
        return candidates[min(index, len(candidates) - 1)]

    def _figure_box(self, element: Any, mark: Mark) -> None:
        old = self._pdf_parent(mark)  # its box as the PDF writes it
        box = old.get("/A", {}).get("/BBox") if isinstance(old, pikepdf.Dictionary) else None
        if box is None:
            return
        x1, y1, x2, y2 = (float(v) for v in box)
        matrix = _initial_matrix(self.contents[mark.page])
        (ax, ay), (bx, by) = _apply(matrix, x1, y1), _apply(matrix, x2, y2)
        self.figure_boxes[element] = [min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)]

    def _leftover(self, mark: Mark, marks: list[Mark], index: int) -> None:
        """A mark whose letters are nowhere next in the HTML: margin content and repeated table
        headers become artifacts; the rest is generated content, put in the element WeasyPrint
        put it in (found through the old tree, where one of its neighbours aligned)."""
        dots = LEADER.fullmatch(mark.text) is not None
        if not mark.text.translate(INVISIBLE).strip() or (dots and _in_leader(marks, index)):
            mark.artifact = "Layout"  # nothing to read (a zero-width space), or a leader (a sequence a dot)
            return
        old = self.old_parent(mark)
        kinds = self.old_kinds(old) if old is not None else []
        if old is None or not self.reachable(old):
            top = self.pages[mark.page].mediabox
            middle = (float(top[1]) + float(top[3])) / 2
            mark.artifact = "Header" if _page_y(self.contents[mark.page], mark) > middle else "Footer"
            return
        if "/THead" in kinds and any(c.isalpha() for c in mark.text):
            mark.artifact = ""
            return
        if dots and self._after_label(mark, marks, index):
            return  # the dot of a note's number (`attr(data-n) "."`), with it
        if self._in_gap(mark, marks, index):
            if not (dots and self._in_toc(mark)):
                return  # text of the HTML: a full stop after a note call is the sentence's
            mark.stream, mark.segment, mark.start, mark.end, mark.gap = -1, -1, -1, -1, False
        found = self._aligned_relative(old)
        if found is None:
            mark.artifact, mark.unplaced = "", True  # neither it nor anything around it is in the HTML
            return
        element, kind = found
        if dots and _ancestor(element, is_toc) is not None:
            mark.artifact = "Layout"  # a dot of the Sommaire's: a leader's, not the HTML's
            return
        mark.stream = -2
        if "/Lbl" in kinds[:2]:
            item = _ancestor(element, lambda e: e.tag in ("li", "dt"))
            if item is not None:
                self.labels.setdefault(item, []).append(mark)
                self.label_ends[mark] = self.labels[item]
                return
        note = _ancestor(element, is_note)
        if kind != "/Link" and note is not None and NUMBER.fullmatch(mark.text) and note not in self.labels:
            self.labels[note] = [mark]  # a note's number
            self.label_ends[mark] = self.labels[note]
            return
        inline = ("a",) if kind == "/Link" else ()
        host = _ancestor(element, lambda e: e.tag in BLOCKS or e.tag in ("li", "dt", "dd", "td", "th", *inline))
        self.element_marks.setdefault(host if host is not None else element, []).append(mark)

    def _in_toc(self, mark: Mark) -> bool:
        return _ancestor(self.skeleton.segments[mark.segment].element, is_toc) is not None

    def _after_label(self, mark: Mark, marks: list[Mark], index: int) -> bool:
        """A dot drawn right after a label placed already (a note's number and its generated
        dot are two boxes): it joins that label."""
        label = self.label_ends.pop(marks[index - 1], None) if index > 0 else None
        if label is None:
            return False
        label.append(mark)
        self.label_ends[mark] = label
        mark.stream = -2
        return True

    def _in_gap(self, mark: Mark, marks: list[Mark], index: int) -> bool:
        """A mark without letters whose text is in the HTML between its aligned neighbours
        (digits, punctuation: a date in a table, a dash)."""
        before = next((m for m in reversed(marks[:index]) if m.stream >= 0), None)
        after = next(
            (m for m in marks[index + 1 :] if m.stream >= 0 and (before is None or m.stream == before.stream)), None
        )
        text = mark.text.strip()
        if before is None or after is None or not text or after.stream != before.stream:
            return False
        stream = before.stream
        start = self.skeleton.locate(stream, before.end - 1)
        start = (start[0], start[1] + 1)
        end = self.skeleton.locate(stream, after.start)
        if end < start:
            return False
        order = self.skeleton.streams[stream].segments
        i, j = bisect.bisect_left(order, start[0]), bisect.bisect_left(order, end[0])
        for position in range(i, j + 1):
            segment = order[position]
            raw = self.skeleton.segments[segment].raw
            low = start[1] if segment == start[0] else 0
            high = end[1] if segment == end[0] else len(raw)
            if text in raw[low:high]:
                mark.stream, mark.segment, mark.gap = stream, segment, True
                mark.start = mark.end = before.end
                return True
        return False

    def _aligned_relative(self, old: Any) -> tuple[Any, str] | None:
        """The HTML element of the first aligned mark under the nearest old ancestor that has one,
        and that ancestor's type."""
        written = self.written
        if written is not None:
            number = old
            for _ in range(6):
                number = written.above(number)
                if number is None:
                    return None
                found = written.first(number, 0, self._aligned_mark)
                if found is not None:
                    return self.skeleton.segments[found.segment].element, written.kind(number)
            return None
        element = old
        for _ in range(6):
            element = element.get("/P") if isinstance(element, pikepdf.Dictionary) else None
            if element is None or element.get("/Type") == "/StructTreeRoot" or element.get("/S") == "/Document":
                return None
            found = self._first_aligned(element, 0)
            if found is not None:
                return self.skeleton.segments[found.segment].element, str(element.get("/S"))
        return None

    def _aligned_mark(self, page: int, mcid: int) -> Mark | None:
        mark = self.by_key.get((page, mcid))
        return mark if mark is not None and mark.stream >= 0 else None

    def _first_aligned(self, element: Any, depth: int) -> Mark | None:
        if depth > 6:
            return None
        page = element.get("/Pg")
        page_index = self.page_index.get(page.objgen) if page is not None else None
        kids = element.get("/K")
        items = kids if isinstance(kids, pikepdf.Array) else [kids]
        for item in items:
            if isinstance(item, int):
                mark = self.by_key.get((page_index, item)) if page_index is not None else None
                if mark is not None and mark.stream >= 0:
                    return mark
            elif isinstance(item, pikepdf.Dictionary) and item.get("/Type") == "/StructElem":
                found = self._first_aligned(item, depth + 1)
                if found is not None:
                    return found
        return None

    def _line_ends(self) -> None:
        """Where a line break dropped a space or added a hyphen, the text says so (/ActualText
        on the line's last glyph)."""
        for stream in (MAIN, NOTES):
            aligned = sorted((m for ms in self.marks for m in ms if m.stream == stream), key=lambda m: m.start)
            aligned = [m for m in aligned if not m.gap]
            for a, b in itertools.pairwise(aligned):
                self._gap(stream, a, b)

    def _gap(self, stream: int, a: Mark, b: Mark) -> None:
        tail = a.text[_last_letter(a.text) + 1 :]
        hyphen = tail[-1:] in HYPHENS and tail != ""
        line_end = a.page != b.page or (a.y is not None and b.y is not None and abs(a.y[1] - b.y[0]) > 0.5)
        if not hyphen and (not line_end or not a.text.rstrip()):
            return  # nothing a line break changed (the HTML's text between them is not read)
        head = b.text[: _first_letter(b.text)]
        start = self.skeleton.locate(stream, a.end - 1)
        end = self.skeleton.locate(stream, b.start)
        between = self.skeleton.between(stream, (start[0], start[1] + 1), end).translate(INVISIBLE)
        if hyphen and tail[-1] not in between:
            a.edit = SHY  # a hyphen of the hyphenation
            return
        if not line_end or not a.text.rstrip():
            return
        if tail.endswith("-") and "-" in between and not head:
            a.edit = HYPHEN  # a hyphen of the text at a line's end: not a hyphenation one
            return
        if _spaces(between) > _spaces(tail) + _spaces(head) and not tail[-1:].isspace():
            self._line_last(a).space = True

    def _line_last(self, mark: Mark) -> Mark:
        """The last sequence drawn on an aligned mark's line after it, of those placed by their
        text (a note call, the full stop after it): the space a line break took reads after
        them ("Almaty[5]. "), not between the word and its call."""
        marks = self.marks[mark.page]
        last = mark
        for following in marks[self.mark_index[id(mark)] + 1 :]:
            same_line = following.y is not None and mark.y is not None and abs(following.y[0] - mark.y[1]) < LINE
            if not same_line or following.artifact is not None or (following.stream >= 0 and not following.gap):
                break
            last = following
        return last

    # -- the new tree

    def build(self) -> Node:
        body = self.skeleton.root.find("body")
        document = Node("Document", body)
        lang = self.skeleton.root.get("lang") or str(self.pdf.Root.get("/Lang", ""))
        kids, notes = self._kids(body, lang, in_toc=False)
        document.kids.extend(kids)
        document.kids.extend(notes)
        return document

    def _kids(self, element: Any, lang: str, in_toc: bool) -> tuple[list[Any], list[Node]]:
        """The structure of an element's content: its text's marks and its children, in order,
        and the notes not placed yet."""
        kids: list[Any] = []
        notes: list[Node] = []
        segment = self.skeleton.text_segment.get(element)
        if segment is not None:
            kids.extend(self.segment_marks.get(segment, ()))
        for child in element:
            if not isinstance(child.tag, str) or child.tag in SKIPPED_TAGS:
                pass
            else:
                made, pending = self._element(child, lang, in_toc)
                kids.extend(made)
                notes.extend(pending)
            segment = self.skeleton.tail_segment.get(child)
            if segment is not None:
                kids.extend(self.segment_marks.get(segment, ()))
        kids.extend(sorted(self.element_marks.get(element, ()), key=lambda m: (m.page, m.mcid)))
        return kids, notes

    def _element(self, element: Any, lang: str, in_toc: bool) -> tuple[list[Any], list[Node]]:
        tag = element.tag
        own_lang = element.get("lang") or element.get("{http://www.w3.org/XML/1998/namespace}lang")
        inner_lang = own_lang or lang
        if tag in ("img", "svg") or tag.endswith("}svg"):
            return self._figure(element, inner_lang, lang), []
        toc = in_toc or is_toc(element)
        kind = self._kind(element, toc, in_toc)
        kids, notes = self._kids(element, inner_lang, toc)
        if is_note(element):
            node = Node("Note", element, ident=element.get("id"))
            label = self.labels.get(element, [])
            if label:
                node.kids.append(Node("Lbl", kids=list(label)))
            node.kids.extend(kids)
            if own_lang and own_lang != lang:
                node.lang = own_lang
            return [], [node, *notes]
        if tag == "li" and not toc:
            return self._list_item(element, kids, notes, own_lang, lang)
        if tag in ("dt", "dd"):
            kind = "Lbl" if tag == "dt" else "LBody"
        if kind is None:
            if own_lang and own_lang.lower() != lang.lower() and kids:
                kind = "Span"
            else:
                return kids, notes
        node = Node(kind, element, kids, ident=element.get("id"))
        if own_lang and own_lang.lower() != lang.lower():
            node.lang = own_lang
        if kind == "Link":
            node.kids.extend(self.links.get(element, ()))
        if kind in ("TH", "TD"):
            self._cell(node, element)
        if tag == "dl":
            node.kids = _definition_items(node.kids)
        if kind in PARAGRAPHS:
            return [node, *notes], []
        if kind in CONTAINERS:
            node.kids.extend(notes)
            return [node], []
        return [node], notes

    def _kind(self, element: Any, toc: bool, in_toc: bool) -> str | None:
        tag = element.tag
        if toc and tag in ("ol", "ul"):
            return "TOC"
        if toc and tag == "li":
            return "TOCI"
        if tag == "a":
            return "Link" if element.get("href") else None
        if tag in ("th", "td"):
            return tag.upper()
        if tag == "nav" and toc and not in_toc:
            return "Div"
        return BLOCKS.get(tag) or INLINES.get(tag)

    def _list_item(
        self, element: Any, kids: list[Any], notes: list[Node], own: str | None, lang: str
    ) -> tuple[list[Any], list[Node]]:
        item = Node("LI", element, ident=element.get("id"))
        label = self.labels.get(element, [])
        if label:
            item.kids.append(Node("Lbl", kids=list(label)))
        item.kids.append(Node("LBody", kids=kids + notes))
        if own and own.lower() != lang.lower():
            item.lang = own
        return [item], []

    def _cell(self, node: Node, element: Any) -> None:
        attributes: dict[str, Any] = {"/O": pikepdf.Name.Table}
        if node.kind == "TH":
            scope = (element.get("scope") or "").lower()
            if scope not in ("row", "col", "column", "both"):
                row = element.getparent()
                in_head = row is not None and row.getparent() is not None and row.getparent().tag == "thead"
                first = row is not None and next((c for c in row if isinstance(c.tag, str)), None) is element
                scope = "column" if in_head or not first else "row"
            attributes["/Scope"] = pikepdf.Name(
                "/" + {"col": "Column", "column": "Column", "row": "Row"}.get(scope, "Both")
            )
        for html_name, pdf_name in (("colspan", "/ColSpan"), ("rowspan", "/RowSpan")):
            value = element.get(html_name)
            if value and value.isdigit() and int(value) > 1:
                attributes[pdf_name] = int(value)
        node.attributes["/A"] = attributes

    def _figure(self, element: Any, lang: str, parent_lang: str) -> list[Any]:
        mark = self.figure_marks.get(element)
        if mark is None:
            return []
        alt = element.get("alt") or element.get("aria-label")
        if alt is None:
            title = next((c for c in element if isinstance(c.tag, str) and c.tag.split("}")[-1] == "title"), None)
            alt = title.text_content().strip() if title is not None else None
        node = Node("Figure", element, [mark], ident=element.get("id"), alt=alt)
        attributes: dict[str, Any] = {"/O": pikepdf.Name.Layout, "/Placement": pikepdf.Name.Block}
        if element in self.figure_boxes:
            attributes["/BBox"] = pikepdf.Array(self.figure_boxes[element])
        node.attributes["/A"] = attributes
        if lang.lower() != parent_lang.lower():
            node.lang = lang
        return [node]

    # -- writing

    def write(self, document: Node) -> None:
        pdf = self.pdf
        pdf_root = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))
        parents: dict[int, dict[int, Any]] = {}  # page → MCID → element
        annotation_parents: list[tuple[Any, Any]] = []
        ids: list[tuple[str, Any]] = []
        elem = self._write_node(document, pdf_root, parents, annotation_parents, ids)
        pdf_root.K = pikepdf.Array([elem])
        nums: list[Any] = []
        for index, page in enumerate(self.page_refs):
            page.StructParents = index
            mapping = parents.get(index, {})
            size = max(mapping) + 1 if mapping else 0
            nums.extend([index, pikepdf.Array([mapping.get(i) for i in range(size)])])
        key = len(self.page_refs)
        for annotation, parent in annotation_parents:
            annotation.StructParent = key
            nums.extend([key, parent])
            key += 1
        pdf_root.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(nums)))
        pdf_root.ParentTreeNextKey = key
        if ids:
            ids.sort(key=lambda pair: pair[0].encode("utf-16-be"))
            names: list[Any] = []
            for ident, element in ids:
                names.extend([pikepdf.String(ident), element])
            pdf_root.IDTree = pikepdf.Dictionary(Names=pikepdf.Array(names))
        pdf.Root.StructTreeRoot = pdf_root
        pdf.Root.MarkInfo = pikepdf.Dictionary(Marked=True)

    def _write_node(self, node: Node, parent: Any, parents: dict, annotations: list, ids: list) -> Any:
        first = next((k for k in node.kids if isinstance(k, Mark)), None)
        page = first.page if first is not None else None
        entries: dict[str, Any] = {"/Type": STRUCT_ELEM, "/S": _name(node.kind), "/P": parent}
        if page is not None:
            entries["/Pg"] = self.page_refs[page]
        if node.lang and BCP47.fullmatch(node.lang):  # `lang="English"` (an export's) is left out, as in the EPUB
            entries["/Lang"] = pikepdf.String(node.lang)
        if node.alt:
            entries["/Alt"] = pikepdf.String(node.alt)
        if node.ident:
            entries["/ID"] = pikepdf.String(node.ident)
        for key, value in node.attributes.items():
            entries[key] = pikepdf.Dictionary(value) if isinstance(value, dict) else value
        element = self.pdf.make_indirect(pikepdf.Dictionary(entries))
        if node.ident:
            ids.append((node.ident, element))
        kids: list[Any] = []
        for kid in node.kids:
            if isinstance(kid, Mark):
                parents.setdefault(kid.page, {})[kid.mcid] = element
                if kid.page == page:
                    kids.append(kid.mcid)
                else:
                    kids.append(pikepdf.Dictionary({"/Type": MCR, "/Pg": self.page_refs[kid.page], "/MCID": kid.mcid}))
            elif isinstance(kid, Node):
                if kid.has_content():
                    kids.append(self._write_node(kid, element, parents, annotations, ids))
            else:  # a link annotation
                on = self.annotation_page.get(kid.objgen)
                reference = {"/Type": OBJR, "/Obj": kid}
                if on is not None:
                    reference["/Pg"] = self.page_refs[on]
                kids.append(pikepdf.Dictionary(reference))
                annotations.append((kid, element))
                kid.Contents = pikepdf.String(self._describe(node.element, kid))
        element.K = kids[0] if len(kids) == 1 else pikepdf.Array(kids)
        return element

    def _describe(self, anchor: Any, annotation: Any) -> str:
        """What a link annotation says it is: the note it calls, the place it leads to and its
        page, the address."""
        text = " ".join(anchor.text_content().split()) if anchor is not None else ""
        href = _href(annotation)
        if anchor is not None and is_noteref(anchor):
            return self.gettext("Note %(number)s") % {"number": text}
        if href.startswith("#") or "/Dest" in annotation:
            page = self._destination_page(annotation)
            if page is not None and text:
                return self.gettext("%(title)s, page %(page)s") % {"title": text, "page": page}
            return text or href
        return href or text

    def _destination_page(self, annotation: Any) -> int | None:
        destination = annotation.get("/Dest")
        if destination is None:
            return None
        if isinstance(destination, (pikepdf.String, pikepdf.Name)):
            destination = _named_destination(self.pdf, str(destination))
        if isinstance(destination, pikepdf.Array) and len(destination) > 0:
            index = self.page_index.get(destination[0].objgen)
            return None if index is None else index + 1
        return None

    def edit_content(self) -> None:
        """Artifacts and /ActualText in the pages' bytes."""
        for index, marks in enumerate(self.marks):
            edits: list[tuple[int, int, bytes]] = []
            data = self.contents[index]
            for mark in marks:
                if mark.artifact == "Layout":
                    edits.append((*mark.bdc, b"/Artifact <</Type /Layout>> BDC"))
                    continue
                if mark.artifact is not None:
                    subtype = f" /Subtype /{mark.artifact}" if mark.artifact else ""
                    edits.append((*mark.bdc, f"/Artifact <</Type /Pagination{subtype}>> BDC".encode()))
                    continue
                actual = mark.actual if mark.actual is not None else _spaced_text(mark)
                if actual is not None:
                    text = actual + (" " if mark.space else "")
                    start, end = mark.bdc
                    bdc = data[start:end]
                    edits.append((start, end, bdc.replace(b">>", b" /ActualText " + _text_string(text) + b">>", 1)))
                elif (mark.edit is not None or mark.space) and self._scanned(mark).last_tj is not None:
                    replaced = _split_last_glyph(data, mark)
                    if replaced is not None:
                        edits.append((*mark.last_tj, replaced))
            if not edits:
                continue
            edits.sort()
            pieces, position = [], 0
            for start, end, replacement in edits:
                pieces += [data[position:start], replacement]
                position = end
            pieces.append(data[position:])
            self.pages[index].obj.Contents = self.pdf.make_stream(b"".join(pieces))

    def _scanned(self, mark: Mark) -> Mark:
        """The mark with its operators read (`scan`), if they were not yet."""
        if not mark.scanned:
            names = self.page_fonts.get(mark.page)
            if names is None:
                names = self.page_fonts[mark.page] = _page_fonts(self.pages[mark.page], self.fonts)
            scan_last(mark, self.contents[mark.page], names)  # the edit is chosen: `spaced` is not read
        return mark


def _in_leader(marks: list[Mark], index: int) -> bool:
    """WeasyPrint draws a leader as one sequence a dot: a dot next to another one is a leader's."""
    return any(0 <= i < len(marks) and LEADER.fullmatch(marks[i].text) for i in (index - 1, index + 1))


def _spaced_text(mark: Mark) -> str | None:
    """A letter-spaced mark's text as one /ActualText, its last glyph read as the line end says."""
    if not mark.spaced or not mark.text:
        return None
    return mark.text[:-1] + mark.edit if mark.edit is not None else mark.text


def _split_last_glyph(data: bytes, mark: Mark) -> bytes | None:
    """The last text-showing operator of a mark with its last glyph apart, inside an
    /ActualText span: the glyph's own text and a space, or what replaces it."""
    assert mark.last_tj is not None
    start, end = mark.last_tj
    operator = data[start:end]
    close = operator.rfind(b">")
    while close > 0 and operator[close - 1 : close] == b"<":  # an empty string: an adjustment
        close = operator.rfind(b">", 0, close - 1)
    opening = operator.rfind(b"<", 0, close)
    if close <= 0 or opening < 0:
        return None
    hexadecimal = operator[opening + 1 : close].translate(None, SPACES)
    width = 2 * (mark.font.width if mark.font is not None else 2)
    glyph, rest = hexadecimal[-width:], hexadecimal[:-width]
    own = mark.font.table.get(int(glyph, 16), "") if mark.font is not None else ""
    text = _text_string((mark.edit if mark.edit is not None else own) + (" " if mark.space else ""))
    if operator.rstrip().endswith(b"Tj"):
        return b"<" + rest + b"> Tj /Span <</ActualText " + text + b">> BDC <" + glyph + b"> Tj EMC"
    head = operator[:opening] + b"<" + rest + operator[close : operator.rindex(b"]")]
    return head + b"] TJ /Span <</ActualText " + text + b">> BDC [<" + glyph + b">] TJ EMC"


STRUCT_ELEM, MCR, OBJR = pikepdf.Name.StructElem, pikepdf.Name.MCR, pikepdf.Name.OBJR
_NAMES: dict[str, Any] = {}


def _name(kind: str) -> Any:
    if kind not in _NAMES:
        _NAMES[kind] = pikepdf.Name("/" + kind)
    return _NAMES[kind]


def _ancestor(element: Any, test: Callable[[Any], bool]) -> Any:
    while element is not None and not test(element):
        element = element.getparent()
    return element


def _text_string(text: str) -> bytes:
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _href(annotation: Any) -> str:
    action = annotation.get("/A")
    if action is not None and "/URI" in action:
        return str(action.URI)
    destination = annotation.get("/Dest")
    if isinstance(destination, (pikepdf.String, pikepdf.Name)):
        return "#" + str(destination).lstrip("/")
    return ""


def _named_destination(pdf: pikepdf.Pdf, name: str) -> Any:
    names = pdf.Root.get("/Names")
    tree = names.get("/Dests") if names is not None else None
    if tree is None:
        return None
    try:
        value = pikepdf.NameTree(tree).get(name)
    except (KeyError, TypeError, ValueError):
        return None
    if isinstance(value, pikepdf.Dictionary):
        value = value.get("/D")
    return value


def _initial_matrix(data: bytes) -> tuple[float, ...]:
    """The page's transformation from the `cm` operators that open its content (CSS px → PDF)."""
    matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    position = 0
    for _ in range(4):
        match = CM.match(data, position)
        if match is None:
            break
        a, b, c, d, e, f = (float(v) for v in match.groups())
        m = matrix
        matrix = (a * m[0] + b * m[2], a * m[1] + b * m[3], c * m[0] + d * m[2], c * m[1] + d * m[3],
                  e * m[0] + f * m[2] + m[4], e * m[1] + f * m[3] + m[5])  # fmt: skip
        position = match.end()
    return matrix


def _apply(m: tuple[float, ...], x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _page_y(data: bytes, mark: Mark) -> float:
    if mark.y is None:
        return 0.0
    return _apply(_initial_matrix(data), 0.0, mark.y[0])[1]


def _first_letter(text: str) -> int:
    match = LETTERS.search(text)
    return match.start() if match else len(text)


def _last_letter(text: str) -> int:
    for i in range(len(text) - 1, -1, -1):
        if text[i].isalpha():
            return i
    return -1


def _spaces(text: str) -> int:
    return len(WHITESPACE.findall(text))


def _definition_items(kids: list[Any]) -> list[Any]:
    """`dt`/`dd` (made `Lbl`/`LBody`) grouped into list items, a term with its definitions."""
    items: list[Any] = []
    current: Node | None = None
    for kid in kids:
        if isinstance(kid, Node) and kid.kind == "Lbl":
            current = Node("LI", kids=[kid])
            items.append(current)
        elif isinstance(kid, Node) and kid.kind == "LBody":
            if current is None:
                current = Node("LI")
                items.append(current)
            current.kids.append(kid)
        elif isinstance(kid, Node) and kid.kind == "Note" and current is not None:
            current.kids[-1].kids.append(kid) if isinstance(current.kids[-1], Node) else current.kids.append(kid)
        else:
            items.append(kid)
    return items


def retag(pdf: pikepdf.Pdf, print_html: str, locale: str, drawn: DrawnPages | None = None) -> Summary:
    """Rebuild the structure tree of a PDF written from `print_html` (see the module). `drawn`:
    what WeasyPrint drew in each page's sequences, recorded by `drawn_marks` around the
    `write_pdf` that made the PDF; without it, the text is read back from the content streams."""
    with uncollected():
        tagger = Tagger(pdf, Skeleton(print_html), locale)
        tagger.read(drawn)
        tagger.place()
        tagger.write(tagger.build())
        tagger.edit_content()
        marks = [m for ms in tagger.marks for m in ms]
        summary = Summary(
            marks=len(marks),
            aligned=sum(1 for m in marks if m.stream >= 0),
            artifacts=sum(1 for m in marks if m.artifact is not None),
            unplaced=sum(1 for m in marks if m.unplaced or (m.stream == -1 and m.artifact is None)),
            removed_links=tagger.removed_links,
            page_documents=tuple(tagger.page_document(marks) for marks in tagger.marks),
        )
        # freed before the collector runs again: the first collection after the pause would
        # otherwise walk every object the pass made (a tenth of a second at 300 pages)
        del tagger, marks
    return summary
