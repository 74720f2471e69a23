"""The page guard: every note on the page of its call, no hole at a page's foot, no more than
two hyphenated lines in a row. What WeasyPrint cannot be told in CSS, read off its page boxes
and mended by laying the document out again with a few elements marked.

Why the marks are needed:
- To give a paragraph its minimum of lines at the foot of a page (`orphans`), WeasyPrint moves
  notes already placed on that page to the next one, while their calls stay behind
  (weasyprint/layout/block.py, "first try to report footnotes"); `footnote-policy` does not
  prevent it. With `footnote-policy: line`, a line whose note does not fit goes to the next page,
  and with it the lines that `widows` asks for: a page may stop five or six lines short.
- WeasyPrint has no page floats: a figure too tall for what is left of a page goes to the next
  one and leaves the rest of this one empty.
- It has no `hyphenate-limit-lines`: nothing stops three hyphens in a row.

The interface, for a layout loop (whole document or one chapter at a time):
    `fixes(document)` → the `Fix`es a laid-out `Document` asks for (element paths in the HTML
    WeasyPrint was given, as `paths(root)` numbers them before any fix moves an element);
    `apply(root, fixes)` marks (or moves) those elements in a freshly parsed tree, before the
    next `render()`. A fix never undoes another: the loop adds the new ones to those it has.
No library does this: it works on WeasyPrint's page boxes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
LEADS = {*HEADINGS, "dt"}  # blocks that lead into the next one (`break-after: avoid`): a term into its definition
CONTAINERS = {"ul", "ol", "dl", "div", "section", "blockquote"}  # blocks whose lines are their children's
ElementPath = tuple[int, ...]  # an element's place in the document: child indices from the root
HOLE_LINES = 4.0  # the most empty lines a page's foot may have outside a chapter's end
HYPHEN_RUN = 2  # the most consecutive lines of a block that may end in a hyphen
HYPHEN = "\u2010"  # WeasyPrint's hyphenate-character
PX = 0.75  # points in a CSS pixel (WeasyPrint's box unit)
# A figure with no text after it to fill the space it leaves (its chapter's last block) may be set
# smaller to fit what is left of a page, down to this share of its height: a compositor's scaling
# of a figure to the page, too little to change how it reads.
FIT_SCALE = 0.85

# The attributes print.css reads (layouts/default/print.css, "the page guard").
PAGE_BREAK_ATTRIBUTE = "data-page-break"  # a new page before this block
RELAX_ATTRIBUTE = "data-relax"  # orphans and widows 1 in this block only
HYPHENS_ATTRIBUTE = "data-hyphens"  # "more": shorter parts; "fewer": a hyphenation zone; "none": none here
SPACE_ATTRIBUTE = "data-space"  # this paragraph's word spacing, in hundredths of an em
TRACK_ATTRIBUTE = "data-track"  # this paragraph's letter spacing, in two-hundredths of an em
FIT_ATTRIBUTE = "data-fit"  # a figure's image set at most this many CSS pixels high (page-guard.css.j2)
PROBE_ATTRIBUTE = "data-probe"  # a copy of a paragraph in a probe document (`probe_html`)
LOOSE = 2.0  # a justified line whose word space is this many times the natural one is loose
# The word spacings tried on a paragraph with a loose line (hundredths of an em, print.css): an
# interword space of 75 to 115 % of the font’s 0.2 em, the range a compositor's justification
# settings allow, to break its lines elsewhere (WeasyPrint breaks greedily, a line at a time).
SPACINGS = ("-5", "-4", "-3", "-2", "-1", "1", "2", "3")
# Letter spacing (two-hundredths of an em, print.css), where word spacing alone cannot break a
# paragraph's lines evenly (a run of names that are never hyphenated): ±0.5 to 1 % of the type
# size, the range of a compositor's letter-spacing justification, too small to see.
TRACKINGS = ("-2", "-1", "1", "2")
NOTHING_BETTER = "0"  # a paragraph probed to no avail, its word spacing the font's (no rule reads it)

Kind = Literal["page-break", "relax", "hyphens", "long-page", "after", "split", "space", "track", "fit"]


@dataclass(frozen=True)
class Fix:
    """What to change in the HTML before laying it out again."""

    kind: Kind
    path: ElementPath
    target: ElementPath | None = None  # "after": the block the element moves behind; "split": the figure
    reason: str = ""  # for the log: what was seen, and where (1-based page)
    value: str = ""  # "space": a word spacing; "track": a letter spacing; "hyphens": more | fewer |
    # none; "long-page": the page, from 1; "split": the characters (spaces left out) the block's first part keeps;
    # "fit": the figure's image's greatest height, in CSS pixels


@dataclass(frozen=True)
class Misplaced:
    """A note set on another page than its call's."""

    note: str  # the note's id
    call_page: int  # 0-based
    note_page: int


@dataclass(frozen=True)
class Hole:
    """A page whose text stops more than `HOLE_LINES` above its notes or its foot."""

    page: int  # 0-based
    lines: float  # the empty space, in lines of the text's leading
    next_block: Any  # the element of the first block of the next page
    continued: bool  # that block started on this page


# ---- reading the laid-out pages --------------------------------------------------------------------


def misplaced_notes(document: Any) -> list[Misplaced]:
    """Every note whose page differs from its call's page."""
    calls: dict[str, int] = {}
    notes: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        body, *others = page._page_box.children
        for box in body.descendants():
            if getattr(box, "footnote", None) is not None and (key := box.footnote.element.get("id")):
                calls.setdefault(key, index)
        for area in others:
            if type(area).__name__ == "FootnoteAreaBox":
                for box in area.children:
                    if box.element is not None and (key := box.element.get("id")):
                        notes.setdefault(key, index)
    return [Misplaced(key, calls[key], page) for key, page in notes.items() if page != calls.get(key, page)]


def holes(document: Any, limit: float = HOLE_LINES) -> list[Hole]:
    """The pages of running text, but a chapter's last, that stop more than `limit` lines
    above their notes (or their foot): where the next page's first block did not fit."""
    pages = [page._page_box for page in document.pages]
    found = []
    for index, page in enumerate(pages[:-1]):
        if page.page_type.name != "chapter" or page.page_type.blank or _chapter_end(pages, index):
            continue
        body = page.children[0]
        lowest = _lowest(body)
        if lowest is None:
            continue
        leading = _leading(body)
        empty = (_text_limit(page) - lowest) / leading
        following = next(iter(_line_blocks(pages[index + 1].children[0])), None)
        if empty > limit and following is not None:
            continued = following in set(_line_blocks(body))
            found.append(Hole(index, empty, following, continued))
    return found


def hyphen_runs(document: Any, longest: int = HYPHEN_RUN) -> list[Any]:
    """The blocks (elements: paragraphs, notes) with more than `longest` consecutive lines
    ending in a hyphen."""
    found: list[Any] = []
    run_block, run = None, 0
    for page in document.pages:
        areas = [page._page_box.children[0]]
        areas += [a for a in page._page_box.children[1:] if type(a).__name__ == "FootnoteAreaBox"]
        for line, block in (pair for area in areas for pair in _lines(area)):
            if line_text(line).endswith(HYPHEN):
                run = run + 1 if block is run_block else 1
                run_block = block
                if run > longest and block not in found:
                    found.append(block)
            else:
                run_block, run = block, 0
    return found


def loose_blocks(root: Any, limit: float = LOOSE) -> dict[Any, float]:
    """The blocks under `root` (a page's body, a probe document's) with a justified line whose
    widest word space is `limit` times the natural one or more, and that widest ratio."""
    from weasyprint.formatting_structure import boxes

    found: dict[Any, float] = {}
    for line, block in _lines(root):
        widest = 1.0
        for box in line.descendants():
            if isinstance(box, boxes.TextBox) and box.justification_spacing and (" " in box.text or "\xa0" in box.text):
                natural = _space_width(box.style)
                if natural > 0:
                    # the gap a reader sees: the space, stretched, and the letter spacing after
                    # the word's last letter and after the space itself
                    tracking = box.style["letter_spacing"] if box.style["letter_spacing"] != "normal" else 0
                    set_width = natural + box.style["word_spacing"] + box.justification_spacing + 2 * tracking
                    widest = max(widest, set_width / natural)
        if widest >= limit:
            found[block] = max(found.get(block, 0.0), widest)
    return found


_SPACES: dict[tuple[Any, ...], float] = {}


def _space_width(style: Any) -> float:
    """The font's own word space for a text box's style (Pango's advance of a space)."""
    from weasyprint.text.line_break import Layout, line_size

    key = (tuple(style["font_family"]), style["font_size"], style["font_weight"], style["font_style"])
    if key not in _SPACES:
        widths = []
        for text in ("a a", "aa"):
            layout = Layout(style)
            layout.set_text(text)
            widths.append(line_size(layout.get_first_line()[0], style)[0])
        _SPACES[key] = widths[0] - widths[1] - style["word_spacing"]
    return _SPACES[key]


def line_text(line: Any) -> str:
    from weasyprint.formatting_structure import boxes

    return "".join(box.text for box in line.descendants() if isinstance(box, boxes.TextBox)).rstrip()


def _chapter_end(pages: list[Any], index: int) -> bool:
    """Is this page a chapter's last: the next page not blank opens a chapter, or there is none?"""
    for page in pages[index + 1 :]:
        if page.page_type.blank:
            continue
        groups = dict(page.page_type.groups)
        return page.page_type.name != "chapter" or groups.get("chapter") == 0
    return True


def _text_limit(page: Any) -> float:
    """Where the text may go down to: the top of the notes' area (its margin box), or the
    foot of the page's content box."""
    for area in page.children[1:]:
        if type(area).__name__ == "FootnoteAreaBox" and area.children:
            return area.position_y
    return page.content_box_y() + page.height


def _lowest(body: Any) -> float | None:
    """The foot of the lowest line, table row or replaced box (an image, an SVG) of the page."""
    from weasyprint.formatting_structure import boxes

    feet = [
        box.position_y + box.margin_height()
        for box in body.descendants()
        if isinstance(box, boxes.LineBox | boxes.ReplacedBox | boxes.TableRowBox)
        or (isinstance(box, boxes.BlockBox) and box.element_tag == "svg")
    ]
    return max(feet, default=None)


def _leading(body: Any) -> float:
    """The line height of the page's running text (its most common line box height)."""
    from collections import Counter

    from weasyprint.formatting_structure import boxes

    heights = Counter(round(box.height, 2) for box in body.descendants() if isinstance(box, boxes.LineBox))
    return heights.most_common(1)[0][0] if heights else 1.0


def text_leading(document: Any) -> float:
    """The line height of the running text over the document's pages, in CSS pixels."""
    from collections import Counter

    from weasyprint.formatting_structure import boxes

    heights: Counter[float] = Counter()
    for page in document.pages:
        if page._page_box.page_type.name == "chapter":
            body = page._page_box.children[0]
            heights.update(round(box.height, 2) for box in body.descendants() if isinstance(box, boxes.LineBox))
    return heights.most_common(1)[0][0] if heights else 0.0


def _lines(root: Any) -> Iterator[tuple[Any, Any]]:
    """Each in-flow line box under `root`, in order, with the element of its block."""
    from weasyprint.formatting_structure import boxes

    def walk(box: Any, element: Any) -> Iterator[tuple[Any, Any]]:
        for child in getattr(box, "children", ()):
            if isinstance(child, boxes.LineBox):
                yield child, element
            elif isinstance(child, boxes.ParentBox):
                own = isinstance(child, boxes.BlockBox) and child.element is not None
                yield from walk(child, child.element if own else element)

    yield from walk(root, root.element)


def _line_blocks(root: Any) -> Iterator[Any]:
    """The element of the block holding each in-flow line box under `root`, in order."""
    for _, element in _lines(root):
        yield element


# ---- what to change --------------------------------------------------------------------------------


def fixes(
    document: Any, numbering: dict[Any, ElementPath], done: Iterable[Fix] = (), probe: Probe | None = None
) -> list[Fix]:
    """The fixes this layout asks for, beyond those already `done`: `numbering` maps the
    elements WeasyPrint laid out to their paths in the HTML as rendered (`paths`).

    In order of precedence, so that one never undoes another:
    1. a note away from its call: the block that displaced it keeps fewer lines together
       (`relax`); if it already does, it starts a new page;
    2. a hole at a page's foot: a figure that did not fit moves behind the next block (`after`),
       and if that block then runs over the page, into it, at the page's top (`split`: the
       paragraph is cut where its page ends, its first part's last line justified); a block
       that did not fit keeps fewer lines together (`relax`), then
       the page holds one line more (`long-page`: its notes reach a line lower, as a
       compositor makes a long page; `long_pages` gives the pages to the layout's stylesheet);
    3. three hyphens in a row, or a loose justified line: the paragraph's hyphenation and word
       spacing that break its lines best, found by `probe` (which lays copies of the
       paragraph out, `probe_html`, and reads them, `best_setting`)."""
    done = list(done)
    have = {(f.kind, f.path, f.target) for f in done}
    new: list[Fix] = []

    def add(fix: Fix) -> bool:
        if (fix.kind, fix.path, fix.target) in have or fix.path == ():
            return False
        have.add((fix.kind, fix.path, fix.target))
        new.append(fix)
        return True

    parents = _parents(document)
    broken_pages = set()
    for page in sorted({m.call_page for m in misplaced_notes(document)}):
        element = _displacing_element(document, page, parents)
        if element is None or element not in numbering:
            continue
        path = numbering[element]
        reason = f"notes of page {page + 1} moved away from their calls"
        if not add(Fix("relax", path, reason=reason)):
            add(Fix("page-break", path, reason=reason))
        broken_pages.add(page)
    for hole in holes(document):
        if hole.page in broken_pages or hole.page - 1 in broken_pages:
            continue
        _hole_fix(document, hole, numbering, parents, add, done + new)
    _paragraph_fixes(document, numbering, done + new, probe, add)
    return new


def _paragraph_fixes(
    document: Any, numbering: dict[Any, ElementPath], done: list[Fix], probe: Probe | None, add: Any
) -> None:
    """Paragraphs with three hyphens in a row or a loose line: the setting that breaks their
    lines best, from `probe`; without one, fewer hyphens, then none."""
    settled = {f.path for f in done if f.kind in ("space", "hyphens", "track")}
    trouble: dict[Any, str] = {}
    for element in hyphen_runs(document):
        trouble[element] = "three hyphenated lines in a row"
    for page in document.pages:
        for element, ratio in loose_blocks(page._page_box.children[0]).items():
            trouble.setdefault(element, f"a word space {ratio:.1f} × the natural one")
    trouble = {e: why for e, why in trouble.items() if e in numbering and numbering[e] not in settled}
    if probe is None:
        for element in hyphen_runs(document):
            if element in trouble:
                add(Fix("hyphens", numbering[element], reason=trouble[element], value="fewer"))
        return
    chosen = probe(list(trouble))
    for element, why in trouble.items():
        hyphens, spacing, tracking = chosen.get(element, ("", NOTHING_BETTER, ""))  # probed once, whatever it found
        if hyphens:
            add(Fix("hyphens", numbering[element], reason=why, value=hyphens))
        if tracking:
            add(Fix("track", numbering[element], reason=why, value=tracking))
        add(Fix("space", numbering[element], reason=why, value=spacing or NOTHING_BETTER))


# A paragraph's settings the probe tries: its hyphenation ("" as the layout has it, "more":
# shorter words and parts, "fewer", "none") with each word spacing ("" for the font's own), and
# a letter spacing ("" for none) with a few word spacings.
Setting = tuple[str, str, str]
HYPHENATIONS = ("", "more", "fewer", "none")
SETTINGS: tuple[Setting, ...] = (
    ("", "", ""),  # the paragraph as it is, which a setting must better
    *(("", w, "") for w in SPACINGS),
    *((h, w, "") for h in HYPHENATIONS[1:] for w in ("", "-2", "2")),
    *(("", w, t) for t in TRACKINGS for w in ("", "-4", "-2", "2")),
)
Probe = Callable[[list[Any]], dict[Any, Setting]]  # paragraphs → the setting that suits each


def probe_html(root: Any, elements: list[Any], settings: Iterable[Setting] = SETTINGS) -> str:
    """An HTML document holding a copy of each paragraph for each setting, in copies of its
    ancestors (one for the paragraphs that share them: a chapter's section opens a page) and
    after an empty copy of the block before it (for `p + p`), so that it is set exactly as
    in the book: `best_setting` reads the result."""
    import copy
    import xml.etree.ElementTree as ET

    settings = list(settings)
    parents = {child: parent for parent in root.iter() for child in parent}
    html = ET.Element(root.tag, dict(root.attrib))
    body = ET.SubElement(html, "body")
    holders: dict[tuple[int, ...], Any] = {}
    for number, element in enumerate(elements):
        chain = []
        parent = parents.get(element)
        while parent is not None and parent.tag not in ("body", "html"):
            chain.insert(0, parent)
            parent = parents.get(parent)
        key = tuple(id(a) for a in chain)
        if key not in holders:
            holder = body
            for ancestor in chain:
                holder = ET.SubElement(holder, ancestor.tag, _plain(ancestor.attrib))
            holders[key] = holder
        holder = holders[key]
        siblings = list(parents[element])
        position = siblings.index(element)
        for index, (hyphens, spacing, tracking) in enumerate(settings):
            before = siblings[position - 1] if position else None
            if before is not None:
                ET.SubElement(holder, before.tag, _plain(before.attrib))
            twin = copy.deepcopy(element)
            twin.tail = None
            _drop_notes(twin)  # a note floats out of its line: without it the lines break the same
            marks = ((HYPHENS_ATTRIBUTE, hyphens), (SPACE_ATTRIBUTE, spacing), (TRACK_ATTRIBUTE, tracking))
            for attribute, value in marks:
                if value:
                    twin.set(attribute, value)
            twin.set(PROBE_ATTRIBUTE, f"{number}/{index}")
            twin.attrib.pop(PAGE_BREAK_ATTRIBUTE, None)
            holder.append(twin)
    return "<!DOCTYPE html>\n" + ET.tostring(html, encoding="unicode", method="html")


def _drop_notes(element: Any) -> None:
    for parent in list(element.iter()):
        for child in list(parent):
            if _is_note(child):
                tail = child.tail or ""
                index = list(parent).index(child)
                parent.remove(child)
                if index:
                    previous = parent[index - 1]
                    previous.tail = (previous.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail


def _plain(attributes: dict[str, str]) -> dict[str, str]:
    """An ancestor's attributes, but its ids (no duplicate anchors) and the guard's page break."""
    return {k: v for k, v in attributes.items() if k not in ("id", PAGE_BREAK_ATTRIBUTE)}


def best_setting(document: Any, elements: list[Any], settings: tuple[Setting, ...] = SETTINGS) -> dict[Any, Setting]:
    """From a laid-out `probe_html`: for each paragraph, the setting with neither three
    hyphens in a row nor a loose line, the least changed (then the evenest) of those; if none
    has neither, the one with the fewer of them (then the evenest), if it is better than the
    paragraph as it is."""
    return _chosen(_probed(document), elements, settings)


# The greatest change (`_change`) each round of `probe_rounds` tries, but the last, which tries
# the rest. Most paragraphs are mended by a word spacing of ±1 or a little more hyphenation.
PROBE_ROUNDS = (1, 3)
Layout = Callable[[str], Any]  # an HTML document → WeasyPrint's laid-out `Document`


def probe_rounds(root: Any, elements: list[Any], lay_out: Layout) -> dict[Any, Setting]:
    """`best_setting` over every setting, found with fewer copies laid out: the settings are
    tried in rounds of growing change (`PROBE_ROUNDS`), and a paragraph that has a setting
    without a fault after a round is not probed further, since a setting of a later round
    changes it more and cannot be chosen over that one. A paragraph that no setting mends is
    probed with them all, as before. One copy of each paragraph for every setting (34) made
    the probe document larger than the book itself: on the 297-page synthetic dossier its
    layout took longer than the book's."""
    found: dict[int, dict[int, tuple[int, float, int]]] = {}
    left = list(range(len(elements)))
    low = -1
    for high in (*PROBE_ROUNDS, max(_change(s) for s in SETTINGS)):
        indices = [i for i, setting in enumerate(SETTINGS) if low < _change(setting) <= high]
        low = high
        if not left or not indices:
            continue
        laid = lay_out(probe_html(root, [elements[n] for n in left], [SETTINGS[i] for i in indices]))
        for number, results in _probed(laid).items():
            for index, result in results.items():
                found.setdefault(left[number], {})[indices[index]] = result
        left = [n for n in left if not any(_score(r, SETTINGS[i])[0] == 0 for i, r in found.get(n, {}).items())]
    return _chosen(found, elements, SETTINGS)


ProbeResult = tuple[int, float, int]  # the longest run of hyphens, the widest word space, 0


def _probed(document: Any) -> dict[int, dict[int, ProbeResult]]:
    """What each copy of a laid-out `probe_html` shows: paragraph → setting → result."""
    from weasyprint.formatting_structure import boxes

    found: dict[int, dict[int, ProbeResult]] = {}
    for page in document.pages:
        for box in (b for area in page._page_box.children for b in area.descendants()):
            if isinstance(box, boxes.BlockBox) and box.element is not None and box.element.get(PROBE_ATTRIBUTE):
                number, index = map(int, box.element.get(PROBE_ATTRIBUTE).split("/"))
                ratio = max(loose_blocks(box, limit=0.0).values(), default=1.0)
                runs = _longest_run(box)
                old = found.setdefault(number, {}).get(index, (0, 1.0, 0))
                found[number][index] = (max(old[0], runs), max(old[1], ratio), 0)
    return found


def _change(setting: Setting) -> int:
    """How far a setting is from the paragraph as it is."""
    hyphens, spacing, tracking = setting
    return HYPHENATIONS.index(hyphens) + abs(int(spacing or 0)) + 2 * abs(int(tracking or 0))


def _score(result: ProbeResult, setting: Setting) -> tuple[int, int, float]:
    """Its faults (three hyphens in a row, a loose line), how much it changes, its widest space."""
    runs, ratio, _ = result
    return (int(runs > HYPHEN_RUN) + int(ratio >= LOOSE), _change(setting), ratio)


def _fault(result: ProbeResult, setting: Setting) -> tuple[int, int, float]:
    """How bad a setting's lines are: its faults, the hyphens beyond two in a row, its widest space."""
    return (_score(result, setting)[0], max(result[0] - HYPHEN_RUN, 0), result[1])


def _chosen(
    found: dict[int, dict[int, ProbeResult]], elements: list[Any], settings: tuple[Setting, ...]
) -> dict[Any, Setting]:
    chosen = {}
    as_it_is = settings.index(("", "", "")) if ("", "", "") in settings else None
    for number, results in found.items():
        best = min(results, key=lambda index: _score(results[index], settings[index]))
        if _score(results[best], settings[best])[0]:  # none without a fault: the least bad
            best = min(results, key=lambda index: (_fault(results[index], settings[index]), index))
        if as_it_is is not None and as_it_is in results:
            better = _fault(results[best], settings[best]) < _fault(results[as_it_is], settings[as_it_is])
        else:
            better = _score(results[best], settings[best])[0] == 0
        if better and settings[best] != ("", "", ""):
            chosen[elements[number]] = settings[best]
    return chosen


def _longest_run(root: Any) -> int:
    longest = run = 0
    for line, _ in _lines(root):
        run = run + 1 if line_text(line).endswith(HYPHEN) else 0
        longest = max(longest, run)
    return longest


def _hole_fix(
    document: Any, hole: Hole, numbering: dict[Any, ElementPath], parents: dict[Any, Any], add: Any, done: list[Fix]
) -> None:
    """A figure that did not fit moves behind the text that fills the hole; a block that did
    not fit keeps fewer lines together (a table row cannot: print.css); then the page is long."""
    reason = f"{hole.lines:.1f} empty lines at the foot of page {hole.page + 1}"
    block = hole.next_block
    figure = _figure_of(hole.next_block, parents)
    if figure is not None and figure in numbering and not hole.continued:
        before = _previous(figure, parents)
        moved = any(f.kind == "after" and f.path == numbering[figure] for f in done)
        head = _head_count(document, before, hole.page) if moved and before is not None else 0
        if head and before in numbering:  # the block the figure follows runs onto the hole's page
            add(Fix("split", numbering[before], numbering[figure], reason, str(head)))
            return
        # a figure moves once: moved again, it would walk page after page to its chapter's end
        target = None if moved else _fill_behind(document, hole, figure, parents)
        fix = Fix("after", numbering[figure], numbering[target], reason) if target in numbering else None
        if fix is not None and add(fix):
            return
        last = _next(figure, parents) is None  # its chapter's last block: no text to fill the hole
        if last and _fit_figure(document, hole, figure, numbering, reason, add):
            return
    while (previous := _previous(block, parents)) is not None and previous.tag in LEADS and not hole.continued:
        block = previous  # the headings (a definition's term) before the block went with it
    text_block = _first_text_block(block, parents)
    row = text_block is not None and text_block.tag in ("td", "th")
    if not row and text_block in numbering and add(Fix("relax", numbering[text_block], reason=reason)):
        return
    if block in numbering:
        add(Fix("long-page", numbering[block], reason=reason, value=str(hole.page + 1)))


def _figure_of(element: Any, parents: dict[Any, Any]) -> Any | None:
    while element is not None:
        if element.tag == "figure":
            return element
        element = parents.get(element)
    return None


def _fill_behind(document: Any, hole: Hole, figure: Any, parents: dict[Any, Any]) -> Any | None:
    """The block after which `figure` should come so that the text after it fills the hole:
    the first one that, with the blocks before it, is as tall as the hole (headings are never
    the last: a figure does not part a heading from its text)."""
    space = hole.lines * _leading(document.pages[hole.page]._page_box.children[0])
    heights = _block_heights(document, hole.page + 1)
    target, filled = None, 0.0
    sibling = _next(figure, parents)
    while sibling is not None:
        filled += heights.get(sibling, 0.0)
        if sibling.tag not in HEADINGS:
            target = sibling
            if filled >= space:
                break
        sibling = _next(sibling, parents)
    return target


def _block_heights(document: Any, start: int) -> dict[Any, float]:
    """The height each element's block takes, over a few pages from `start` on."""
    from weasyprint.formatting_structure import boxes

    heights: dict[Any, float] = {}
    for page in document.pages[start : start + 3]:
        for box in page._page_box.children[0].descendants():
            if isinstance(box, boxes.BlockBox) and box.element is not None and box.element_tag != "section":
                heights[box.element] = heights.get(box.element, 0.0) + box.margin_height()
    return heights


def _head_count(document: Any, block: Any, page_index: int) -> int:
    """If `block` starts before page `page_index` and runs onto it: how many characters of its
    text (spaces left out, its notes' text too) the pages before hold; else 0."""
    pages = document.pages
    before = [line for page in pages[:page_index] for line, b in _lines(page._page_box.children[0]) if b is block]
    on_page = [line for line, b in _lines(pages[page_index]._page_box.children[0]) if b is block]
    if not before or not on_page:
        return 0
    return sum(_visible(line_text(line).replace(HYPHEN, "")) for line in before)


def _visible(text: str) -> int:
    return sum(1 for c in text if not c.isspace() and c != "\xad")


def _first_text_block(element: Any, parents: dict[Any, Any]) -> Any:
    """`element`, or past the headings (a term) that lead into it, the block they lead into; in
    a list, its first item (whose own `orphans` and `widows` hold, not the list's)."""
    while element is not None:
        if element.tag in LEADS and (following := _next(element, parents)) is not None:
            element = following
        elif element.tag in CONTAINERS and len(element):
            element = element[0]
        else:
            break
    return element


def _fit_figure(
    document: Any, hole: Hole, figure: Any, numbering: dict[Any, ElementPath], reason: str, add: Any
) -> bool:
    """A figure that missed the hole's page, with no text after it to fill the hole: its image
    set as high as the hole leaves it room for, if that is at least `FIT_SCALE` of its height."""
    from weasyprint.formatting_structure import boxes

    space = hole.lines * _leading(document.pages[hole.page]._page_box.children[0])
    for box in document.pages[hole.page + 1]._page_box.children[0].descendants():
        if box.element is figure and isinstance(box, boxes.BlockBox):
            images = [
                b
                for b in box.descendants()
                if isinstance(b, boxes.ReplacedBox) or (isinstance(b, boxes.BlockBox) and b.element_tag == "svg")
            ]
            if len(images) != 1:
                return False
            height = images[0].height
            room = height - (box.margin_height() - space) - 1  # a pixel to spare, for rounding
            fits = room >= FIT_SCALE * height
            return fits and add(Fix("fit", numbering[figure], reason=reason, value=str(int(room))))
    return False


def _displacing_element(document: Any, page_index: int, parents: dict[Any, Any]) -> Any | None:
    lines = list(_line_blocks(document.pages[page_index]._page_box.children[0]))
    if not lines:
        return None
    block = lines[-1]
    if page_index and block in set(_line_blocks(document.pages[page_index - 1]._page_box.children[0])):
        return None  # the block comes from the page before: breaking before it would not help
    target = block
    while (previous := _previous(target, parents)) is not None and previous.tag in HEADINGS:
        target = previous
    return target


# ---- element paths and applying the fixes ----------------------------------------------------------


def paths(root: Any) -> dict[Any, ElementPath]:
    """Every element of a tree and its path (child indices from the root)."""
    found: dict[Any, ElementPath] = {root: ()}

    def walk(element: Any, path: ElementPath) -> None:
        for index, child in enumerate(element):
            found[child] = (*path, index)
            walk(child, (*path, index))

    walk(root, ())
    return found


def element_at(root: Any, path: ElementPath) -> Any:
    element = root
    for index in path:
        element = element[index]
    return element


MARKS: dict[str, tuple[str, str]] = {  # a fix's kind → the attribute and value print.css reads
    "page-break": (PAGE_BREAK_ATTRIBUTE, ""),
    "relax": (RELAX_ATTRIBUTE, ""),
    "hyphens": (HYPHENS_ATTRIBUTE, ""),  # the value is the fix's
    "space": (SPACE_ATTRIBUTE, ""),  # the value is the fix's
    "track": (TRACK_ATTRIBUTE, ""),  # the value is the fix's
    "fit": (FIT_ATTRIBUTE, ""),  # the value is the fix's
}


def apply(root: Any, fixes: Iterable[Fix]) -> None:
    """Mark the elements the fixes name (paths in `root` as rendered), then make the moves
    (all paths are looked up first, so a move does not shift another fix's element)."""
    fixes = list(fixes)
    located = [(fix, element_at(root, fix.path), fix.target and element_at(root, fix.target)) for fix in fixes]
    for fix, element, _ in located:
        if fix.kind in MARKS:
            attribute, value = MARKS[fix.kind]
            element.set(attribute, fix.value or value)
    parents = {child: parent for parent in root.iter() for child in parent}
    moves = {id(element): (element, target) for fix, element, target in located if fix.kind == "after"}
    for fix, element, figure in located:
        if fix.kind == "split":
            tail = split_block(element, int(fix.value))
            parent = parents[element]
            parent.insert(list(parent).index(element) + 1, tail)
            parents[tail] = parent
            moves[id(figure)] = (figure, element)  # the figure between the two parts
    for element, target in moves.values():  # an element's last move is the one that holds
        parents[element].remove(element)
        parent = parents[target]
        parent.insert(list(parent).index(target) + 1, element)
        parents[element] = parent


SPLIT_ATTRIBUTE = "data-split"  # "head" | "tail": the two parts of a block a figure was set into


def split_block(element: Any, keep: int) -> Any:
    """Cut `element` after `keep` characters of its text (spaces and its notes' text left out):
    it keeps its first part (marked "head", a hyphen added if the cut falls in a word, as the
    line it ends on was hyphenated), the new element returned holds the rest ("tail")."""
    tail = _split(element, keep)[1]
    element.set(SPLIT_ATTRIBUTE, "head")
    tail.set(SPLIT_ATTRIBUTE, "tail")
    tail.attrib.pop("id", None)
    return tail


def _is_note(element: Any) -> bool:
    return "footnote" in (element.get("class") or "").split()


def _count(element: Any) -> int:
    """The characters of `element`'s text, spaces and notes left out (its tail too)."""
    total = _visible(element.text or "") if not _is_note(element) else 0
    if not _is_note(element):
        total += sum(_count(child) for child in element)
    return total + _visible(element.tail or "")


def _cut(text: str, keep: int) -> int:
    """The index in `text` just after its `keep`-th visible character."""
    seen = 0
    for index, char in enumerate(text):
        if not char.isspace() and char != "\xad":
            seen += 1
            if seen == keep:
                return index + 1
    return len(text)


def _split(element: Any, keep: int) -> tuple[int, Any]:
    """Split `element` after `keep` visible characters: (what was left to keep, the right part)."""
    right = type(element)(element.tag, dict(element.attrib))
    text = element.text or ""
    if keep <= _visible(text):
        index = _cut(text, keep)
        element.text, right.text = _hyphenated(text[:index], text[index:]), text[index:].lstrip()
        for child in list(element):
            element.remove(child)
            right.append(child)
        return 0, right
    keep -= _visible(text)
    children = list(element)
    for position, child in enumerate(children):
        inner = 0 if _is_note(child) else _count(child) - _visible(child.tail or "")
        if not _is_note(child) and keep <= inner:
            _, part = _split(child, keep)
            part.tail, child.tail = child.tail, None
            right.append(part)
            for following in children[position + 1 :]:
                element.remove(following)
                right.append(following)
            return 0, right
        keep -= inner
        tail = child.tail or ""
        if keep <= _visible(tail):
            index = _cut(tail, keep)
            child.tail, right.text = _hyphenated(tail[:index], tail[index:]), tail[index:].lstrip()
            for following in children[position + 1 :]:
                element.remove(following)
                right.append(following)
            return 0, right
        keep -= _visible(tail)
    return keep, right


def _hyphenated(left: str, right: str) -> str:
    """`left` with the hyphen of its line's end if the cut falls inside a word."""
    if left and right and not left[-1].isspace() and not right[0].isspace() and left[-1].isalpha():
        return left + HYPHEN
    return left


def long_pages(fixes: Iterable[Fix]) -> list[int]:
    """The pages (from 1) that hold a line more: the layout's stylesheet lengthens them."""
    return sorted({int(f.value) for f in fixes if f.kind == "long-page"})


def fitted_heights(fixes: Iterable[Fix]) -> list[int]:
    """The heights (CSS pixels) figures' images are fitted to: the layout's stylesheet sets them."""
    return sorted({int(f.value) for f in fixes if f.kind == "fit"})


def describe(fixes: Iterable[Fix]) -> list[dict[str, Any]]:
    """The fixes as data, for a dump of the layout: what was changed, where, and why."""
    return [
        {"kind": f.kind, "path": list(f.path), "target": list(f.target or ()), "value": f.value, "why": f.reason}
        for f in fixes
    ]


def _parents(document: Any) -> dict[Any, Any]:
    root = document.pages[0]._page_box.children[0].element
    return {child: parent for parent in root.iter() for child in parent}


def _sibling(element: Any, parents: dict[Any, Any], step: int) -> Any | None:
    """The element `step` places after `element` among its parent's children (before, if negative)."""
    parent = parents.get(element)
    if parent is None:
        return None
    siblings = list(parent)
    index = siblings.index(element) + step
    return siblings[index] if 0 <= index < len(siblings) else None


def _previous(element: Any, parents: dict[Any, Any]) -> Any | None:
    return _sibling(element, parents, -1)


def _next(element: Any, parents: dict[Any, Any]) -> Any | None:
    return _sibling(element, parents, 1)
