"""Load + resolve of a large dossier's sources and notes (issue 15: under 2 s).

    python bench/load_resolve.py [--sources 1500] [--pages 300] [--repeat 3] [--json FILE]

A synthetic dossier (bench/synth.py) of about 1 500 notes and `--sources` sources spread over a
CSL-YAML file, a Zotero-style CSL-JSON export and a BibLaTeX file (read by Pandoc), loaded and
resolved in this process after the imports; the first run (which starts Pandoc and reads
Babel's language names) and the best of the others are reported, and, as the reference in the same
run, the same dossier with its sources in one CSL-YAML file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from synth import synthesise  # noqa: E402  (bench/ is not a package)

TARGET_S = 2.0


def _times(root: Path, repeat: int) -> tuple[list[float], int, int]:
    from dossier.errors import Report
    from dossier.load import load_dossier
    from dossier.resolve import resolve

    times, notes, sources = [], 0, 0
    for _ in range(repeat):
        report = Report()
        start = time.perf_counter()
        book = resolve(load_dossier(root, report), report)
        times.append(time.perf_counter() - start)
        notes = sum(len(c.notes) for c in book.chapters)
        sources = len(book.sources)
    return times, notes, sources


def measure(work: Path, sources: int = 1500, pages: int = 300, repeat: int = 3) -> dict[str, Any]:
    import dossier.load
    import dossier.resolve  # noqa: F401

    mixed = synthesise(work / "sources-mixed", pages, sources=sources, formats=True)
    single = synthesise(work / "sources-yaml", pages, sources=sources)
    times, notes, count = _times(mixed, repeat)
    reference, _, _ = _times(single, repeat)
    return {
        "sources": count, "notes": notes, "first_s": times[0], "best_s": min(times),
        "yaml_only_first_s": reference[0], "yaml_only_best_s": min(reference),
        "mixed_over_yaml": min(times) / min(reference), "target_s": TARGET_S, "met": times[0] <= TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=1500)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dossier-bench-sources-") as folder:
        result = measure(Path(folder), args.sources, args.pages, max(2, args.repeat))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        f"load + resolve, {result['sources']} sources (YAML, JSON, .bib) and {result['notes']} notes: "
        f"first {result['first_s']:.2f} s, best {result['best_s']:.2f} s "
        f"(limit {TARGET_S} s: {'met' if result['met'] else 'MISSED'}); "
        f"one YAML file: first {result['yaml_only_first_s']:.2f} s, best {result['yaml_only_best_s']:.2f} s "
        f"(three formats / YAML {result['mixed_over_yaml']:.2f}×)"
    )


if __name__ == "__main__":
    main()
