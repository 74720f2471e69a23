"""Structural checks of a tagged PDF (pikepdf): what a PDF/UA-1 claim needs of its tag tree.

Run on every PDF/UA build and by `dossier check`; a PDF that fails one is not written as
PDF/UA. They read the PDF only (any producer's): the tree reachable from the root and each
element's parent, the parent tree against the pages' marked content (every MCID drawn has its
element, every element's MCID is drawn, no text outside marked content or an artifact), link
annotations (one element each, a size, a description a person can read), notes (`Note` with
a unique `/ID`), figures (`/Alt`, a `/BBox` on the page), table headers (`/Scope`), languages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pikepdf

from dossier.write.tagging import BCP47, TOKENS, page_content

IDENTIFIER = re.compile(r"#?[a-z0-9]+([-_][a-z0-9]+)+")  # `note-ch3-n40`: an id, not a description
MAX_FINDINGS = 20
CODES = frozenset({  # each finding's code (dossier/codes.py, docs/diagnostics.md); pdf-text is the post-pass's
    "pdf-untagged", "pdf-lang", "pdf-tree", "pdf-parent-tree", "pdf-link", "pdf-note", "pdf-table",
    "pdf-figure", "pdf-id", "pdf-text",
})


@dataclass(frozen=True)
class Finding:
    code: str
    page: int | None  # 1-based
    message: str
    ident: str | None = None  # the element's /ID, when it has one

    def describe(self) -> str:
        where = f"page {self.page}: " if self.page else ""
        return f"{where}{self.message}"


def check_tags(pdf: pikepdf.Pdf) -> list[Finding]:
    """Every finding, the first MAX_FINDINGS of each code."""
    return _limited(list(_Checker(pdf).run()))


def _limited(findings: list[Finding]) -> list[Finding]:
    seen: dict[str, int] = {}
    kept = []
    for finding in findings:
        seen[finding.code] = seen.get(finding.code, 0) + 1
        if seen[finding.code] <= MAX_FINDINGS:
            kept.append(finding)
    return kept


class _Checker:
    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.pages = [p.obj for p in pdf.pages]
        self.page_index = {p.objgen: i for i, p in enumerate(self.pages)}
        self.elements: dict[tuple[int, int], Any] = {}  # reachable, by object
        self.mcids: dict[tuple[int, int], tuple[int, int]] = {}  # (page, mcid) → element
        self.annotations: dict[tuple[int, int], tuple[int, int]] = {}  # annotation → element
        self.ids: dict[str, tuple[int, int]] = {}

    def run(self) -> Iterator[Finding]:
        root = self.pdf.Root.get("/StructTreeRoot")
        if root is None:
            yield Finding("pdf-untagged", None, "the PDF has no structure tree")
            return
        mark_info = self.pdf.Root.get("/MarkInfo")
        if mark_info is None or not bool(mark_info.get("/Marked", False)):
            yield Finding("pdf-untagged", None, "the PDF is not marked as tagged (/MarkInfo /Marked)")
        if not BCP47.fullmatch(str(self.pdf.Root.get("/Lang", ""))):
            yield Finding("pdf-lang", None, "the document has no language (/Lang)")
        yield from self._tree(root)
        yield from self._unreachable()
        yield from self._parent_tree(root)
        yield from self._content()
        yield from self._links()
        yield from self._id_tree(root)

    # -- the tree

    def _tree(self, root: Any) -> Iterator[Finding]:
        stack = [(kid, root) for kid in _kids(root)]
        while stack:
            element, parent = stack.pop()
            if not isinstance(element, pikepdf.Dictionary):
                continue
            kind = element.get("/Type")
            if kind in ("/MCR", "/OBJR"):
                continue
            key = element.objgen
            if key in self.elements:
                yield Finding("pdf-tree", None, f"a {element.get('/S')} element is in the tree twice")
                continue
            self.elements[key] = element
            if element.get("/P") is None or element.P.objgen != parent.objgen:
                yield Finding(
                    "pdf-tree", self._page(element), f"a {element.get('/S')} element does not name its parent"
                )
            yield from self._element(element)
            stack.extend((kid, element) for kid in _kids(element))

    def _element(self, element: Any) -> Iterator[Finding]:
        kind = str(element.get("/S", ""))
        page = self._page(element)
        ident = str(element.ID) if "/ID" in element else None
        if ident is not None:
            if ident in self.ids:
                yield Finding("pdf-id", page, f"the id {ident!r} is on two elements", ident)
            self.ids[ident] = element.objgen
        if "/Lang" in element and not BCP47.fullmatch(str(element.Lang)):
            yield Finding("pdf-lang", page, f"a {kind} element has a language that is not one: {element.Lang!r}", ident)
        for kid in _kids(element):
            if isinstance(kid, int):
                self.mcids[(page if page is not None else -1, kid)] = element.objgen
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                self.mcids[(self.page_index.get(kid.Pg.objgen, -1) + 1, int(kid.MCID))] = element.objgen
            elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
                self.annotations[kid.Obj.objgen] = element.objgen
        if kind == "/Note" and ident is None:
            yield Finding("pdf-note", page, "a note (Note) has no /ID")
        if kind == "/Figure":
            yield from self._figure(element, page, ident)
        if kind == "/TH":
            attributes = element.get("/A")
            items = attributes if isinstance(attributes, pikepdf.Array) else [attributes]
            if not any(isinstance(a, pikepdf.Dictionary) and ("/Scope" in a or "/Headers" in a) for a in items):
                yield Finding("pdf-table", page, "a table header (TH) has no /Scope", ident)

    def _figure(self, element: Any, page: int | None, ident: str | None) -> Iterator[Finding]:
        if not str(element.get("/Alt", "")).strip():
            yield Finding("pdf-figure", page, "a figure has no alternative text (/Alt)", ident)
        attributes = element.get("/A")
        items = attributes if isinstance(attributes, pikepdf.Array) else [attributes]
        box = next((a.BBox for a in items if isinstance(a, pikepdf.Dictionary) and "/BBox" in a), None)
        if box is None or page is None:
            yield Finding("pdf-figure", page, "a figure has no /BBox", ident)
            return
        x1, y1, x2, y2 = (float(v) for v in box)
        media = [float(v) for v in self.pages[page - 1].get("/CropBox", self.pages[page - 1].MediaBox)]
        if not (
            media[0] - 1 <= min(x1, x2)
            and max(x1, x2) <= media[2] + 1
            and media[1] - 1 <= min(y1, y2)
            and max(y1, y2) <= media[3] + 1
        ):
            yield Finding(
                "pdf-figure", page, f"a figure's /BBox {[round(v) for v in (x1, y1, x2, y2)]} is not on its page", ident
            )

    def _unreachable(self) -> Iterator[Finding]:
        count = 0
        for obj in self.pdf.objects:
            if (
                isinstance(obj, pikepdf.Dictionary)
                and obj.get("/Type") == "/StructElem"
                and obj.objgen not in self.elements
            ):
                count += 1
        if count:
            yield Finding("pdf-tree", None, f"{count} structure elements cannot be reached from the root")

    # -- the parent tree against the content

    def _parent_tree(self, root: Any) -> Iterator[Finding]:
        self.tree: dict[int, Any] = {}
        if "/ParentTree" not in root:
            yield Finding("pdf-parent-tree", None, "the structure tree has no parent tree")
            return
        stack = [root.ParentTree]
        while stack:
            node = stack.pop()
            nums = node.get("/Nums")
            if nums is not None:
                items = list(nums)
                for i in range(0, len(items) - 1, 2):
                    self.tree[int(items[i])] = items[i + 1]
            stack.extend(node.get("/Kids", ()))
        for (page, mcid), element in self.mcids.items():
            key = self.pages[page - 1].get("/StructParents") if page > 0 else None
            array = self.tree.get(int(key)) if key is not None else None
            if (
                not isinstance(array, pikepdf.Array)
                or mcid >= len(array)
                or not isinstance(array[mcid], pikepdf.Dictionary)
                or array[mcid].objgen != element
            ):
                yield Finding(
                    "pdf-parent-tree", page, f"marked content {mcid} is not mapped to its element in the parent tree"
                )

    def _content(self) -> Iterator[Finding]:
        for index, page in enumerate(self.pdf.pages):
            data = page_content(page)
            drawn: set[int] = set()
            depth = 0
            untagged = 0
            for match in TOKENS.finditer(data):
                group = match.lastgroup
                if group in ("tag", "props"):
                    depth += 1
                    found = re.search(rb"/MCID\s+(\d+)", match.group("props"))
                    if found:
                        drawn.add(int(found.group(1)))
                elif group is None:
                    depth += 1
                elif group == "emc":
                    depth -= 1
                elif group == "tj" and depth <= 0:
                    untagged += 1
            if untagged:
                yield Finding("pdf-untagged", index + 1, f"{untagged} text operators are neither tagged nor artifacts")
            tagged = {mcid for (p, mcid) in self.mcids if p == index + 1}
            for mcid in sorted(drawn - tagged)[:5]:
                yield Finding("pdf-untagged", index + 1, f"marked content {mcid} belongs to no element of the tree")
            for mcid in sorted(tagged - drawn)[:5]:
                yield Finding(
                    "pdf-parent-tree", index + 1, f"an element names marked content {mcid}, which is not on its page"
                )

    # -- links

    def _links(self) -> Iterator[Finding]:
        for index, page in enumerate(self.pages):
            for annotation in page.get("/Annots", ()):
                if annotation.get("/Subtype") != "/Link":
                    continue
                rect = [float(v) for v in annotation.Rect]
                if abs(rect[2] - rect[0]) < 0.01 or abs(rect[3] - rect[1]) < 0.01:
                    yield Finding("pdf-link", index + 1, "a link annotation has no area")
                element_key = self.annotations.get(annotation.objgen)
                if element_key is None:
                    yield Finding("pdf-link", index + 1, "a link annotation belongs to no element (OBJR)")
                else:
                    element = self.elements[element_key]
                    if element.get("/S") not in ("/Link", "/Annot", "/Reference"):
                        yield Finding(
                            "pdf-link", index + 1, f"a link annotation is in a {element.get('/S')} element, not a Link"
                        )
                    key = annotation.get("/StructParent")
                    mapped = self.tree.get(int(key)) if key is not None else None
                    if not isinstance(mapped, pikepdf.Dictionary) or mapped.objgen != element_key:
                        yield Finding(
                            "pdf-parent-tree",
                            index + 1,
                            "a link annotation's /StructParent does not lead to its element",
                        )
                contents = str(annotation.get("/Contents", "")).strip()
                if not contents or IDENTIFIER.fullmatch(contents):
                    yield Finding(
                        "pdf-link", index + 1, f"a link is described by {contents!r}, not words a person reads"
                    )

    def _id_tree(self, root: Any) -> Iterator[Finding]:
        if not self.ids:
            return
        tree = root.get("/IDTree")
        if tree is None:
            yield Finding("pdf-id", None, "elements have ids but the structure tree has no /IDTree")
            return
        names = pikepdf.NameTree(tree)
        for ident, key in self.ids.items():
            found = names.get(ident)
            if not isinstance(found, pikepdf.Dictionary) or found.objgen != key:
                yield Finding("pdf-id", None, f"the id {ident!r} is not in the /IDTree", ident)
                break

    def _page(self, element: Any) -> int | None:
        page = element.get("/Pg")
        index = self.page_index.get(page.objgen) if page is not None else None
        return None if index is None else index + 1


def _kids(element: Any) -> list[Any]:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]
