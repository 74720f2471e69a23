"""Pandoc's Markdown where no markdown-it plugin reads it as Pandoc does.

- Attributes `{#id .class key=value -}`: mdit-py-plugins' attrs plugin reads djot's grammar,
  which refuses Pandoc's bare values (`width=60%`) and `{-}`; so bracketed spans, attributes
  after images, links and code, and heading attributes are read here, with Pandoc's grammar.
- Citations in all of Pandoc's forms (`[see @a, p. 12; @b]`, `[-@a]`, `@a`, `@a [p. 30]`,
  `@{key.with.dots}`): no plugin parses them.
- `\\ ` (a no-break space) and line blocks (`| `): Pandoc extensions no plugin has.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline

from dossier.nodes import Attr

# --- attributes -----------------------------------------------------------------------------

_ATTR_ITEM = re.compile(
    r"""\s*(?:
        \#(?P<id>[^\s{}"'.#=]+)
      | \.(?P<class>[^\s{}"'.#=]+)
      | (?P<key>[A-Za-z_][\w:.-]*)=(?:"(?P<dq>(?:[^"\\]|\\.)*)"|'(?P<sq>(?:[^'\\]|\\.)*)'|(?P<bare>[^\s{}"']+))
      | (?P<dash>-)(?=[\s}])
    )""",
    re.VERBOSE,
)


def parse_attr(text: str, start: int = 0) -> tuple[int, Attr] | None:
    """Pandoc's attributes at `text[start]` (which must be `{`): where they end, and what they say."""
    if start >= len(text) or text[start] != "{":
        return None
    pos = start + 1
    ident, classes, pairs = "", [], []
    while True:
        while pos < len(text) and text[pos] in " \t\n":
            pos += 1
        if pos < len(text) and text[pos] == "}":
            break
        match = _ATTR_ITEM.match(text, pos)
        if match is None or match.end() == pos:
            return None
        if match.group("id"):
            ident = match.group("id")
        elif match.group("class"):
            classes.append(match.group("class"))
        elif match.group("dash"):
            classes.append("unnumbered")
        else:
            value = next(v for v in (match.group("dq"), match.group("sq"), match.group("bare")) if v is not None)
            pairs.append((match.group("key"), re.sub(r"\\(.)", r"\1", value)))
        pos = match.end()
    if not (ident or classes or pairs) and text[start + 1 : pos].strip():
        return None
    return pos + 1, Attr(ident, tuple(classes), tuple(pairs))


def _attrs_after(state: StateInline, silent: bool) -> bool:
    """`{…}` right after an image, a link or inline code: its attributes (on the token's meta)."""
    if state.src[state.pos] != "{" or state.pending or not state.tokens:
        return False
    last = state.tokens[-1]
    if last.type not in ("image", "link_close", "code_inline", "math_inline"):
        return False
    parsed = parse_attr(state.src[: state.posMax], state.pos)
    if parsed is None:
        return False
    end, attr = parsed
    if not silent:
        last.meta = {**(last.meta or {}), "attr": attr}
    state.pos = end
    return True


def _bracketed_span(state: StateInline, silent: bool) -> bool:
    """`[text]{.smallcaps lang=en}`: a span, its text parsed as Markdown."""
    if state.src[state.pos] != "[":
        return False
    end = state.md.helpers.parseLinkLabel(state, state.pos, False)
    if end < 0 or end + 1 >= state.posMax or state.src[end + 1] != "{":
        return False
    parsed = parse_attr(state.src[: state.posMax], end + 1)
    if parsed is None:
        return False
    after, attr = parsed
    if not silent:
        start, maximum = state.pos, state.posMax
        token = state.push("span_open", "span", 1)
        token.meta = {"attr": attr, "pos": start}
        state.pos, state.posMax = start + 1, end
        state.md.inline.tokenize(state)
        state.push("span_close", "span", -1)
        state.posMax = maximum
    state.pos = after
    return True


_HEADING_ATTR = re.compile(r"\s+(\{[^{}]*\})\s*$")


def _heading_attrs(state: StateCore) -> None:
    """`## Title {#id .unnumbered}`: the attributes come off the heading's text (before inline parsing)."""
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or i + 1 >= len(tokens):
            continue
        inline = tokens[i + 1]
        match = _HEADING_ATTR.search(inline.content)
        if match is None:
            continue
        parsed = parse_attr(match.group(1))
        if parsed is None:
            continue
        token.meta = {**(token.meta or {}), "attr": parsed[1]}
        inline.content = inline.content[: match.start()]


# --- `\ ` --------------------------------------------------------------------------------------


def _escaped_space(state: StateInline, silent: bool) -> bool:
    """`\\ `: a no-break space, as Pandoc reads it (CommonMark does not escape a space)."""
    if state.src[state.pos] != "\\" or state.src[state.pos + 1 : state.pos + 2] != " ":
        return False
    if not silent:
        state.pending += "\u00a0"
    state.pos += 2
    return True


# --- citations ---------------------------------------------------------------------------------

# A citation key as Pandoc reads it: a letter, digit or `_`, then word characters and inner
# punctuation (`:.#$%&-+?<>~/`), ending on a word character; or anything but `}` in `@{…}`.
KEY = r"(?:\{(?P<braced>[^{}\s][^{}]*)\}|(?P<plain>[\w](?:[\w:.#$%&+?<>~/-]*[\w])?))"
_ITEM = re.compile(rf"(?P<dash>-)?@{KEY}")
_IN_TEXT = re.compile(rf"@{KEY}")


@dataclass(frozen=True)
class RawItem:
    """A citation item as the parser splits it: its texts still Markdown."""

    id: str
    prefix: str
    suffix: str  # the locator and the suffix, as written after the key
    suppress: bool
    offset: int  # of the `@` (or `-@`) in the citation's text


def split_citation(text: str) -> list[RawItem] | None:
    """The items of the inside of `[…]`, or None if it is not a citation (every item has a key)."""
    items: list[RawItem] = []
    offset = 0
    for part in text.split(";"):
        match = None
        for candidate in _ITEM.finditer(part):
            before = part[: candidate.start()]
            if not before or before[-1] in " \t\n([":
                match = candidate
                break
        if match is None:
            return None
        ident = match.group("braced") or match.group("plain")
        items.append(
            RawItem(
                id=ident,
                prefix=part[: match.start()].strip(),
                suffix=part[match.end() :].strip(),
                suppress=bool(match.group("dash")),
                offset=offset + match.start(),
            )
        )
        offset += len(part) + 1
    return items


def _bracketed_citation(state: StateInline, silent: bool) -> bool:
    start = state.pos
    if state.src[start] != "[" or start + 2 >= state.posMax or state.src[start + 1] == "^":
        return False
    end = state.md.helpers.parseLinkLabel(state, start, False)
    if end < 0 or "@" not in state.src[start + 1 : end]:
        return False
    following = state.src[end + 1 : end + 2]
    if following in ("(", "[", "{"):
        return False  # a link such as [@handle](https://…), a span
    items = split_citation(state.src[start + 1 : end])
    if items is None:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.meta = {"items": items, "pos": start, "inner": start + 1, "mode": "normal"}
        token.content = state.src[start : end + 1]
    state.pos = end + 1
    return True


def _in_text_citation(state: StateInline, silent: bool) -> bool:
    """`@a` in the text (the author named in the sentence), and `@a [p. 30]` with its locator."""
    start = state.pos
    if state.src[start] != "@":
        return False
    if start > 0 and (state.src[start - 1].isalnum() or state.src[start - 1] in "_.-@"):
        return False  # an e-mail address, a handle inside a word
    match = _IN_TEXT.match(state.src, start, state.posMax)
    if match is None:
        return False
    end = match.end()
    suffix, suffix_at = "", None
    rest = state.src[end : state.posMax]
    bracket = re.match(r"[ \t]?\[", rest)
    if bracket:
        close = state.md.helpers.parseLinkLabel(state, end + bracket.end() - 1, False)
        if close > 0 and state.src[close + 1 : close + 2] not in ("(", "[", "{"):
            inner = state.src[end + bracket.end() : close]
            if "@" not in inner:
                suffix, suffix_at = inner, end + bracket.end()
                end = close + 1
    if not silent:
        ident = match.group("braced") or match.group("plain")
        token = state.push("citation", "", 0)
        item = RawItem(ident, "", suffix, False, 0)
        token.meta = {"items": [item], "pos": start, "inner": start, "mode": "author-in-text", "suffix_at": suffix_at}
        token.content = state.src[start:end]
    state.pos = end
    return True


# --- line blocks ---------------------------------------------------------------------------------


def _line_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """`| ` lines: a line block (verse, addresses), each line kept, leading spaces too."""
    def line_text(n: int) -> str:
        return state.src[state.bMarks[n] + state.tShift[n] : state.eMarks[n]]

    if state.sCount[start_line] - state.blkIndent >= 4:
        return False
    first = line_text(start_line)
    if not (first == "|" or first.startswith("| ")):
        return False
    if silent:
        return True
    lines: list[str] = []
    n = start_line
    while n < end_line:
        text = line_text(n)
        if text == "|" or text.startswith("| "):
            lines.append(text[2:])
        elif lines and text and state.sCount[n] > state.sCount[start_line]:
            lines[-1] += " " + text.strip()  # a line starting with a space continues the one before
        else:
            break
        n += 1
    token = state.push("line_block", "div", 0)
    token.map = [start_line, n]
    token.meta = {"lines": lines}
    token.content = "\n".join(lines)
    state.line = n
    return True


def use_pandoc(md: MarkdownIt) -> None:
    """Our rules, in the places of markdown-it's chains where Pandoc reads them."""
    md.inline.ruler.before("escape", "escaped_space", _escaped_space)
    md.inline.ruler.before("link", "bracketed_span", _bracketed_span)
    md.inline.ruler.before("bracketed_span", "citation", _bracketed_citation)
    md.inline.ruler.after("citation", "in_text_citation", _in_text_citation)
    md.inline.ruler.push("attrs_after", _attrs_after)
    md.block.ruler.after("table", "line_block", _line_block)
    md.block.ruler.before("table", "pandoc_table", _pandoc_table)
    md.core.ruler.after("block", "heading_attrs", _heading_attrs)


# --- Pandoc's tables: simple, multiline, grid -------------------------------------------------
# markdown-it reads pipe tables only; Pandoc's other three forms are read here into the same
# tokens (table_open … th_open inline th_close …), a grid table's cells holding blocks.

_DASHES = re.compile(r"^-{3,}(?: +-{3,})*\s*$")
_FULL_DASHES = re.compile(r"^-{3,}\s*$")
_GRID_RULE = re.compile(r"^\+(?:[-=:]+\+)+\s*$")


@dataclass(frozen=True)
class _Column:
    start: int
    end: int  # exclusive
    align: str


def _columns(rule: str, header: list[str] | None) -> list[_Column]:
    """The columns of a dashed rule (`----  ------`), aligned as the header's text sits over them."""
    columns = []
    for match in re.finditer(r"-+", rule):
        start, end = match.start(), match.end()
        columns.append(_Column(start, end, _alignment(header or [], start, end)))
    return columns


def _alignment(header: list[str], start: int, end: int) -> str:
    """Pandoc's rule: flush with the dashes on the left only, left; on the right only, right;
    on neither, centred; on both, the default."""
    texts = [line for line in header if line[start:end].strip()]
    if not texts:
        return ""
    left = any(not line[start : start + 1].isspace() for line in texts)
    right = any(len(line) >= end and not line[end - 1 : end].isspace() for line in texts)
    if left == right:
        return "" if left else "center"
    return "left" if left else "right"


def _cut(line: str, columns: list[_Column]) -> list[str]:
    """A row's line cut at the columns (the last column takes the rest of the line)."""
    cells = []
    for i, column in enumerate(columns):
        start = column.start if i else 0
        end = columns[i + 1].start if i + 1 < len(columns) else len(line)
        cells.append(line[start:end].strip())
    return cells


def _pandoc_table(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False

    def line(n: int) -> str:  # with its indentation: columns are read by position
        return state.src[state.bMarks[n] : state.eMarks[n]]

    first = line(start_line)
    if _GRID_RULE.match(first.strip()):
        return _grid_table(state, start_line, end_line, silent, line)
    multiline = _FULL_DASHES.match(first.strip()) and start_line + 1 < end_line and line(start_line + 1).strip()
    if multiline and _multiline_table(state, start_line, end_line, silent, line):
        return True
    if start_line + 1 < end_line and _DASHES.match(line(start_line + 1).strip()) and first.strip():
        return _simple_table(state, start_line, end_line, silent, line, headed=True)
    if _DASHES.match(first.strip()) and " " in first.strip():
        return _simple_table(state, start_line, end_line, silent, line, headed=False)
    return False


def _simple_table(state: StateBlock, start: int, end: int, silent: bool, line: Any, headed: bool) -> bool:
    rule_line = start + 1 if headed else start
    rule = line(rule_line)
    header = [line(start)] if headed else None
    columns = _columns(rule, header)
    if len(columns) < 2:
        return False
    rows: list[list[str]] = []
    n = rule_line + 1
    while n < end and line(n).strip():
        if not headed and _DASHES.match(line(n).strip()):
            n += 1
            break
        rows.append(_cut(line(n), columns))
        n += 1
    if not rows:
        return False
    if silent:
        return True
    head = [_cut(header[0], columns)] if header else []
    if not headed:
        columns = _columns(rule, [line(start + 1)])
    _emit_table(state, start, n, columns, head, rows, widths=None)
    return True


def _multiline_table(state: StateBlock, start: int, end: int, silent: bool, line: Any) -> bool:
    """`-----` / header lines / `--- ---` / rows separated by blank lines / `-----`."""
    n = start + 1
    header_lines: list[str] = []
    while n < end and line(n).strip() and not _DASHES.match(line(n).strip()):
        header_lines.append(line(n))
        n += 1
    if n >= end or not _DASHES.match(line(n).strip()) or _FULL_DASHES.match(line(n).strip()):
        return False
    rule = line(n)
    columns = _columns(rule, header_lines)
    n += 1
    rows: list[list[str]] = []
    current: list[str] = []
    while n < end:
        text = line(n)
        if _FULL_DASHES.match(text.strip()):
            break
        if not text.strip():
            if current:
                rows.append(_join_lines(current, columns))
                current = []
        else:
            current.append(text)
        n += 1
    else:
        return False  # no closing rule: not a multiline table
    if current:
        rows.append(_join_lines(current, columns))
    if silent:
        return True
    head = [_join_lines(header_lines, columns)] if header_lines else []
    total = max(1, sum(c.end - c.start for c in columns))
    widths = [(c.end - c.start) / total for c in columns]
    _emit_table(state, start, n + 1, columns, head, rows, widths)
    return True


def _join_lines(lines: list[str], columns: list[_Column]) -> list[str]:
    cells = [_cut(text, columns) for text in lines]
    return [" ".join(c[i] for c in cells if c[i]) for i in range(len(columns))]


def _emit_table(
    state: StateBlock, start: int, end: int, columns: list[_Column], head: list[list[str]], rows: list[list[str]],
    widths: list[float] | None, blocks: bool = False,
) -> None:
    token = state.push("table_open", "table", 1)
    token.map = [start, end]
    token.meta = {"widths": widths} if widths else {}
    for kind, group, cell_tag in (("thead", head, "th"), ("tbody", rows, "td")):
        if not group:
            continue
        state.push(f"{kind}_open", kind, 1).map = [start, end]
        for row in group:
            state.push("tr_open", "tr", 1).map = [start, end]
            for column, text in zip(columns, row, strict=False):
                cell = state.push(f"{cell_tag}_open", cell_tag, 1)
                if column.align:
                    cell.attrSet("style", f"text-align:{column.align}")
                if blocks:
                    state.md.block.parse(text, state.md, state.env, state.tokens)
                else:
                    inline = state.push("inline", "", 0)
                    inline.content, inline.map, inline.children = text, [start, end], []
                state.push(f"{cell_tag}_close", cell_tag, -1)
            state.push("tr_close", "tr", -1)
        state.push(f"{kind}_close", kind, -1)
    state.push("table_close", "table", -1)
    state.line = end


def _grid_table(state: StateBlock, start: int, end: int, silent: bool, line: Any) -> bool:
    """`+---+---+` rules, `|` rows, `+===+` under the header; cells hold Markdown blocks.
    A cell spanning columns or rows is not read: its place goes to `env["grid_spans"]`, which
    load refuses with a located error (read as columns, its text would be cut at the rules)."""
    n = start
    lines: list[str] = []
    while n < end and line(n).strip() and line(n).strip()[0] in "+|":
        lines.append(line(n).rstrip())
        n += 1
    if len(lines) < 3 or not _GRID_RULE.match(lines[-1]):
        return False
    if silent:
        return True
    rule = lines[0]
    bounds = [i for i, ch in enumerate(rule) if ch == "+"]
    span = _grid_span(lines, bounds)
    if span is not None:
        state.env.setdefault("grid_spans", []).append((start + span[0] + 1, span[1] + 1))
    columns = []
    for left, right in itertools.pairwise(bounds):
        segment = rule[left + 1 : right]
        align = ("center" if segment.startswith(":") and segment.endswith(":") else "left" if segment.startswith(":")
                 else "right" if segment.endswith(":") else "")
        columns.append(_Column(left + 1, right, align))
    head: list[list[str]] = []
    body: list[list[str]] = []
    current: list[list[str]] = [[] for _ in columns]
    for text in lines[1:]:
        if _GRID_RULE.match(text):
            row = ["\n".join(part).strip("\n") for part in current]
            (head if "=" in text and not head and not body else body).append(row)
            current = [[] for _ in columns]
            continue
        for i, column in enumerate(columns):
            piece = text[column.start : column.end].rstrip()
            current[i].append(piece[1:] if piece.startswith(" ") else piece)
    total = max(1, sum(c.end - c.start for c in columns))
    widths = [(c.end - c.start) / total for c in columns]
    _emit_table(state, start, n, columns, head, body, widths, blocks=True)
    return True


def _grid_span(lines: list[str], bounds: list[int]) -> tuple[int, int] | None:
    """The first place (line offset, column) where a grid table's cell spans columns (no `|` at
    a column's edge) or rows (a rule across part of the row only), or None."""
    for n, text in enumerate(lines[1:], 1):
        if _GRID_RULE.match(text):
            continue
        for bound in bounds[1:-1]:
            if bound >= len(text) or text[bound] != "|":
                return n, min(bound, max(len(text) - 1, 0))
    return None


# --- fancy lists -----------------------------------------------------------------------------
# markdown-it's list rule reads `1.` and `1)` only. Pandoc's other markers (`i.`, `A.`, `a)`,
# `(ii)`, `#.`, `(@)`) are rewritten, before parsing, into numbers of the same width (so that
# columns and line numbers stay), and each list's style and start kept for the converter.

_FENCE = re.compile(r"^\s*(```|~~~)")
_FANCY = re.compile(
    r"^(?P<indent>[ \t]*)(?P<marker>\((?P<p>[ivxlcdm]+|[IVXLCDM]+|[a-zA-Z]|\d+|@[\w-]*)\)"
    r"|(?P<d>[ivxlcdm]+|[IVXLCDM]+|[a-zA-Z]|#)(?P<delim>[.)]))(?P<space>[ \t]+)(?=\S)"
)
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}


def _roman(text: str) -> int | None:
    text = text.lower()
    if not re.fullmatch(r"m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})", text) or not text:
        return None
    total = 0
    for i, ch in enumerate(text):
        value = _ROMAN_VALUES[ch]
        total += -value if i + 1 < len(text) and _ROMAN_VALUES[text[i + 1]] > value else value
    return total


def fancy_lists(text: str) -> tuple[str, dict[int, tuple[str, int]], dict[str, int]]:
    """The text with Pandoc's list markers as numbers; {line of a list's first item: (style, start)};
    {an example's label (`(@good)`): its number}, for the references to it in the text."""
    lines = text.split("\n")
    styles: dict[int, tuple[str, int]] = {}
    labels: dict[str, int] = {}
    in_fence, previous_blank, in_list, style, example = False, True, False, "", 0
    for n, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _FANCY.match(line)
        if match and (previous_blank or in_list) and not (match.group("d") or "").isdigit():
            number, kind = _marker_value(match, style if in_list and not previous_blank else "", example)
            letter = match.group("d") or ""
            # `A.` (a capital and a full stop) needs two spaces after it, as in Pandoc
            upper_period = len(letter) == 1 and letter.isupper() and match.group("delim") == "."
            if number is not None and not (upper_period and len(match.group("space")) < 2):
                if kind == "example":
                    example = number
                    label = (match.group("p") or "")[1:]
                    if label:
                        labels.setdefault(label, number)
                if not in_list or kind != style:
                    styles[n] = (kind, number)
                style, in_list = kind, True
                delim = ")" if match.group("p") is not None or match.group("delim") == ")" else "."
                width = len(match.group("marker")) + len(match.group("space"))
                new = f"{number}{delim}"
                lines[n] = match.group("indent") + new + " " * max(1, width - len(new)) + line[match.end() :]
                previous_blank = False
                continue
        if line.strip() and not line[:1].isspace() and previous_blank and not re.match(r"\s*(?:\d+[.)]|[-*+])\s", line):
            in_list = False
        previous_blank = not line.strip()
    return "\n".join(lines), styles, labels


def _marker_value(match: re.Match[str], style: str, example: int) -> tuple[int | None, str]:
    value = match.group("p") if match.group("p") is not None else match.group("d")
    if value.startswith("@"):
        return example + 1, "example"
    if value == "#":
        return 1, style or "decimal"
    if value.isdigit():
        return int(value), "decimal"
    roman = _roman(value)
    if roman is not None and (style.endswith("roman") or (not style and (value.lower() == "i" or len(value) > 1))):
        return roman, "lower-roman" if value.islower() else "upper-roman"
    if len(value) == 1:
        return ord(value.lower()) - ord("a") + 1, "lower-alpha" if value.islower() else "upper-alpha"
    return None, ""
