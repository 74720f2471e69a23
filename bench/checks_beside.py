"""EPUBCheck beside DAISY Ace, before and after: `python bench/checks_beside.py --before CHECKOUT`.

CHECKOUT is a checkout of the code before the change (`git worktree add --detach /tmp/before
COMMIT`). The bundled dossier is copied once per version; each round builds each copy cold
(`--force`), then after one paragraph changed (bench/run.py's `edit_paragraph`), the two
versions alternated and their order swapped from one round to the next, so that the machine's
noise touches both alike. Each build is a whole process measured by bench/run.py's `measure`
(wall, CPU of the tree, the largest process's RSS, the tree's summed PSS). The outputs of the two
versions are compared byte for byte after every build. Prints one JSON object: each version's
medians, the ratios after/before, the load average before and after the run.

`--checks EPUB` times the two checks alone on an EPUB, in this process, alternated: DAISY Ace
then EPUBCheck (as `--jobs 1` runs them), and EPUBCheck started beside Ace (as more jobs do);
their findings compared, the peak of the process tree's summed PSS sampled for each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import REPO, Run, TreeSampler, edit_paragraph, measure  # noqa: E402  (bench/ is not a package)

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/epubcheck.py is not the package


def build(code: Path, root: Path, out: Path, force: bool, log: Path) -> Run:
    env = {**os.environ, "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "dossier", "build", str(root), "--out", str(out), *(["--force"] * force)]
    return measure(command, cwd=code, env=env, log=log)  # `-m` puts the folder first on the path


def same_outputs(first: Path, second: Path) -> bool:
    names = sorted(p.name for p in first.iterdir() if not p.name.startswith("."))
    theirs = sorted(p.name for p in second.iterdir() if not p.name.startswith("."))
    return names == theirs and all((first / n).read_bytes() == (second / n).read_bytes() for n in names)


def medians(runs: list[Run]) -> dict[str, float]:
    return {
        "wall_s": statistics.median(r.wall for r in runs),
        "cpu_s": statistics.median(r.cpu for r in runs),
        "maxrss_mb": statistics.median(r.maxrss_mb for r in runs),
        "tree_pss_mb": statistics.median(r.tree_mb for r in runs),
        "peak_mb_max": max(r.peak_mb for r in runs),
        "failed": sum(r.status != 0 for r in runs),
    }


def checks(epub: Path, rounds: int) -> dict[str, Any]:
    """Ace then EPUBCheck, against EPUBCheck beside Ace, on a copy of `epub`: wall and peak PSS."""
    from dossier.write.validate import run_ace, run_epubcheck, start_epubcheck

    times: dict[str, list[float]] = {"one_after_the_other": [], "beside": []}
    peaks: dict[str, list[float]] = {k: [] for k in times}
    findings = []
    with tempfile.TemporaryDirectory(prefix="dossier-bench-checks-") as folder:
        copy = Path(folder) / "book.epub"
        shutil.copyfile(epub, copy)
        for round_ in range(rounds):
            order = list(times) if round_ % 2 == 0 else list(reversed(times))
            for way in order:
                sampler = TreeSampler(os.getpid())
                sampler.start()
                start = time.perf_counter()
                if way == "beside":
                    start_epubcheck(copy)
                found = (run_ace(copy), run_epubcheck(copy))
                times[way].append(time.perf_counter() - start)
                peaks[way].append(sampler.stop())
                findings.append(found)
                print(f"bench: checks, round {round_ + 1}, {way}: {times[way][-1]:.1f} s", file=sys.stderr)
    result: dict[str, Any] = {
        k: {"wall_s": statistics.median(v), "peak_pss_mb": max(peaks[k])} for k, v in times.items()
    }
    result["beside_over_one_after_the_other"] = result["beside"]["wall_s"] / result["one_after_the_other"]["wall_s"]
    result["same_findings"] = all(f == findings[0] for f in findings)
    result["findings"] = {"ace": len(findings[0][0]), "epubcheck": len(findings[0][1])}
    result["walls"] = {k: [round(x, 1) for x in v] for k, v in times.items()}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="a checkout of the code before the change")
    parser.add_argument("--checks", type=Path, metavar="EPUB", help="time the two checks alone on EPUB")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--source", type=Path, default=REPO / "content")
    args = parser.parse_args()
    if args.checks:
        os.environ["DOSSIER_EPUBCHECK"] = os.environ["DOSSIER_ACE"] = ""
        print(json.dumps({**checks(args.checks, args.rounds), "load_average": os.getloadavg()}, indent=2))
        return
    if args.before is None:
        parser.error("--before CHECKOUT, or --checks EPUB")
    versions = {"before": args.before.resolve(), "after": REPO}
    runs: dict[str, dict[str, list[Run]]] = {v: {"cold": [], "edit": []} for v in versions}
    identical = []
    load = [os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="dossier-bench-beside-") as folder:
        work = Path(folder)
        log = work / "builds.log"
        for name in versions:
            shutil.copytree(args.source, work / name)
        for round_ in range(args.rounds):
            order = list(versions) if round_ % 2 == 0 else list(reversed(versions))
            for case in ("cold", "edit"):
                for name in order:
                    root, out = work / name, work / f"{name}-out"
                    if case == "edit":
                        edit_paragraph(root)
                    runs[name][case].append(build(versions[name], root, out, case == "cold", log))
                    print(f"bench: round {round_ + 1}, {case}, {name}: {runs[name][case][-1].wall:.1f} s",
                          file=sys.stderr)
                identical.append(same_outputs(work / "before-out", work / "after-out"))
            load.append(os.getloadavg())
    result: dict[str, Any] = {v: {c: medians(r) for c, r in cases.items()} for v, cases in runs.items()}
    result["after_over_before"] = {
        c: result["after"][c]["wall_s"] / result["before"][c]["wall_s"] for c in ("cold", "edit")
    }
    result["outputs_identical"] = all(identical)
    result["load_average"] = [round(x, 2) for x in (load[0][0], load[-1][0], max(x[0] for x in load))]
    result["walls"] = {v: {c: [round(r.wall, 1) for r in rs] for c, rs in cases.items()} for v, cases in runs.items()}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
