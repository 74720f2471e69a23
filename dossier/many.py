"""`dossier build A B C`: several dossiers in one command, each built by a `dossier build DIR` of
its own (a process: a failure, or a crash, in one leaves the others building), at most `jobs`
at once.

Each dossier's build is the one-dossier build, unchanged: its outputs in DIR/build (or OUT/NAME
with `--out OUT`), written atomically, its previous outputs untouched when it fails. Its
diagnostics are printed as it printed them (paths relative to the current folder, so they say
which dossier), then one summary line on stdout: the dossier, its outputs or its error count,
its time. Dossiers are reported in the order given, whichever finishes first, so that the
output is the same from one run to the next. With `--diagnostics json`, stderr carries one
array of every dossier's diagnostics.

The jobs are shared: with J jobs and D dossiers, min(J, D) builds run at once, each allowed
J // min(J, D) jobs of its own (the EPUB beside the PDF, EPUBCheck beside Ace): with two jobs
and two dossiers, two one-job builds at once, not two builds of two jobs each.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from dossier.errors import shown


@dataclass(frozen=True)
class Built:
    """What one dossier's build said and did."""

    folder: str  # as given on the command line
    status: int
    stdout: str
    stderr: str
    seconds: float


def slots(jobs: int, count: int) -> tuple[int, int]:
    """How many builds run at once, and the jobs each is allowed."""
    running = max(1, min(jobs, count))
    return running, max(1, jobs // running)


def build_many(folders: Sequence[str], argv: Sequence[Sequence[str]], jobs: int, form: str) -> int:
    """Each `dossier ARGV[i]` run for FOLDERS[i], `jobs` at most at once; 1 if any failed."""
    running, _ = slots(jobs, len(folders))
    with ThreadPoolExecutor(max_workers=running) as pool:
        futures = [pool.submit(_run, folder, list(args)) for folder, args in zip(folders, argv, strict=True)]
        try:
            built = [future.result() for future in futures]
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    if form == "json":
        merged = [item for b in built for item in _json_diagnostics(b)]
        print(json.dumps(merged, ensure_ascii=False), file=sys.stderr)
    for one in built:
        if form != "json":
            sys.stderr.write(one.stderr)
            sys.stderr.flush()
        print(summary(one, form), flush=True)
    return 1 if any(b.status for b in built) else 0


def _run(folder: str, args: list[str]) -> Built:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "dossier", *args], capture_output=True, text=True, check=False)
    return Built(folder, done.returncode, done.stdout, done.stderr, time.perf_counter() - started)


def summary(built: Built, form: str = "text") -> str:
    """`DIR: OUTPUT, OUTPUT (12.3 s)`, or `DIR: 2 errors (0.4 s)`, or what else ended it."""
    took = f"({built.seconds:.1f} s)"
    if built.status == 0:
        outputs = ", ".join(shown(Path(line)) for line in built.stdout.splitlines() if line.strip())
        return f"{built.folder}: {outputs or 'nothing to build'} {took}"
    if built.status == 1:
        errors = _error_count(built, form)
        return f"{built.folder}: failed, {errors} error{'s' if errors != 1 else ''} {took}"
    ended = {2: "bad command line", 3: "internal error", 130: "interrupted"}.get(built.status, "ended")
    return f"{built.folder}: failed, {ended} (exit status {built.status}) {took}"


def _error_count(built: Built, form: str) -> int:
    if form == "json":
        return sum(1 for d in _json_diagnostics(built) if d.get("level") == "error")
    return sum(1 for line in built.stderr.splitlines() if ": error[" in line)


def _json_diagnostics(built: Built) -> list[dict]:
    """The one JSON array a build printed on stderr (nothing, if it printed none)."""
    for line in reversed(built.stderr.splitlines()):
        if line.startswith("["):
            try:
                return list(json.loads(line))
            except ValueError:
                return []
    return []
