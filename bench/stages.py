"""Where one build's time goes: each stage's wall time in one process, and optionally a cProfile.

    python bench/stages.py DOSSIER OUT [--profile FILE.prof] [--beside]

By default the EPUB is made after the PDF in the same process (DOSSIER_JOBS=1) so that each of
its parts has its own figure; `--beside` keeps the second process, and the "epub" stage is then
the time the build waits for it after the PDF. Read a profile with
`python -c "import pstats; pstats.Stats('FILE.prof').sort_stats('cumulative').print_stats(40)"`.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def timed(module: Any, name: str, times: dict[str, float]) -> None:
    """Wrap `module.name` so that its calls add up in `times[name]`."""
    function: Callable[..., Any] = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            times[name] = times.get(name, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dossier", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the build there")
    parser.add_argument("--beside", action="store_true", help="make the EPUB in a second process, as builds do")
    args = parser.parse_args()
    if not args.beside:
        os.environ["DOSSIER_JOBS"] = "1"
    sys.path.insert(0, str(REPO))
    started, cpu = time.perf_counter(), time.process_time()

    import dossier.build as build
    import dossier.render as render
    import dossier.write.cover as cover
    import dossier.write.epub as epub
    import dossier.write.pages as pages
    from dossier.errors import Report

    times: dict[str, float] = {}
    for name in ("subset_font", "paginate", "_reproducible_zip"):
        timed(epub, name, times)
    timed(cover, "cover_image", times)  # the shared results (dossier.formats.results) import them when made
    timed(pages, "page_starts", times)
    timed(render, "with_epub", times)
    imported = time.perf_counter()
    marks: list[tuple[str, float]] = []
    profile = cProfile.Profile() if args.profile else None
    if profile:
        profile.enable()
    def progress(stage: str) -> None:
        marks.append((stage, time.perf_counter()))

    build.build(args.dossier, args.out, build.BuildOptions(), Report(), progress)
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    end = time.perf_counter()
    print(f"imports {imported - started:.2f} s")
    for (stage, start), (_, stop) in zip(marks, [*marks[1:], ("end", end)], strict=True):
        print(f"{stage} {stop - start:.2f} s")
    for name, seconds in times.items():
        print(f"  {name} {seconds:.2f} s")
    print(f"total {end - started:.2f} s, CPU of this process {time.process_time() - cpu:.2f} s")


if __name__ == "__main__":
    main()
