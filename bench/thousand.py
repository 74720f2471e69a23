"""Issue 19's "a 1 000-page synthetic dossier builds": one cold build of bench/synth.py's dossier
at `--pages` (default 1 000), measured as bench/run.py measures (wall, CPU of the process tree,
peak memory of the tree), with the PDF's page count. At 1 000 pages the dossier has 2.5 notes a
page (2 500), not synth.py's 5: a dossier holds 3 000 at most (`limit-notes`).

    python bench/thousand.py --work DIR [--pages 1000] [--json bench/thousand.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import build_command, measure, page_count, python_env  # noqa: E402  (bench/ is not a package)
from synth import synthesise  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="work folder (the dossier and its outputs)")
    parser.add_argument("--pages", type=int, default=1000, help="pages of the synthetic dossier")
    parser.add_argument("--json", type=Path, default=HERE / "thousand.json", help="where to write the result")
    args = parser.parse_args()
    # 2.5 notes a page, not synth.py's 5: a dossier holds 3 000 notes at most (`limit-notes`)
    root = synthesise(args.work / "dossier", pages=args.pages, notes_per_page=min(5.0, 2500 / args.pages))
    out = args.work / "out"
    run = measure([*build_command(root, out), "--no-ace"], env=python_env(), log=args.work / "build.log")
    pdf = next(out.glob("*.pdf"), None)
    pages = page_count(pdf) if pdf else None
    result = {"pages_asked": args.pages, "pages": pages, **asdict(run), "peak_mb": run.peak_mb}
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    sys.exit(run.status)


if __name__ == "__main__":
    main()
