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

A dossier's lines are printed as soon as it and every dossier before it are done (a newsroom
rebuilding twenty dossiers sees them come, in the order given). Ctrl-C stops them all: each
build runs in a session of its own, so the terminal's interrupt reaches this process alone, which
passes it on once to every build still running (each then stops as `dossier build` does, its
previous outputs untouched) and waits for them, killing one that has not ended after
`GRACE` seconds; the dossiers that were done are reported, the others as interrupted, exit 130.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from dossier.errors import shown

GRACE = 20.0  # seconds a build has to stop after Ctrl-C before it is killed
INTERRUPTED = 130


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


@dataclass
class Running:
    """The builds started and not yet reaped; once `stopping`, no new one starts."""

    processes: set[subprocess.Popen[str]] = field(default_factory=set)
    stopping: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, command: list[str]) -> subprocess.Popen[str] | None:
        with self.lock:
            if self.stopping:
                return None
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
            )
            self.processes.add(process)
            return process

    def done(self, process: subprocess.Popen[str]) -> None:
        with self.lock:
            self.processes.discard(process)

    def stop(self) -> None:
        """Interrupt every build still running, once; kill those still there after GRACE."""
        with self.lock:
            self.stopping = True
            running = list(self.processes)
        for process in running:
            process.send_signal(signal.SIGINT)  # nothing, if it has ended
        deadline = time.monotonic() + GRACE
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()


def build_many(folders: Sequence[str], argv: Sequence[Sequence[str]], jobs: int, form: str) -> int:
    """Each `dossier ARGV[i]` run for FOLDERS[i], `jobs` at most at once; 1 if any failed, 130
    if interrupted."""
    count, _ = slots(jobs, len(folders))
    running = Running()
    built: list[Built] = []
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(_run, running, folder, list(args)) for folder, args in zip(folders, argv, strict=True)]
        try:
            for future in futures:
                built.append(_wait(future))
                if form != "json":
                    _say(built[-1], form)
        except KeyboardInterrupt:
            running.stop()
            pool.shutdown(wait=True, cancel_futures=True)
            _report_stopped(folders, futures, built, form)
            return INTERRUPTED
    if form == "json":
        _say_json(built)
    return 1 if any(b.status for b in built) else 0


def _wait(future: Future[Built]) -> Built:
    """The build's result; waiting in short steps, so that Ctrl-C is seen at once."""
    while True:
        try:
            return future.result(timeout=0.2)
        except TimeoutError:
            continue


def _report_stopped(folders: Sequence[str], futures: list[Future[Built]], built: list[Built], form: str) -> None:
    """After Ctrl-C: the dossiers not yet reported, each as it ended (done, or interrupted)."""
    for folder, future in list(zip(folders, futures, strict=True))[len(built) :]:
        one = future.result() if future.done() and not future.cancelled() else None
        built.append(one or Built(folder, INTERRUPTED, "", "", 0.0))
        if form != "json":
            _say(built[-1], form)
    if form == "json":
        _say_json(built)


def _say(one: Built, form: str) -> None:
    sys.stderr.write(one.stderr)
    sys.stderr.flush()
    print(summary(one, form), flush=True)


def _say_json(built: list[Built]) -> None:
    merged = [item for b in built for item in _json_diagnostics(b)]
    print(json.dumps(merged, ensure_ascii=False), file=sys.stderr)
    for one in built:
        print(summary(one, "json"), flush=True)


def _run(running: Running, folder: str, args: list[str]) -> Built:
    started = time.perf_counter()
    process = running.start([sys.executable, "-m", "dossier", *args])
    if process is None:  # Ctrl-C came before its turn
        return Built(folder, INTERRUPTED, "", "", 0.0)
    try:
        stdout, stderr = process.communicate()
    finally:
        running.done(process)
    return Built(folder, process.returncode, stdout, stderr, time.perf_counter() - started)


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
