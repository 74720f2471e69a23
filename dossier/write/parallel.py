"""One job in a forked child while the parent works: the EPUB is made beside the PDF.

The build forks once the print HTML is rendered. The child renders the EPUB's documents while
the parent lays the book out; the parent then hands it what the EPUB takes from the layout
(where each page starts, the cover: a `Handoff`) and writes the PDF while the child paginates,
subsets the fonts and zips. The layout itself, a graph of Python objects, never has to cross.
The garbage collector's generations are frozen at the fork so that the child, by collecting,
does not copy every page of the parent. Without `fork` (Windows), with one CPU, when other
threads run (a fork would copy only this one), or with one job allowed (`--jobs 1`,
DOSSIER_JOBS=1), the job runs in the parent when it is waited for: the same bytes either way. The standard library's
`multiprocessing` forks and carries the child's result (or its exception) back.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def jobs_allowed(requested: int | None = None) -> int:
    """How many jobs may run at once: `--jobs N` if given, else DOSSIER_JOBS (a positive
    integer; anything else is ignored), else the cores available."""
    if requested is not None:
        return max(1, requested)
    value = os.environ.get("DOSSIER_JOBS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else cores()


def parallel_allowed(jobs: int | None = None) -> bool:
    """Whether a job may fork: more than one job allowed (`jobs_allowed`), a second core, `fork`."""
    if jobs_allowed(jobs) == 1:
        return False
    if threading.active_count() > 1:  # a fork copies only this thread: another one's locks could stay held
        return False
    return cores() > 1 and "fork" in multiprocessing.get_all_start_methods()


class Handoff:
    """One value the parent gives the job after it started (through a pipe when it is a child)."""

    def __init__(self, parallel: bool) -> None:
        self.value: Any = None
        self.receive, self.send = multiprocessing.get_context("fork").Pipe(duplex=False) if parallel else (None, None)

    def put(self, value: Any) -> None:
        if self.send is None:
            self.value = value
            return
        with contextlib.suppress(BrokenPipeError):  # the child has already failed: `wait` says why
            self.send.send(value)
        self.send.close()

    def get(self) -> Any:
        return self.value if self.receive is None else self.receive.recv()


class Events:
    """What a job in a child says while it runs (its progress), heard by the parent as it waits
    (`Background.wait`)."""

    def __init__(self) -> None:
        self.receive, self.send = multiprocessing.get_context("fork").Pipe(duplex=False)

    def tell(self, kind: str, text: str) -> None:
        self.send.send((kind, text))

    def close(self) -> None:
        self.receive.close()
        self.send.close()


class Background:
    """`job` started in a child process now (or run in this one at `wait`); `handoffs`, if any,
    carry values to it later; `events`, what it says as it goes. A job that starts processes of
    its own (the layout's workers) is not a daemon, as multiprocessing asks: it is waited for or
    cancelled all the same, and dies with the build (`_die_with_parent`)."""

    def __init__(
        self, job: Callable[[], Any], handoffs: Sequence[Handoff] = (), jobs: int | None = None,
        events: Events | None = None, daemon: bool = True, name: str = "EPUB process",
    ) -> None:
        self.job, self.name = job, name
        self.process: Any = None
        self.events = events
        if parallel_allowed(jobs) and all(h.send is not None for h in handoffs):
            context = multiprocessing.get_context("fork")
            self.receive, send = context.Pipe(duplex=False)
            gc.freeze()
            try:
                args = (job, send, handoffs, os.getpid(), events)
                self.process = context.Process(target=_child, args=args, daemon=daemon)
                self.process.start()
            finally:
                gc.unfreeze()
            send.close()
            for handoff in handoffs:
                handoff.receive.close()  # the child's end: a failed child then breaks the pipe
            if events is not None:
                events.send.close()  # the child's end

    def wait(self, heard: Callable[[str, str], Any] | None = None) -> Any:
        """The job's end: what it returned; its exception, if any, raised here. `heard` is
        called with each of its `events`, in order, as they come."""
        if self.process is None:
            return self.job()
        try:
            self._hear(heard)
            failed, message = self.receive.recv()
        except EOFError:  # the child died without a word (killed, out of memory)
            self.process.join()
            ended = RuntimeError(f"{self.name} ended with status {self.process.exitcode}")
            failed, message = True, pickle.dumps(ended)
        except BaseException:  # Ctrl-C, or `heard` failed: the child is stopped, not waited for
            self.cancel()
            raise
        finally:
            self.process.join()
        if failed:
            raise pickle.loads(message)
        return pickle.loads(message)

    def _hear(self, heard: Callable[[str, str], Any] | None) -> None:
        """The events, until the job's result is there (then those it said before it)."""
        if self.events is None:
            return
        events = self.events.receive
        try:
            while True:
                ready = multiprocessing.connection.wait([self.receive, events])
                while events.poll():
                    kind, text = events.recv()
                    if heard is not None:
                        heard(kind, text)
                if self.receive in ready:
                    return
        except EOFError:  # the child ended: its result (or its silence) says how
            return
        finally:
            events.close()

    def cancel(self) -> None:
        """The child stopped, with what it started (EPUBCheck's JVM, Ace and its Chromium), which
        would otherwise go on checking a file no one reads."""
        if self.process is not None and self.process.is_alive():
            below = _descendants(self.process.pid)
            self.process.terminate()
            self.process.join()
            for pid in below:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    """A process's children, theirs, and so on (Linux's /proc; none elsewhere)."""
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            with contextlib.suppress(OSError, ValueError):
                children = [int(c) for c in (task / "children").read_text().split()]
                found += children
                todo += children
    return found


def _die_with_parent(parent: int) -> None:
    """A build killed outright (SIGKILL, the OOM killer) takes its child with it, so that no
    process goes on writing beside the outputs once the next build has tidied them. Linux's
    prctl(PR_SET_PDEATHSIG) does it; the standard library has no wrapper for it."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:  # died before the line above took effect
        os._exit(1)


def _child(job: Callable[[], Any], send: Any, handoffs: Sequence[Handoff], parent: int, events: Events | None) -> None:
    _die_with_parent(parent)
    for handoff in handoffs:
        handoff.send.close()  # the parent's end
    if events is not None:
        events.receive.close()
    try:
        result = job()
    except BaseException as exc:  # carried to the parent, which reports it
        try:
            message = pickle.dumps(exc)
            pickle.loads(message)  # an exception that cannot be rebuilt is carried as its text
        except Exception:
            message = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
        send.send((True, message))
    else:
        send.send((False, pickle.dumps(result)))
    finally:
        send.close()
