"""Reading a built dossier's text back as a reader sees it, for the typography and date scans.

PDF: the glyphs themselves (pdfplumber's characters, so a no-break space is told from a space;
pypdf adds spaces of its own where justification widened a gap). EPUB: the XHTML, where each
passage's language is known. Passages in another language, URLs and code are set aside: the
rules of the dossier's language do not apply to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from tests.helpers import epub_documents

X = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STAND_IN = "\ufffc"  # what a set-aside passage leaves in the text
MONTHS_FR = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
MONTHS_EN = "January|February|March|April|May|June|July|August|September|October|November|December"
WEEKDAYS_FR = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"


def pdf_glyph_text(path: Path) -> str:
    """The PDF's text from its glyphs: a new line where the text goes back left, a tab where
    a wide gap without a space separates two glyphs (table cells); hyphenated words joined.

    The page-margin content (running heads, folios: marked as artifacts) comes after all the
    pages, one page's to a line, so that a passage the page break cuts reads on without it,
    as the reader reads it, and is still scanned."""
    import pdfplumber

    lines: list[str] = []
    margins: list[str] = []
    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            line, last = "", None
            chars = [char for char in page.chars if char.get("tag") != "Artifact"]
            margins += _runs([char for char in page.chars if char.get("tag") == "Artifact"])
            for char in chars:
                if last is not None and char["x0"] < last["x1"] - 1:
                    lines.append(line)
                    line = ""
                elif last is not None and char["x0"] - last["x1"] > 6 and last["text"] != " ":
                    line += "\t"
                line += char["text"]
                last = char
            lines.append(line + "\f")
    text = "\n".join(lines + margins)
    return re.sub("\u2010\n", "", text)  # WeasyPrint's hyphen at a line's end


def _runs(chars: list[dict]) -> list[str]:
    """Glyphs as runs of neighbours on one line (a running head, a folio, a lone generated dot)."""
    runs: list[str] = []
    last = None
    for char in chars:
        near = last is not None and abs(char["top"] - last["top"]) < 1 and -1 < char["x0"] - last["x1"] < 6
        if near:
            runs[-1] += char["text"]
        else:
            runs.append(char["text"])
        last = char
    return runs


def _lang(element: etree._Element) -> str | None:
    return element.get(XML_LANG) or element.get("lang")


def set_aside(element: etree._Element, language: str, titles: bool = False) -> bool:
    """Not text in `language`: another language, a URL, code, a figure's drawing; with `titles`,
    also the titles of sources, which are reproduced as published (a date in one is theirs)."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if titles and "title" in (element.get("class") or "").split():
        return True
    lang = _lang(element)
    if lang and not lang.lower().startswith(language):
        return True
    if tag.endswith(("}code", "}pre", "}svg")) or tag in ("code", "pre"):
        return True
    return "url" in (element.get("class") or "").split()


def epub_prose(path: Path, language: str, titles: bool = False) -> dict[str, str]:
    """Each XHTML document's text in `language`, other passages replaced by a stand-in."""
    texts = {}
    for name, root in epub_documents(path).items():
        if name.endswith("nav.xhtml"):
            continue
        body = root.find(f"{X}body")
        texts[name] = "".join(_prose(body, language, titles))
    return texts


def _prose(element: etree._Element, language: str, titles: bool) -> Iterator[str]:
    if set_aside(element, language, titles):
        yield STAND_IN
    else:
        yield element.text or ""
        for child in element:
            if isinstance(child.tag, str):
                yield from _prose(child, language, titles)
            yield child.tail or ""
    if element.tag in (f"{X}p", f"{X}li", f"{X}td", f"{X}th", f"{X}dt", f"{X}dd", f"{X}h1", f"{X}h2", f"{X}div"):
        yield "\n"


def set_aside_passages(path: Path, language: str, titles: bool = False) -> list[str]:
    """The texts the EPUB marks as not in `language` (other languages, URLs, code, titles)."""
    found: list[str] = []
    for root in epub_documents(path).values():
        for element in root.iter():
            if isinstance(element.tag, str) and set_aside(element, language, titles):
                text = "".join(element.itertext()).strip()
                parent = element.getparent()
                if text and (parent is None or not set_aside(parent, language, titles)):
                    found.append(text)
    return sorted(set(found), key=len, reverse=True)


def without_passages(text: str, passages: list[str]) -> str:
    """`text` (from the PDF) with each passage replaced by a stand-in, wherever lines broke it."""
    for passage in passages:
        chars = [re.escape(c) for c in passage if not c.isspace()]
        if not chars:
            continue
        pattern = r"[\s\u2010\u00ad]*".join(chars)
        text = re.sub(pattern, STAND_IN, text)
    return text


# --- the checks: each returns the offending places, with some context ----------------------

FRENCH_SPACING = {
    "ordinary space before ; : ! ? »": r"[ \t\n][;:!?»]",
    "no space before ; ! ? »": r"[^\s\u00a0\u202f«(\[\ufffc?!;…][;!?»]",
    "no space before :": r"[^\s\u00a0\u202f\d(\[\ufffc][:](?!\d)",
    "ordinary space after «": r"«[ \t\n]",
    "no space after «": r"«[^\s\u00a0\u202f]",
    "ASCII double quote": r'"',
    "straight apostrophe": r"'",
    "three dots": r"\.\.\.",
    "two full stops": r"(?<!\.)\.\.(?!\.)",
}
FRENCH_DATES = {
    "first of a month without 1er": rf"(?<![\d\w])1[\s\u00a0\u202f]+(?:{MONTHS_FR})",
    "English month name": rf"\b(?:{MONTHS_EN})\b",
    "numeric date": r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b",
    "abbreviated month": r"\b(?:janv|févr|avr|juil|sept|oct|nov|déc)\.",
    "capitalised month or weekday after a number": rf"\d[\s\u00a0]+(?:{MONTHS_FR.title()})\b",
    "access date not in long form": rf"consulté le(?![\s\u00a0\u202f]+(?:1er|\d{{1,2}})[\s\u00a0\u202f]+(?:{MONTHS_FR})[\s\u00a0\u202f]+\d{{4}})",
}


def findings(text: str, checks: dict[str, str]) -> list[str]:
    out = []
    for name, pattern in checks.items():
        for match in re.finditer(pattern, text):
            context = text[max(0, match.start() - 30) : match.end() + 15].replace("\n", "⏎")
            out.append(f"{name}: {context!r}")
    return out
