"""The EPUB's own accessibility checks, on its documents as written (parsed XHTML).

What EPUBCheck and DAISY Ace do not check and the book's accessibility claim rests on: the
language of every part is a valid tag and plausibly the language of its text (WCAG 3.1.1,
3.1.2), every image has a text alternative, the page list has every page of the print edition
at a page break marker, and every note call links to its note and the note back to it. Each
problem found is a `Problem` naming the document (and the text, so that the caller can find
where it comes from); none found, the check passed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dossier.validate.languages import primary, reads_as, valid_tag

XHTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CHECKS = ("language", "alt-text", "page-list", "notes")  # in the order they are reported


@dataclass(frozen=True)
class Problem:
    check: str  # one of CHECKS
    document: str  # the EPUB document (`ch3.xhtml`)
    message: str
    text: str | None = None  # the part concerned, to find where it comes from
    lang: str | None = None  # its language tag, if the problem is with it


Documents = Mapping[str, Any]  # document name → its root element, in reading order


def check_book(documents: Documents, language: str, pages: list[str]) -> list[Problem]:
    """Every problem the four checks find: `language` is the book's, `pages` the print
    edition's page labels in order (the page list must have each)."""
    return [
        *language_problems(documents, language),
        *alt_text_problems(documents),
        *page_list_problems(documents, pages),
        *note_problems(documents),
    ]


def drop_invalid_languages(root: Any) -> list[tuple[str, str]]:
    """Remove every `lang`/`xml:lang` that is not a valid BCP 47 tag (an EPUB must not carry
    one: EPUBCheck rejects it, reading systems misread it): (the tag, its element's text) for each."""
    dropped = []
    for element in root.iter():
        for name in ("lang", XML_LANG):
            tag = element.get(name) if isinstance(element.tag, str) else None
            if tag is not None and not valid_tag(tag):
                del element.attrib[name]
                dropped.append((tag, _text(element)))
    return list(dict.fromkeys(dropped))


# -- language of parts -------------------------------------------------------------------------


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _own_language(element: Any) -> str | None:
    return element.get("lang") or element.get(XML_LANG)


def _language(element: Any, default: str) -> str:
    while element is not None:
        if tag := _own_language(element):
            return tag
        element = element.getparent()
    return default


def _own_text(element: Any, tag: str) -> str:
    """The element's text in its own language: descendants in another language left out."""
    pieces = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and (_own_language(child) or tag) != tag:
            pieces.append(child.tail or "")
            continue
        pieces += [_own_text(child, tag) if isinstance(child.tag, str) else "", child.tail or ""]
    return "".join(pieces)


def _is_title(element: Any) -> bool:
    """A title of a work (the citation templates mark it: partials/cite.html.j2)."""
    return "title" in (element.get("class") or "").split() and element.tag in (f"{XHTML}cite", f"{XHTML}span")


def language_problems(documents: Documents, language: str) -> Iterator[Problem]:
    others = (language, "en")
    seen: set[tuple[str, str]] = set()
    for name, root in documents.items():
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            for attribute in ("lang", XML_LANG):
                tag = element.get(attribute)
                if tag is not None and not valid_tag(tag):
                    yield Problem("language", name, f"'{tag}' is not a valid BCP 47 language tag", _text(element))
            if element.get("lang") and element.get(XML_LANG) and element.get("lang") != element.get(XML_LANG):
                message = f"lang '{element.get('lang')}' and xml:lang '{element.get(XML_LANG)}' differ"
                yield Problem("language", name, message, _text(element))
        body = root.find(f"{XHTML}body")
        if body is None or name == "cover.xhtml":
            continue
        home = _language(root, language)
        parts = [(body, home, _own_text(body, home))]
        for element in body.iter():
            if not isinstance(element.tag, str) or element is body:
                continue
            if _own_language(element):
                parts.append((element, _own_language(element), _own_text(element, _own_language(element))))
            elif _is_title(element):
                parts.append((element, _language(element, home), _text(element)))
        for element, tag, text in parts:
            if not valid_tag(tag) or (text, tag) in seen:
                continue
            seen.add((text, tag))
            found = reads_as(text, tag, others)
            if found is not None and primary(found) != primary(tag):
                what = "the document" if element is body else f"'{_text(element)[:80]}'"
                message = f"{what} is in '{tag}' but reads as '{found}'"
                yield Problem("language", name, message, _text(element), tag)


# -- text alternatives -------------------------------------------------------------------------


def alt_text_problems(documents: Documents) -> Iterator[Problem]:
    for name, root in documents.items():
        for image in root.iter(f"{XHTML}img"):
            if not (image.get("alt") or "").strip():
                yield Problem("alt-text", name, f"image '{image.get('src')}' has no text alternative")
        for svg in root.iter(f"{SVG}svg"):
            title = svg.find(f"{SVG}title")
            label = svg.get("aria-label") or (_text(title) if title is not None else "")
            if not label.strip():
                yield Problem("alt-text", name, "an SVG drawing has no title or label")


# -- the page list -----------------------------------------------------------------------------


def _types(element: Any) -> set[str]:
    return set((element.get(EPUB_TYPE) or "").split())


def _target(documents: Documents, base: str, href: str) -> tuple[str, Any]:
    """The document and element `href` (`ch2.xhtml#x`, `#x`) points to from document `base`
    (the element None when there is none)."""
    file, _, fragment = href.partition("#")
    name = file or base
    root = documents.get(name)
    if root is None or not fragment:
        return name, root
    found = root.xpath("//*[@id=$id]", id=fragment)
    return name, found[0] if found else None


def page_list_problems(documents: Documents, pages: list[str]) -> Iterator[Problem]:
    nav = next(((n, r) for n, r in documents.items() for e in r.iter(f"{XHTML}nav") if "toc" in _types(e)), None)
    if not pages:
        return
    if nav is None:
        yield Problem("page-list", "nav.xhtml", "no navigation document")
        return
    name, root = nav
    lists = [e for e in root.iter(f"{XHTML}nav") if "page-list" in _types(e)]
    links = [a for e in lists for a in e.iter(f"{XHTML}a")]
    labels = [_text(a) for a in links]
    if labels != pages:
        missing = [p for p in pages if p not in labels]
        detail = f"missing {', '.join(missing[:5])}" if missing else "not in the print edition's order"
        yield Problem("page-list", name, f"the page list has {len(labels)} of the {len(pages)} print pages ({detail})")
    for a in links:
        _, target = _target(documents, name, a.get("href") or "")
        if target is None or "pagebreak" not in _types(target):
            yield Problem("page-list", name, f"page {_text(a)} links to no page break marker ({a.get('href')})")


# -- notes -------------------------------------------------------------------------------------


def note_problems(documents: Documents) -> Iterator[Problem]:
    called: set[tuple[str, str]] = set()
    for name, root in documents.items():
        for call in root.iter(f"{XHTML}a"):
            if "noteref" not in _types(call):
                continue
            where, note = _target(documents, name, call.get("href") or "")
            label = _text(call)
            if note is None or not {"footnote", "endnote", "rearnote"} & _types(note):
                yield Problem("notes", name, f"note call {label} links to no note ({call.get('href')})")
                continue
            called.add((where, note.get("id")))
            backs = [a for a in note.iter(f"{XHTML}a") if "doc-backlink" in (a.get("role") or "").split()]
            back = set()
            for link in backs:
                file, _, fragment = (link.get("href") or "").partition("#")
                back.add((file or where, fragment))
            if (name, call.get("id")) not in back:
                yield Problem("notes", name, f"note {label} does not link back to its call")
    for name, root in documents.items():
        for note in root.iter():
            is_note = isinstance(note.tag, str) and {"footnote", "endnote"} & _types(note)
            if is_note and (name, note.get("id")) not in called:
                yield Problem("notes", name, f"note '{note.get('id')}' is called from nowhere")
