"""Markdown tokens → XHTML fragments, for print (notes in place) or the EPUB (notes linked).

markdown-it's own renderer writes the standard elements; our token types (note calls,
citations, figures, generated blocks, links between chapters) are written by layout
templates. Raw HTML from the author is sanitised with nh3 and re-serialised as XML, so every
fragment is well-formed XHTML whichever target it is for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import nh3
from jinja2 import Environment
from lxml import etree, html
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape

from dossier.load.markdown import directive_name, markdown_parser
from dossier.render.figures import FIGURES, FigureFile

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
_OURS = {"note_ref", "citation", "image"}


def sanitize(fragment: str) -> str:
    """Raw HTML down to the allow-list, returned as well-formed XML."""
    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        strip_comments=True,
        link_rel="noopener noreferrer",
    )
    return to_xml(cleaned)


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


class FragmentRenderer(RendererHTML):
    """Renders a chapter's tokens; `context` gives the templates what they need.

    markdown-it treats every public method as a rule for the token type of the same name;
    entry points are therefore named `render_*`, which it skips.
    """

    def __init__(self, env: Environment, target: Target, context: dict[str, Any]) -> None:
        super().__init__(markdown_parser())
        self.jinja = env
        self.target = target
        self.context = context
        self.in_print_note = False
        self.pending_lead: Markup | None = None
        self.figure_files: list[FigureFile] = []

    # -- entry points -----------------------------------------------------------------------

    def render_blocks(self, tokens: Sequence[Token]) -> Markup:
        return Markup(self.render(tokens, markdown_parser().options, {}))

    def render_inline_tokens(self, tokens: Sequence[Token]) -> Markup:
        """Inline tokens (a data cell, a definition) from `parse_inline`."""
        return Markup("".join(self.renderInline(t.children or [], markdown_parser().options, {}) for t in tokens))

    def render_note(self, note: Any, lead: Markup | None = None) -> Markup:
        """A note's text. Print: spans, since the note sits inside a line until CSS floats it
        to the foot of the page. EPUB: paragraphs, `lead` (number and link back) opening the
        first one."""
        if note.cites:
            return self._partial("partials/note-cites.html.j2", cites=note.cites, lead=lead)
        previous, self.in_print_note = self.in_print_note, self.target == "print"
        self.pending_lead = lead
        try:
            return self.render_blocks(note.tokens or [])
        finally:
            self.in_print_note, self.pending_lead = previous, None

    # -- helpers ----------------------------------------------------------------------------

    def _partial(self, template: str, **values: Any) -> Markup:
        values = {**self.context, "target": self.target, "render": self, **values}
        return Markup(self.jinja.get_template(template).render(values).strip())

    def render(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:
        out = []
        for i, token in enumerate(tokens):
            if token.type == "inline":
                if i and tokens[i - 1].type == "figure_open":
                    continue  # the figure template shows the image
                out.append(self.renderInline(token.children or [], options, env))
            elif token.type in self.rules:
                out.append(self.rules[token.type](tokens, i, options, env))
            else:
                out.append(self.renderToken(tokens, i, options, env))
        return "".join(out)

    def renderInline(self, tokens: Sequence[Token], options: OptionsDict, env: EnvType) -> str:  # noqa: N802
        if not any(t.type == "html_inline" for t in tokens):
            return super().renderInline(tokens, options, env)
        # Raw inline HTML spans several tokens: sanitise the run as a whole, with our own
        # markup kept out of the sanitiser's reach behind placeholders.
        kept: list[str] = []
        out = []
        for i, token in enumerate(tokens):
            if token.type == "html_inline":
                out.append(token.content)
                continue
            rendered = super().renderInline(tokens[i : i + 1], options, env)
            if token.type in _OURS:
                kept.append(rendered)
                rendered = _PLACEHOLDER.format(len(kept) - 1)
            out.append(rendered)
        result = sanitize("".join(out))
        for index, markup in enumerate(kept):
            result = result.replace(_PLACEHOLDER.format(index), markup)
        return result

    # -- rules (markdown-it calls methods named after token types) ---------------------------

    def html_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return sanitize(tokens[idx].content)

    def paragraph_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        if self.in_print_note:
            return '<span class="note-p">'
        opening = self.renderToken(tokens, idx, options, env)
        if self.pending_lead is not None:
            opening, self.pending_lead = str(Markup(opening) + self.pending_lead) + " ", None
        return opening

    def paragraph_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        if self.in_print_note:
            return "</span>"
        return self.renderToken(tokens, idx, options, env)

    def note_ref(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        note = tokens[idx].meta["note"]
        after_call = idx > 0 and tokens[idx - 1].type == "note_ref"
        return self._partial("partials/noteref.html.j2", note=note, after_call=after_call)

    def citation(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        # Inside a note's sentence a citation is set in parentheses; opening the note, as is.
        return self._partial(
            "partials/cites.html.j2", cites=tokens[idx].meta.get("cites", []), final=False, enclosed=idx > 0
        )

    def figure_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        image = next(c for c in tokens[idx + 1].children or [] if c.type == "image")
        alt = "".join(c.content for c in image.children or [])
        caption = image.attrGet("title")
        return self._partial(
            "partials/figure.html.j2", src=image.attrGet("src"), alt=alt, caption=caption
        )

    def figure_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return ""

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        name = directive_name(token)
        if name is None:
            return super().fence(tokens, idx, options, env)
        block = token.meta.get("block")
        if name in FIGURES and block is not None:
            return self._figure(name, block)
        return self._partial(f"blocks/{name}.html.j2", block=block)

    def _figure(self, name: str, block: Any) -> Markup:
        """A generated figure: inline SVG in print, an SVG file (text as outlines) in the EPUB."""
        ident = f"{self.context['chapter'].anchor}-{name}-{len(self.figure_files) + 1}"
        outlines = self.target == "epub"
        figure = FIGURES[name](block, self.context["config"].locale, ident)
        svg = self._partial(
            f"blocks/{name}.svg.j2", fig=figure, outlines=outlines, alt=block.options["alt"]
        )
        values = {"block": block, "credit": getattr(figure, "credit", None), "svg": svg, "src": ""}
        if outlines:
            values["src"] = f"figures/{ident}.svg"
            self.figure_files.append(FigureFile(values["src"], svg))
        return self._partial(f"blocks/{name}.html.j2", **values)

    def link_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        xref = (token.meta or {}).get("xref")
        if xref:
            href = f"#{xref['anchor']}" if self.target == "print" else f"{xref['file']}#{xref['anchor']}"
            token.attrSet("href", href)
        return self.renderToken(tokens, idx, options, env)
