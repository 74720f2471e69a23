"""Document nodes → XHTML fragments, for print (notes in place) or the EPUB (notes linked).

lxml writes the standard elements; our constructs (note calls, citations, figures, generated
blocks) are written by layout templates. Raw HTML from the author is sanitised with nh3 and
re-serialised as XML, so every fragment is well-formed XHTML whichever target it is for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

import nh3
from jinja2 import Environment
from lxml import etree, html
from markdown_it.common.utils import unescapeAll
from markupsafe import Markup, escape

from dossier.load.text import FORBIDDEN
from dossier.nodes import (
    Block,
    BlockQuote,
    BulletList,
    Citation,
    Cites,
    Code,
    CodeBlock,
    Emph,
    Figure,
    Generated,
    Header,
    HorizontalRule,
    Image,
    Inline,
    LineBreak,
    Link,
    NoteCall,
    OrderedList,
    Para,
    Plain,
    RawBlock,
    RawInline,
    SoftBreak,
    Strikeout,
    Strong,
    Table,
    Text,
    plain_text,
    walk,
)
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
        if isinstance(block, Para):
            self._paragraph(parent, block)
        elif isinstance(block, Plain):
            self._inline_content(parent, block.content)
        elif isinstance(block, Header):
            attrs = {"id": block.attr.id} if block.attr.id else {}
            element = etree.SubElement(parent, f"h{block.level}", attrs)
            self._inline_content(element, block.content)
            element.tail = "\n"
        elif isinstance(block, BlockQuote):
            self._container(parent, "blockquote", block.content)
        elif isinstance(block, BulletList | OrderedList):
            attrs = {"start": str(block.start)} if isinstance(block, OrderedList) and block.start != 1 else {}
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
        else:  # a node this renderer does not know yet is an error of ours, not the author's
            raise TypeError(f"no rendering for {type(block).__name__}")

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
                    self._inline_content(td, cell.content)  # type: ignore[arg-type]
                    td.tail = "\n"
                tr.tail = "\n"
            group.tail = "\n"
        element.tail = "\n"

    def _figure_block(self, parent: etree._Element, figure: Figure) -> None:
        image = figure.image
        caption = image.title
        markup = self._partial("partials/figure.html.j2", src=image.src, alt=plain_text(image.alt), caption=caption)
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
        elif isinstance(node, SoftBreak):
            _append_text(parent, "\n")
        elif isinstance(node, LineBreak):
            etree.SubElement(parent, "br").tail = "\n"
        elif isinstance(node, Code):
            etree.SubElement(parent, "code").text = node.text
        elif isinstance(node, Emph | Strong | Strikeout):
            tag = {Emph: "em", Strong: "strong", Strikeout: "s"}[type(node)]
            self._inlines(etree.SubElement(parent, tag), node.content)
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
