"""Typography on an XHTML tree, text nodes only: the house guide's rules, per language.

No maintained library applies French print rules to the text nodes of an HTML tree, across
inline elements and per `lang` (french-typo, smartypants and typogrify work on strings, and
the first rewrites letters), so this pass is ours. It reads each block's text as one stream
of characters, each remembering its text node and its language, so that a quotation opened in
one inline element and closed in another pairs correctly. It never enters code, URLs or
attributes; it only inserts, removes or replaces spaces, turns straight quotes, apostrophes,
`...`, `--` and `---` into their typographic forms (Pandoc's `smart` punctuation), and raises
ordinal letters into `<sup>` (the text itself unchanged). Applying it twice changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache

from lxml import etree

NBSP = "\u00a0"
NUMERO = "\u00ba"  # º, the raised o of `nº` (numéro)
NNBSP = "\u202f"
SPACES = frozenset(" \t\n\r\f\u00a0\u2009\u202f")
NO_BREAK = frozenset((NBSP, NNBSP))

XHTML = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# Not prose: left untouched, and read as one opaque word by the text around them.
# `svg`: a figure's labels are measured and placed before this pass (dossier.render.figures).
VERBATIM = frozenset({"code", "pre", "kbd", "samp", "script", "style", "math", "var", "tt", "svg"})
# Their text is a stream of its own: a quotation never runs across their edges.
BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hr",
    "html", "li", "main", "nav", "ol", "p", "section", "table", "tbody", "td", "tfoot", "th",
    "thead", "title", "tr", "ul", "svg", "text", "desc",
})
BLOCK_CLASSES = frozenset({"note-p", "note-li", "note-dt", "note-dd", "note-blockquote", "note-div", "line-block"})
# Inline elements whose content is a block elsewhere (a print footnote floats to the foot of
# the page): an opaque word in the line that calls them, a stream of their own inside.
DETACHED_CLASSES = frozenset({"footnote"})
# No `<sup>` may be inserted under these (text-only content, or not XHTML).
NO_MARKUP = frozenset({"title", "option", "textarea", "svg", "math", "sup", "sub"})

# Babel ships no CLDR quotation delimiters: these are CLDR's, except French, where the house
# guide nests “ … ” inside « … ». Other languages get English marks.
QUOTES = {"fr": "«»“”", "en": "“”‘’", "de": "„“‚‘", "it": "«»“”", "es": "«»“”", "ru": "«»„“"}
ABBREVIATIONS = {
    "fr": frozenset({"M.", "MM.", "Mme", "Mmes", "Mlle", "Mlles", "Dr", "Me", "Mgr", "art.", "p.", "pp.",
                     "n°", "nº", "Nº", "nos", "vol.", "chap.", "fig.", "t."}),
    "en": frozenset({"Mr", "Mrs", "Ms", "Dr", "St", "p.", "pp.", "No.", "no.", "vol.", "ch.", "fig.", "art."}),
}
UNITS = ("%", "‰", "€", "$", "£", "°C", "°", "km²", "km", "m²", "cm", "mm", "kg", "ha", "h", "min", "Mo", "Go")
OPEN_CONTEXT = frozenset("([{«“‘„‚—–-/:")  # after these a straight quote opens
NO_SPACE_AFTER = frozenset("([{«“‘„‚")  # never a space between these and the punctuation

_URL = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|www\.|mailto:)[^\s<>«»\"“”]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b[\w-]+(?:\.[\w-]+)+/[^\s<>«»\"“”]*",
    re.IGNORECASE,
)
_URL_TRAILING = ".,;:!?)]»’'\""
_ORDINAL = re.compile(r"(?<![\w.])(\d+|[IVXLC]+)(ers|res|er|re|es|e|ndes|nde|nds|nd)(?!\w)")
_ROMAN = re.compile(r"C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_FOLLOWERS = re.compile(r"[\s\u00a0\u202f]+(?:siècles?|millénaires?|République|arrondissements?|législatures?)\b")


@dataclass(frozen=True)
class Language:
    """What the pass needs to know of a language."""

    code: str
    french: bool
    quotes: str  # primary open, primary close, secondary open, secondary close
    abbreviations: frozenset[str]
    month: re.Pattern[str] | None = None  # a month's name (French): a day and its month stay on one line


@cache
def language(tag: str) -> Language:
    """`fr-FR`, `fr_FR` or `fr` → French rules; anything else gets its quotation marks."""
    code = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0] or "en"
    quotes, abbreviations = QUOTES.get(code, QUOTES["en"]), ABBREVIATIONS.get(code, ABBREVIATIONS["en"])
    return Language(code, code == "fr", quotes, abbreviations, _month_names(code) if code == "fr" else None)


def _month_names(code: str) -> re.Pattern[str]:
    """The month names of CLDR (Babel), as French publishers bind them to the day: `7 janvier`."""
    from babel import Locale

    names = sorted(Locale.parse(code).months["format"]["wide"].values(), key=len, reverse=True)
    return re.compile("(?:" + "|".join(map(re.escape, names)) + r")(?![^\W\d_])")


@dataclass(frozen=True)
class _Char:
    char: str
    segment: int  # index of its text node in the tree; -1 for a stand-in (an element)
    lang: Language
    fixed: bool = False  # in a URL, or a stand-in: kept as it is
    can_raise: bool = False  # may go into a `<sup>` (French text where markup is allowed)
    raised: bool = False


_STAND_IN = "\ufffc"  # an element read as a word (code, a footnote)
_BREAK = "\n"  # a line break element


# --- reading the tree ----------------------------------------------------------------------


def _local(element: etree._Element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def _namespace(element: etree._Element) -> str:
    return element.tag[1:].split("}", 1)[0] if element.tag.startswith("{") else ""


def _classes(element: etree._Element) -> set[str]:
    return set((element.get("class") or "").split())


def _verbatim(element: etree._Element) -> bool:
    if _local(element) in VERBATIM or element.get("translate") == "no":
        return True
    if _local(element) == "a":
        text = "".join(element.itertext()).strip()
        return bool(text) and _URL.fullmatch(text) is not None
    return False


def _lang_attribute(element: etree._Element) -> str | None:
    return element.get(XML_LANG) or element.get("lang") or None


@dataclass(frozen=True)
class _Context:
    lang: Language
    markup: bool  # a <sup> may be inserted here


class _Reader:
    """Collects the text nodes of a tree as streams of characters, one per block."""

    def __init__(self) -> None:
        self.segments: list[tuple[etree._Element, str]] = []
        self.runs: list[list[_Char]] = []

    def read(self, root: etree._Element, default: Language) -> None:
        lang = next((_lang_attribute(a) for a in root.iterancestors() if _lang_attribute(a)), None)
        markup = not any(_local(a) in NO_MARKUP for a in root.iterancestors())
        run = self._element(root, _Context(language(lang) if lang else default, markup), [])
        self._flush(run)

    def _flush(self, run: list[_Char]) -> list[_Char]:
        if any(c.segment >= 0 for c in run):
            self.runs.append(run)
        return []

    def _context(self, element: etree._Element, outer: _Context) -> _Context:
        lang = _lang_attribute(element)
        markup = outer.markup and _local(element) not in NO_MARKUP and _namespace(element) in ("", XHTML)
        return _Context(language(lang) if lang else outer.lang, markup)

    def _text(self, element: etree._Element, attr: str, context: _Context, run: list[_Char]) -> None:
        text = getattr(element, attr)
        if not text:
            return
        self.segments.append((element, attr))
        index = len(self.segments) - 1
        run.extend(_Char(c, index, context.lang, can_raise=context.markup and context.lang.french) for c in text)

    def _element(self, element: etree._Element, outer: _Context, run: list[_Char]) -> list[_Char]:
        context = self._context(element, outer)
        block = _local(element) in BLOCKS or bool(BLOCK_CLASSES & _classes(element))
        if block:
            run = self._flush(run)
        self._text(element, "text", context, run)
        for child in element:
            if not isinstance(child.tag, str):
                pass  # a comment or a processing instruction: only its tail is text
            elif _verbatim(child):
                run.append(_Char(_STAND_IN, -1, context.lang, fixed=True))
            elif _local(child) == "br":
                run.append(_Char(_BREAK, -1, context.lang, fixed=True))
            elif DETACHED_CLASSES & _classes(child):
                run.append(_Char(_STAND_IN, -1, context.lang, fixed=True))
                self._flush(self._element(child, context, []))
            else:
                run = self._element(child, context, run)
            self._text(child, "tail", context, run)
        if block:
            run = self._flush(run)
        return run


# --- typesetting one stream ----------------------------------------------------------------


def _protect_urls(run: list[_Char]) -> None:
    text = "".join(c.char for c in run)
    for match in _URL.finditer(text):
        end = match.end()
        while end > match.start() and text[end - 1] in _URL_TRAILING:
            end -= 1
        for i in range(match.start(), end):
            run[i] = replace(run[i], fixed=True)


def _mark_ordinals(run: list[_Char]) -> None:
    """`1er`, `2e`, `XXIe siècle`: the letters will be raised (`<sup>`), French text only."""
    text = "".join(c.char for c in run)
    for match in _ORDINAL.finditer(text):
        number, suffix = match.group(1), match.group(2)
        chars = run[match.start() : match.end()]
        if not all(c.can_raise and not c.fixed for c in chars):
            continue
        if len({c.segment for c in chars[len(number) :]}) != 1 or not _is_ordinal(number, suffix, text, match.end()):
            continue
        for i in range(match.start(2), match.end(2)):
            run[i] = replace(run[i], raised=True)


def _is_ordinal(number: str, suffix: str, text: str, end: int) -> bool:
    if number.isdigit():
        if suffix.startswith(("er", "re")):
            return number == "1"
        if suffix.startswith("nd"):
            return number == "2"
        return number != "1" and not number.startswith("0")
    return bool(_ROMAN.fullmatch(number)) and suffix in ("e", "es") and bool(_ROMAN_FOLLOWERS.match(text, end))


class _Typesetter:
    """One stream, left to right: `out` is what has been written so far."""

    def __init__(self, run: list[_Char]) -> None:
        self.src = run
        self.out: list[_Char] = []
        self.quotes: list[str] = []  # the quotation marks open at this point

    def run(self) -> list[_Char]:
        i = 0
        while i < len(self.src):
            i = self._step(i)
        return self.out

    def _prev(self) -> _Char | None:
        return self.out[-1] if self.out else None

    def _next(self, i: int) -> _Char | None:
        return self.src[i + 1] if i + 1 < len(self.src) else None

    def _step(self, i: int) -> int:
        c = self.src[i]
        ch, lang = c.char, c.lang
        if c.fixed:
            self.out.append(c)
        elif ch == "." and self._ellipsis(i):
            self.out.append(replace(c, char="…"))
            return i + 3
        elif ch == "-" and (dashes := self._dashes(i)):
            self.out.append(replace(c, char="—" if dashes == 3 else "–"))
            return i + dashes
        elif ch == "." and self._absorbed(i):
            return i + 1  # `op. cit..` → `op. cit.`: an abbreviation's point ends the sentence too
        elif ch == "'":
            self._apostrophe(c, i)
        elif ch == '"':
            return self._double_quote(c, i)
        elif ch in lang.quotes:
            return self._typographic_quote(c, i)
        elif ch in SPACES and ch not in NO_BREAK:
            self.out.append(replace(c, char=self._binding_space(i)))
        else:
            if lang.french and ch == "°" and self._number_sign():
                c = replace(c, char=NUMERO)  # `n°` → `nº` (Lexique: the degree sign is not an o)
                ch = NUMERO
            if lang.french and (ch in ";!?" or (ch == ":" and not self._between_digits(i))):
                self._space_before(c, NBSP if ch == ":" else NNBSP)
            elif not lang.french and ch in ";:!?":
                self._no_space_before()
            self.out.append(c)
            if lang.french and (ch.isdigit() or ch in "°º"):
                self._space_after_number(c, i)
        return i + 1

    def _absorbed(self, i: int) -> bool:
        """A second full stop right after a word's point (an ellipsis starting here was taken first).

        Dots after it are absorbed too, even where they would have made an ellipsis across an
        element's edge (`<em>cit..</em>...`): a second pass must find nothing left to absorb."""
        prev = self._prev()
        before = self.out[-2] if len(self.out) >= 2 else None
        return prev is not None and prev.char == "." and not prev.fixed and before is not None and before.char.isalpha()

    def _no_space_before(self) -> None:
        """English (and other non-French) text: no space between a word and `;` `:` `!` `?`."""
        end = len(self.out)
        while end and self.out[end - 1].char in SPACES and not self.out[end - 1].fixed:
            end -= 1
        if end < len(self.out) and end and (self.out[end - 1].char.isalnum() or self.out[end - 1].char in "’”)]»"):
            del self.out[end:]

    def _number_sign(self) -> bool:
        """A degree sign right after a word-initial `n` or `N` is the number sign (`n° 4`)."""
        prev = self._prev()
        before = self.out[-2] if len(self.out) >= 2 else None
        return (
            prev is not None and prev.char in "nN" and not prev.fixed
            and (before is None or not before.char.isalnum())
        )

    def _between_digits(self, i: int) -> bool:
        """`10:30`: a colon between digits is not punctuation."""
        prev, nxt = self._prev(), self._next(i)
        return bool(prev and prev.char.isdigit() and nxt and nxt.char.isdigit())

    # -- characters ----------------------------------------------------------------------

    def _ellipsis(self, i: int) -> bool:
        three = self.src[i : i + 3]
        return len(three) == 3 and all(t.char == "." and not t.fixed and t.segment == three[0].segment for t in three)

    def _dashes(self, i: int) -> int:
        """`--` is an en dash, `---` an em dash (Pandoc's `smart`); 0 for a hyphen."""
        run = 0
        while i + run < len(self.src) and self.src[i + run].char == "-" and not self.src[i + run].fixed:
            if self.src[i + run].segment != self.src[i].segment:
                break
            run += 1
        return run if run in (2, 3) else 0

    def _opening(self) -> bool:
        prev = self._prev()
        return prev is None or prev.char in SPACES or prev.char in OPEN_CONTEXT

    def _apostrophe(self, c: _Char, i: int) -> None:
        """`'` → `’`; in a language whose inner quotes are ‘ ’, a `'` that opens is `‘`."""
        if c.lang.quotes[2] == "‘" and self._opening() and not self._elided_year(i):
            self.quotes.append("‘")
            self.out.append(replace(c, char="‘"))
            return
        if self.quotes and self.quotes[-1] == "‘" and not self._elision(replace(c, char="’"), i):
            self.quotes.pop()
        self.out.append(replace(c, char="’"))

    def _elided_year(self, i: int) -> bool:
        """`'90s`, `'20`: an apostrophe standing for a century's digits, not an opening quote."""
        ahead = "".join(t.char for t in self.src[i + 1 : i + 4])
        return re.match(r"\d\d(?!\d)", ahead) is not None

    def _double_quote(self, c: _Char, i: int) -> int:
        """`"` opens or closes by what precedes it; an opening one inside a quotation that
        opened with the primary mark takes the secondary one (« “ … ” », “ ‘ … ’ ”), and the
        primary inside a secondary (‘ “ … ” ’: English inside single quotes)."""
        quotes = c.lang.quotes
        if self._opening():
            inside_primary = bool(self.quotes) and self.quotes[-1] in (quotes[0], "«", "“", "„")
            mark = quotes[2] if inside_primary else quotes[0]
            return self._typographic_quote(replace(c, char=mark), i)
        opener = self.quotes[-1] if self.quotes else quotes[0]
        return self._typographic_quote(replace(c, char=_closing(opener, quotes)), i)

    def _typographic_quote(self, c: _Char, i: int) -> int:
        """A quotation mark: kept on the stack of open ones; French spaces inside « »."""
        quotes = c.lang.quotes
        if c.char in (quotes[0], quotes[2]):
            self.quotes.append(c.char)
        elif self.quotes and c.char == _closing(self.quotes[-1], quotes) and not self._elision(c, i):
            self.quotes.pop()
        if c.lang.french and c.char == "»":
            self._space_before(c, NNBSP)
        self.out.append(c)
        if c.lang.french and c.char == "«":
            return self._space_after(c, i + 1)
        return i + 1

    def _elision(self, c: _Char, i: int) -> bool:
        """`’` followed by a letter is an apostrophe (`don’t`), not a closing quote."""
        nxt = self._next(i)
        return c.char == "’" and nxt is not None and nxt.char.isalpha()

    # -- spaces --------------------------------------------------------------------------

    def _space_before(self, c: _Char, space: str) -> None:
        """The no-break space before `c`: replaces the spaces there, or is inserted."""
        popped: list[_Char] = []
        while self.out and self.out[-1].char in SPACES and not self.out[-1].fixed:
            popped.append(self.out.pop())
        prev = self._prev()
        if prev is None or prev.char in NO_SPACE_AFTER or prev.char == _BREAK or (prev.char in ";:!?" and not popped):
            self.out.extend(reversed(popped))
            return
        segment = popped[0].segment if popped else c.segment
        self.out.append(replace(c, char=space, segment=segment, raised=False))

    def _space_after(self, c: _Char, j: int) -> int:
        """The narrow no-break space after `«`, replacing the spaces there."""
        start = j
        while j < len(self.src) and self.src[j].char in SPACES and not self.src[j].fixed:
            j += 1
        if j == len(self.src) or self.src[j].char == _BREAK:
            self.out.extend(self.src[start:j])
        else:
            self.out.append(replace(c, char=NNBSP, raised=False))
        return j

    def _binding_space(self, i: int) -> str:
        """A breakable space stays one, unless it must not break: after `M.`, `p.`, `n°`;
        between a number and its unit; between groups of digits; between a day and its month (French)."""
        nxt = self._next(i)
        if nxt is None or (nxt.fixed and nxt.char != _STAND_IN) or nxt.char in SPACES:
            return self.src[i].char
        lang = self.src[i].lang
        word = self._word_before().lstrip("([{")
        if word in lang.abbreviations and (nxt.char.isalnum() or nxt.char == _STAND_IN):
            return NBSP
        if not lang.french or not word:
            return self.src[i].char
        ahead = "".join(c.char for c in self.src[i + 1 : i + 6])
        if word.isdigit():
            if len(word) <= 3 and re.match(r"\d{3}(?!\d)", ahead):
                return NNBSP
            if any(re.match(re.escape(unit) + r"(?![^\W\d_])", ahead) for unit in UNITS):
                return NBSP
        day = (word.isdigit() and len(word) <= 2) or word == "1er"
        if day and lang.month and lang.month.match("".join(c.char for c in self.src[i + 1 : i + 11])):
            return NBSP
        if word == "h" and re.match(r"\d\d(?!\d)", ahead) and self._number_before(len(word)):
            return NBSP
        return self.src[i].char

    def _word_before(self) -> str:
        """The word just written (to the previous space), if it starts after a space or an opening."""
        chars: list[str] = []
        for c in reversed(self.out):
            if c.char in SPACES or c.fixed:
                break
            chars.append(c.char)
            if len(chars) > 8:
                return ""
        return "".join(reversed(chars))

    def _number_before(self, skip: int) -> bool:
        """Is the word `skip` characters back preceded by a number and a space (`19 h`)?"""
        before = self.out[: len(self.out) - skip]
        return len(before) >= 2 and before[-1].char in SPACES and before[-2].char.isdigit()

    def _space_after_number(self, c: _Char, i: int) -> None:
        """`12%` → `12 %`, `n°4` → `nº 4` (French)."""
        nxt = self._next(i)
        if nxt is None or nxt.fixed or nxt.lang != c.lang:
            return
        if c.char.isdigit() and nxt.char in "%‰":
            self.out.append(replace(c, char=NBSP, segment=nxt.segment, raised=False))
        elif c.char in "°º" and nxt.char.isdigit() and self._word_before() in ("n°", "N°", "nº", "Nº"):
            self.out.append(replace(c, char=NBSP, raised=False))


def _closing(opener: str, quotes: str) -> str:
    pairs = {quotes[0]: quotes[1], quotes[2]: quotes[3], "«": "»", "“": "”", "‘": "’", "„": "“", "‚": "‘"}
    return pairs.get(opener, quotes[1])


# --- writing back --------------------------------------------------------------------------


def _pieces(chars: list[_Char]) -> Iterator[tuple[str, bool]]:
    """Consecutive characters grouped by whether they are raised."""
    text, raised = "", False
    for c in chars:
        if c.raised != raised and text:
            yield text, raised
            text = ""
        text, raised = text + c.char, c.raised
    if text or not chars:
        yield text, raised


def _write(segments: list[tuple[etree._Element, str]], out: list[_Char]) -> None:
    by_segment: dict[int, list[_Char]] = {}
    for c in out:
        if c.segment >= 0:
            by_segment.setdefault(c.segment, []).append(c)
    for index, (element, attr) in enumerate(segments):
        pieces = list(_pieces(by_segment.get(index, [])))
        setattr(element, attr, None if pieces[0][1] else pieces.pop(0)[0] or None)  # "" would print `<em></em>`
        if pieces:
            _insert_raised(element, attr, pieces)


def _insert_raised(element: etree._Element, attr: str, pieces: list[tuple[str, bool]]) -> None:
    """Raised pieces (each a `<sup>`) alternate with plain ones (the tail of the one before)."""
    if attr == "text":
        parent, position = element, 0
    else:
        parent = element.getparent()
        position = parent.index(element) + 1
    namespace = f"{{{_namespace(parent)}}}" if _namespace(parent) else ""
    sup = None
    for text, raised in pieces:
        if raised:
            sup = etree.Element(f"{namespace}sup")
            sup.text = text
            parent.insert(position, sup)
            position += 1
        elif sup is not None:
            sup.tail = text


def typeset(root: etree._Element, locale: str) -> None:
    """Apply the typography of each element's language (its `lang`, else `locale`) to every
    text node under `root`, in place."""
    reader = _Reader()
    reader.read(root, language(locale))
    out: list[_Char] = []
    for run in reader.runs:
        _protect_urls(run)
        _mark_ordinals(run)
        out.extend(_Typesetter(run).run())
    _write(reader.segments, out)
