"""Fonts for the EPUB: those its stylesheet names, cut down to the characters the book uses (fontTools' subsetter).

The licences (SIL OFL 1.1, no reserved font name) allow it; the name table, which carries the
copyright and licence notices, is kept whole, and so are the OpenType features the stylesheets
rely on: kerning, ligatures, marks, and the figures — old-style and lining (`onum`, `lnum`),
proportional and tabular, superior (`sups`), as in the print edition. Stylistic sets and other
alternates are dropped.
Timestamps are not touched, so the same text gives the same bytes.
"""

from __future__ import annotations

import io
import string
from pathlib import Path

# What a reading system may draw with the book's font beyond the book's text: list numbers
# and bullets, and the punctuation of its own page and note labels.
ALWAYS = string.printable.strip() + "\u00a0\u202f\u2009«»“”‘’–—…•◦▪·"


LAYOUT_FEATURES = (
    "kern", "liga", "calt", "ccmp", "locl", "mark", "mkmk",
    "lnum", "onum", "pnum", "tnum", "sups",
)  # fmt: skip


def subset_font(path: Path, text: str) -> bytes:
    from fontTools import subset

    options = subset.Options()
    options.layout_features = [*LAYOUT_FEATURES]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    options.glyph_names = False
    options.recalc_timestamp = False
    font = subset.load_font(str(path), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text + ALWAYS)
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


EPUB_FONTS = "../fonts/"  # where the EPUB's stylesheet (css/) finds them (fonts/)


def stylesheet_fonts(css: str) -> list[str]:
    """The font files the stylesheet's @font-face rules name (`url(../fonts/NAME)`), in order, each once."""
    import tinycss2

    names: list[str] = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "at-rule" or rule.lower_at_keyword != "font-face":
            continue
        for token in _tokens(rule.content or []):
            url = token.value if token.type == "url" else None
            if token.type == "function" and token.lower_name == "url":
                url = next((a.value for a in token.arguments if a.type == "string"), None)
            if url and url.startswith(EPUB_FONTS) and url.removeprefix(EPUB_FONTS) not in names:
                names.append(url.removeprefix(EPUB_FONTS))
    return names


def _tokens(nodes: list) -> list:
    found = []
    for node in nodes:
        found.append(node)
        if getattr(node, "type", None) in ("() block", "[] block", "{} block"):
            found += _tokens(node.content)
    return found
