"""The book's page map and cover foreseen while it is laid out, so that the EPUB is written and
checked beside the layout rather than after it.

The EPUB takes two things from the print layout: where each page starts (its page list) and the
cover (the book's first page, as an image). On an edit, most parts are laid out with decisions a
previous build kept (write/layoutcache.py), and an entry keeps, with its decisions, what that
layout's pages gave: each page's first new text and the page of each anchor (`PartPages`; the same
decisions give the same pages). Once every chapter's pages are known (kept, or the edited
chapter's laid out, by a worker first), the front matter is settled as the build settles it
(write/parts.py `settle_front`) from its own kept entries, and the book's page map follows; the
cover is the one a previous build made of the same front matter for the same page count. The
build hands them to the EPUB then, while it lays the rest out, and compares them with the real
ones afterwards: when they differ, the EPUB is made again from the real ones (formats/graph.py),
so what is foreseen saves time and never changes a byte.
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dossier.render.positions import PageStart
from dossier.write.layoutcache import PartPages, digest
from dossier.write.pages import RawStart, book_starts
from dossier.write.parts import Part, settle_front

FOLDER = "covers"  # under the build's cache folder: the covers of the latest front matters
KEEP = 8


@dataclass(frozen=True)
class Foreseen:
    """The book's page map, foreseen, and the key of its cover (`cover_key`)."""

    page_map: list[PageStart]
    cover_key: str


class _Unknown(Exception):
    """A part whose pages this build does not know without laying it out."""


def foresee(
    front: Part | None,
    chapters: list[PartPages],
    pages_of: Callable[[Part], PartPages | None],
    key_of: Callable[[Part], str | None],
) -> Foreseen | None:
    """The page map the book will have if the front matter settles as its kept entries say, or
    None if one of them is not kept (`pages_of`: a part's kept pages; `key_of`: its cache key)."""
    parts = list(chapters)
    front_key = ""
    if front is not None:
        trial = Part(front.name, copy.deepcopy(front.tree))  # the build numbers its own Sommaire
        try:
            settled = settle_front(trial, [(c.anchors, c.count) for c in chapters], _known(pages_of), _count)
        except (_Unknown, RuntimeError):
            return None
        front_key = key_of(trial) or ""
        parts.insert(0, settled)
    raw: list[RawStart] = []
    for number, part in enumerate(parts):
        raw.extend(part.starts)
        if part.count % 2 and number < len(parts) - 1:
            raw.append(None)  # the blank verso before the next part's right-hand page
    return Foreseen(book_starts(raw), cover_key(front_key, len(raw)))


def _known(pages_of: Callable[[Part], PartPages | None]) -> Callable[[Part], PartPages]:
    def known(part: Part) -> PartPages:
        found = pages_of(part)
        if found is None:
            raise _Unknown(part.name)
        return found

    return known


def _count(pages: PartPages) -> int:
    return pages.count


def cover_key(front_key: str, pages: int) -> str:
    """What the cover depends on: the front matter's layout (its key) and the book's page count
    (the folios' `counter(pages)`)."""
    return digest(f"{front_key}\n{pages}")


def kept_cover(cache: Path | None, key: str) -> bytes | None:
    if cache is None:
        return None
    with contextlib.suppress(OSError):
        return (cache / FOLDER / f"{key}.jpg").read_bytes()
    return None


def keep_cover(cache: Path | None, key: str, image: bytes) -> None:
    """The cover kept for a next build's foresight, written whole (a temporary name renamed), the
    folder pruned to the latest few. A cache that cannot be written is no cache."""
    if cache is None:
        return
    folder = cache / FOLDER
    target = folder / f"{key}.jpg"
    temporary = folder / f".{key}.tmp-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if target.is_file() and target.read_bytes() == image:
            os.utime(target)
        else:
            temporary.write_bytes(image)
            os.replace(temporary, target)
        covers = sorted(folder.glob("*.jpg"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in covers[KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


def values(found: Foreseen, cover: bytes) -> dict[str, Any]:
    """What the EPUB is handed: the shared results it needs, by name (formats/results.py)."""
    return {"page-map": found.page_map, "cover": cover}
