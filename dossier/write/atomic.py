"""Atomic output: write beside the destination, then rename into place.

An interrupted build leaves the previous file intact and no partial file under a final name:
temporary files are hidden (`.name.tmp-PID`) and removed on failure.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


def temporary_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.tmp-{os.getpid()}")


@contextlib.contextmanager
def staged(targets: list[Path]) -> Iterator[list[Path]]:
    """Yield temporary paths for `targets`; on success rename them all into place."""
    temps = [temporary_path(t) for t in targets]
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield temps
        for temp in temps:
            with open(temp, "rb") as handle:
                os.fsync(handle.fileno())
        for temp, target in zip(temps, targets, strict=True):
            os.replace(temp, target)
    finally:
        for temp in temps:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
