"""Atomic output: write beside the destination, then rename into place.

An interrupted build leaves the previous file intact and no partial file under a final name:
temporary files are hidden (`.name.tmp-PID`, and `.name.tmp-PID.raw` for the EPUB's first
draft) and removed on failure; those a killed build could not remove (SIGKILL, a power cut)
are removed by the next build writing the same name, once their process is gone.
"""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Iterator
from pathlib import Path


def temporary_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.tmp-{os.getpid()}")


def remove_strays(target: Path) -> list[Path]:
    """Remove the temporary files of builds of `target` whose process no longer runs."""
    prefix = f".{target.name}.tmp-"
    removed = []
    for stray in target.parent.glob(glob.escape(prefix) + "*"):
        pid = stray.name.removeprefix(prefix).split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and _running(int(pid)):
            continue
        with contextlib.suppress(FileNotFoundError):
            stray.unlink()
            removed.append(stray)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


@contextlib.contextmanager
def staged(targets: list[Path]) -> Iterator[list[Path]]:
    """Yield temporary paths for `targets`; on success rename them all into place."""
    temps = [temporary_path(t) for t in targets]
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_strays(target)
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
