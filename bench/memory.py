"""Where a build's peak memory goes: `python bench/memory.py DOSSIER OUT [-- BUILD OPTIONS]`.

Runs `dossier build DOSSIER --out OUT -v` (options after `--` are added) and samples, every 0.1 s,
the proportional set size (PSS) of every process of its tree, as bench/run.py's TreeSampler does,
but kept per kind of process: the build's own (`build`), the EPUB's forked child (`epub`), the
process the layout and the PDF are made in (`front`, forked after the EPUB's, so its pid is the
larger), the layout workers (`worker`, spawned), multiprocessing's resource tracker, EPUBCheck's JVM (`java`),
DAISY Ace (`node`) and its Chromium (`chromium`, all its processes summed). The build's stage at
each sample is read from its `-v` lines on stderr. Prints, and writes as JSON (`--json FILE`):
each kind's peak and the stage it was reached in, the peak of the sum with what made it, and
the wall time. issue 19's target: the sum's peak under 1.5 GB at 300 pages.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from run import MB, _memory, _tree  # bench/ is not a package: run from bench/ or with it on sys.path

KINDS = ("build", "epub", "front", "worker", "tracker", "java", "node", "chromium", "other")
STAGES = ("check", "load", "resolve", "render", "layout", "pdf", "epub")
STAGE_LINE = re.compile(r"^dossier: ([a-z-]+): ")


def kind(pid: int, root: int) -> str:
    """What a process of the build's tree is, from its command line (and, for the EPUB's fork,
    which has the build's command line, from being another process than the build)."""
    if pid == root:
        return "build"
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "other"
    line = b" ".join(argv).decode(errors="replace")
    name = Path(argv[0].decode(errors="replace")).name if argv and argv[0] else comm
    if "resource_tracker" in line:
        return "tracker"
    if "spawn_main" in line or "multiprocessing.spawn" in line:
        return "worker"
    if name == "java" or comm == "java":
        return "java"
    if "chrom" in name or "chrom" in comm or line.startswith("/proc/self/exe"):  # Chromium's children
        return "chromium"
    if name == "node" or comm == "node" or "ace-puppeteer" in line or "@daisy/" in line:
        return "node"
    if "dossier" in line and "python" in name:
        return "epub"
    return "other"


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


class Sampler(threading.Thread):
    """Every `interval` seconds, the PSS of each kind of process in the tree of `root`."""

    def __init__(self, root: int, stage: list[str], interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root, self.stage, self.interval = root, stage, interval
        self.done = threading.Event()
        self.peaks: dict[str, tuple[int, str, float]] = {}  # kind: (bytes, stage, seconds)
        self.total: tuple[int, str, float, dict[str, int]] = (0, "", 0.0, {})
        self.started = time.perf_counter()
        self.others: set[str] = set()  # the command lines of the processes of no known kind
        self.timeline: list[tuple[float, str, dict[str, int]]] = []  # every second: the kinds' MB

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        now, stage = time.perf_counter() - self.started, self.stage[0]
        sums = dict.fromkeys(KINDS, 0)
        tree = _tree(self.root)
        forks = sorted(pid for pid in tree if kind(pid, self.root) == "epub")
        for pid in tree:
            which = kind(pid, self.root)  # read each time: a fork of Node becomes a Chromium
            if which == "epub" and pid != forks[0]:
                which = "front"  # the second fork of the build: where the results and the PDF are made
            sums[which] += _memory(pid)
            if which == "other":
                self.others.add(_command_line(pid)[:120])
        if not self.timeline or now - self.timeline[-1][0] >= 1.0:
            self.timeline.append((round(now, 1), stage, {k: round(v / MB) for k, v in sums.items() if v}))
        for which, size in sums.items():
            if size > self.peaks.get(which, (0, "", 0.0))[0]:
                self.peaks[which] = (size, stage, now)
        total = sum(sums.values())
        if total > self.total[0]:
            self.total = (total, stage, now, {k: v for k, v in sums.items() if v})

    def stop(self) -> None:
        self.done.set()
        self.join()


REPO = Path(__file__).resolve().parent.parent


def build_command(dossier: Path, out: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "dossier", "build", str(dossier.resolve()), "--out", str(out.resolve()), "-v", *extra]


def measure(command: list[str], log: Path | None = None, env: dict[str, str] | None = None) -> dict:
    """`command` run to its end, sampled; its figures (see the module's docstring)."""
    start = time.perf_counter()
    # run from the repository's root: from bench/, its epubcheck.py would hide the epubcheck package
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    stage = ["start"]
    sampler = Sampler(process.pid, stage)
    sampler.start()
    stages: list[tuple[float, str]] = []
    lines = []
    assert process.stderr is not None
    for line in process.stderr:
        lines.append(line)
        found = STAGE_LINE.match(line)
        named = found.group(1) if found else ""
        if named in STAGES and named != stage[0] and not re.search(r": \d+\.\d+ s$", line):
            stage[0] = named
            stages.append((time.perf_counter() - start, named))
    status = process.wait()
    wall = time.perf_counter() - start
    sampler.stop()
    if log:
        log.write_text("".join(lines), encoding="utf-8")
    return {
        "command": command[2:] if command[0] == sys.executable else command,
        "status": status,
        "wall_s": round(wall, 1),
        "stages": [(round(t, 1), s) for t, s in stages],
        "peak_mb": {k: [round(v / MB), s, round(t, 1)] for k, (v, s, t) in sampler.peaks.items() if v},
        "sum_peak_mb": round(sampler.total[0] / MB),
        "sum_peak_stage": sampler.total[1],
        "sum_peak_at_s": round(sampler.total[2], 1),
        "sum_peak_parts_mb": {k: round(v / MB) for k, v in sampler.total[3].items()},
        "others": sorted(sampler.others),
        "timeline_mb": sampler.timeline,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dossier", type=Path, nargs="?")
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--command", help="sample this command (split on spaces) instead of a build")
    parser.add_argument("--json", type=Path, help="write the figures there too")
    parser.add_argument("--log", type=Path, help="the build's stderr")
    parser.add_argument("extra", nargs="*", help="after --: more options for `dossier build`")
    args = parser.parse_args()
    command = args.command.split() if args.command else build_command(args.dossier, args.out, args.extra)
    found = measure(command, args.log)
    print(json.dumps(found, indent=1))
    if args.json:
        args.json.write_text(json.dumps(found, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
