"""TeX mathematics (`$…$`, `$$…$$`) as the two editions show it.

EPUB: MathML, from latex2mathml (reading systems lay it out; the TeX source is its `alttext`).
PDF: WeasyPrint lays out no MathML, so ziamath typesets the same MathML as SVG outlines, in
STIX Two Math (shipped inside the ziamath wheel, SIL Open Font License); the TeX source is the
image's accessible name.
"""

from __future__ import annotations

import re
from functools import cache

from lxml import etree

from dossier.errors import DossierError, Location

_SIZE = 24.0  # ziamath's font size, in px: the SVG is scaled to the text's em below
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@cache
def mathml(tex: str, display: bool) -> str:
    import latex2mathml.converter

    markup = latex2mathml.converter.convert(tex, display="block" if display else "inline")
    root = etree.fromstring(markup)
    root.set("alttext", tex)
    return etree.tostring(root, encoding="unicode")


@cache
def svg(tex: str, display: bool) -> str:
    """The formula as an SVG sized in em, its baseline on the text's."""
    import ziamath

    ziamath.config.svg2 = False  # paths, no <symbol> ids (several formulas share one document)
    math = ziamath.Latex(tex, size=_SIZE, inline=not display)
    root = etree.fromstring(math.svg().encode("utf-8"))
    _, y, width, height = (float(v) for v in _NUMBER.findall(root.get("viewBox", "0 0 0 0")))
    descent = height + y
    root.set("width", f"{width / _SIZE:.3f}em")
    root.set("height", f"{height / _SIZE:.3f}em")
    root.set("style", f"vertical-align: {-descent / _SIZE:.3f}em")
    root.set("role", "img")
    root.set("aria-label", tex)
    return etree.tostring(root, encoding="unicode")


def check(tex: str, location: Location, display: bool = False) -> None:
    """A located error if the TeX cannot be read, or holds a command neither library knows
    (latex2mathml would print it as text): the build stops before any output."""
    try:
        markup = mathml(tex, display)
        svg(tex, display)
    except Exception as exc:  # latex2mathml and ziamath raise their own exception types, and built-ins
        raise DossierError.single(
            "math", location, f"cannot read the mathematics '{tex[:40]}' ({exc.__class__.__name__}): check the TeX"
        ) from None
    unknown = [t for t in etree.fromstring(markup).itertext() if t.startswith("\\")]
    if unknown:
        raise DossierError.single(
            "math", location, f"unknown TeX command '{unknown[0]}' in '{tex[:40]}': write it with LaTeX's math commands"
        )
