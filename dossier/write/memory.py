"""The build's memory: whether DAISY Ace may start while the book's pages are still laid out.

Ace's Chromium and Node (about 740 MB on 2 cores, with the EPUB's process and EPUBCheck's JVM
about 1 070 MB: bench/memory.py) are the largest processes of a build. Started beside the PDF's
writing, they add to the peak of the process the layout is made in (the layout and the PDF
being written: about 1 GB at 300 pages), and a 300-page build took 1.8 GB. So when that
process's memory at the hand-over, grown as writing the PDF grows it, plus the checks' would
pass the budget (DOSSIER_MEMORY_MB, default 1 536), the EPUB's process waits before Ace until
the other formats are written and the layouts are gone (their process ended, formats/graph.py;
else dropped and `give_back`); then Ace opens as many documents at once as the budget leaves
room for (`ace_pages`). It changes when and how fast Ace runs, never what it finds. Linux's /proc
tells a process's size (its PSS, as bench/memory.py counts it); elsewhere Ace starts at once.
"""
from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import re
from pathlib import Path

BUDGET_MB = 1536
CHECKS_MB = 1070  # the EPUB's process, EPUBCheck's JVM, Ace's Node and its Chromium (bench/memory.py)
GROWTH = 1.4  # the build's peak over its size when the layout is done (measured 1.2 to 1.36)
# Ace's Node, and its Chromium with one content document open, and each more (bench/memory.py:
# 2 documents 590 MB, 1 document 500 MB; Ace then takes 11 % more time)
NODE_MB, CHROMIUM_MB, PAGE_MB = 140, 410, 90


def budget_mb() -> int:
    """DOSSIER_MEMORY_MB if it is a positive integer, else `BUDGET_MB`."""
    value = os.environ.get("DOSSIER_MEMORY_MB", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else BUDGET_MB


def resident_mb() -> float | None:
    """This process's proportional set size (what it shares with the EPUB's process, forked from
    it, counted half), or None where /proc does not tell it (Linux 4.14 and later)."""
    try:
        text = Path("/proc/self/smaps_rollup").read_text(encoding="ascii")
    except OSError:
        return None
    found = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None


def checks_fit(size: float | None) -> bool:
    """Whether Ace can run beside the rest of the build within the budget, the build being `size`
    MB (None: not known)."""
    return size is None or size * GROWTH + CHECKS_MB <= budget_mb()


def ace_pages(room: tuple[int, float | None] | None, most: int) -> int:
    """How many content documents Ace may open at once (at most `most`), told `room` by the
    build once it waited (its process and size, write/memory.py's docstring; None: it did not
    wait): as many as keep the build, this process (if another), Node and Chromium within the
    budget, and at least one."""
    if room is None or room[1] is None:
        return most
    pid, build = room
    own = (resident_mb() or 0.0) if pid != os.getpid() else 0.0
    spare = budget_mb() - build - own - NODE_MB - CHROMIUM_MB
    return max(1, min(most, int(spare // PAGE_MB)))


def give_back() -> None:
    """What the dropped layouts held returned to the system: a full collection, then glibc's
    `malloc_trim`, which Python does not call (most of a layout's boxes are small objects in
    arenas that free() keeps for the process otherwise)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
