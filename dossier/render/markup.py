"""Document nodes → XHTML fragments, for print (notes in place) or the EPUB (notes linked).

lxml writes the standard elements; our constructs (note calls, citations, figures, generated
blocks) are written by layout templates. Raw HTML from the author is sanitised with nh3 and
re-serialised as XML, so every fragment is well-formed XHTML whichever target it is for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import nh3
from jinja2 import Environment
from lxml import etree, html
from markdown_it.common.utils import unescapeAll
from markupsafe import Markup, escape

from dossier.load.text import FORBIDDEN
from dossier.nodes import (
    BLOCK_TYPES,
    Attr,
    Block,
    BlockQuote,
    BulletList,
    Citation,
    CiteAuthor,
    Cites,
    Code,
    CodeBlock,
    DefinitionList,
    Div,
    Emph,
    Figure,
    Generated,
    Header,
    HorizontalRule,
    Image,
    Inline,
    LineBlock,
    LineBreak,
    Link,
    Math,
    NoteCall,
    OrderedList,
    PageBreak,
    Para,
    Plain,
    RawBlock,
    RawInline,
    SoftBreak,
    Span,
    Strikeout,
    Strong,
    Subscript,
    Superscript,
    Table,
    Text,
    plain_text,
    walk,
)
from dossier.render import math
from dossier.render.figures import EPUB_FIGURES, FIGURES, FigureFile

Target = Literal["print", "epub"]

ALLOWED_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "dd", "del",
    "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    "var", "wbr",
}
ALLOWED_ATTRIBUTES = {
    "*": {"lang", "title", "class", "dir"},
    "a": {"href"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
_PLACEHOLDER = "\ue000{}\ue001"


_LINK = "\ue002{}\ue003"
_LINK_RE = re.compile("\ue002(\\d+)\ue003")


def _relative_url(url: str) -> str | None:
    """Raw HTML may link only to web and mail addresses: relative URLs (`../../secret`,
    `file.txt`) are dropped. Placeholders for the hrefs of Markdown links, which the resolve
    stage has checked, are kept."""
    return url if _LINK_RE.fullmatch(url) else None


def sanitize(fragment: str) -> str:
    """Raw HTML down to the allow-list, returned as well-formed XML."""
    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        url_relative=_relative_url,
        strip_comments=True,
        link_rel=None,  # rel="noopener" means nothing in a book, and EPUB wants no rel without href
    )
    # character references (`&#1;`, `&#xFFFE;`) come out of the sanitiser as characters XML forbids
    return to_xml(FORBIDDEN.sub("", cleaned))


def to_xml(fragment: str) -> str:
    """An HTML fragment re-serialised as XML (`<br>` → `<br/>`, attributes quoted)."""
    if not fragment.strip():
        return fragment
    parts = html.fragments_fromstring(fragment)
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(str(escape(part)))
        else:
            out.append(etree.tostring(part, method="xml", encoding="unicode", with_tail=True))
    return "".join(out)


_SPLICE = re.compile(r"<\?dossier (\d+)\?>")
_LANG_PREFIX = "language-"


class FragmentRenderer:
    """Renders a chapter's nodes; `context` gives the templates what they need.

    Standard elements are built with lxml, which escapes the author's text; our own constructs
    (note calls, citations, figures, generated blocks) come from the layout's templates and are
    spliced in where the tree holds a processing instruction standing for them (one the author's
    text cannot produce, since lxml escapes its `<`). The output keeps the line breaks
    markdown-it's renderer writes, so that documents stay as they were.
    """

    def __init__(self, env: Environment, target: Target, context: dict[str, Any]) -> None:
        self.jinja = env
        self.target = target
        self.context = context
        self.in_print_note = False
        self.pending_lead: Markup | None = None
        self.figure_files: list[FigureFile] = []
        self._spliced: list[str] = []
        self._raw_run: _RawRun | None = None

    # -- entry points -----------------------------------------------------------------------

    def render_blocks(self, blocks: Sequence[Block]) -> Markup:
        return self._render(lambda root: self._blocks(root, blocks))

    def render_inlines(self, inlines: Sequence[Inline]) -> Markup:
        """Inline nodes (a data cell, a definition, a citation's prefix)."""
        return self._render(lambda root: self._inline_content(root, inlines))

    def render_note(self, note: Any, lead: Markup | None = None) -> Markup:
        """A note's text. Print: spans, since the note sits inside a line until CSS floats it
        to the foot of the page. EPUB: paragraphs, `lead` (number and link back) opening the
        first one."""
        if note.cites:
            return self._partial("partials/note-cites.html.j2", cites=note.cites, lead=lead)
        previous, self.in_print_note = self.in_print_note, self.target == "print"
        self.pending_lead = lead
        try:
            return self.render_blocks(note.blocks or ())
        finally:
            self.in_print_note, self.pending_lead = previous, None

    # -- helpers ----------------------------------------------------------------------------

    def _partial(self, template: str, **values: Any) -> Markup:
        values = {**self.context, "target": self.target, "render": self, **values}
        return Markup(self.jinja.get_template(template).render(values).strip())

    def _render(self, fill: Any) -> Markup:
        """A fragment: `fill` builds it under a root element, whose content is then serialised
        with the templates' markup spliced in. Templates call back into the renderer (a note's
        text inside its call), so each fragment has its own list of spliced markup."""
        saved = self._spliced, self._raw_run
        self._spliced, self._raw_run = [], None
        try:
            root = etree.Element("div")
            fill(root)
            spliced = self._spliced
            return Markup(_SPLICE.sub(lambda m: spliced[int(m.group(1))], _content(root)))
        finally:
            self._spliced, self._raw_run = saved

    def _splice(self, parent: etree._Element, markup: str) -> etree._Element:
        """A placeholder for `markup` (trusted: a template's output, sanitised HTML) at the end of `parent`."""
        self._spliced.append(markup)
        pi = etree.ProcessingInstruction("dossier", str(len(self._spliced) - 1))
        parent.append(pi)
        return pi

    # -- blocks -----------------------------------------------------------------------------

    def _blocks(self, parent: etree._Element, blocks: Sequence[Block]) -> None:
        after_plain = False
        for block in blocks:
            if after_plain and not isinstance(block, Plain):
                _append_text(parent, "\n")  # markdown-it: a block after a tight paragraph starts a line
            self._block(parent, block)
            after_plain = isinstance(block, Plain)

    def _container(self, parent: etree._Element, tag: str, blocks: Sequence[Block], **attrs: str) -> etree._Element:
        element = etree.SubElement(parent, tag, attrs)
        if blocks and not isinstance(blocks[0], Plain):
            element.text = "\n"
        self._blocks(element, blocks)
        element.tail = "\n"
        return element

    def _block(self, parent: etree._Element, block: Block) -> None:
        if self.in_print_note and not isinstance(block, Para | Plain):
            self._print_note_block(parent, block)
        elif isinstance(block, Para):
            self._paragraph(parent, block)
        elif isinstance(block, Plain):
            self._inline_content(parent, block.content)
        elif isinstance(block, Header):
            attrs = {"id": block.attr.id} if block.attr.id else {}
            attrs.update(self._attributes(replace(block.attr, id="")))
            element = etree.SubElement(parent, f"h{block.level}", attrs)
            self._inline_content(element, block.content)
            element.tail = "\n"
        elif isinstance(block, BlockQuote):
            self._container(parent, "blockquote", block.content)
        elif isinstance(block, BulletList | OrderedList):
            attrs = {"start": str(block.start)} if isinstance(block, OrderedList) and block.start != 1 else {}
            if attrs and self.target == "print":  # WeasyPrint does not read `start`
                attrs["style"] = f"counter-reset: list-item {block.start - 1}"
            if isinstance(block, OrderedList) and block.style in _LIST_TYPES:
                attrs["type"], attrs["class"] = _LIST_TYPES[block.style], block.style
            elif isinstance(block, OrderedList) and block.style == "example":
                attrs["class"] = "example"
            element = etree.SubElement(parent, "ul" if isinstance(block, BulletList) else "ol", attrs)
            element.text = "\n"
            for item in block.items:
                self._container(element, "li", item.content)
            element.tail = "\n"
        elif isinstance(block, CodeBlock):
            self._code_block(parent, block)
        elif isinstance(block, RawBlock):
            self._splice(parent, sanitize(block.html))
        elif isinstance(block, HorizontalRule):
            etree.SubElement(parent, "hr").tail = "\n"
        elif isinstance(block, Table):
            self._table(parent, block)
        elif isinstance(block, Figure):
            self._figure_block(parent, block)
        elif isinstance(block, Generated):
            self._generated(parent, block)
        elif isinstance(block, Div):
            self._container(parent, "div", block.content, **self._attributes(block.attr))
        elif isinstance(block, DefinitionList):
            self._definitions(parent, block, "dl", "dt", "dd")
        elif isinstance(block, LineBlock):
            self._line_block(parent, block, "div")
        elif isinstance(block, PageBreak):
            etree.SubElement(parent, "div", {"class": "page-break"}).tail = "\n"
        else:  # a node this renderer does not know yet is an error of ours, not the author's
            raise TypeError(f"no rendering for {type(block).__name__}")

    def _attributes(self, attr: Attr) -> dict[str, str]:
        """Pandoc's attributes as HTML's: `lang` (and `xml:lang` in the EPUB), classes, `data-` for the rest."""
        attrs: dict[str, str] = {}
        if attr.id:
            attrs["id"] = attr.id
        if attr.classes:
            attrs["class"] = " ".join(attr.classes)
        for key, value in attr.pairs:
            if key == "lang":
                attrs["lang"] = value
                if self.target == "epub":
                    attrs[_XML_LANG] = value
            elif key in ("dir", "title"):
                attrs[key] = value
            elif re.fullmatch(r"[a-z][a-z0-9-]*", key):
                attrs[f"data-{key}"] = value
        return attrs

    def _definitions(self, parent: etree._Element, block: DefinitionList, dl: str, dt: str, dd: str) -> None:
        spans = dl == "span"
        element = etree.SubElement(parent, dl, {"class": "note-dl"} if spans else {})
        element.text = "\n"
        for item in block.items:
            term = etree.SubElement(element, dt, {"class": "note-dt"} if spans else {})
            self._inline_content(term, item.term)
            term.tail = "\n"
            for definition in item.definitions:
                if spans:
                    self._print_note_container(element, "note-dd", definition)
                else:
                    self._container(element, dd, definition)
        element.tail = "\n"

    def _line_block(self, parent: etree._Element, block: LineBlock, tag: str) -> None:
        element = etree.SubElement(parent, tag, {"class": "line-block"})
        for index, line in enumerate(block.lines):
            if index:
                etree.SubElement(element, "br").tail = "\n"
            self._inline_content(element, line)
        element.tail = "\n"

    def _print_note_block(self, parent: etree._Element, block: Block) -> None:
        """A note's block in print: the note is an inline `span` until CSS floats it to the foot of
        the page, so its blocks are spans too, laid out as blocks by print.css (`note-…` classes)."""
        if isinstance(block, BulletList | OrderedList):
            kind = "ul" if isinstance(block, BulletList) else "ol"
            element = etree.SubElement(parent, "span", {"class": f"note-{kind}"})
            if isinstance(block, OrderedList) and block.start != 1:
                element.set("style", f"counter-reset: list-item {block.start - 1}")
            for item in block.items:
                self._print_note_container(element, "note-li", item.content)
        elif isinstance(block, BlockQuote):
            self._print_note_container(parent, "note-blockquote", block.content)
        elif isinstance(block, Div):
            attrs = self._attributes(block.attr)
            attrs["class"] = " ".join(["note-div", *block.attr.classes])
            element = etree.SubElement(parent, "span", attrs)
            self._blocks(element, block.content)
        elif isinstance(block, CodeBlock):
            etree.SubElement(parent, "code", {"class": "note-pre"}).text = block.text.rstrip("\n")
        elif isinstance(block, DefinitionList):
            self._definitions(parent, block, "span", "span", "span")
        elif isinstance(block, LineBlock):
            self._line_block(parent, block, "span")
        elif isinstance(block, HorizontalRule):
            etree.SubElement(parent, "span", {"class": "note-hr"})
        else:  # resolve refuses the rest in notes
            raise TypeError(f"no rendering for {type(block).__name__} in a note")

    def _print_note_container(self, parent: etree._Element, kind: str, blocks: Sequence[Block]) -> None:
        element = etree.SubElement(parent, "span", {"class": kind})
        self._blocks(element, blocks)

    def _paragraph(self, parent: etree._Element, block: Para) -> None:
        if self.in_print_note:
            element = etree.SubElement(parent, "span", {"class": "note-p"})
            self._inline_content(element, block.content)
            return
        element = etree.SubElement(parent, "p")
        if self.pending_lead is not None:
            lead, self.pending_lead = self.pending_lead, None
            self._splice(element, lead).tail = " "
        self._inline_content(element, block.content)
        element.tail = "\n"

    def _code_block(self, parent: etree._Element, block: CodeBlock) -> None:
        pre = etree.SubElement(parent, "pre")
        attrs = {}
        info = unescapeAll(block.info).strip() if block.info else ""
        if info:
            attrs["class"] = _LANG_PREFIX + re.split(r"\s", info, maxsplit=1)[0]
        code = etree.SubElement(pre, "code", attrs)
        code.text = block.text
        pre.tail = "\n"

    def _table(self, parent: etree._Element, table: Table) -> None:
        element = etree.SubElement(parent, "table")
        element.text = "\n"
        if table.caption:
            caption = etree.SubElement(element, "caption")
            self._inline_content(caption, table.caption)
            caption.tail = "\n"
        if table.widths:
            colgroup = etree.SubElement(element, "colgroup")
            for width in table.widths:
                etree.SubElement(colgroup, "col", {"style": f"width: {width * 100:.0f}%"})
            colgroup.tail = "\n"
        for tag, rows in (("thead", table.head), ("tbody", table.body)):
            if not rows:
                continue
            group = etree.SubElement(element, tag)
            group.text = "\n"
            for row in rows:
                tr = etree.SubElement(group, "tr")
                tr.text = "\n"
                for cell in row.cells:
                    attrs = {"style": f"text-align:{cell.align}"} if cell.align else {}
                    td = etree.SubElement(tr, "th" if cell.header else "td", attrs)
                    if cell.content and isinstance(cell.content[0], BLOCK_TYPES):
                        td.text = None if isinstance(cell.content[0], Plain) else "\n"
                        self._blocks(td, cell.content)  # type: ignore[arg-type]
                    else:
                        self._inline_content(td, cell.content)  # type: ignore[arg-type]
                    td.tail = "\n"
                tr.tail = "\n"
            group.tail = "\n"
        element.tail = "\n"

    def _figure_block(self, parent: etree._Element, figure: Figure) -> None:
        """Pandoc's implicit figure: the image's text is the caption; the alternative text is
        `fig-alt` where given, else the image's title, else the caption's text."""
        image = figure.image
        caption = self.render_inlines(figure.caption) if figure.caption else Markup("")
        alt = image.attr.get("fig-alt") or image.title or plain_text(figure.caption)
        width = image.attr.get("width")
        markup = self._partial(
            "partials/figure.html.j2", src=image.src, alt=alt, caption=caption, ident=image.attr.id,
            width=width if width and re.fullmatch(r"\d+(?:\.\d+)?(?:%|px|em|cm|mm|in)?", width) else None,
        )
        self._splice(parent, markup)

    def _generated(self, parent: etree._Element, node: Generated) -> None:
        block = node.block
        if node.name in FIGURES and block is not None:
            self._splice(parent, self._figure(node.name, block))
            return
        extra = {"glossary": list(node.glossary)} if node.glossary is not None else {}
        self._splice(parent, self._partial(f"blocks/{node.name}.html.j2", block=block, **extra))

    def _figure(self, name: str, block: Any) -> Markup:
        """A generated figure: inline SVG in print, an SVG file (text as outlines) in the EPUB."""
        ident = f"{self.context['chapter'].anchor}-{name}-{len(self.figure_files) + 1}"
        outlines = self.target == "epub"
        figure = (EPUB_FIGURES if outlines else FIGURES)[name](block, self.context["config"].locale, ident)
        svg = self._partial(
            f"blocks/{name}.svg.j2", fig=figure, outlines=outlines, alt=block.options["alt"]
        )
        values = {"block": block, "fig": figure, "credit": getattr(figure, "credit", None), "svg": svg, "src": ""}
        if outlines:
            values["src"] = f"figures/{ident}.svg"
            self.figure_files.append(FigureFile(values["src"], svg))
        return self._partial(f"blocks/{name}.html.j2", **values)

    # -- inlines ----------------------------------------------------------------------------

    def _inline_content(self, parent: etree._Element, inlines: Sequence[Inline]) -> None:
        """Inline nodes at the end of `parent`. A run holding raw HTML is sanitised as a whole
        (its tags may open in one node and close in another), our markup kept out of the
        sanitiser's reach behind placeholders."""
        if self._raw_run is not None or not any(isinstance(n, RawInline) for n in walk(tuple(inlines))):
            self._inlines(parent, inlines)
            return
        run = self._raw_run = _RawRun()
        holder = etree.Element("div")
        try:
            self._inlines(holder, inlines)
        finally:
            self._raw_run = None
        text = _SPLICE.sub(lambda m: run.raw[int(m.group(1))], _content(holder))
        result = sanitize(text)
        result = _LINK_RE.sub(lambda m: str(escape(run.hrefs[int(m.group(1))])), result)
        result = _KEPT_RE.sub(lambda m: run.kept[int(m.group(1))], result)
        self._splice(parent, result)

    def _inlines(self, parent: etree._Element, inlines: Sequence[Inline]) -> None:
        for node in inlines:
            self._inline(parent, node)

    def _ours(self, parent: etree._Element, markup: str) -> None:
        """Our own markup in a run: spliced, or (inside raw HTML) behind a placeholder the sanitiser keeps."""
        if self._raw_run is not None:
            self._raw_run.kept.append(markup)
            _append_text(parent, _PLACEHOLDER.format(len(self._raw_run.kept) - 1))
        else:
            self._splice(parent, markup)

    def _inline(self, parent: etree._Element, node: Inline) -> None:
        if isinstance(node, Text):
            _append_text(parent, node.text)
        elif isinstance(node, SoftBreak):  # a line break of the source: a space (a print note keeps a newline as one)
            _append_text(parent, " " if self.in_print_note else "\n")
        elif isinstance(node, LineBreak):
            etree.SubElement(parent, "br").tail = "\n"
        elif isinstance(node, Code):
            etree.SubElement(parent, "code").text = node.text
        elif isinstance(node, Emph | Strong | Strikeout | Subscript | Superscript):
            tag = {Emph: "em", Strong: "strong", Strikeout: "s", Subscript: "sub", Superscript: "sup"}[type(node)]
            self._inlines(etree.SubElement(parent, tag), node.content)
        elif isinstance(node, Span):
            self._inlines(etree.SubElement(parent, "span", self._attributes(node.attr)), node.content)
        elif isinstance(node, Math):
            math.check(node.tex, node.location, node.display)
            kind = "display" if node.display else "inline"
            body = math.mathml(node.tex, node.display) if self.target == "epub" else math.svg(node.tex, node.display)
            self._ours(parent, f'<span class="math {kind}">{body}</span>')
        elif isinstance(node, CiteAuthor):
            self._ours(parent, self._partial("partials/cite-author.html.j2", source=node.source))
        elif isinstance(node, Link):
            self._link(parent, node)
        elif isinstance(node, Image):
            attrs = {"src": node.src, "alt": plain_text(node.alt)}
            if node.title:
                attrs["title"] = node.title
            markup = etree.tostring(etree.Element("img", attrs), encoding="unicode")
            self._ours(parent, markup)
        elif isinstance(node, RawInline):
            assert self._raw_run is not None
            self._raw_run.raw.append(node.html)
            parent.append(etree.ProcessingInstruction("dossier", str(len(self._raw_run.raw) - 1)))
        elif isinstance(node, NoteCall):
            self._ours(parent, self._partial("partials/noteref.html.j2", note=node.note, after_call=node.after_call))
        elif isinstance(node, Cites):
            # Inside a note's sentence a citation is set in parentheses; opening the note, as is.
            markup = self._partial("partials/cites.html.j2", cites=node.cites, final=False, enclosed=node.enclosed)
            self._ours(parent, markup)
        elif isinstance(node, Citation):  # unresolved (resolve reported it): as written, never dropped
            _append_text(parent, node.source)
        else:
            raise TypeError(f"no rendering for {type(node).__name__}")

    def _link(self, parent: etree._Element, link: Link) -> None:
        href = self._href(link)
        if self._raw_run is not None:  # raw HTML may not link to relative URLs: the href goes through as a placeholder
            self._raw_run.hrefs.append(href)
            href = _LINK.format(len(self._raw_run.hrefs) - 1)
        attrs = {"href": href}
        if link.title:
            attrs["title"] = link.title
        self._inlines(etree.SubElement(parent, "a", attrs), link.content)

    def _href(self, link: Link) -> str:
        if link.xref is not None:
            anchor = link.xref.anchor
            return f"#{anchor}" if self.target == "print" else f"{link.xref.file}#{anchor}"
        return link.target


class _RawRun:
    """A run of inlines holding raw HTML, being rendered: what goes around the sanitiser."""

    def __init__(self) -> None:
        self.raw: list[str] = []  # the raw HTML pieces
        self.kept: list[str] = []  # our markup
        self.hrefs: list[str] = []  # Markdown links' targets


_LIST_TYPES = {"lower-roman": "i", "upper-roman": "I", "lower-alpha": "a", "upper-alpha": "A"}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_KEPT_RE = re.compile("\ue000(\\d+)\ue001")


def _content(root: etree._Element) -> str:
    """The XML of what `root` holds (its text and children), without `root` itself."""
    return str(escape(root.text or "")) + "".join(etree.tostring(child, encoding="unicode") for child in root)


def _append_text(parent: etree._Element, text: str) -> None:
    """Text at the end of `parent`: its text, or the tail of its last child."""
    if not text:
        return
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
